package main

import (
	"context"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/loadtest"
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
	cat, err := load.OpenParquetCatalog(context.Background(), pq)
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
