package iceberg_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"sync"
	"testing"

	"github.com/syncer/syncer/internal/lakeenv"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/iceberg"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/schema"
)

// s3Lake makes a lake on the S3 server (a fresh bucket) with a catalog in
// a fresh PostgreSQL database, and points this process's AWS and libpq
// environment at them.
func s3Lake(t testing.TB) (warehouse, catalog string) {
	s3 := lakeenv.S3(t)
	pg := lakeenv.Postgres(t)
	s3.Setenv(t)
	pg.Setenv(t)
	return "s3://" + s3.NewBucket(t) + "/lake", pg.NewDatabase(t)
}

// TestConcurrentWritersConverge runs 8 sinks at once, each committing its
// own logins (which share securities) in several calls, into one lake on
// S3 with a PostgreSQL catalog: every table must end up holding exactly
// what one sink committing every batch holds (checksums), with no key
// twice, however the commits interleaved and retried.
func TestConcurrentWritersConverge(t *testing.T) {
	const writers, perWriter, perCall = 8, 4, 2
	ctx := context.Background()
	wh, cat := s3Lake(t)
	batches := loadtest.Batches(7, writers*perWriter, loadtest.Day1)

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	conflicts := make(chan int64, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := iceberg.Open(ctx, iceberg.Options{Warehouse: wh, Catalog: cat})
			if err != nil {
				errs <- err
				return
			}
			mine := batches[w*perWriter : (w+1)*perWriter]
			for i := 0; i < len(mine); i += perCall {
				if err := s.Commit(ctx, mine[i:i+perCall]); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					break
				}
			}
			conflicts <- s.Conflicts()
			if err := s.Close(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(conflicts)
	for err := range errs {
		t.Error(err)
	}
	var retried int64
	for n := range conflicts {
		retried += n
	}
	t.Logf("%d writers, %d commits retried after losing a race", writers, retried)

	got := readLake(t, wh, cat)
	for _, tbl := range schema.Tables {
		var rows, keys int
		q := fmt.Sprintf("SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT %s FROM %s)) FROM %s", keyList(tbl), tbl.Name, tbl.Name)
		if err := got.QueryRow(q).Scan(&rows, &keys); err != nil {
			t.Fatal(err)
		}
		if rows != keys {
			t.Errorf("%s: %d rows for %d keys", tbl.Name, rows, keys)
		}
	}

	// The same batches, one sink, one call after another, in a local lake.
	dir := t.TempDir()
	lwh, lcat := localLake(dir)
	one, err := iceberg.Open(ctx, iceberg.Options{Warehouse: lwh, Catalog: lcat})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(batches); i += perCall {
		if err := one.Commit(ctx, batches[i:i+perCall]); err != nil {
			t.Fatal(err)
		}
	}
	if err := one.Close(); err != nil {
		t.Fatal(err)
	}
	want := loadtest.Checksums(t, readLake(t, lwh, lcat))
	if gotSums := loadtest.Checksums(t, got); !maps.Equal(gotSums, want) {
		for name, sum := range want {
			if gotSums[name] != sum {
				t.Errorf("%s: 8 concurrent writers' checksum %s, one writer's %s", name, gotSums[name], sum)
			}
		}
	}
}

// readLake opens the lake read-only (iceberg.OpenCatalog) for the test.
func readLake(t testing.TB, warehouse, catalog string) *sql.DB {
	t.Helper()
	db, release, err := iceberg.OpenCatalog(context.Background(), warehouse, catalog, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { release() })
	return db
}

// keyList is t's key columns, quoted, comma-separated.
func keyList(t *schema.Table) string {
	s := ""
	for i, k := range t.Key {
		if i > 0 {
			s += ", "
		}
		s += duckdb.QuoteIdent(k)
	}
	return s
}

// TestShardsOpenNewCatalogAtOnce starts 8 sinks at the same moment on a
// new PostgreSQL catalog, several times: every one must open (the first
// creates the catalog's tables, the namespace and the lake's tables; the
// others find them), as 8 shards of a first night do. CI once saw one of
// 8 writers refused with "relation iceberg_tables already exists".
func TestShardsOpenNewCatalogAtOnce(t *testing.T) {
	const rounds, writers = 4, 8
	ctx := context.Background()
	pg := lakeenv.Postgres(t)
	pg.Setenv(t)
	for round := range rounds {
		wh, cat := "file://"+t.TempDir()+"/lake", pg.NewDatabase(t)
		start := make(chan struct{})
		errs := make(chan error, writers)
		var wg sync.WaitGroup
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				s, err := iceberg.Open(ctx, iceberg.Options{Warehouse: wh, Catalog: cat})
				if err != nil {
					errs <- err
					return
				}
				errs <- s.Close()
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
	}
}
