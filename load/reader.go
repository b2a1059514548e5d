package load

import (
	"context"
	"fmt"
)

// Reader is a warehouse opened read-only, for `syncer sql` and `status`:
// its ledger, and one query at a time. Nothing run through it can write.
type Reader interface {
	Ledger
	// Query runs q, which must be exactly one query (a *ReadOnlyError
	// refuses anything else, before it runs), and returns its rows.
	Query(ctx context.Context, q string) (Result, error)
	Close() error
}

// Result is the rows of a query, each value rendered by the engine that
// read it, exactly: decimals and integers with every digit, never through
// a float.
type Result interface {
	// Columns returns the column names in SELECT order (a name may repeat).
	Columns() []string
	// Numeric reports whether column col holds numbers (to right-align).
	Numeric(col int) bool
	// Len returns the number of rows.
	Len() int
	// Text renders a value as text: NULL as "", decimals exactly, dates as
	// YYYY-MM-DD, instants in RFC 3339 UTC, nested values as JSON.
	Text(row, col int) string
	// AppendJSON appends a value as JSON to b: NULL as null, numbers as
	// JSON numbers with every digit, dates and instants as strings, nested
	// values and JSON as JSON.
	AppendJSON(b []byte, row, col int) []byte
}

// ReadOnlyError refuses a statement that is not a query.
type ReadOnlyError struct {
	Statement string // the statement's kind, e.g. "COPY", or "several statements"
}

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("only one query at a time runs here (SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE, PRAGMA table_info): %s is refused, the warehouse is read-only", e.Statement)
}
