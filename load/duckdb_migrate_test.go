package load_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/schema"
)

// execFile runs a SQL script against a new DuckDB file at path.
func execScript(t *testing.T, path, script string) {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(script); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateFirstVersion opens a warehouse made with the first version's
// DDL (testdata/warehouse_v1.sql, frozen) and checks it is upgraded in place:
// every table and column of the current schema, with its type, the version
// recorded, the old rows kept, and loading works.
func TestMigrateFirstVersion(t *testing.T) {
	v1, err := os.ReadFile(filepath.Join("testdata", "warehouse_v1.sql"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	execScript(t, warehousePath(dir), string(v1))

	sink := openDuckDB(t, dir).(*load.DuckDB)
	db := sink.DB()
	types := map[string]string{}
	rows, err := db.Query("SELECT table_name || '.' || column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		types[name] = typ
	}
	rows.Close()
	for _, tbl := range schema.Tables {
		for _, c := range tbl.Columns {
			if got := types[tbl.Name+"."+c.Name]; got != c.Type.DuckDB() {
				t.Errorf("after migration %s.%s has type %q, want %s", tbl.Name, c.Name, got, c.Type.DuckDB())
			}
		}
	}
	var version int
	if err := db.QueryRow(schema.CurrentVersionSQL).Scan(&version); err != nil || version != schema.Version() {
		t.Errorf("schema version %d (%v), want %d", version, err, schema.Version())
	}
	var cash, value string
	if err := db.QueryRow("SELECT CAST(cash AS VARCHAR), CAST(account_value AS VARCHAR) FROM accounts WHERE login_id = 'login-old'").Scan(&cash, &value); err != nil {
		t.Fatalf("the first version's account is gone: %v", err)
	}
	if cash != "1234.500000000000000000" || value != "99999999999999999999.999999999999999999" {
		t.Errorf("old account values changed: cash %s, account_value %s", cash, value)
	}
	for _, v := range schema.Views {
		if _, err := db.Exec("SELECT * FROM " + v.Name); err != nil {
			t.Errorf("view %s: %v", v.Name, err)
		}
	}
	if err := sink.Commit(context.Background(), loadtest.Batches(1, 3, loadtest.Day1)); err != nil {
		t.Fatalf("Commit into the migrated warehouse: %v", err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	// A second open finds nothing to do and keeps one version row per migration.
	openDuckDB(t, dir).Close()
	read := readDuckDB(t, dir)
	defer read.Close()
	var migrations int
	if err := read.QueryRow("SELECT count(*) FROM schema_version").Scan(&migrations); err != nil || migrations != 2 {
		t.Errorf("schema_version has %d rows (%v), want 2: the first version's and this migration's", migrations, err)
	}
}

// TestMigrationAddsColumns runs a two-version schema's migrations in DuckDB:
// a column added to a table that holds rows and has a primary key, and a
// new table.
func TestMigrationAddsColumns(t *testing.T) {
	text := schema.Type{Kind: schema.KindVarchar}
	old := &schema.Table{Name: "things", Key: []string{"k"}, Columns: []schema.Column{
		{Name: "k", Type: text, Since: 1},
		{Name: "v", Type: schema.Exact, Nullable: true, Since: 1},
		{Name: "added", Type: schema.Exact, Since: 2},
	}}
	fresh := &schema.Table{Name: "fresh", Key: []string{"k"}, Columns: []schema.Column{{Name: "k", Type: text, Since: 2}}}
	tables := []*schema.Table{old, fresh}
	view := &schema.View{Name: "things_view", SQL: "SELECT * FROM things"}

	db, err := sql.Open("duckdb", filepath.Join(t.TempDir(), "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run := func(from, to int) {
		t.Helper()
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range schema.MigrationSQLFor(tables, []*schema.View{view}, from, to) {
			if _, err := tx.Exec(stmt); err != nil {
				t.Fatalf("migrating %d -> %d: %s: %v", from, to, stmt, err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	run(0, 1)
	if _, err := db.Exec("INSERT INTO things VALUES ('a', 1.5)"); err != nil {
		t.Fatal(err)
	}
	run(1, 2)
	run(2, 2) // idempotent
	var v, added sql.NullString
	if err := db.QueryRow("SELECT CAST(v AS VARCHAR), CAST(added AS VARCHAR) FROM things_view WHERE k = 'a'").Scan(&v, &added); err != nil {
		t.Fatal(err)
	}
	if v.String != "1.500000000000000000" || added.Valid {
		t.Errorf("old row after migration: v=%v added=%v, want 1.5 and NULL", v, added)
	}
	if _, err := db.Exec("INSERT INTO things VALUES ('b', NULL, 2), ('c', NULL, NULL); INSERT INTO fresh VALUES ('x')"); err != nil {
		t.Errorf("writing the new column and table: %v", err)
	}
	var version int
	if err := db.QueryRow(schema.CurrentVersionSQL).Scan(&version); err != nil || version != 2 {
		t.Errorf("version %d (%v), want 2", version, err)
	}
}
