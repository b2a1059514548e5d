package duckdb_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/syncer/syncer/load/duckdb"
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

// firstVersionWarehouse makes, in a new directory it returns, a warehouse
// with the first version's DDL (testdata/warehouse_v1.sql, frozen) holding
// one transaction of login-old (tx-old, its net_amount the given literal).
func firstVersionWarehouse(t *testing.T, netAmount string) string {
	t.Helper()
	v1, err := os.ReadFile(filepath.Join("testdata", "warehouse_v1.sql"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	execScript(t, warehousePath(dir), string(v1)+`
INSERT INTO transactions (login_id, account_id, transaction_id, date, type, net_amount, currency, run_id, synced_at)
VALUES ('login-old', 'acct-old', 'tx-old', DATE '2025-12-30', 'other', `+netAmount+`, 'CAD', 'run-old', TIMESTAMP '2025-12-31 23:00:00');`)
	return dir
}

// TestMigrateFirstVersion opens a warehouse made with the first version's
// DDL (testdata/warehouse_v1.sql, frozen) and checks it is upgraded in place:
// every table and column of the current schema, with its type, the version
// recorded, the old rows kept, and loading works.
func TestMigrateFirstVersion(t *testing.T) {
	dir := firstVersionWarehouse(t, "-100")

	sink := openDuckDB(t, dir).(*duckdb.Sink)
	db := catalog(t, sink)
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
			if got := types[tbl.Name+"."+c.Name]; got != duckdb.TypeSQL(c.Type) {
				t.Errorf("after migration %s.%s has type %q, want %s", tbl.Name, c.Name, got, duckdb.TypeSQL(c.Type))
			}
		}
	}
	var version int
	if err := db.QueryRow(duckdb.CurrentVersionSQL).Scan(&version); err != nil || version != schema.Version() {
		t.Errorf("schema version %d (%v), want %d", version, err, schema.Version())
	}
	var cash, value string
	if err := db.QueryRow("SELECT CAST(cash AS VARCHAR), CAST(account_value AS VARCHAR) FROM accounts WHERE login_id = 'login-old'").Scan(&cash, &value); err != nil {
		t.Fatalf("the first version's account is gone: %v", err)
	}
	if cash != "1234.500000000000000000" || value != "99999999999999999999.999999999999999999" {
		t.Errorf("old account values changed: cash %s, account_value %s", cash, value)
	}
	for _, v := range duckdb.Views {
		if _, err := db.Exec("SELECT * FROM " + v.Name); err != nil {
			t.Errorf("view %s: %v", v.Name, err)
		}
	}
	const marks = `SELECT concat_ws(' ', a.last_seen_at IS NULL, a.closed_at IS NULL, x.first_seen_at IS NULL, x.updated_at IS NULL, x.removed_at IS NULL)
		FROM accounts a JOIN transactions x USING (login_id, account_id) WHERE login_id = 'login-old'`
	var nulls string
	if err := db.QueryRow(marks).Scan(&nulls); err != nil || nulls != "true true true true true" {
		t.Errorf("the first version's rows: new columns NULL = %q (%v), want all true", nulls, err)
	}
	if err := sink.Commit(context.Background(), loadtest.Batches(1, 3, loadtest.Day1)); err != nil {
		t.Fatalf("Commit into the migrated warehouse: %v", err)
	}
	if err := db.QueryRow(marks).Scan(&nulls); err != nil || nulls != "true true true true true" {
		t.Errorf("other logins' commit touched the first version's rows: new columns NULL = %q (%v)", nulls, err)
	}
	// The old login synced again: its transaction corrected; first seen
	// when the first version stored it (its synced_at), as far as is known.
	synced := time.Date(2026, 1, 2, 6, 0, 0, 0, time.UTC)
	again := schema.Batch{RunID: "run-new", LoginID: "login-old",
		Rows: map[string][]schema.Row{
			"accounts": {named(schema.Accounts, map[string]any{"login_id": "login-old", "account_id": "acct-old",
				"run_id": "run-new", "synced_at": synced})},
			"transactions": {named(schema.Transactions, map[string]any{"login_id": "login-old", "account_id": "acct-old",
				"transaction_id": "tx-old", "date": time.Date(2025, 12, 30, 0, 0, 0, 0, time.UTC), "type": "withdrawal",
				"net_amount": schema.MustDecimal("-101.25"), "currency": "CAD", "run_id": "run-new", "synced_at": synced})},
		},
		Scopes: map[string][]schema.Row{"accounts": {{"login-old", synced}}}}
	if err := sink.Commit(context.Background(), []schema.Batch{again}); err != nil {
		t.Fatalf("Commit of the old login: %v", err)
	}
	var first, updated string
	if err := db.QueryRow("SELECT CAST(first_seen_at AS VARCHAR), CAST(updated_at AS VARCHAR) FROM transactions WHERE transaction_id = 'tx-old'").Scan(&first, &updated); err != nil {
		t.Fatal(err)
	}
	if first != "2025-12-31 23:00:00" || updated != "2026-01-02 06:00:00" {
		t.Errorf("the old transaction corrected: first_seen_at %s, updated_at %s; want 2025-12-31 23:00:00 and 2026-01-02 06:00:00", first, updated)
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

// named builds a row of t from values by column name; the others are NULL.
func named(t *schema.Table, values map[string]any) schema.Row {
	row := make(schema.Row, len(t.Columns))
	for name, v := range values {
		row[t.Index(name)] = v
	}
	return row
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
	view := &duckdb.View{Name: "things_view", SQL: "SELECT * FROM things"}

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
		for _, stmt := range duckdb.MigrationSQLFor(tables, []*duckdb.View{view}, from, to) {
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
	if err := db.QueryRow(duckdb.CurrentVersionSQL).Scan(&version); err != nil || version != 2 {
		t.Errorf("version %d (%v), want 2", version, err)
	}
}

// primaryKeys returns the tables of db that have a PRIMARY KEY.
func primaryKeys(t *testing.T, db *sql.DB) map[string]bool {
	t.Helper()
	keyed, err := duckdb.KeyedTables(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return keyed
}

// A new warehouse indexes the keys of the tables that hold about one row
// per login, account or security, and not those of the History tables
// (transactions, positions, the per-run ledger), whose index grew with
// every night in memory and in each checkpoint. A warehouse made before
// has its History tables rebuilt without the index when it is opened, its
// rows, descriptions and views kept, and loads the same: the merges, not
// the index, keep keys unique.
func TestHistoryTablesHaveNoIndex(t *testing.T) {
	dir := t.TempDir()
	sink := openDuckDB(t, dir).(*duckdb.Sink)
	keyed := primaryKeys(t, catalog(t, sink))
	for _, tbl := range schema.Tables {
		if keyed[tbl.Name] != tbl.IndexedKey() {
			t.Errorf("%s: primary key %v, want %v (History %v)", tbl.Name, keyed[tbl.Name], tbl.IndexedKey(), tbl.History)
		}
	}
	if keyed[schema.Transactions.Name] || !keyed[schema.Accounts.Name] {
		t.Errorf("transactions keyed %v, accounts keyed %v: want false, true", keyed[schema.Transactions.Name], keyed[schema.Accounts.Name])
	}
	sink.Close()

	old := firstVersionWarehouse(t, "-100.25")
	rebuilt := openDuckDB(t, old).(*duckdb.Sink)
	defer rebuilt.Close()
	db := catalog(t, rebuilt)
	keyed = primaryKeys(t, db)
	if keyed[schema.Transactions.Name] || !keyed[schema.Accounts.Name] {
		t.Errorf("after opening the first version's warehouse: transactions keyed %v, accounts keyed %v; want false, true",
			keyed[schema.Transactions.Name], keyed[schema.Accounts.Name])
	}
	var amount, comment string
	if err := db.QueryRow("SELECT CAST(net_amount AS VARCHAR) FROM transactions WHERE transaction_id = 'tx-old'").Scan(&amount); err != nil || amount != "-100.250000000000000000" {
		t.Errorf("the first version's transaction after the rebuild: %q (%v)", amount, err)
	}
	if err := db.QueryRow("SELECT comment FROM duckdb_tables() WHERE table_name = 'transactions'").Scan(&comment); err != nil || comment != schema.Transactions.Doc {
		t.Errorf("transactions' description after the rebuild: %q (%v)", comment, err)
	}
	for _, v := range duckdb.Views {
		if _, err := db.Exec("SELECT * FROM " + v.Name); err != nil {
			t.Errorf("view %s after the rebuild: %v", v.Name, err)
		}
	}
	for day := range 2 { // a re-sync updates the rows the first day stored
		if err := rebuilt.Commit(context.Background(), loadtest.Batches(1, 3, loadtest.Day1.AddDate(0, 0, day))); err != nil {
			t.Fatalf("day %d: Commit into the rebuilt warehouse: %v", day+1, err)
		}
	}
	var rows, keys int
	if err := db.QueryRow("SELECT count(*), count(DISTINCT (login_id, account_id, transaction_id)) FROM transactions").Scan(&rows, &keys); err != nil || rows != keys || rows < 2 {
		t.Errorf("transactions: %d rows for %d keys (%v)", rows, keys, err)
	}
}
