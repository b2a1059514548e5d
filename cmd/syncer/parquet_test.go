package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/load/parquet"
	"github.com/syncer/syncer/schema"
)

// TestParquetDatasetMatchesDuckDB syncs the sandbox into both sinks under
// umask 000 and checks that the Parquet dataset, read with the documented
// glob, holds the same rows as the DuckDB tables, that every file is 0600
// and every directory 0700, and that `sql --no-db` reads the dataset.
func TestParquetDatasetMatchesDuckDB(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	db, pq := filepath.Join(dir, "w.duckdb"), filepath.Join(dir, "dataset")
	for _, asOf := range []string{"2025-01-30", "2025-01-31"} {
		r := syncer(t, dir, nil, "sync", "--sandbox", "--sandbox-as-of", asOf, "--db", db, "--parquet", pq, "--poll-interval", "1ms")
		if r.code != exitOK {
			t.Fatalf("sync: want exit 0\n%s", r)
		}
	}
	duck := openWarehouseRO(t, db)
	cat, err := parquet.OpenCatalog(context.Background(), pq)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	want, got := loadtest.Checksums(t, duck), loadtest.Checksums(t, cat)
	for table, sum := range want {
		if got[table] != sum {
			t.Errorf("%s: the Parquet dataset differs from the DuckDB table", table)
		}
	}
	if n := queryInt(t, cat, "SELECT count(DISTINCT as_of_date) FROM positions"); n != 2 {
		t.Errorf("%d positions snapshots in the dataset, want 2", n)
	}
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
			if path == dir {
				return nil
			}
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", path, info.Mode().Perm(), want)
		}
		return nil
	})
	r := syncer(t, dir, nil, "sql", "--no-db", "--parquet", pq, "--format", "csv", "SELECT count(*) AS n FROM accounts")
	if r.code != exitOK || r.stdout == "n\n0\n" {
		t.Errorf("sql --no-db over the dataset:\n%s", r)
	}
}

// failingSink refuses every Commit, as a sink does when the process dies
// before its commit: what it wraps never sees the group.
type failingSink struct{ load.Sink }

func (failingSink) Commit(context.Context, []schema.Batch) error { return errors.New("killed (test)") }

// TestParquetCatchesUpAfterCrashBetweenSinks leaves a group committed to the
// DuckDB file and not to the Parquet dataset, with its journal entry beside
// the file, as a crash between the two commits does (load's TestMultiCrash
// SIGKILLs a process there), and checks that the next day's `sync --db
// --parquet` completes it: the dataset then equals the DuckDB tables.
func TestParquetCatchesUpAfterCrashBetweenSinks(t *testing.T) {
	dir := t.TempDir()
	dbPath, pq := filepath.Join(dir, "w.duckdb"), filepath.Join(dir, "dataset")
	ctx := context.Background()
	db, err := duckdb.Open(ctx, duckdb.Options{Path: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	p, err := parquet.Open(ctx, parquet.Options{Dir: pq})
	if err != nil {
		t.Fatal(err)
	}
	m, err := load.OpenMulti(ctx, load.MultiOptions{Journal: dbPath + ".journal"}, db, failingSink{p})
	if err != nil {
		t.Fatal(err)
	}
	crashed := loadtest.Batches(3, 5, loadtest.Day1)
	if err := m.Commit(ctx, crashed); err == nil {
		t.Fatal("the Parquet commit did not fail")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	logins := writeLogins(t, dir, sandboxDemoLogins(1))
	r := syncer(t, dir, nil, "sync", "--sandbox", "--sandbox-as-of", "2025-01-31", "--logins", logins,
		"--db", dbPath, "--parquet", pq, "--poll-interval", "1ms")
	if r.code != exitOK {
		t.Fatalf("sync: want exit 0\n%s", r)
	}
	duck := openWarehouseRO(t, dbPath)
	cat, err := parquet.OpenCatalog(ctx, pq)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	want, got := loadtest.Checksums(t, duck), loadtest.Checksums(t, cat)
	for table, sum := range want {
		if got[table] != sum {
			t.Errorf("%s: the Parquet dataset differs from the DuckDB table", table)
		}
	}
	if n := queryInt(t, cat, "SELECT count(DISTINCT login_id) FROM positions WHERE login_id LIKE 'login-%'"); n != len(crashed) {
		t.Errorf("the dataset has the positions of %d of the crashed group's %d logins", n, len(crashed))
	}
	if left, err := os.ReadDir(dbPath + ".journal"); err != nil || len(left) != 0 {
		t.Errorf("journal after the run: %d files (%v)", len(left), err)
	}
}
