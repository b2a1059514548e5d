package duckdb_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// bankingBatches returns one batch per banking fixture, each of its own
// login, synced at syncedAt.
func bankingBatches(t *testing.T, syncedAt time.Time) []schema.Batch {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "payloads", "banking_*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("banking payloads: %v (%d)", err, len(files))
	}
	var batches []schema.Batch
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		login := strings.TrimSuffix(filepath.Base(file), ".json")
		b, _, err := transform.FromBankingJSON(body, transform.Context{RunID: "run-bank-" + syncedAt.Format("0102"), LoginID: login, SyncedAt: syncedAt,
			HolderSecret: transform.HolderSecret("first-sync-holder-secret-32byte!")})
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	return batches
}

// firstSyncWarehouses opens two warehouses, the second of which merges
// every row (MergeEverything), and returns a function that commits the
// same batches to both, then checks that they hold the same rows and that
// their merges counted the same.
func firstSyncWarehouses(t *testing.T) (fast *duckdb.Sink, commit func(step string, batches []schema.Batch)) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	fast, err := duckdb.Open(ctx, duckdb.Options{Path: filepath.Join(dir, "first.duckdb"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fast.Close() })
	merged, err := duckdb.Open(ctx, duckdb.Options{Path: filepath.Join(dir, "merged.duckdb"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { merged.Close() })
	merged.MergeEverything()
	return fast, func(step string, batches []schema.Batch) {
		t.Helper()
		for _, sink := range []*duckdb.Sink{fast, merged} {
			if err := sink.Commit(ctx, batches); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
		}
		sums := [2]map[string]string{}
		for i, sink := range []*duckdb.Sink{fast, merged} {
			db, err := sink.DB(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sums[i] = loadtest.Checksums(t, db)
		}
		for _, tbl := range schema.Tables {
			if sums[0][tbl.Name] != sums[1][tbl.Name] {
				t.Errorf("%s: %s differs from the merged warehouse's: %s vs %s", step, tbl.Name, sums[0][tbl.Name], sums[1][tbl.Name])
			}
		}
		counts, want := fast.MergeCounts(), merged.MergeCounts()
		for _, tbl := range schema.Tables {
			if counts[tbl.Name] != want[tbl.Name] {
				t.Errorf("%s: %s counted %+v, merging everything %+v", step, tbl.Name, counts[tbl.Name], want[tbl.Name])
			}
		}
	}
}

// TestDuckDBFirstSyncsLoadAsMerges: the rows of logins the warehouse never
// refreshed are inserted without merging, and the warehouse then holds
// exactly what merging them would have left, counted alike: for new logins
// alone, new and known logins in one commit, a login synced twice in one
// commit (its second sighting merges over the first), failed logins,
// registered but never synced logins, and the banking tables.
func TestDuckDBFirstSyncsLoadAsMerges(t *testing.T) {
	fast, commit := firstSyncWarehouses(t)
	day2 := loadtest.Day1.AddDate(0, 0, 1)
	day3 := loadtest.Day1.AddDate(0, 0, 2)

	registered := transform.RegistrationBatch("run-reg", "backfill", loadtest.Day1, []string{loadtest.LoginID(6), loadtest.LoginID(7)})
	first := append([]schema.Batch{registered}, loadtest.BatchesFrom(1, 0, 6, loadtest.Day1)...)
	first = append(first, loadtest.BatchesFrom(1, 0, 1, day2)...) // login 0 again: a second round
	first = append(first, bankingBatches(t, loadtest.Day1)...)
	commit("new logins", first)
	if n := fast.FirstRows("transactions"); n == 0 {
		t.Fatal("no transaction of a new login was inserted without merging")
	}
	if n := fast.FirstRows("bank_transactions"); n == 0 {
		t.Fatal("no bank transaction of a new login was inserted without merging")
	}

	mixed := loadtest.BatchesFrom(1, 3, 6, day2) // 3-5 known, 6-8 new (6 and 7 registered)
	mixed[4] = loadtest.Failed(mixed[4], "failed")
	commit("known and new logins", mixed)
	if n := fast.FirstRows("transactions"); n == 0 {
		t.Fatal("no transaction of the new logins was inserted without merging")
	}

	again := append(loadtest.BatchesFrom(1, 0, 10, day3), bankingBatches(t, day3)...)
	commit("a re-sync of everyone, login 9 new", again)
}

// TestDuckDBFirstSyncAfterUnrefreshedData: rows of a login the warehouse
// holds without having refreshed it (written without its logins row) are
// merged with, not duplicated, when the login's first refreshed sync
// comes: in the same session, and after the warehouse is opened again.
func TestDuckDBFirstSyncAfterUnrefreshedData(t *testing.T) {
	unrefreshed := func() []schema.Batch {
		b := loadtest.BatchesFrom(1, 0, 2, loadtest.Day1)
		for i := range b {
			delete(b[i].Rows, schema.Logins.Name)
		}
		return b
	}
	t.Run("same session", func(t *testing.T) {
		fast, commit := firstSyncWarehouses(t)
		commit("data without refresh", unrefreshed())
		commit("first refreshed sync", loadtest.BatchesFrom(1, 0, 3, loadtest.Day1))
		if n := fast.FirstRows("transactions"); n != 0 {
			t.Errorf("%d transactions inserted without merging after data of unrefreshed logins", n)
		}
	})
	t.Run("opened again", func(t *testing.T) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "w.duckdb")
		sink, err := duckdb.Open(ctx, duckdb.Options{Path: path, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if err := sink.Commit(ctx, unrefreshed()); err != nil {
			t.Fatal(err)
		}
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
		if sink, err = duckdb.Open(ctx, duckdb.Options{Path: path, Logger: quiet}); err != nil {
			t.Fatal(err)
		}
		defer sink.Close()
		if err := sink.Commit(ctx, loadtest.BatchesFrom(1, 0, 3, loadtest.Day1)); err != nil {
			t.Fatal(err)
		}
		if n := sink.FirstRows("transactions"); n != 0 {
			t.Errorf("%d transactions inserted without merging after data of unrefreshed logins", n)
		}
		db, err := sink.DB(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var dup int
		q := `SELECT count(*) FROM (SELECT login_id, account_id, transaction_id FROM transactions GROUP BY ALL HAVING count(*) > 1)`
		if err := db.QueryRowContext(ctx, q).Scan(&dup); err != nil {
			t.Fatal(err)
		}
		if dup != 0 {
			t.Errorf("%d transactions stored twice", dup)
		}
	})
}

// withoutAccounts turns b into the batch of a login whose payload holds no
// account: its logins row and its scopes of the login as a whole (it holds
// all of its accounts, and its snapshot, whole: none), but no row of the
// LoginData tables and no scope of an account.
func withoutAccounts(b schema.Batch) schema.Batch {
	for _, t := range schema.Tables {
		if !t.LoginData {
			continue
		}
		delete(b.Rows, t.Name)
		if slices.Contains(t.ScopeBy, "account_id") {
			delete(b.Scopes, t.Name)
		}
	}
	return b
}

// TestDuckDBFirstSyncWithoutAccounts: a login refreshed for the first time
// whose payload holds no account is a first sync too. Its scopes say it
// holds no account and no position, and cover no stored row, so a commit
// of new logins stages none of them: nothing of accounts or positions is
// merged. A known login's empty payload still merges (its accounts are
// marked gone), and the warehouse holds what merging everything leaves.
func TestDuckDBFirstSyncWithoutAccounts(t *testing.T) {
	ctx := context.Background()
	fast, commit := firstSyncWarehouses(t)
	day2 := loadtest.Day1.AddDate(0, 0, 1)

	batches := loadtest.BatchesFrom(1, 0, 3, loadtest.Day1)
	batches[2] = withoutAccounts(batches[2])
	commit("new logins, one without accounts", batches)
	for _, table := range []string{"stage_accounts", "scope_accounts", "stage_positions", "scope_positions"} {
		n, err := fast.StagedSize(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s holds %d rows after a commit of new logins only", table, n)
		}
	}

	again := loadtest.BatchesFrom(1, 0, 4, day2)
	again[0] = withoutAccounts(again[0]) // known: its accounts are gone
	again[3] = withoutAccounts(again[3]) // new, without accounts
	commit("a known login's accounts gone, login 2's accounts come, login 3 new without", again)
}
