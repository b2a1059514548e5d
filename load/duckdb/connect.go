package duckdb

import (
	"database/sql"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// connect opens the database file at path, or with path "" a new in-memory
// database, with settings (a DSN query such as Options.settingsDSN's, ""
// for DuckDB's defaults). Extensions are never downloaded: a query that
// needs httpfs or the like fails at once instead of reaching the network.
func connect(path string, readOnly bool, settings string) (*sql.DB, error) {
	dsn := path + "?autoinstall_known_extensions=false&autoload_known_extensions=false" + settings
	if readOnly {
		dsn += "&access_mode=READ_ONLY"
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(connector), nil
}

// LibraryVersion returns the version of the DuckDB library linked into the
// binary (e.g. "v1.5.6"), or "unknown" if an in-memory database cannot say.
func LibraryVersion() string {
	db, err := connect("", false, "")
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
