package load

import (
	"context"
	"database/sql"
	"fmt"
	"os"
)

// OpenParquetCatalog opens the Parquet dataset in dir for reading, as an
// in-memory DuckDB database whose views (ParquetViews) have the warehouse's
// table names, columns and types. It is what `syncer sql` and `status` read
// with --no-db, and where a Parquet-only run finds its known logins. The
// views see the files present when it opens.
func OpenParquetCatalog(ctx context.Context, dir string) (*sql.DB, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("no Parquet dataset at %s: %w", dir, err)
	}
	db, err := ddbOpen("", false)
	if err != nil {
		return nil, err
	}
	// One connection: an in-memory database lives as long as its connector,
	// and the views must be visible to every query.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, ParquetViews(dir)); err != nil {
		db.Close()
		return nil, fmt.Errorf("reading the Parquet dataset at %s: %w", dir, err)
	}
	return db, nil
}
