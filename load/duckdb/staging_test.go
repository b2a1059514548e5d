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
// or spilled to disk.
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
		for _, table := range []string{"stage_transactions", "first_transactions"} {
			size, err := sink.StagedSize(ctx, table)
			if err != nil {
				t.Fatal(err)
			}
			n += size
		}
		return n
	}
	if err := sink.Commit(ctx, loadtest.BatchesFrom(1, 0, 20, loadtest.Day1)); err != nil {
		t.Fatal(err)
	}
	first := staged()
	for i := 1; i < 10; i++ {
		if err := sink.Commit(ctx, loadtest.BatchesFrom(1, 20*i, 20, loadtest.Day1)); err != nil {
			t.Fatal(err)
		}
	}
	if first == 0 {
		t.Fatal("no transaction staged")
	}
	if last := staged(); last > 2*first {
		t.Errorf("after 10 commits of 20 logins the session's staging holds %d transactions, after the first %d", last, first)
	}
}
