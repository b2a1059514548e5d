package duckdb

import (
	"errors"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// engineError is a failure DuckDB reported (a sink's commit, a Parquet
// engine statement). Its Class is DuckDB's kind of error ("Out of Memory
// Error", "Constraint Error"), the words before the first colon of
// DuckDB's message, which quote no value: a log line says why a group
// failed without the message (which may quote key values) that goes to
// sync_logins.error.
type engineError struct {
	err    error
	engine *duckdb.Error // in err's chain
}

func (e *engineError) Error() string { return e.err.Error() }
func (e *engineError) Unwrap() error { return e.err }

func (e *engineError) Class() string {
	kind, _, found := strings.Cut(e.engine.Msg, ":")
	if !found || !strings.HasSuffix(kind, " Error") || strings.IndexFunc(kind, notWordOrSpace) >= 0 {
		return "duckdb"
	}
	return "duckdb " + kind
}

func notWordOrSpace(r rune) bool {
	return !(r == ' ' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
}

// classed wraps an error holding a DuckDB error as an engineError; other
// errors (and nil) are returned as they are.
func classed(err error) error {
	var de *duckdb.Error
	if errors.As(err, &de) {
		return &engineError{err: err, engine: de}
	}
	return err
}
