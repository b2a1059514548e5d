package duckdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/schema"
)

// TestDuckDBMergeCounts: MergeCounts says what the committed merges did,
// table by table, and matches the warehouse: a first commit inserts every
// row; the same batches again insert no transaction and update the accounts
// in place; a positions snapshot replaced is deleted and inserted again.
func TestDuckDBMergeCounts(t *testing.T) {
	ctx := context.Background()
	path := warehousePath(t.TempDir())
	sink, err := duckdb.Open(ctx, duckdb.Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	count := func(table string) int64 {
		var n int64
		if err := catalog(t, sink).QueryRow("SELECT count(*) FROM " + duckdb.QuoteIdent(table)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	batches := loadtest.Batches(5, 4, loadtest.Day1)
	if err := sink.Commit(ctx, batches); err != nil {
		t.Fatal(err)
	}
	first := sink.MergeCounts()
	for _, table := range []string{"accounts", "positions", "transactions", "securities"} {
		if n := count(table); n == 0 || first[table].Inserted != n || first[table].Updated != 0 || first[table].Deleted != 0 {
			t.Errorf("first commit, %s: counts %+v, want %d inserted and nothing else", table, first[table], n)
		}
	}

	if err := sink.Commit(ctx, batches); err != nil {
		t.Fatal(err)
	}
	again := sink.MergeCounts()
	diff := func(table string) load.TableCounts {
		return load.TableCounts{Inserted: again[table].Inserted - first[table].Inserted,
			Updated: again[table].Updated - first[table].Updated, Deleted: again[table].Deleted - first[table].Deleted}
	}
	if d := diff("transactions"); d.Inserted != 0 || d.Updated != 0 && d.Updated != count("transactions") {
		t.Errorf("same batches again, transactions: %+v, want none inserted", d)
	}
	if d, n := diff("accounts"), count("accounts"); d.Inserted != 0 || d.Updated != n {
		t.Errorf("same batches again, accounts: %+v, want the %d rows updated in place", d, n)
	}
	if d, n := diff("positions"), count("positions"); d.Inserted != n || d.Deleted != n {
		t.Errorf("same batches again, positions: %+v, want the %d rows of the snapshot deleted and inserted", d, n)
	}

	// A commit that fails counts nothing.
	bad := loadtest.Batches(6, 1, loadtest.Day1.Add(24*time.Hour))
	bad[0].Rows[schema.Accounts.Name] = append(bad[0].Rows[schema.Accounts.Name], schema.Row{"too short"})
	if err := sink.Commit(ctx, bad); err == nil {
		t.Fatal("a malformed batch committed")
	}
	if got := sink.MergeCounts(); got["accounts"] != again["accounts"] || got["positions"] != again["positions"] {
		t.Errorf("a failed commit changed the counts: %+v, was %+v", got, again)
	}
}
