package iceberg_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/syncer/syncer/internal/shard"
	"github.com/syncer/syncer/load/iceberg"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/schema"
)

// TestMaintainKeepsTheRows commits a few logins per call, so every table
// gathers small files and snapshots, and leaves a file as a failed attempt
// would (in the table's data folder, named by no snapshot). Maintain must
// pack the files, expire the old snapshots, delete that file, and leave
// every table's rows exactly as they were.
func TestMaintainKeepsTheRows(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	wh, cat := localLake(dir)
	batches := loadtest.Batches(3, 12, loadtest.Day1)
	commitInCalls(t, wh, cat, batches, 2)
	buckets := map[int]bool{} // accounts' partitions
	for _, b := range batches {
		buckets[shard.Bucket(b.LoginID, iceberg.Buckets)] = true
	}
	before := loadtest.Checksums(t, readLake(t, wh, cat))

	stray := filepath.Join(dir, "lake", iceberg.Namespace+".db", schema.Positions.Name, "data", "00000-0-failed-attempt.parquet")
	if err := os.WriteFile(stray, []byte("PAR1 left by a failed commit"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(stray, old, old); err != nil {
		t.Fatal(err)
	}

	done, err := iceberg.Maintain(ctx, iceberg.MaintainOptions{Warehouse: wh, Catalog: cat, ExpireAfter: time.Millisecond, OrphanAge: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	byTable := map[string]iceberg.TableMaintenance{}
	for _, m := range done {
		byTable[m.Table] = m
	}
	if m := byTable[schema.Accounts.Name]; m.FilesBefore <= len(buckets) || m.FilesAfter != len(buckets) {
		t.Errorf("accounts: %d files before (want more than its %d login buckets), %d after (want one per bucket)", m.FilesBefore, len(buckets), m.FilesAfter)
	}
	if m := byTable[schema.Accounts.Name]; m.ManifestsWritten == 0 || m.ManifestsWritten >= m.ManifestsRewritten {
		t.Errorf("accounts: manifests %d rewritten into %d, want fewer", m.ManifestsRewritten, m.ManifestsWritten)
	}
	if m := byTable[schema.Accounts.Name]; m.SnapshotsExpired == 0 {
		t.Error("accounts: no snapshot expired")
	}
	if m := byTable[schema.Positions.Name]; m.OrphansDeleted != 1 {
		t.Errorf("positions: %d orphan files deleted, want the failed attempt's 1", m.OrphansDeleted)
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Errorf("the failed attempt's file is still there (%v)", err)
	}
	if after := loadtest.Checksums(t, readLake(t, wh, cat)); !maps.Equal(after, before) {
		t.Errorf("maintenance changed the rows:\nbefore %v\nafter  %v", before, after)
	}
}

// TestMaintainWhileAWriterCommits runs maintenance over and over while a
// sink commits: whichever of a compaction and a commit loses the race
// plans or merges again, and the tables end as a lake nobody maintained.
func TestMaintainWhileAWriterCommits(t *testing.T) {
	ctx := context.Background()
	batches := loadtest.Batches(5, 16, loadtest.Day1)

	ref := t.TempDir()
	rwh, rcat := localLake(ref)
	commitInCalls(t, rwh, rcat, batches, 2)
	want := loadtest.Checksums(t, readLake(t, rwh, rcat))

	dir := t.TempDir()
	wh, cat := localLake(dir)
	commitInCalls(t, wh, cat, batches[:2], 2) // the tables exist before maintenance starts
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var passes int
	var maintainErr error
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := iceberg.Maintain(ctx, iceberg.MaintainOptions{Warehouse: wh, Catalog: cat, ExpireAfter: time.Millisecond, OrphanAge: time.Hour}); err != nil {
				maintainErr = err
				return
			}
			passes++
		}
	}()
	commitInCalls(t, wh, cat, batches[2:], 2)
	close(stop)
	wg.Wait()
	if maintainErr != nil {
		t.Fatalf("maintenance beside a writer: %v", maintainErr)
	}
	t.Logf("%d maintenance passes beside the writer", passes)
	if got := loadtest.Checksums(t, readLake(t, wh, cat)); !maps.Equal(got, want) {
		t.Errorf("maintained while committing:\n got %v\nwant %v", got, want)
	}
}

// commitInCalls commits batches through one sink, perCall at a time.
func commitInCalls(t *testing.T, warehouse, catalog string, batches []schema.Batch, perCall int) {
	t.Helper()
	s, err := iceberg.Open(context.Background(), iceberg.Options{Warehouse: warehouse, Catalog: catalog})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(batches); i += perCall {
		if err := s.Commit(context.Background(), batches[i:min(i+perCall, len(batches))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
