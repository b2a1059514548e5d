package duckdb

// KeyedTables lets the external tests read a warehouse's primary keys as
// the sink does.
var KeyedTables = keyedTables

// AnnounceReader lets the external tests say a reader waits, as
// OpenReader does while it waits.
var AnnounceReader = announceReader

// HoldsFile reports whether the sink holds the database file.
func (d *Sink) HoldsFile() bool { return d.db != nil }
