package extract

import (
	"time"

	"github.com/syncer/syncer/internal/clock"
)

// Clock is the client's source of time, the one shape every package takes
// (clock.Clock). Waits go through its After, so tests replace real time
// with a FakeClock and run a 30-minute poll cap in milliseconds.
type Clock = clock.Clock

// RealClock is wall-clock time.
type RealClock = clock.Real

// FakeClock is a Clock whose waits end at once (clock.Fake).
type FakeClock = clock.Fake

// NewFakeClock returns a FakeClock reading start.
func NewFakeClock(start time.Time) *FakeClock { return clock.NewFake(start) }
