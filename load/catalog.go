package load

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	ddb "github.com/syncer/syncer/load/duckdb"
)

// OpenParquetCatalog opens the Parquet dataset in dir for reading, as an
// in-memory DuckDB database whose views (ParquetViews) have the warehouse's
// table names, columns and types. It is what `syncer sql` and `status` read
// with --no-db, and where a Parquet-only run finds its known logins. The
// views see the files present when it opens.
//
// It is read-only as OpenDuckDBReadOnly is: its statements may read files
// under dir and nowhere else, and cannot write a file, attach, install, load
// or change a setting (its session's TimeZone is UTC, so the views read
// instants as the warehouse's UTC TIMESTAMPs).
func OpenParquetCatalog(ctx context.Context, dir string) (*sql.DB, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("no Parquet dataset at %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	db, err := ddbOpen("", false)
	if err != nil {
		return nil, err
	}
	// One connection: an in-memory database lives as long as its connector,
	// and the views must be visible to every query.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "SET TimeZone = 'UTC';\n"+ParquetViews(abs)); err != nil {
		db.Close()
		return nil, fmt.Errorf("reading the Parquet dataset at %s: %w", dir, err)
	}
	if err := ddb.LockDown(ctx, db, []string{abs}); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
