package parquet_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/load/parquet"
)

func TestParquetConformance(t *testing.T) {
	loadtest.Run(t, loadtest.Harness{
		Open: func(tb testing.TB, dir string) load.Sink {
			p, err := parquet.Open(context.Background(), parquet.Options{Dir: dir, Buckets: 4})
			if err != nil {
				tb.Fatal(err)
			}
			return p
		},
		// A reader after a crash first rolls the interrupted commit forward
		// (as DuckDB replays its WAL when a reader opens the file), then reads
		// through the documented glob.
		Read: func(tb testing.TB, dir string) *sql.DB {
			if err := parquet.Recover(dir); err != nil {
				tb.Fatal(err)
			}
			db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
			if err != nil {
				tb.Fatal(err)
			}
			db.SetMaxOpenConns(1) // the views live in the one in-memory database's connection
			if _, err := db.Exec(duckdb.ParquetViews(dir)); err != nil {
				db.Close()
				tb.Fatal(err)
			}
			return db
		},
	})
}
