package duckdb_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
)

// signalEnv makes TestDuckDBSignalChild, re-executed as a subprocess, load
// into the named warehouse the way the command does on a signal: the
// signal cancels the Commit's context, and the sink is closed.
const signalEnv = "SYNCER_TEST_SIGNAL_WAREHOUSE"

const signalLogins, signalPerLogin = 150, 1000

func TestDuckDBSignalChild(t *testing.T) {
	path := os.Getenv(signalEnv)
	if path == "" {
		t.Skip("helper process for TestDuckDBClosesCleanlyOnSignal")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	sink, err := duckdb.Open(ctx, duckdb.Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	batches := loadtest.PositionBatches(0, signalLogins, signalPerLogin, loadtest.Day1)
	fmt.Println("committing")
	err = sink.Commit(ctx, batches)
	fmt.Printf("commit: %v\n", err)
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDuckDBClosesCleanlyOnSignal SIGTERMs a process in the middle of a
// large Commit: the commit is rolled back (or, if it won the race, whole),
// the process closes the warehouse, and the WAL is checkpointed away.
func TestDuckDBClosesCleanlyOnSignal(t *testing.T) {
	dir := t.TempDir()
	path := warehousePath(dir)
	cmd := exec.Command(os.Args[0], "-test.run=^TestDuckDBSignalChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), signalEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	var report []string
	for lines.Scan() {
		report = append(report, lines.Text())
		if lines.Text() == "committing" {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child did not exit cleanly after SIGTERM: %v\n%s", err, strings.Join(report, "\n"))
	}
	t.Logf("child: %s", strings.Join(report, " | "))
	if _, err := os.Stat(path + ".wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WAL left after the signal: %v", err)
	}
	db := readDuckDB(t, dir)
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM positions").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 && n != signalLogins*signalPerLogin {
		t.Errorf("positions has %d rows: neither none nor the whole commit's %d", n, signalLogins*signalPerLogin)
	}
}
