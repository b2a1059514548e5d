package load_test

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
)

// Helpers of the tests that run both sinks (Multi, the readers, the round
// trips), which load/duckdb's tests have alike.

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func warehousePath(dir string) string { return filepath.Join(dir, "warehouse.duckdb") }

func openDuckDB(tb testing.TB, dir string) load.Sink {
	tb.Helper()
	d, err := duckdb.Open(context.Background(), duckdb.Options{Path: warehousePath(dir), Logger: quiet})
	if err != nil {
		tb.Fatalf("duckdb.Open: %v", err)
	}
	return d
}

// catalog returns the sink's database for reading (Sink.DB), failing tb if
// the sink cannot give it.
func catalog(tb testing.TB, d *duckdb.Sink) *sql.DB {
	tb.Helper()
	db, err := d.DB(context.Background())
	if err != nil {
		tb.Fatalf("Sink.DB: %v", err)
	}
	return db
}

func readDuckDB(tb testing.TB, dir string) *sql.DB {
	tb.Helper()
	db, err := duckdb.OpenReadOnly(context.Background(), warehousePath(dir), time.Second)
	if err != nil {
		tb.Fatalf("duckdb.OpenReadOnly: %v", err)
	}
	return db
}

// peakRSSMB is the process's peak resident memory (VmHWM) in MB, DuckDB's
// C allocations included; 0 where /proc is missing.
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
