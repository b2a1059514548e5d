package schema

import (
	"slices"
	"testing"
)

// TestGreatestColumns checks the Table.Greatest declarations the sinks rely
// on: only InsertIfNew tables have them, and each names a nullable column
// (a NULL must be able to mean "unknown, keep") of an ordered kind that is
// not part of the key.
func TestGreatestColumns(t *testing.T) {
	ordered := []Kind{KindVarchar, KindDecimal, KindDate, KindTimestamp, KindBigInt}
	for _, tbl := range Tables {
		if len(tbl.Greatest) > 0 && tbl.Merge != InsertIfNew {
			t.Errorf("%s: Greatest columns on a table that is not InsertIfNew", tbl.Name)
		}
		for _, name := range tbl.Greatest {
			i := tbl.Index(name)
			switch {
			case i < 0:
				t.Errorf("%s: Greatest column %s does not exist", tbl.Name, name)
			case !tbl.Columns[i].Nullable:
				t.Errorf("%s: Greatest column %s is NOT NULL", tbl.Name, name)
			case !slices.Contains(ordered, tbl.Columns[i].Type.Kind):
				t.Errorf("%s: Greatest column %s is not of an ordered kind", tbl.Name, name)
			case slices.Contains(tbl.Key, name):
				t.Errorf("%s: Greatest column %s is part of the key", tbl.Name, name)
			}
		}
	}
	if !slices.Equal(Logins.Greatest, []string{"last_refresh_at"}) {
		t.Errorf("logins.Greatest = %v, want [last_refresh_at]", Logins.Greatest)
	}
}
