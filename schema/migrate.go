package schema

import (
	"errors"
	"fmt"
	"slices"
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
// version from (0 for an empty database) to Version(), to be run in order in
// one transaction. Every statement is idempotent, so running the plan on a
// warehouse that is already partly or wholly migrated is harmless.
//
// Tables are created if missing; columns newer than from are added (nullable,
// see AddColumnSQL); descriptions and views are (re)defined; and the new
// version is recorded. Changes are additive only: a column is never dropped
// or retyped by a migration.
func MigrationSQL(from int) []string { return migrationSQL(Tables, Views, from, Version()) }

// MigrationSQLFor is MigrationSQL over the given definitions and target
// version, for tests that need a schema with more than one version.
func MigrationSQLFor(tables []*Table, views []*View, from, to int) []string {
	return migrationSQL(tables, views, from, to)
}

func migrationSQL(tables []*Table, views []*View, from, to int) []string {
	stmts := []string{versionTableSQL}
	for _, t := range tables {
		if ddl := CreateTableSQLAt(t, to); ddl != "" {
			stmts = append(stmts, ddl)
		}
		if firstVersion(t) > from {
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

// firstVersion is the version that created t: its columns' lowest Since.
func firstVersion(t *Table) int {
	v := 0
	for i, c := range t.Columns {
		if i == 0 || c.Since < v {
			v = c.Since
		}
	}
	return v
}

// checkVersions returns what breaks, in tables, the rules by which
// migrationSQL brings a warehouse of one version to the next, or nil:
//
//   - every column says the version that added it (Since at least 1), and
//     every version up to the newest added a column (no version skipped);
//   - a table's columns are listed in the order of their versions, its first
//     column of the version that created it: a migration appends a newer
//     column (ALTER TABLE ADD COLUMN), so only then does an upgraded
//     warehouse have the columns in the order of a new one;
//   - the key's columns are as old as their table: a migration cannot add
//     to a primary key.
func checkVersions(tables []*Table) error {
	var errs []error
	added := map[int]bool{}
	for _, t := range tables {
		if len(t.Columns) == 0 {
			errs = append(errs, fmt.Errorf("%s has no columns", t.Name))
			continue
		}
		created := firstVersion(t)
		for i, c := range t.Columns {
			added[c.Since] = true
			switch {
			case c.Since < 1:
				errs = append(errs, fmt.Errorf("%s.%s: Since %d: declare the schema version that added the column (1 or more)", t.Name, c.Name, c.Since))
			case i > 0 && c.Since < t.Columns[i-1].Since:
				prev := t.Columns[i-1]
				errs = append(errs, fmt.Errorf("%s.%s (version %d) comes after %s.%s (version %d): list columns in the order of their versions, newer ones last",
					t.Name, c.Name, c.Since, t.Name, prev.Name, prev.Since))
			case c.Since > created && slices.Contains(t.Key, c.Name):
				errs = append(errs, fmt.Errorf("%s.%s: key column of version %d in a table of version %d: a migration cannot add to a primary key",
					t.Name, c.Name, c.Since, created))
			}
		}
	}
	for v := 1; v <= versionOf(tables); v++ {
		if !added[v] {
			errs = append(errs, fmt.Errorf("no column is new in schema version %d, yet a later version adds columns: versions follow each other without gaps", v))
		}
	}
	return errors.Join(errs...)
}
