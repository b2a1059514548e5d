package duckdb_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
)

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

// catalog returns the sink's database for reading (Sink.DB), failing tb
// if the sink cannot give it.
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

func TestDuckDBConformance(t *testing.T) {
	loadtest.Run(t, loadtest.Harness{Open: openDuckDB, Read: readDuckDB})
}
