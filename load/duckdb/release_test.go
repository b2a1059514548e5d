package duckdb_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
)

// openReleasing opens the warehouse under dir for writing, released between
// commits, as the commands that sync do.
func openReleasing(tb testing.TB, dir string) load.Sink {
	tb.Helper()
	d, err := duckdb.Open(context.Background(), duckdb.Options{Path: warehousePath(dir), Logger: quiet, ReleaseBetweenCommits: true})
	if err != nil {
		tb.Fatalf("duckdb.Open: %v", err)
	}
	return d
}

// TestDuckDBReleasingConformance runs the sink conformance suite, crash
// test included (kills land between commits, while the file is released,
// as well as during them), against the sink that releases the file
// between commits. The suite has no readers to leave the file free for:
// its sink does not wait between its back-to-back commits.
func TestDuckDBReleasingConformance(t *testing.T) {
	noYield := noWaits{}
	open := func(tb testing.TB, dir string) load.Sink {
		tb.Helper()
		d, err := duckdb.Open(context.Background(), duckdb.Options{Path: warehousePath(dir), Logger: quiet, ReleaseBetweenCommits: true, Clock: noYield})
		if err != nil {
			tb.Fatalf("duckdb.Open: %v", err)
		}
		return d
	}
	loadtest.Run(t, loadtest.Harness{Open: open, Read: readDuckDB})
}

// noWaits is the real clock but for its waits, which end at once.
type noWaits struct{ clock.Real }

func (noWaits) After(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- time.Now()
	return ch
}

// countLogins counts the distinct logins of accounts.
func countLogins(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(DISTINCT login_id) FROM accounts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDuckDBReleasesBetweenCommits: between two commits of a releasing sink
// a reader opens the file at its first try and sees every committed login
// (the WAL is checkpointed away), the sink commits again once the reader
// has gone, and DB reads the catalog, taking the file back.
func TestDuckDBReleasesBetweenCommits(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := warehousePath(dir)
	sink := openReleasing(t, dir).(*duckdb.Sink)
	defer sink.Close()
	batches := loadtest.Batches(1, 6, loadtest.Day1)
	if err := sink.Commit(ctx, batches[:3]); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WAL between commits: %v, want it checkpointed away", err)
	}
	reader, err := duckdb.OpenReadOnly(ctx, path, time.Nanosecond) // one try
	if err != nil {
		t.Fatalf("a reader between commits: %v", err)
	}
	if n := countLogins(t, reader); n != 3 {
		t.Errorf("the reader sees %d logins, want the 3 committed", n)
	}
	reader.Close()

	// Another process reads too, and a plain one-try open in it succeeds.
	r := readWarehouse(t, path)
	if err := r.release(); err != nil {
		t.Fatalf("a reading process between commits: %v", err)
	}

	if err := sink.Commit(ctx, batches[3:]); err != nil {
		t.Fatal(err)
	}
	db, err := sink.DB(ctx)
	if err != nil {
		t.Fatalf("DB after a commit released the file: %v", err)
	}
	if n := countLogins(t, db); n != 6 {
		t.Errorf("DB sees %d logins, want 6", n)
	}
	if reader, err := duckdb.OpenReadOnly(ctx, path, time.Nanosecond); err == nil {
		reader.Close()
		t.Error("a reader opened the file while DB held it")
	}
	if err := sink.Commit(ctx, batches[:1]); err != nil { // releases what DB took
		t.Fatal(err)
	}
	reader, err = duckdb.OpenReadOnly(ctx, path, time.Nanosecond)
	if err != nil {
		t.Fatalf("a reader after the commit that followed DB: %v", err)
	}
	reader.Close()
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDuckDBCommitWaitsForReader: a reader holding the file when the
// releasing sink wants to commit delays the commit, however much longer
// than LockWait it stays, and the commit then lands whole.
func TestDuckDBCommitWaitsForReader(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := warehousePath(dir)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	sink, err := duckdb.Open(ctx, duckdb.Options{Path: path, LockWait: 100 * time.Millisecond, ReleaseBetweenCommits: true,
		Clock: clock.clock(), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	batches := loadtest.Batches(1, 4, loadtest.Day1)
	if err := sink.Commit(ctx, batches[:2]); err != nil {
		t.Fatal(err)
	}

	r := readWarehouse(t, path)
	const releaseAt = 12 // sleeps: 50 ms doubling to 2 s, ~15 s in all: far past LockWait
	clock.onSleep = func(n int) {
		if n == releaseAt {
			if err := r.release(); err != nil {
				t.Errorf("reader: %v", err)
			}
		}
	}
	if err := sink.Commit(ctx, batches[2:]); err != nil {
		t.Fatalf("Commit while a reader held the file: %v", err)
	}
	if len(clock.sleeps) != releaseAt {
		t.Errorf("slept %d times, want %d (until the reader let go)", len(clock.sleeps), releaseAt)
	}
	if n := strings.Count(logs.String(), "a reader holds the warehouse"); n < 2 {
		t.Errorf("logged the wait %d times, want at its start and again every LockWait:\n%s", n, logs.String())
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	db := readDuckDB(t, dir)
	defer db.Close()
	if n := countLogins(t, db); n != 4 {
		t.Errorf("%d logins committed, want 4", n)
	}
}

// TestDuckDBCommitWaitEndsWithContext: the wait for a reader ends with the
// Commit's context, and nothing of that Commit is committed.
func TestDuckDBCommitWaitEndsWithContext(t *testing.T) {
	dir := t.TempDir()
	path := warehousePath(dir)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	sink, err := duckdb.Open(context.Background(), duckdb.Options{Path: path, ReleaseBetweenCommits: true, Clock: clock.clock(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	batches := loadtest.Batches(1, 2, loadtest.Day1)
	if err := sink.Commit(context.Background(), batches[:1]); err != nil {
		t.Fatal(err)
	}
	r := readWarehouse(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	clock.onSleep = func(n int) {
		if n == 3 {
			cancel()
		}
	}
	clock.hold = func() bool { return ctx.Err() != nil }
	if err := sink.Commit(ctx, batches[1:]); !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit whose context ended while a reader held the file: %v, want context.Canceled", err)
	}
	if err := r.release(); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	db := readDuckDB(t, dir)
	defer db.Close()
	if n := countLogins(t, db); n != 1 {
		t.Errorf("%d logins committed, want only the first Commit's 1", n)
	}
}

// TestDuckDBSecondWriterWaitsForLease: while a run's sink has released the
// file between commits, a second writer still cannot open the warehouse: it
// waits for the first one's writer lease up to LockWait, and its error names
// the holding process.
func TestDuckDBSecondWriterWaitsForLease(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := warehousePath(dir)
	first := openReleasing(t, dir)
	if err := first.Commit(ctx, loadtest.Batches(1, 1, loadtest.Day1)); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, err := duckdb.Open(ctx, duckdb.Options{Path: path, LockWait: time.Minute, Clock: clock.clock(), Logger: quiet})
	if !errors.Is(err, load.ErrLocked) {
		t.Fatalf("a second writer while the first released the file: %v, want ErrLocked", err)
	}
	for _, want := range []string{path, fmt.Sprintf("PID %d", os.Getpid()), "--lock-wait"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := duckdb.Open(ctx, duckdb.Options{Path: path, LockWait: time.Nanosecond, Logger: quiet})
	if err != nil {
		t.Fatalf("a second writer once the first closed: %v", err)
	}
	second.Close()
}

// TestDuckDBLeavesTheFileFree: while a reader says it waits (as
// OpenReader does), a Commit right after another leaves the file free as
// long as the previous one held it, at most 0.5 s (twice a waiting reader's
// longest backoff), so readers polling for it get in however fast commits
// come; once the file has been free that long, a Commit does not wait. With
// no reader waiting, a Commit takes the file back at once.
func TestDuckDBLeavesTheFileFree(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	sink, err := duckdb.Open(ctx, duckdb.Options{Path: warehousePath(t.TempDir()), ReleaseBetweenCommits: true, Clock: clock.clock(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	batch := loadtest.Batches(1, 1, loadtest.Day1)
	// hold makes the sink hold the file for d (on the fake clock) in a
	// Commit, and returns what the next Commit, after free, slept.
	hold := func(d, free time.Duration) []time.Duration {
		t.Helper()
		if _, err := sink.DB(ctx); err != nil { // takes the file
			t.Fatal(err)
		}
		clock.now = clock.now.Add(d)
		if err := sink.Commit(ctx, batch); err != nil { // releases it
			t.Fatal(err)
		}
		clock.now = clock.now.Add(free)
		clock.sleeps = nil
		if err := sink.Commit(ctx, batch); err != nil {
			t.Fatal(err)
		}
		return clock.sleeps
	}
	// With no reader waiting, the file is taken back at once.
	if got := hold(time.Minute, 0); got != nil {
		t.Errorf("no reader waiting: the next Commit slept %v, want no sleep", got)
	}
	done := duckdb.AnnounceReader(sink.Path())
	for _, c := range []struct {
		held, free time.Duration
		want       []time.Duration
	}{
		{200 * time.Millisecond, 0, []time.Duration{200 * time.Millisecond}},
		{200 * time.Millisecond, 150 * time.Millisecond, []time.Duration{50 * time.Millisecond}},
		{time.Minute, 0, []time.Duration{500 * time.Millisecond}},
		{time.Minute, 300 * time.Millisecond, []time.Duration{200 * time.Millisecond}},
		{time.Minute, 500 * time.Millisecond, nil},
	} {
		if got := hold(c.held, c.free); !slices.Equal(got, c.want) {
			t.Errorf("a reader waiting; held %v, then free %v: the next Commit slept %v, want %v", c.held, c.free, got, c.want)
		}
	}
	done()
	if got := hold(time.Minute, 0); got != nil {
		t.Errorf("the reader gone: the next Commit slept %v, want no sleep", got)
	}
}

// commitLoopEnv makes TestDuckDBCommitLoop, re-executed as a subprocess,
// commit to the named warehouse back to back, releasing the file between
// commits, until its stdin closes.
const commitLoopEnv = "SYNCER_TEST_COMMIT_LOOP"

func TestDuckDBCommitLoop(t *testing.T) {
	path := os.Getenv(commitLoopEnv)
	if path == "" {
		t.Skip("helper process for TestDuckDBReaderGetsInBetweenBackToBackCommits")
	}
	sink, err := duckdb.Open(context.Background(), duckdb.Options{Path: path, Logger: quiet, ReleaseBetweenCommits: true})
	if err != nil {
		t.Fatal(err)
	}
	// As a run that is behind: another commit always follows at once.
	sink.KeepHeldWhile(func() bool { return true })
	stop := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stop) }()
	batches := loadtest.Batches(1, 20, loadtest.Day1)
	for n := 0; ; n++ {
		if err := sink.Commit(context.Background(), batches); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			fmt.Println("committing")
		}
		select {
		case <-stop:
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
			return
		default:
		}
	}
}

// TestDuckDBReaderGetsInBetweenBackToBackCommits: a process committing
// back to back, as a run whose loader always has a full group (and so
// keeps the file held between its commits), still lets a reader that waits
// with OpenReadOnly's backoff in, well within its default lock wait.
func TestDuckDBReaderGetsInBetweenBackToBackCommits(t *testing.T) {
	path := warehousePath(t.TempDir())
	cmd := exec.Command(os.Args[0], "-test.run=^TestDuckDBCommitLoop$", "-test.count=1")
	cmd.Env = append(os.Environ(), commitLoopEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "committing" {
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	db, err := duckdb.OpenReadOnly(context.Background(), path, 0)
	if err != nil {
		t.Fatalf("a reader while another process commits back to back: %v", err)
	}
	if n := countLogins(t, db); n != 20 {
		t.Errorf("the reader sees %d logins, want 20", n)
	}
	db.Close()
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the committing process: %v\n%s", err, stderr.String())
	}
}

// TestDuckDBKeepsTheFileWhileMoreFollows: a sink released between commits
// keeps the file through a Commit whose successor follows at once
// (KeepHeldWhile), unless a reader says it waits, and releases it after the
// first Commit with none following, and at Close; what it committed while
// holding is all in the file.
func TestDuckDBKeepsTheFileWhileMoreFollows(t *testing.T) {
	ctx := context.Background()
	path := warehousePath(t.TempDir())
	sink, err := duckdb.Open(ctx, duckdb.Options{Path: path, ReleaseBetweenCommits: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	more := true
	sink.KeepHeldWhile(func() bool { return more })
	commit := func(login int) {
		t.Helper()
		if err := sink.Commit(ctx, loadtest.BatchesFrom(1, login, 1, loadtest.Day1)); err != nil {
			t.Fatal(err)
		}
	}
	commit(1)
	commit(2)
	if !sink.HoldsFile() {
		t.Fatal("released the file though another commit followed")
	}
	done := duckdb.AnnounceReader(path)
	commit(3)
	if sink.HoldsFile() {
		t.Error("kept the file though a reader waited")
	}
	done()
	commit(4)
	if !sink.HoldsFile() {
		t.Error("released the file with no reader waiting and another commit following")
	}
	more = false
	commit(5)
	if sink.HoldsFile() {
		t.Error("kept the file with no commit following")
	}
	more = true
	commit(6)
	sink.KeepHeldWhile(nil)
	commit(7)
	if sink.HoldsFile() {
		t.Error("kept the file once told nothing of the next commit")
	}
	more = true
	sink.KeepHeldWhile(func() bool { return more })
	commit(8)
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := duckdb.OpenReadOnly(ctx, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := countLogins(t, db); n != 8 {
		t.Errorf("the file holds %d logins, want the 8 committed", n)
	}
}
