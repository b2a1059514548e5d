package extract

import (
	"sync"
	"time"
)

// FakeClock is a Clock for tests whose waits complete at once: After(d) moves
// the clock forward to now+d (never backwards) and returns a channel that is
// already ready. A test of a 30-minute cap therefore runs in milliseconds, and
// Now always reflects how long the code under test chose to wait.
//
// Waits from several goroutines add up, so it models one timeline; use it
// for one login at a time, not to measure a shared rate.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a FakeClock reading start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the fake time.
func (f *FakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// After advances the clock by d and returns a ready channel.
func (f *FakeClock) After(d time.Duration) <-chan time.Time {
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
func (f *FakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}
