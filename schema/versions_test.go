package schema

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "record the tables of a schema version not yet recorded (testdata/schema_v<N>.sql)")

// TestColumnVersions: the definitions keep the rules a sink's migrations
// rely on (see checkVersions).
func TestColumnVersions(t *testing.T) {
	if err := checkVersions(Tables); err != nil {
		t.Error(err)
	}
}

// TestCheckVersions: each rule of checkVersions catches its mistake, naming
// the table and column.
func TestCheckVersions(t *testing.T) {
	text := Type{Kind: KindVarchar}
	table := func(key []string, cols ...Column) *Table {
		return &Table{Name: "t", Key: key, Columns: cols}
	}
	k1 := Column{Name: "k", Type: text, Since: 1}
	v1 := Column{Name: "v", Type: text, Nullable: true, Since: 1}
	added2 := Column{Name: "added", Type: text, Nullable: true, Since: 2}
	for _, tt := range []struct {
		name   string
		tables []*Table
		want   string // "" for no error
	}{
		{"two versions", []*Table{table([]string{"k"}, k1, v1, added2), table([]string{"k"}, Column{Name: "k", Type: text, Since: 2})}, ""},
		{"no version", []*Table{table([]string{"k"}, k1, Column{Name: "v", Type: text})}, "t.v: Since 0"},
		{"negative version", []*Table{table([]string{"k"}, k1, Column{Name: "v", Type: text, Since: -1})}, "t.v: Since -1"},
		{"a version skipped", []*Table{table([]string{"k"}, k1, Column{Name: "v", Type: text, Nullable: true, Since: 3})},
			"no column is new in schema version 2"},
		{"an older column after a newer one", []*Table{table([]string{"k"}, k1, added2, v1)},
			"t.v (version 1) comes after t.added (version 2)"},
		{"a key column newer than its table", []*Table{table([]string{"k", "added"}, k1, added2)},
			"t.added: key column of version 2 in a table of version 1"},
		{"no columns", []*Table{table(nil)}, "t has no columns"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := checkVersions(tt.tables)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestReleasedVersions: the tables of every schema version, as a warehouse
// of that version holds them, are recorded in testdata/schema_v<N>.sql, and
// a recorded version never changes. A column declared with the version of a
// warehouse that may already exist (col(2, ...) once version 2 is out) fails
// here, instead of as a DuckDB binder error in load's tests: a migration
// would never add it to such a warehouse. -update writes the record of a
// version that has none; it never rewrites one.
func TestReleasedVersions(t *testing.T) {
	for v := 1; v <= Version(); v++ {
		path := filepath.Join("testdata", fmt.Sprintf("schema_v%d.sql", v))
		got := tablesAt(Tables, v)
		want, err := os.ReadFile(path)
		if os.IsNotExist(err) && *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: run go test ./schema -run TestReleasedVersions -update to record schema version %d", err, v)
			continue
		}
		if got != string(want) {
			t.Errorf("the tables of schema version %d are no longer those recorded in %s:\n%s\n"+
				"A version's tables never change once a warehouse may hold them: declare a new column with a version "+
				"no warehouse holds yet (%d). Only if version %d was never released, delete %s and run go test ./schema -update.",
				v, path, tableDiff(string(want), got), Version()+1, v, path)
		}
	}
}

// tablesAt describes the tables at version v, with nothing of any engine:
// each table's name and key, then its columns with their types and NOT NULL.
func tablesAt(tables []*Table, v int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- The tables of schema version %d, as a new warehouse of that version has them (TestReleasedVersions).\n", v)
	for _, t := range tables {
		cols := t.ColumnsAt(v)
		if len(cols) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s key (%s)\n", t.Name, strings.Join(t.Key, ", "))
		for _, c := range cols {
			fmt.Fprintf(&b, "\t%s %s", c.Name, typeName(c.Type))
			if !c.Nullable {
				b.WriteString(" not null")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// typeName names a column type for the records of TestReleasedVersions.
func typeName(t Type) string {
	switch t.Kind {
	case KindVarchar:
		return "varchar"
	case KindDecimal:
		return fmt.Sprintf("decimal(%d,%d)", t.Width, t.Scale)
	case KindDate:
		return "date"
	case KindTimestamp:
		return "timestamp"
	case KindBoolean:
		return "boolean"
	case KindBigInt:
		return "bigint"
	case KindJSON:
		return "json"
	}
	return fmt.Sprintf("kind %d", t.Kind)
}

// tableDiff lists, table by table, the lines only in want (-)
// and only in got (+), each after its table's name and key.
func tableDiff(want, got string) string {
	byHead := func(text string) (heads []string, lines map[string][]string) {
		lines = map[string][]string{}
		for _, block := range strings.Split(text, "\n\n") {
			head, _, _ := strings.Cut(block, "\n")
			heads, lines[head] = append(heads, head), strings.Split(block, "\n")
		}
		return heads, lines
	}
	wantHeads, w := byHead(want)
	gotHeads, g := byHead(got)
	var out []string
	for _, head := range slices.Compact(slices.Sorted(slices.Values(append(wantHeads, gotHeads...)))) {
		var diff []string
		for _, l := range w[head] {
			if !slices.Contains(g[head], l) {
				diff = append(diff, "\t- "+strings.TrimSpace(l))
			}
		}
		for _, l := range g[head] {
			if !slices.Contains(w[head], l) {
				diff = append(diff, "\t+ "+strings.TrimSpace(l))
			}
		}
		if len(diff) > 0 {
			out = append(out, head)
			out = append(out, diff...)
		}
	}
	return strings.Join(out, "\n")
}
