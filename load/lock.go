package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
)

// ErrLocked is wrapped by the error of an open that gave up waiting for a
// warehouse another process holds. It is not retryable by the caller: the
// wait already happened. The command exits 1 on it.
var ErrLocked = errors.New("warehouse locked by another process")

// LockedError says which warehouse was busy, for how long the opener waited,
// and, when DuckDB names it, which process holds it.
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

// Clock is the time source of lock waiting; tests replace it.
type Clock struct {
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
var SystemClock = Clock{Now: time.Now, Sleep: sleepCtx}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Backoff of lock waiting: the first retry after lockBackoffMin, doubling to
// lockBackoffMax.
const (
	lockBackoffMin = 50 * time.Millisecond
	lockBackoffMax = 2 * time.Second
)

// duckdbLockHolder matches DuckDB's "Could not set lock on file" error and
// captures what it says of the holder.
var duckdbLockHolder = regexp.MustCompile(`Could not set lock on file "[^"]*": Conflicting lock is held in (.*?)(?:\. See also|$)`)

// lockedBy reports whether err is DuckDB refusing a file another process
// holds, or a Parquet dataset held by another writer, and who holds it (""
// if that is not said).
func lockedBy(err error) (holder string, locked bool) {
	if err == nil {
		return "", false
	}
	if errors.Is(err, ErrHeld) {
		return "", true
	}
	msg := err.Error()
	if m := duckdbLockHolder.FindStringSubmatch(msg); m != nil {
		return m[1], true
	}
	return "", strings.Contains(msg, "Could not set lock on file")
}

// waitForLock calls open until it succeeds, fails for another reason than
// the lock, or wait has passed, sleeping with exponential backoff between
// tries. It logs once when it starts waiting. On timeout it returns a
// *LockedError.
func waitForLock[T any](ctx context.Context, path string, wait time.Duration, clock Clock, logger *slog.Logger, open func() (T, error)) (T, error) {
	start := clock.Now()
	backoff := lockBackoffMin
	for attempt := 0; ; attempt++ {
		v, err := open()
		holder, locked := lockedBy(err)
		if !locked {
			if err == nil && attempt > 0 {
				logger.Info("warehouse released, proceeding", "path", path, "waited", clock.Now().Sub(start).Round(time.Millisecond))
			}
			return v, err
		}
		waited := clock.Now().Sub(start)
		if waited >= wait {
			return v, &LockedError{Path: path, Holder: holder, Waited: waited}
		}
		if attempt == 0 {
			logger.Warn("warehouse is busy, waiting for it", "path", path, "holder", holder, "lock_wait", wait)
		}
		if err := clock.Sleep(ctx, min(backoff, wait-waited)); err != nil {
			return v, fmt.Errorf("waiting for warehouse %s: %w", path, err)
		}
		backoff = min(2*backoff, lockBackoffMax)
	}
}
