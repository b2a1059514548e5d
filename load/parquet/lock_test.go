package parquet_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/parquet"
)

// fakeClock advances only when the code under test sleeps: every wait
// (After) is recorded, moves now, calls onSleep with the number of waits so
// far, and ends at once.
type fakeClock struct {
	now     time.Time
	sleeps  []time.Duration
	onSleep func(n int)
}

func (c *fakeClock) clock() clock.Clock { return c }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	if c.onSleep != nil {
		c.onSleep(len(c.sleeps))
	}
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func (c *fakeClock) AfterFunc(time.Duration, func()) clock.Timer {
	panic("the lock wait parks nothing")
}

// TestParquetLockWait: a second writer of a Parquet dataset waits for the
// first as a DuckDB opener does, with the same backoff, up to LockWait, and
// proceeds as soon as the first closes.
func TestParquetLockWait(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dataset")
	first, err := parquet.Open(context.Background(), parquet.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, err = parquet.Open(context.Background(), parquet.Options{Dir: dir, LockWait: time.Minute, Clock: clock.clock()})
	if !errors.Is(err, load.ErrLocked) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "--lock-wait") {
		t.Fatalf("Open of a held dataset: %v, want ErrLocked naming the directory and --lock-wait", err)
	}
	var waited time.Duration
	for _, d := range clock.sleeps {
		waited += d
	}
	if waited != time.Minute || len(clock.sleeps) < 5 {
		t.Errorf("slept %v in %d steps, want 1m in several growing steps", waited, len(clock.sleeps))
	}

	clock = &fakeClock{now: clock.now}
	clock.onSleep = func(n int) {
		if n == 3 {
			if err := first.Close(); err != nil {
				t.Errorf("closing the first writer: %v", err)
			}
		}
	}
	second, err := parquet.Open(context.Background(), parquet.Options{Dir: dir, LockWait: time.Minute, Clock: clock.clock()})
	if err != nil {
		t.Fatalf("Open once the first writer closed: %v", err)
	}
	defer second.Close()
	if len(clock.sleeps) != 3 {
		t.Errorf("slept %d times, want 3 (until the first writer closed)", len(clock.sleeps))
	}
}
