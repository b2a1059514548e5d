package duckdb

import (
	"context"
	"database/sql"

	"github.com/syncer/syncer/load"
)

// reader is the load.Reader of a DuckDB database opened read-only
// (OpenReader, or a Parquet dataset's catalog).
type reader struct {
	ledger
	db *sql.DB
}

// NewReader returns the load.Reader of db, a DuckDB database opened
// read-only; closing the Reader closes db.
func NewReader(db *sql.DB) load.Reader {
	return &reader{ledger: ledger{db: func(context.Context) (*sql.DB, error) { return db, nil }}, db: db}
}

// Query refuses anything but one query (CheckReadOnly), then runs
// it and returns its rows rendered as Result does.
func (r *reader) Query(ctx context.Context, q string) (load.Result, error) {
	if err := CheckReadOnly(ctx, r.db, q); err != nil {
		return nil, err
	}
	res, err := Query(ctx, r.db, q)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (r *reader) Close() error { return r.db.Close() }
