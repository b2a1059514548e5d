package duckdb_test

import (
	"context"
	"testing"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
)

// TestDuckDBStagingDoesNotGrow: a session that commits again and again (a
// file held, not released) keeps its staging tables to the last commit's
// rows: it does not carry every earlier commit's rows, deleted, in memory
// or spilled to disk. The same logins re-sync each day (a first sync
// stages nothing: its rows are inserted as they come).
func TestDuckDBStagingDoesNotGrow(t *testing.T) {
	ctx := context.Background()
	sink, err := duckdb.Open(ctx, duckdb.Options{Path: warehousePath(t.TempDir()), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	staged := func() int64 {
		t.Helper()
		var n int64
		for _, table := range []string{"stage_transactions", "scope_transactions"} {
			size, err := sink.StagedSize(ctx, table)
			if err != nil {
				t.Fatal(err)
			}
			n += size
		}
		return n
	}
	commit := func(day int) {
		t.Helper()
		if err := sink.Commit(ctx, loadtest.BatchesFrom(1, 0, 20, loadtest.Day1.AddDate(0, 0, day))); err != nil {
			t.Fatal(err)
		}
	}
	commit(0)
	commit(1)
	first := staged()
	for day := 2; day < 11; day++ {
		commit(day)
	}
	if first == 0 {
		t.Fatal("no transaction staged")
	}
	if last := staged(); last > 2*first {
		t.Errorf("after 10 re-syncs of 20 logins the session's staging holds %d transactions, after the first %d", last, first)
	}
}
