// Package clock is the one shape of time the packages take: a Clock says
// what time it is and waits, and a test replaces it with a Fake whose waits
// end at once, so that a test of a 30-minute cap or a one-minute lock wait
// runs in milliseconds.
package clock

import (
	"context"
	"time"
)

// Clock is a source of time.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed on this clock.
	After(d time.Duration) <-chan time.Time
	// AfterFunc calls f in its own goroutine once d has passed on this
	// clock, unless the returned Timer is stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is the part of *time.Timer a Clock's AfterFunc returns.
type Timer interface {
	// Stop prevents the call if it has not happened yet, and reports
	// whether it did so.
	Stop() bool
}

// Real is wall-clock time.
type Real struct{}

func (Real) Now() time.Time                            { return time.Now() }
func (Real) After(d time.Duration) <-chan time.Time    { return time.After(d) }
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Or returns c, or Real when c is nil: the default of every Clock option.
func Or(c Clock) Clock {
	if c == nil {
		return Real{}
	}
	return c
}

// Sleep waits d on c, or until ctx is done; it returns ctx's error then.
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	select {
	case <-c.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
