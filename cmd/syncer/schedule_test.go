package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load"
)

// TestScheduleRunsSkipsAndStops runs `schedule` every second over the
// sandbox, with one slow login so each run outlasts a tick. It waits (by
// reading the JSON log, not by sleeping) for runs to finish and a tick to be
// skipped, reads the metrics, sends SIGTERM, and checks that the process
// exits 0 and leaves the warehouse closed: another process opens it at once.
func TestScheduleRunsSkipsAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the scheduler for a few seconds")
	}
	srv := flinkstest.New(flinkstest.Config{Seed: 4, Delay: 1500 * time.Millisecond})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	logins := append(flinkstest.DemoLogins(4, 5), flinkstest.FaultLogin(flinkstest.FaultSlow, 1))
	cmd := exec.Command(os.Args[0], "schedule", "--cron", "* * * * * *", "--db", db, "--base-url", srv.URL,
		"--logins", writeLogins(t, dir, logins), "--poll-interval", "1ms", "--log-format", "json", "--metrics-addr", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SYNCER_TEST_MAIN=1")
	stderr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout // logs and summaries, in order
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := make(chan map[string]any)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
	}()
	deadline := time.After(2 * time.Minute)
	finished, skipped, metricsAddr := 0, 0, ""
	for finished < 2 || skipped < 1 {
		select {
		case m, ok := <-lines:
			if !ok {
				t.Fatal("schedule exited early")
			}
			switch m["msg"] {
			case "run finished":
				finished++
			case "tick skipped: the previous run is still running":
				skipped++
			case "serving metrics":
				metricsAddr, _ = m["addr"].(string)
			}
		case <-deadline:
			t.Fatalf("after 2 minutes: %d runs finished, %d ticks skipped", finished, skipped)
		}
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`syncer_runs_total{status="succeeded"}`, "syncer_ticks_skipped_total", "syncer_last_success_timestamp_seconds"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s:\n%s", want, body)
		}
	}
	if strings.Contains(string(body), "syncer_ticks_skipped_total 0") {
		t.Error("metrics count no skipped tick")
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range lines { // drain until the process closes its output
		}
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("schedule did not exit cleanly on SIGTERM: %v", err)
	}
	w, err := load.OpenDuckDB(context.Background(), load.DuckDBOptions{Path: db, LockWait: time.Millisecond})
	if err != nil {
		t.Fatalf("the warehouse is still held after schedule stopped: %v", err)
	}
	defer w.Close()
	cat, err := w.DB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var runs int
	if err := cat.QueryRow(`SELECT count(*) FROM sync_runs WHERE command = 'schedule' AND finished_at IS NOT NULL`).Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if runs < 2 {
		t.Errorf("%d closed runs in sync_runs, want at least 2", runs)
	}
}
