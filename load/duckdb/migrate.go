package duckdb

import (
	"fmt"

	"github.com/syncer/syncer/schema"
)

// VersionTable is the table in which a warehouse records its schema version:
// one row per migration applied; the highest version is the current one.
const VersionTable = "schema_version"

// versionTableSQL creates VersionTable. It never changes: every version of
// the syncer must be able to read it.
var versionTableSQL = fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
	version INTEGER NOT NULL,
	migrated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
)`, QuoteIdent(VersionTable))

// CurrentVersionSQL is the query that returns a warehouse's schema version
// (NULL for a warehouse with no version recorded). It fails if VersionTable
// does not exist.
var CurrentVersionSQL = fmt.Sprintf("SELECT max(version) FROM %s", QuoteIdent(VersionTable))

// MigrationSQL returns the statements that bring a warehouse from schema
// version from (0 for an empty database) to schema.Version(), to be run in order in
// one transaction. Every statement is idempotent, so running the plan on a
// warehouse that is already partly or wholly migrated is harmless.
//
// Tables are created if missing; columns newer than from are added (nullable,
// see AddColumnSQL); descriptions and views are (re)defined; and the new
// version is recorded. Changes are additive only: a column is never dropped
// or retyped by a migration.
func MigrationSQL(from int) []string {
	return migrationSQL(schema.Tables, Views, from, schema.Version())
}

// MigrationSQLFor is MigrationSQL over the given definitions and target
// version, for tests that need a schema with more than one version.
func MigrationSQLFor(tables []*schema.Table, views []*View, from, to int) []string {
	return migrationSQL(tables, views, from, to)
}

func migrationSQL(tables []*schema.Table, views []*View, from, to int) []string {
	stmts := []string{versionTableSQL}
	for _, t := range tables {
		if ddl := CreateTableSQLAt(t, to); ddl != "" {
			stmts = append(stmts, ddl)
		}
		if t.FirstVersion() > from {
			continue // created whole by the statement above
		}
		for _, c := range t.Columns {
			if c.Since > from && c.Since <= to {
				stmts = append(stmts, AddColumnSQL(t, c))
			}
		}
	}
	for _, t := range tables {
		stmts = append(stmts, CommentSQL(t, to)...)
	}
	for _, v := range views {
		stmts = append(stmts, CreateViewSQL(v))
	}
	stmts = append(stmts, fmt.Sprintf("INSERT INTO %s (version) VALUES (%d)", QuoteIdent(VersionTable), to))
	return stmts
}
