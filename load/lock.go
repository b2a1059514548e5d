package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
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
// lockBackoffMax, or for a reader (syncer sql, status: it waits for a commit
// in progress, which is short) to readBackoffMax. A writer that released the
// file between commits leaves it free for up to yieldMax before it takes it
// back: a reader polling every readBackoffMax (plus its try) gets in.
const (
	lockBackoffMin = 50 * time.Millisecond
	lockBackoffMax = 2 * time.Second
	readBackoffMax = 250 * time.Millisecond
	yieldMax       = 2 * readBackoffMax
)

// duckdbLockHolder matches DuckDB's "Could not set lock on file" error and
// captures what it says of the holder.
var duckdbLockHolder = regexp.MustCompile(`Could not set lock on file "[^"]*": Conflicting lock is held in (.*?)(?:\. See also|$)`)

// errDatasetHeld is a Parquet dataset's lock taken by another writer.
var errDatasetHeld = errors.New("parquet: the dataset is held by another writer")

// lockedBy reports whether err is DuckDB refusing a file another process
// holds, a DuckDB warehouse's writer lease or a Parquet dataset held by
// another writer, and who holds it ("" if that is not said).
func lockedBy(err error) (holder string, locked bool) {
	if err == nil {
		return "", false
	}
	if errors.Is(err, errDatasetHeld) {
		return "", true
	}
	var lease *leaseHeldError
	if errors.As(err, &lease) {
		return lease.holder, true
	}
	msg := err.Error()
	if m := duckdbLockHolder.FindStringSubmatch(msg); m != nil {
		return m[1], true
	}
	return "", strings.Contains(msg, "Could not set lock on file")
}

// waitPolicy says how waitForLock waits for a warehouse another process holds.
type waitPolicy struct {
	path string
	// limit is how long to wait before giving up with a *LockedError;
	// noLimit waits as long as the context allows.
	limit time.Duration
	// remind, when positive, logs the wait again every remind.
	remind time.Duration
	// maxBackoff is the longest sleep between tries (lockBackoffMax if zero).
	maxBackoff time.Duration
	// busy is the message logged when the wait starts (and at each reminder).
	busy   string
	clock  Clock
	logger *slog.Logger
}

// noLimit is a waitPolicy.limit that never runs out.
const noLimit = time.Duration(math.MaxInt64)

// waitForLock calls open until it succeeds, fails for another reason than
// the lock, or w.limit has passed, sleeping with exponential backoff
// (lockBackoffMin doubling to w.maxBackoff) between tries. It logs w.busy
// when it starts waiting, again every w.remind, and once it proceeds. On
// timeout it returns a *LockedError; when ctx ends, ctx's error.
func waitForLock[T any](ctx context.Context, w waitPolicy, open func() (T, error)) (T, error) {
	start := w.clock.Now()
	backoff := lockBackoffMin
	if w.maxBackoff == 0 {
		w.maxBackoff = lockBackoffMax
	}
	var reminded time.Duration
	for attempt := 0; ; attempt++ {
		v, err := open()
		holder, locked := lockedBy(err)
		if !locked {
			if err == nil && attempt > 0 {
				w.logger.Info("warehouse released, proceeding", "path", w.path, "waited", w.clock.Now().Sub(start).Round(time.Millisecond))
			}
			return v, err
		}
		waited := w.clock.Now().Sub(start)
		if waited >= w.limit {
			return v, &LockedError{Path: w.path, Holder: holder, Waited: waited}
		}
		switch {
		case attempt == 0:
			w.logger.Warn(w.busy, "path", w.path, "holder", holder, "lock_wait", lockWaitAttr(w.limit))
		case w.remind > 0 && waited-reminded >= w.remind:
			reminded = waited
			w.logger.Warn(w.busy, "path", w.path, "holder", holder, "waited", waited.Round(time.Second))
		}
		if err := w.clock.Sleep(ctx, min(backoff, w.limit-waited)); err != nil {
			return v, fmt.Errorf("waiting for warehouse %s: %w", w.path, err)
		}
		backoff = min(2*backoff, w.maxBackoff)
	}
}

// lockWaitAttr renders a wait limit for the log: a duration, or "none".
func lockWaitAttr(limit time.Duration) any {
	if limit == noLimit {
		return "none"
	}
	return limit
}
