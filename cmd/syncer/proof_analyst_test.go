package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load/duckdb"
)

// logged is a syncer started in the background whose JSON log lines (and
// stdout) arrive on lines, in order.
type logged struct {
	cmd   *exec.Cmd
	lines chan map[string]any
}

func startLogged(t *testing.T, dir string, args ...string) *logged {
	t.Helper()
	l := &logged{cmd: exec.Command(os.Args[0], args...), lines: make(chan map[string]any, 1024)}
	l.cmd.Dir = dir
	l.cmd.Env = append(os.Environ(), "SYNCER_TEST_MAIN=1")
	out, err := l.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	l.cmd.Stderr = l.cmd.Stdout
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.cmd.Process.Kill() })
	go func() {
		defer close(l.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				l.lines <- m
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	return l
}

// waitFor reads log lines until one says msg, failing after a minute or
// when the process ends first.
func (l *logged) waitFor(t *testing.T, msg string) map[string]any {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case m, ok := <-l.lines:
			if !ok {
				t.Fatalf("the process ended before logging %q", msg)
			}
			if m["msg"] == msg {
				return m
			}
		case <-deadline:
			t.Fatalf("no %q logged within a minute", msg)
		}
	}
}

// stop signals the process and waits for it, draining its output.
func (l *logged) stop(t *testing.T, sig os.Signal) error {
	t.Helper()
	if err := l.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range l.lines {
		}
	}()
	return l.cmd.Wait()
}

// TestProofAnalystBetweenScheduledRuns runs `schedule` with one tick a
// minute: once its run has finished, `syncer sql` and a plain read-only
// DuckDB open of the file succeed while the scheduler is still running.
func TestProofAnalystBetweenScheduledRuns(t *testing.T) {
	if !fullProof {
		t.Skip("waits for a scheduled tick: run with -tags proof")
	}
	srv := flinkstest.New(flinkstest.Config{Seed: 14, AsOf: proofAsOf})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	second := time.Now().Add(3 * time.Second).Second() // the next tick is at most 3 s away, the one after a minute
	s := startLogged(t, dir, "schedule", "--cron", fmt.Sprintf("%d * * * * *", second), "--db", db, "--base-url", srv.URL,
		"--logins", writeLogins(t, dir, flinkstest.DemoLogins(14, 10)), "--poll-interval", "1ms", "--log-format", "json")
	s.waitFor(t, "run finished")

	r := syncer(t, dir, nil, "sql", "--db", db, "--lock-wait", "1s", "--format", "csv", "SELECT count(*) AS n FROM accounts")
	if r.code != exitOK || r.stdout == "n\n0\n" {
		t.Errorf("syncer sql between scheduled runs:\n%s", r)
	}
	plain, err := duckdb.OpenReadOnly(context.Background(), db, time.Millisecond)
	if err != nil {
		t.Fatalf("a plain open between scheduled runs: %v", err)
	}
	if n := queryInt(t, plain, "SELECT count(*) FROM sync_runs WHERE command = 'schedule'"); n != 1 {
		t.Errorf("%d scheduled runs recorded, want 1", n)
	}
	plain.Close()
	if err := s.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("schedule on SIGTERM: %v", err)
	}
}

// TestProofAnalystWhileARunIsPending runs a sync whose logins stay pending,
// and checks that `sql` and `status`, with their default lock wait, answer
// during it and show the run as running (the run holds the file only while
// it commits), while another `sync` gives up after --lock-wait with exit 1
// and a message that says the warehouse is busy and to retry, never a crash
// (the run holds its writer lease throughout).
func TestProofAnalystWhileARunIsPending(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 15, Pending: flinkstest.FixedPending(1 << 20)})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	logins := writeLogins(t, dir, flinkstest.DemoLogins(15, 3))
	holder := startLogged(t, dir, "sync", "--db", db, "--base-url", srv.URL, "--logins", logins,
		"--poll-interval", "10ms", "--log-format", "json")
	holder.waitFor(t, "run starting") // logged once the warehouse is open

	r := syncer(t, dir, nil, "sql", "--db", db, "--format", "csv", "SELECT status FROM sync_runs")
	if r.code != exitOK || r.stdout != "status\nrunning\n" {
		t.Errorf("sql during a run: want exit 0 and the run running\n%s", r)
	}
	r = syncer(t, dir, nil, "status", "--db", db)
	if r.code != exitOK || !strings.Contains(r.stdout, "running") {
		t.Errorf("status during a run: want exit 0 and the run running\n%s", r)
	}
	r = syncer(t, dir, nil, "sync", "--db", db, "--lock-wait", "300ms", "--base-url", srv.URL, "--logins", logins)
	if r.code != exitFailed || !strings.Contains(r.stderr, "is busy") || !strings.Contains(r.stderr, "retry") ||
		!strings.Contains(r.stderr, db) {
		t.Errorf("sync while a run holds the warehouse: want exit 1 saying busy, retry and the file\n%s", r)
	}
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		t.Errorf("sync crashed:\n%s", r)
	}
	if err := holder.stop(t, syscall.SIGINT); err == nil {
		t.Error("the interrupted holder exited 0")
	}
	w := openWarehouseRO(t, db)
	if n := queryInt(t, w, "SELECT count(*) FROM sync_runs"); n != 1 {
		t.Errorf("%d runs recorded, want only the holder's", n)
	}
}
