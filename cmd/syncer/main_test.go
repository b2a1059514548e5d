package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncer/syncer/internal/lakeenv"
	"github.com/syncer/syncer/load/duckdb"
)

// The end-to-end tests run the real syncer as a separate process: this test
// binary re-executes itself with SYNCER_TEST_MAIN=1, which makes TestMain run
// main() instead of the tests (one binary to link, the real main to run).
// The lake tests' servers (lakeenv) start when a test first asks for one
// and stop after the tests.
func TestMain(m *testing.M) {
	if os.Getenv("SYNCER_TEST_MAIN") == "1" {
		if at := os.Getenv("SYNCER_TEST_KILL_AFTER_ERASE"); at != "" {
			afterErase = func(login, warehouse int) {
				if fmt.Sprintf("%d,%d", login, warehouse) == at {
					_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
			}
		}
		os.Args = append([]string{"syncer"}, os.Args[1:]...)
		main()
		return
	}
	lakeenv.Main(m)
}

// result is what one syncer process did.
type result struct {
	code           int
	stdout, stderr string
}

// syncer runs the syncer with args in dir and waits for it.
func syncer(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "SYNCER_TEST_MAIN=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running syncer: %v", err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\n--- stdout\n" + r.stdout + "\n--- stderr\n" + tail(r.stderr, 3000)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// openWarehouseRO opens a warehouse file read-only for assertions.
func openWarehouseRO(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := duckdb.OpenReadOnly(context.Background(), path, time.Second)
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func queryInt(t testing.TB, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func writeLogins(t testing.TB, dir string, ids []string) string {
	t.Helper()
	path := filepath.Join(dir, "logins.txt")
	var b strings.Builder
	b.WriteString("# LoginIds for the test\n\n")
	for _, id := range ids {
		b.WriteString(id + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
