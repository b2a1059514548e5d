package iceberg

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/iceberg-go"

	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/schema"
)

// TestCommitReplacesOnlyFilesHoldingItsLogins commits two groups of
// different logins, then syncs the first group again. The second group's
// logins are new: its commit must only add files, leaving every file of the
// first in place, though both groups' logins share login buckets (the
// planner alone, pruning by partition and column bounds, keeps every file
// of a bucket: the groups interleave, so each file's bounds of login_id
// span the other group's logins). The re-sync must replace files of the
// first group and none of the second's.
func TestCommitReplacesOnlyFilesHoldingItsLogins(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{Warehouse: "file://" + filepath.Join(dir, "lake"), Catalog: "sqlite://" + filepath.Join(dir, "catalog.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first, second := alternate(loadtest.Batches(5, 40, loadtest.Day1))
	var tables []*schema.Table
	for _, tb := range schema.Tables {
		if tb.Index("login_id") >= 0 {
			tables = append(tables, tb)
		}
	}

	commit(t, s, first)
	ofFirst := filesByTable(t, s, tables)
	commit(t, s, second)
	afterSecond := filesByTable(t, s, tables)
	for _, tb := range tables {
		for f := range ofFirst[tb.Name] {
			if !afterSecond[tb.Name][f] {
				t.Errorf("%s: committing other logins replaced %s", tb.Name, f)
			}
		}
	}

	resync, _ := alternate(loadtest.Batches(5, 40, loadtest.Day2))
	commit(t, s, resync)
	afterResync := filesByTable(t, s, tables)
	replaced := 0
	for _, tb := range tables {
		for f := range afterSecond[tb.Name] {
			switch {
			case afterResync[tb.Name][f]:
			case ofFirst[tb.Name][f]:
				replaced++
			default:
				t.Errorf("%s: re-syncing the first logins replaced %s, a file of the second", tb.Name, f)
			}
		}
	}
	if replaced == 0 {
		t.Error("re-syncing the first logins replaced none of their files")
	}
}

// alternate splits batches into the even-numbered and the odd-numbered.
func alternate(batches []schema.Batch) (even, odd []schema.Batch) {
	for i, b := range batches {
		if i%2 == 0 {
			even = append(even, b)
		} else {
			odd = append(odd, b)
		}
	}
	return even, odd
}

func commit(t *testing.T, s *Sink, batches []schema.Batch) {
	t.Helper()
	if err := s.Commit(context.Background(), batches); err != nil {
		t.Fatal(err)
	}
}

// filesByTable returns, per table, the data files of its current snapshot.
func filesByTable(t *testing.T, s *Sink, tables []*schema.Table) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	for _, tb := range tables {
		tbl, err := s.lake.cat.LoadTable(context.Background(), identifier(tb))
		if err != nil {
			t.Fatal(err)
		}
		tasks, err := planFiles(context.Background(), tbl, iceberg.AlwaysTrue{})
		if err != nil {
			t.Fatal(err)
		}
		out[tb.Name] = map[string]bool{}
		for _, task := range tasks {
			out[tb.Name][task.File.FilePath()] = true
		}
	}
	return out
}
