package duckdb

import (
	"context"
	"database/sql"
)

// OpenParquetCatalog opens the Parquet dataset under dir (an absolute path)
// for reading, as an in-memory database whose views (ParquetViews) have the
// warehouse's table names, columns and types, followed by the analyst
// views. The views see the files present when it opens.
//
// It is read-only as a reader of a DuckDB file is: its statements may read
// files under dir and nowhere else, and cannot write a file, attach,
// install, load or change a setting (see lockDown; its session's TimeZone
// is UTC, so the views read instants as the warehouse's UTC TIMESTAMPs).
func OpenParquetCatalog(ctx context.Context, dir string) (*sql.DB, error) {
	db, err := connect("", false, "")
	if err != nil {
		return nil, err
	}
	// One connection: an in-memory database lives as long as its connector,
	// and the views must be visible to every query.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "SET TimeZone = 'UTC';\n"+ParquetViews(dir)); err != nil {
		db.Close()
		return nil, err
	}
	if err := lockDown(ctx, db, []string{dir}); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
