package load

import (
	"context"
	"database/sql"
	"errors"

	ddb "github.com/syncer/syncer/load/duckdb"
)

// ddbReader is the Reader of a DuckDB database opened read-only
// (OpenDuckDBReader, or a Parquet dataset's catalog).
type ddbReader struct {
	ddbLedger
	db *sql.DB
}

// DuckDBReader returns the Reader of db, a DuckDB database opened
// read-only; closing the Reader closes db.
func DuckDBReader(db *sql.DB) Reader {
	return &ddbReader{ddbLedger: ddbLedger{db: func(context.Context) (*sql.DB, error) { return db, nil }}, db: db}
}

// Query refuses anything but one query (duckdb.CheckReadOnly), then runs
// it and returns its rows rendered as duckdb.Result does.
func (r *ddbReader) Query(ctx context.Context, q string) (Result, error) {
	if err := ddb.CheckReadOnly(ctx, r.db, q); err != nil {
		var ro *ddb.ReadOnlyError
		if errors.As(err, &ro) {
			return nil, &ReadOnlyError{Statement: ro.Statement}
		}
		return nil, err
	}
	res, err := ddb.Query(ctx, r.db, q)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (r *ddbReader) Close() error { return r.db.Close() }
