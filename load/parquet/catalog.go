package parquet

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"github.com/syncer/syncer/load/duckdb"
)

// OpenCatalog opens the Parquet dataset in dir for reading, as an in-memory
// DuckDB database whose views have the warehouse's table names, columns and
// types (duckdb.OpenParquetCatalog). It is what `syncer sql` and `status`
// read with --no-db, and where a Parquet-only run finds its known logins.
// The views see the files present when it opens.
func OpenCatalog(ctx context.Context, dir string) (*sql.DB, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("no Parquet dataset at %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	db, err := duckdb.OpenParquetCatalog(ctx, abs)
	if err != nil {
		return nil, fmt.Errorf("reading the Parquet dataset at %s: %w", dir, err)
	}
	return db, nil
}
