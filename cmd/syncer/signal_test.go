package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

// TestInterruptClosesTheRunCleanly sends SIGINT while every admitted login
// is pending and more wait to be admitted: the process exits 1, the run is
// recorded as interrupted, every listed login as failed ("interrupted"),
// the never started ones included, and the warehouse is closed; `retry`
// then syncs the whole list.
func TestInterruptClosesTheRunCleanly(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 8, Pending: flinkstest.FixedPending(1 << 20)})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	logins := flinkstest.DemoLogins(8, 40)
	// 8 × --concurrency: the rest are never started. The polls of the
	// pending ones (16 every 100 ms) leave the rate room for every admitted
	// login's first requests: logins under way go first in the shared rate,
	// so polls that filled it (16 every 10 ms at the default 20/s, as this
	// test once had) would hold an admitted login's first call back for ever.
	const admitted = 16
	cmd := exec.Command(os.Args[0], "sync", "--db", db, "--base-url", srv.URL, "--logins", writeLogins(t, dir, logins),
		"--poll-interval", "100ms", "--rate", "1000", "--log-format", "json", "--concurrency", "2")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SYNCER_TEST_MAIN=1")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	started, logged := make(chan struct{}), make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		once, saidStop := false, false
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "run starting" && !once {
				once = true
				close(started)
			}
			saidStop = saidStop || m["msg"] == "interrupted: no new login starts; finishing the commits in progress (signal again to exit at once)"
		}
		_, _ = io.Copy(io.Discard, stderr)
		logged <- saidStop
	}()
	select {
	case <-started:
	case <-time.After(time.Minute):
		t.Fatal("the run did not start")
	}
	// Every admitted login has polled at least once: all are pending. (The
	// sandbox counts a request before answering it, so this is exact.)
	deadline := time.Now().Add(time.Minute)
	for _, id := range logins[:admitted] {
		for srv.Count(flinkstest.EndpointInvestments, id) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("logins never reached their first poll")
			}
			runtime.Gosched()
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if !<-logged { // read to the end before Wait closes the pipe
		t.Error("the interrupted sync did not log that it finishes the commits in progress")
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitFailed {
		t.Fatalf("exit after SIGINT: %v, want status 1\n%s", err, stdout.String())
	}
	w := openWarehouseRO(t, db)
	if n := queryInt(t, w, `SELECT count(*) FROM sync_runs WHERE status = 'interrupted' AND finished_at IS NOT NULL`); n != 1 {
		t.Errorf("%d interrupted runs recorded, want 1", n)
	}
	if n := queryInt(t, w, `SELECT count(*) FROM sync_logins WHERE status = 'failed' AND error LIKE 'interrupted%'`); n != len(logins) {
		t.Errorf("%d logins recorded as interrupted, want all %d listed", n, len(logins))
	}
	if n := queryInt(t, w, `SELECT count(*) FROM sync_logins WHERE error LIKE 'interrupted before the login started%'`); n < len(logins)-admitted {
		t.Errorf("%d logins recorded as never started, want at least %d", n, len(logins)-admitted)
	}
	w.Close()

	healthy := flinkstest.New(flinkstest.Config{Seed: 8})
	t.Cleanup(healthy.Close)
	if r := syncer(t, dir, nil, "retry", "--db", db, "--base-url", healthy.URL, "--poll-interval", "1ms"); r.code != exitOK {
		t.Fatalf("retry after the interruption: want exit 0\n%s", r)
	}
	w = openWarehouseRO(t, db)
	if n := queryInt(t, w, `SELECT count(*) FROM sync_logins JOIN sync_runs USING (run_id) WHERE command = 'retry' AND sync_logins.status = 'succeeded'`); n != len(logins) {
		t.Errorf("retry synced %d logins, want the %d the interrupted run listed", n, len(logins))
	}
}
