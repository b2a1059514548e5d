package duckdb

// A reader that waits for a commit in progress (OpenReader: syncer sql,
// status) says so by holding a shared lock on ReadersPath(path) while it
// waits; the writer creates that file at Open, since a reader writes
// nothing. A writer that released the file between commits (see Sink) leaves
// it free before taking it back only while some reader says it waits: a
// run whose loader is behind then commits back to back instead of idling
// half its time for readers that are not there. A plain DuckDB client does
// not wait (it fails at once on a held file, and is retried by hand), so it
// cannot say so: while a run commits back to back, it gets in only between
// two commits.

// ReadersPath is the file beside the DuckDB warehouse at dbPath on which
// waiting readers hold a shared lock: dbPath + ".readers".
func ReadersPath(dbPath string) string { return dbPath + ".readers" }
