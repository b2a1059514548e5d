package lakeenv

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHelperProcess is not a test: the tests here run it in a process of
// its own (see helper), where it asks for the servers as a lake test does.
func TestHelperProcess(t *testing.T) {
	switch mode := os.Getenv("LAKEENV_HELPER"); mode {
	case "":
		t.Skip("runs only in a process of its own, started by the tests of this package")
	case "missing-s3":
		pgBinGlob = ""
		S3(t)
	case "missing-postgres":
		pgBinGlob = ""
		Postgres(t)
	case "no-main":
		running.Store(false)
		S3(t)
	case "serve", "panic":
		S3(t)
		Postgres(t)
		fmt.Printf("lakeenv-helper dir=%s pids=%d,%d\n", workdir, s3srv.proc.cmd.Process.Pid, pgsrv.proc.cmd.Process.Pid)
		if mode == "panic" {
			panic("a test panics while the servers run")
		}
	default:
		t.Fatalf("unknown LAKEENV_HELPER %q", mode)
	}
}

var helperLine = regexp.MustCompile(`lakeenv-helper dir=(\S+) pids=(\d+),(\d+)`)

// TestStopAfterTests: once the tests are done, Main leaves no server
// process (nor any child of one) and no directory behind.
func TestStopAfterTests(t *testing.T) {
	out, err := helper(t, "serve")
	dir, groups := parseHelper(t, out)
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	for _, pgid := range groups {
		if alive := groupMembers(t, pgid); len(alive) > 0 {
			t.Errorf("after the tests, process group %d still has %v", pgid, alive)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after the tests, %s is still there (%v)", dir, err)
	}
}

// TestStopAfterPanic: a test that panics ends the test binary at once, with
// no chance to stop anything; the servers die with it all the same (the
// kernel signals them when their parent dies).
func TestStopAfterPanic(t *testing.T) {
	out, err := helper(t, "panic")
	dir, groups := parseHelper(t, out)
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err == nil || !strings.Contains(out, "a test panics while the servers run") {
		t.Fatalf("helper: %v, want the panic's exit\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, pgid := range groups {
		for alive := groupMembers(t, pgid); len(alive) > 0; alive = groupMembers(t, pgid) {
			if time.Now().After(deadline) {
				t.Fatalf("30 s after the test binary panicked, process group %d still has %v", pgid, alive)
			}
			<-tick.C
		}
	}
}

// parseHelper finds the helper's working directory and the process groups
// of its two servers in its output; it skips the test when the helper
// skipped (the servers are unavailable and not required).
func parseHelper(t *testing.T, out string) (dir string, groups []int) {
	t.Helper()
	m := helperLine.FindStringSubmatch(out)
	if m == nil {
		if strings.Contains(out, "--- SKIP: TestHelperProcess") {
			t.Skip(out)
		}
		t.Fatalf("the helper did not report its servers:\n%s", out)
	}
	for _, s := range m[2:] {
		pid, _ := strconv.Atoi(s)
		groups = append(groups, pid)
	}
	return m[1], groups
}

// groupMembers lists the live processes (zombies excluded) of process group
// pgid, from /proc.
func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	var alive []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // gone since the glob
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(fields) < 3 || fields[0] == "Z" || fields[0] == "X" {
			continue
		}
		if g, _ := strconv.Atoi(fields[2]); g == pgid {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			alive = append(alive, pid)
		}
	}
	return alive
}
