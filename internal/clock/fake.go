package clock

import (
	"sync"
	"time"
)

// Fake is a Clock for tests whose waits complete at once: After(d) moves the
// clock forward to now+d (never backwards) and returns a channel that is
// already ready, and AfterFunc(d, f) moves it as far and calls f. A test of a 30-minute cap therefore runs in milliseconds, and
// Now always reflects how long the code under test chose to wait.
//
// Waits from several goroutines add up, so it models one timeline; use it
// for one login at a time, not to measure a shared rate.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a Fake reading start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// After advances the clock by d and returns a ready channel.
func (f *Fake) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d > 0 {
		f.now = f.now.Add(d)
	}
	ch := make(chan time.Time, 1)
	ch <- f.now
	return ch
}

// Advance moves the clock forward by d without anyone waiting.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// AfterFunc advances the clock by d and calls f in its own goroutine; the
// Timer it returns stops nothing (the call is already under way).
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	f.Advance(max(d, 0))
	go fn()
	return spentTimer{}
}

// spentTimer is the Timer of a call already made.
type spentTimer struct{}

func (spentTimer) Stop() bool { return false }
