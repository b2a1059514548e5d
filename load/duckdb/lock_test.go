package duckdb_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
)

// holdEnv makes TestDuckDBLockHolder, re-executed as a subprocess, hold the
// named warehouse open for writing until its stdin closes; with
// holdReadOnlyEnv set too, open for reading, as an analyst's query does.
const (
	holdEnv         = "SYNCER_TEST_HOLD_WAREHOUSE"
	holdReadOnlyEnv = "SYNCER_TEST_HOLD_READ_ONLY"
)

func TestDuckDBLockHolder(t *testing.T) {
	path := os.Getenv(holdEnv)
	if path == "" {
		t.Skip("helper process for the lock tests")
	}
	var closer io.Closer
	var err error
	if os.Getenv(holdReadOnlyEnv) != "" {
		closer, err = duckdb.OpenReadOnly(context.Background(), path, 0)
	} else {
		closer, err = duckdb.Open(context.Background(), duckdb.Options{Path: path, Logger: quiet})
	}
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("holding")
	io.Copy(io.Discard, os.Stdin)
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
}

// holder is another process holding a warehouse.
type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// holdWarehouse starts a process that holds the warehouse at path open for
// writing, and returns once it does.
func holdWarehouse(t *testing.T, path string) *holder { return startHolder(t, path, false) }

// readWarehouse starts a process that holds the warehouse at path open for
// reading, and returns once it does.
func readWarehouse(t *testing.T, path string) *holder { return startHolder(t, path, true) }

func startHolder(t *testing.T, path string, readOnly bool) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDuckDBLockHolder$", "-test.count=1")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	if readOnly {
		cmd.Env = append(cmd.Env, holdReadOnlyEnv+"=1")
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, stdin: stdin}
	t.Cleanup(func() { h.release() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "holding" {
	}
	go io.Copy(io.Discard, stdout)
	return h
}

// release makes the holder close the warehouse, and waits for it to exit.
func (h *holder) release() error {
	h.stdin.Close()
	return h.cmd.Wait()
}

// fakeClock advances only when the code under test sleeps (or the test
// moves now): every wait (After) is recorded, moves now, calls onSleep with
// the number of waits so far, and ends at once, unless hold says otherwise
// (then it never ends: the waiter's context must).
type fakeClock struct {
	now     time.Time
	sleeps  []time.Duration
	onSleep func(n int)
	hold    func() bool
}

func (c *fakeClock) clock() clock.Clock { return c }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	if c.onSleep != nil {
		c.onSleep(len(c.sleeps))
	}
	if c.hold != nil && c.hold() {
		return nil
	}
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	panic("the lock wait parks nothing")
}

func TestDuckDBLockWaitTimesOut(t *testing.T) {
	path := warehousePath(t.TempDir())
	h := holdWarehouse(t, path)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	_, err := duckdb.Open(context.Background(), duckdb.Options{
		Path: path, LockWait: time.Minute, Clock: clock.clock(), Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if !errors.Is(err, load.ErrLocked) {
		t.Fatalf("duckdb.Open of a held warehouse: %v, want ErrLocked", err)
	}
	msg := err.Error()
	t.Logf("error: %s", msg)
	for _, want := range []string{path, fmt.Sprintf("PID %d", h.cmd.Process.Pid), "1m0s", "--lock-wait"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	var waited time.Duration
	for i, d := range clock.sleeps {
		waited += d
		if last := i == len(clock.sleeps)-1; i > 0 && d < clock.sleeps[i-1] && !last {
			t.Errorf("backoff shrank before the deadline: %v", clock.sleeps)
		}
	}
	if waited != time.Minute || len(clock.sleeps) < 5 {
		t.Errorf("slept %v in %d steps, want 1m in several growing steps", waited, len(clock.sleeps))
	}
	if n := strings.Count(logs.String(), "warehouse is busy"); n != 1 {
		t.Errorf("logged the wait %d times, want once:\n%s", n, logs.String())
	}

	// Read-only opens wait for the same lock.
	if _, err := duckdb.OpenReadOnly(context.Background(), path, time.Nanosecond); !errors.Is(err, load.ErrLocked) {
		t.Errorf("duckdb.OpenReadOnly of a held warehouse: %v, want ErrLocked", err)
	}
}

func TestDuckDBLockWaitProceedsWhenReleased(t *testing.T) {
	path := warehousePath(t.TempDir())
	h := holdWarehouse(t, path)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	clock.onSleep = func(n int) {
		if n == 3 {
			if err := h.release(); err != nil {
				t.Errorf("holder: %v", err)
			}
		}
	}
	var logs bytes.Buffer
	sink, err := duckdb.Open(context.Background(), duckdb.Options{
		Path: path, LockWait: time.Minute, Clock: clock.clock(), Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatalf("duckdb.Open after the holder released: %v", err)
	}
	defer sink.Close()
	if len(clock.sleeps) != 3 {
		t.Errorf("slept %d times, want 3 (until the release)", len(clock.sleeps))
	}
	if !strings.Contains(logs.String(), "warehouse released, proceeding") {
		t.Errorf("no log of proceeding:\n%s", logs.String())
	}
}
