package iceberg

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/iceberg-go/table"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// Snapshot copies the current snapshot of the tables (every table if nil)
// into dir (which must exist and be private), as dir/<table>/data.parquet,
// for the bundled DuckDB to read without any extension
// (duckdb.ParquetViews). A table with no rows, or not copied, gets no file
// (its view is empty). Each table is read through its own current
// snapshot, listed in the catalog: files no snapshot names are never read.
func Snapshot(ctx context.Context, warehouseURI, catalogURI, dir string, tables []*schema.Table) error {
	l, err := openCatalog(ctx, catalogURI, warehouseURI, nil)
	if err != nil {
		return err
	}
	defer l.Close()
	ctx = l.bind(ctx)
	if tables == nil {
		tables = schema.Tables
	}
	for _, t := range tables {
		tbl, err := l.cat.LoadTable(ctx, identifier(t))
		if err != nil {
			return fmt.Errorf("iceberg: table %s.%s: %w (has a sync written to this lake yet?)", Namespace, t.Name, err)
		}
		if err := snapshotTable(ctx, tbl, filepath.Join(dir, t.Name)); err != nil {
			return fmt.Errorf("iceberg: reading %s.%s: %w", Namespace, t.Name, err)
		}
	}
	return nil
}

// snapshotTable writes tbl's current rows to dir/data.parquet, if any.
func snapshotTable(ctx context.Context, tbl *table.Table, dir string) error {
	if tbl.CurrentSnapshot() == nil {
		return nil
	}
	sc, recs, err := tbl.Scan().ToArrowRecords(ctx)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(dir, "data.parquet")
	n, err := writeParquet(path, sc, recs)
	if err == nil && n == 0 {
		err = os.Remove(path)
	}
	return err
}

// OpenCatalog opens the lake for reading: a private copy of the tables'
// current snapshots (Snapshot; every table if tables is nil) behind an
// in-memory DuckDB whose views have the warehouse's table names, columns
// and types, read-only as the Parquet dataset's catalog is
// (duckdb.OpenParquetCatalog). The copy is taken when it opens, and
// removed when the returned close function is called.
func OpenCatalog(ctx context.Context, warehouseURI, catalogURI string, tables []*schema.Table) (*sql.DB, func() error, error) {
	dir, err := os.MkdirTemp("", "syncer-lake-read-*")
	if err != nil {
		return nil, nil, err
	}
	if err := Snapshot(ctx, warehouseURI, catalogURI, dir, tables); err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	db, err := duckdb.OpenParquetCatalog(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return db, func() error {
		err := db.Close()
		if rerr := os.RemoveAll(dir); err == nil {
			err = rerr
		}
		return err
	}, nil
}

// reader is a load.Reader over OpenCatalog's copy, removed at Close.
type reader struct {
	load.Reader
	release func() error
}

func (r *reader) Close() error {
	err := r.Reader.Close()
	if rerr := r.release(); err == nil {
		err = rerr
	}
	return err
}

// openReader opens the lake as a load.Reader (OpenCatalog) over the
// tables (every table if nil).
func openReader(ctx context.Context, warehouseURI, catalogURI string, tables []*schema.Table) (load.Reader, error) {
	db, release, err := OpenCatalog(ctx, warehouseURI, catalogURI, tables)
	if err != nil {
		return nil, err
	}
	return &reader{Reader: duckdb.NewReader(db), release: release}, nil
}
