package duckdb

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncer/syncer/load"
)

// A failed statement's class names DuckDB's kind of error and quotes
// nothing of its message (here the table name, standing for a key value).
func TestDuckDBErrorClassQuotesNoValue(t *testing.T) {
	db, err := connect(filepath.Join(t.TempDir(), "w.duckdb"), false, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.ExecContext(context.Background(), "SELECT * FROM login_5e3c0d")
	if err == nil {
		t.Fatal("a query of a missing table succeeded")
	}
	wrapped := fmt.Errorf("merging accounts: %w", classed(err))
	got := load.ErrorClass(wrapped)
	if got != "duckdb Catalog Error" {
		t.Errorf("class %q, want %q (message %q)", got, "duckdb Catalog Error", err)
	}
	if strings.Contains(got, "5e3c0d") {
		t.Errorf("class %q quotes the statement", got)
	}
	if wrapped.Error() != "merging accounts: "+err.Error() {
		t.Errorf("message changed: %q", wrapped)
	}
	if other := errors.New("x"); classed(other) != other {
		t.Error("a non-DuckDB error was wrapped")
	}
}

// The Parquet engine (the Parquet and Iceberg sinks' merges) classes its
// statements' failures the same way.
func TestParquetEngineErrorClass(t *testing.T) {
	e, err := OpenParquetEngine(context.Background(), filepath.Join(t.TempDir(), "spill"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = e.exec(context.Background(), "SELECT * FROM login_5e3c0d")
	if got := load.ErrorClass(fmt.Errorf("iceberg positions merge: %w", err)); got != "duckdb Catalog Error" {
		t.Errorf("class %q, want %q", got, "duckdb Catalog Error")
	}
}
