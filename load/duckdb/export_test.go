package duckdb

import "context"

// KeyedTables lets the external tests read a warehouse's primary keys as
// the sink does.
var KeyedTables = keyedTables

// AnnounceReader lets the external tests say a reader waits, as
// OpenReader does while it waits.
var AnnounceReader = announceReader

// HoldsFile reports whether the sink holds the database file.
func (d *Sink) HoldsFile() bool { return d.db != nil }

// StagedSize is DuckDB's estimated row count of a staging table in the
// writer's session (deleted rows included), such as stage_transactions, or
// 0 when there is none.
func (d *Sink) StagedSize(ctx context.Context, table string) (n int64, err error) {
	err = d.conn.QueryRowContext(ctx, "SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() WHERE temporary AND table_name = ?", table).Scan(&n)
	return n, err
}

// MergeEverything turns off the inserting of logins' first rows without
// merging (first.go), as an unrefreshed login's data does.
func (d *Sink) MergeEverything() { d.mergeAll = true }

// FirstRows is how many rows the last commit inserted into table as first
// rows, without merging them (first.go).
func (d *Sink) FirstRows(table string) int64 { return d.inserted[table] }
