package load_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/loadtest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func warehousePath(dir string) string { return filepath.Join(dir, "warehouse.duckdb") }

func openDuckDB(tb testing.TB, dir string) load.Sink {
	tb.Helper()
	d, err := load.OpenDuckDB(context.Background(), load.DuckDBOptions{Path: warehousePath(dir), Logger: quiet})
	if err != nil {
		tb.Fatalf("OpenDuckDB: %v", err)
	}
	return d
}

// catalog returns the sink's database for reading (DuckDB.DB), failing tb
// if the sink cannot give it.
func catalog(tb testing.TB, d *load.DuckDB) *sql.DB {
	tb.Helper()
	db, err := d.DB(context.Background())
	if err != nil {
		tb.Fatalf("DuckDB.DB: %v", err)
	}
	return db
}

func readDuckDB(tb testing.TB, dir string) *sql.DB {
	tb.Helper()
	db, err := load.OpenDuckDBReadOnly(context.Background(), warehousePath(dir), time.Second)
	if err != nil {
		tb.Fatalf("OpenDuckDBReadOnly: %v", err)
	}
	return db
}

func TestDuckDBConformance(t *testing.T) {
	loadtest.Run(t, loadtest.Harness{Open: openDuckDB, Read: readDuckDB})
}
