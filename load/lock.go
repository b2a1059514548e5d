package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/internal/logs"
)

// DefaultLockWait is how long an open waits, by default, for a warehouse
// another process holds.
const DefaultLockWait = time.Minute

// ErrLocked is wrapped by the error of an open that gave up waiting for a
// warehouse another process holds. It is not retryable by the caller: the
// wait already happened. The command exits 1 on it.
var ErrLocked = errors.New("warehouse locked by another process")

// LockedError says which warehouse was busy, for how long the opener waited,
// and, when the warehouse names it, which process holds it.
type LockedError struct {
	Path   string
	Holder string // e.g. "/usr/local/bin/syncer (PID 4242)"; "" if unknown
	Waited time.Duration
}

func (e *LockedError) Error() string {
	holder := "another process"
	if e.Holder != "" {
		holder = e.Holder
	}
	return fmt.Sprintf("warehouse %s is busy: held by %s; gave up after waiting %v (see --lock-wait); retry when it is released", e.Path, holder, e.Waited.Round(time.Millisecond))
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// Backoff of lock waiting: the first retry after LockBackoffMin, doubling to
// LockBackoffMax (or a WaitPolicy's MaxBackoff).
const (
	LockBackoffMin = 50 * time.Millisecond
	LockBackoffMax = 2 * time.Second
)

// HeldError is what one attempt to open a warehouse returns when another
// process holds it (a file lock, a writer lease): WaitForLock tries again.
type HeldError struct {
	Holder string // the holding process, as it names itself; "" if unknown
	Err    error  // what the attempt saw
}

func (e *HeldError) Error() string { return e.Err.Error() }
func (e *HeldError) Unwrap() error { return e.Err }

// lockedBy reports whether err is a *HeldError, and who holds the
// warehouse ("" if that is not said).
func lockedBy(err error) (holder string, locked bool) {
	var held *HeldError
	if errors.As(err, &held) {
		return held.Holder, true
	}
	return "", false
}

// WaitPolicy says how WaitForLock waits for a warehouse another process
// holds.
type WaitPolicy struct {
	Path string
	// Limit is how long to wait before giving up with a *LockedError;
	// NoLimit waits as long as the context allows.
	Limit time.Duration
	// Remind, when positive, logs the wait again every Remind.
	Remind time.Duration
	// MaxBackoff is the longest sleep between tries (LockBackoffMax if zero).
	MaxBackoff time.Duration
	// Busy is the message logged when the wait starts (and at each reminder).
	Busy string
	// Clock times the wait (clock.Real if nil).
	Clock clock.Clock
	// Logger receives the waiting messages (nothing if nil).
	Logger *slog.Logger
}

// NoLimit is a WaitPolicy.Limit that never runs out.
const NoLimit = time.Duration(math.MaxInt64)

// WaitForLock calls open until it succeeds, fails for another reason than
// the warehouse being held (see HeldError), or w.Limit has passed, sleeping
// with exponential backoff (LockBackoffMin doubling to w.MaxBackoff)
// between tries. It logs w.Busy when it starts waiting, again every
// w.Remind, and once it proceeds. On timeout it returns a *LockedError;
// when ctx ends, ctx's error.
func WaitForLock[T any](ctx context.Context, w WaitPolicy, open func() (T, error)) (T, error) {
	w.Clock, w.Logger = clock.Or(w.Clock), logs.OrDiscard(w.Logger)
	start := w.Clock.Now()
	backoff := LockBackoffMin
	if w.MaxBackoff == 0 {
		w.MaxBackoff = LockBackoffMax
	}
	var reminded time.Duration
	for attempt := 0; ; attempt++ {
		v, err := open()
		holder, locked := lockedBy(err)
		if !locked {
			if err == nil && attempt > 0 {
				w.Logger.Info("warehouse released, proceeding", "path", w.Path, "waited", w.Clock.Now().Sub(start).Round(time.Millisecond))
			}
			return v, err
		}
		waited := w.Clock.Now().Sub(start)
		if waited >= w.Limit {
			return v, &LockedError{Path: w.Path, Holder: holder, Waited: waited}
		}
		switch {
		case attempt == 0:
			w.Logger.Warn(w.Busy, "path", w.Path, "holder", holder, "lock_wait", lockWaitAttr(w.Limit))
		case w.Remind > 0 && waited-reminded >= w.Remind:
			reminded = waited
			w.Logger.Warn(w.Busy, "path", w.Path, "holder", holder, "waited", waited.Round(time.Second))
		}
		if err := clock.Sleep(ctx, w.Clock, min(backoff, w.Limit-waited)); err != nil {
			return v, fmt.Errorf("waiting for warehouse %s: %w", w.Path, err)
		}
		backoff = min(2*backoff, w.MaxBackoff)
	}
}

// lockWaitAttr renders a wait limit for the log: a duration, or "none".
func lockWaitAttr(limit time.Duration) any {
	if limit == NoLimit {
		return "none"
	}
	return limit
}
