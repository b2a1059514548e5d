package schema

import (
	"slices"
	"testing"
)

// TestLatestColumns checks the Table.Latest declarations the sinks rely on:
// only InsertIfNew tables have them, and each names a nullable column that
// is not part of the key (a NULL must be able to mean "unknown, keep").
func TestLatestColumns(t *testing.T) {
	for _, tbl := range Tables {
		if len(tbl.Latest) > 0 && tbl.Merge != InsertIfNew {
			t.Errorf("%s: Latest columns on a table that is not InsertIfNew", tbl.Name)
		}
		for _, name := range tbl.Latest {
			i := tbl.Index(name)
			switch {
			case i < 0:
				t.Errorf("%s: Latest column %s does not exist", tbl.Name, name)
			case !tbl.Columns[i].Nullable:
				t.Errorf("%s: Latest column %s is NOT NULL", tbl.Name, name)
			case slices.Contains(tbl.Key, name):
				t.Errorf("%s: Latest column %s is part of the key", tbl.Name, name)
			}
		}
	}
	if !slices.Equal(Logins.Latest, []string{"last_refresh_at"}) {
		t.Errorf("logins.Latest = %v, want [last_refresh_at]", Logins.Latest)
	}
}
