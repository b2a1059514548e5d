package parquet

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// A dataset written by schema version 1 (files without the columns version 2
// added) keeps its rows, with NULL in the new columns, and merges as the
// current version does: an account no longer carried is closed, a corrected
// transaction keeps its stored synced_at as its first sighting.
func TestParquetMergesFirstVersionFiles(t *testing.T) {
	dir := t.TempDir()
	oldSynced := time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)
	txn := func(run, id, amount string, synced time.Time) schema.Row {
		return row(schema.Transactions, map[string]any{"login_id": "L1", "account_id": "A1", "transaction_id": id,
			"date": day("2025-12-30"), "net_amount": dec(amount), "run_id": run, "synced_at": synced})
	}
	acct := func(id, cash, run string, synced time.Time) schema.Row {
		r := accountRow("L1", id, cash)
		r[schema.Accounts.Index("run_id")], r[schema.Accounts.Index("synced_at")] = run, synced
		return r
	}
	p := openTest(t, dir, 1)
	commit(t, p, schema.Batch{RunID: "run-old", LoginID: "L1", Rows: map[string][]schema.Row{
		"accounts":     {acct("A1", "1", "run-old", oldSynced), acct("A2", "2", "run-old", oldSynced)},
		"transactions": {txn("run-old", "T1", "-100", oldSynced), txn("run-old", "T2", "-5", oldSynced)},
	}})
	p.Close()
	for _, tbl := range []*schema.Table{schema.Accounts, schema.Transactions} {
		asVersion1(t, filepath.Join(dir, tbl.Name, "part-b000.parquet"), tbl)
	}

	synced := time.Date(2026, 1, 2, 6, 0, 0, 0, time.UTC)
	p = openTest(t, dir, 0)
	defer p.Close()
	commit(t, p, schema.Batch{RunID: "run-new", LoginID: "L1",
		Rows: map[string][]schema.Row{
			"accounts":     {acct("A1", "3", "run-new", synced)},
			"transactions": {txn("run-new", "T1", "-101.25", synced)},
		},
		Scopes: map[string][]schema.Row{"accounts": {{"L1", synced}}}})
	got := queryStrings(t, reader(t, dir), "SELECT account_id, cash::DOUBLE, run_id, last_seen_at::VARCHAR, closed_at::VARCHAR FROM accounts ORDER BY 1")
	if want := []string{"A1|3|run-new|2026-01-02 06:00:00|NULL", "A2|2|run-old|NULL|2026-01-02 06:00:00"}; !slices.Equal(got, want) {
		t.Errorf("accounts: got %q, want %q", got, want)
	}
	got = queryStrings(t, reader(t, dir), "SELECT transaction_id, net_amount::DOUBLE, run_id, first_seen_at::VARCHAR, updated_at::VARCHAR, removed_at::VARCHAR FROM transactions ORDER BY 1")
	if want := []string{"T1|-101.25|run-new|2025-12-31 23:00:00|2026-01-02 06:00:00|NULL", "T2|-5|run-old|NULL|NULL|NULL"}; !slices.Equal(got, want) {
		t.Errorf("transactions: got %q, want %q", got, want)
	}
}

// asVersion1 rewrites a file of tbl as schema version 1 wrote it: with its
// version 1 columns only.
func asVersion1(t *testing.T, file string, tbl *schema.Table) {
	t.Helper()
	var cols []string
	for _, c := range tbl.ColumnsAt(1) {
		cols = append(cols, duckdb.QuoteIdent(c.Name))
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("COPY (SELECT " + strings.Join(cols, ", ") + " FROM read_parquet(" + duckdb.QuoteLiteral(file) + ")) TO " +
		duckdb.QuoteLiteral(file+".old") + " (FORMAT parquet)"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(file+".old", file); err != nil {
		t.Fatal(err)
	}
}
