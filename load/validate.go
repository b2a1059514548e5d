package load

import (
	"errors"

	"github.com/syncer/syncer/schema"
)

// CheckBatches refuses, with a *ValueError that never quotes a value, the
// batches of a Commit call that no sink can take as a whole: one naming a
// table the schema does not have, declaring scopes for a table that takes
// none, or holding a row or scope tuple with the wrong number of values.
// Every sink calls it first, so a call it refuses commits nothing anywhere;
// the values themselves are checked as each sink converts them (Value).
func CheckBatches(batches []schema.Batch) error {
	for i, b := range batches {
		for name, rows := range b.Rows {
			t := schema.Lookup(name)
			if t == nil {
				return &ValueError{Batch: i, RunID: b.RunID, Table: name, Row: -1, Err: errors.New("no such table")}
			}
			if err := checkWidths(i, b, name, rows, len(t.Columns)); err != nil {
				return err
			}
		}
		for name, scopes := range b.Scopes {
			t := schema.Lookup(name)
			if t == nil || !t.Scoped() {
				return &ValueError{Batch: i, RunID: b.RunID, Table: name, Row: -1, Err: errors.New("scope for a table that takes none")}
			}
			if err := checkWidths(i, b, name+" scope", scopes, len(t.ScopeColumns())); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkWidths refuses the first of tuples that does not hold n values.
func checkWidths(batch int, b schema.Batch, what string, tuples []schema.Row, n int) error {
	for ri, r := range tuples {
		if len(r) != n {
			return &ValueError{Batch: batch, RunID: b.RunID, Table: what, Row: ri, Err: ErrBadWidth}
		}
	}
	return nil
}
