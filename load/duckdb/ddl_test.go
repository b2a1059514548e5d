package duckdb

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/syncer/syncer/schema"
)

// TestMigrationGolden pins the DDL of a fresh warehouse: a change to it shows
// up in review as a diff of testdata/migration_v0.sql.
func TestMigrationGolden(t *testing.T) {
	got := strings.Join(MigrationSQL(0), ";\n\n") + ";\n"
	path := filepath.Join("testdata", "migration_v0.sql")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("MigrationSQL(0) differs from %s (run with -update after checking the change)", path)
	}
}

// twoVersions is a schema whose second version added a column to one table
// and a whole table.
func twoVersions() []*schema.Table {
	old := &schema.Table{Name: "old", Key: []string{"k"}, Columns: []schema.Column{
		{Name: "k", Type: schema.Type{Kind: schema.KindVarchar}, Since: 1},
		{Name: "v", Type: schema.Exact, Nullable: true, Since: 1},
		{Name: "added", Type: schema.Exact, Since: 2},
	}}
	fresh := &schema.Table{Name: "fresh", Key: []string{"k"}, Columns: []schema.Column{
		{Name: "k", Type: schema.Type{Kind: schema.KindVarchar}, Since: 2},
	}}
	return []*schema.Table{old, fresh}
}

func TestMigrationPlan(t *testing.T) {
	tables := twoVersions()
	if v := schema.VersionOf(tables); v != 2 {
		t.Fatalf("VersionOf = %d, want 2", v)
	}
	tests := []struct {
		from    int
		wantAdd bool
	}{
		{from: 0, wantAdd: false},
		{from: 1, wantAdd: true},
		{from: 2, wantAdd: false},
	}
	for _, tt := range tests {
		plan := MigrationSQLFor(tables, nil, tt.from, 2)
		add := AddColumnSQL(tables[0], tables[0].Columns[2])
		if slices.Contains(plan, add) != tt.wantAdd {
			t.Errorf("from %d: plan contains %q = %v, want %v", tt.from, add, !tt.wantAdd, tt.wantAdd)
		}
		if !slices.Contains(plan, CreateTableSQLAt(tables[1], 2)) {
			t.Errorf("from %d: plan does not create table fresh", tt.from)
		}
		if last := plan[len(plan)-1]; !strings.Contains(last, "VALUES (2)") {
			t.Errorf("from %d: last statement %q does not record version 2", tt.from, last)
		}
	}
}

func TestCreateTableSQLAt(t *testing.T) {
	tables := twoVersions()
	v1 := CreateTableSQLAt(tables[0], 1)
	if strings.Contains(v1, `"added"`) {
		t.Errorf("version 1 DDL has the version 2 column:\n%s", v1)
	}
	v2 := CreateTableSQLAt(tables[0], 2)
	if !strings.Contains(v2, `"added" DECIMAL(38,18) NOT NULL`) || !strings.Contains(v2, `"v" DECIMAL(38,18),`) {
		t.Errorf("version 2 DDL lacks typed columns:\n%s", v2)
	}
	if !strings.Contains(v2, `PRIMARY KEY ("k")`) {
		t.Errorf("no primary key:\n%s", v2)
	}
	if got := CreateTableSQLAt(tables[1], 1); got != "" {
		t.Errorf("table of version 2 has version 1 DDL %q", got)
	}
}
