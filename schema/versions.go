package schema

import (
	"errors"
	"fmt"
	"slices"
)

// Version is the schema version this build writes: the highest Column.Since
// of any table. A warehouse records the version it was last migrated to.
func Version() int { return VersionOf(Tables) }

// VersionOf is the schema version of the given tables: their highest
// Column.Since (1 at least).
func VersionOf(tables []*Table) int {
	v := 1
	for _, t := range tables {
		for _, c := range t.Columns {
			v = max(v, c.Since)
		}
	}
	return v
}

// ColumnsAt returns t's columns that exist at schema version v, in order.
func (t *Table) ColumnsAt(v int) []Column {
	var cols []Column
	for _, c := range t.Columns {
		if c.Since <= v {
			cols = append(cols, c)
		}
	}
	return cols
}

// FirstVersion is the version that created t: its columns' lowest Since.
func (t *Table) FirstVersion() int {
	v := 0
	for i, c := range t.Columns {
		if i == 0 || c.Since < v {
			v = c.Since
		}
	}
	return v
}

// checkVersions returns what breaks, in tables, the rules on which a
// migration from one version to the next relies, or nil:
//
//   - every column says the version that added it (Since at least 1), and
//     every version up to the newest added a column (no version skipped);
//   - a table's columns are listed in the order of their versions, its first
//     column of the version that created it: a migration appends a newer
//     column to the stored table, so only then does an upgraded warehouse
//     have the columns in the order of a new one;
//   - the key's columns are as old as their table: a migration adds
//     columns, and cannot add them to a stored table's key.
func checkVersions(tables []*Table) error {
	var errs []error
	added := map[int]bool{}
	for _, t := range tables {
		if len(t.Columns) == 0 {
			errs = append(errs, fmt.Errorf("%s has no columns", t.Name))
			continue
		}
		created := t.FirstVersion()
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
	for v := 1; v <= VersionOf(tables); v++ {
		if !added[v] {
			errs = append(errs, fmt.Errorf("no column is new in schema version %d, yet a later version adds columns: versions follow each other without gaps", v))
		}
	}
	return errors.Join(errs...)
}
