package duckdb

import (
	"database/sql"
	"database/sql/driver"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/syncer/syncer/schema"
)

// Connect opens the database file at path, or with path "" a new in-memory
// database. Extensions are never downloaded: a query that needs httpfs or
// the like fails at once instead of reaching the network.
func Connect(path string, readOnly bool) (*sql.DB, error) {
	dsn := path + "?autoinstall_known_extensions=false&autoload_known_extensions=false"
	if readOnly {
		dsn += "&access_mode=READ_ONLY"
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(connector), nil
}

// AppenderValue converts v, a value of column c as load.Value returns it,
// to what an Appender stores in a column of c's type: a decimal becomes a
// duckdb.Decimal of the column's own width and scale (the Appender ignores
// the scale of the value it is given, so the value must be at the
// column's already, as load.Value leaves it); other values stay as they are.
func AppenderValue(c schema.Column, v any) driver.Value {
	if d, ok := v.(schema.Decimal); ok {
		return duckdb.Decimal{Width: uint8(c.Type.Width), Scale: uint8(c.Type.Scale), Value: d.Unscaled}
	}
	return v
}

// LibraryVersion returns the version of the DuckDB library linked into the
// binary (e.g. "v1.5.6"), or "unknown" if an in-memory database cannot say.
func LibraryVersion() string {
	db, err := Connect("", false)
	if err != nil {
		return "unknown"
	}
	defer db.Close()
	var v string
	if err := db.QueryRow(`SELECT library_version FROM pragma_version()`).Scan(&v); err != nil {
		return "unknown"
	}
	return v
}
