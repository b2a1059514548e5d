package load_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/load/parquet"
)

// TestReadOnlyOpensCannotWrite runs, on a warehouse and on a Parquet
// dataset opened for reading, every kind of statement that writes, attaches,
// installs, loads or changes a setting. CheckReadOnly refuses each; run
// directly, those aimed outside the readable directory fail too; none
// changes the warehouse's bytes or creates a file; reading the dataset
// keeps working.
func TestReadOnlyOpensCannotWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := warehousePath(dir)
	sink, err := duckdb.Open(ctx, duckdb.Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	dataset := filepath.Join(dir, "dataset")
	pq, err := parquet.Open(ctx, parquet.Options{Dir: dataset})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []load.Sink{sink, pq} {
		if err := s.Commit(ctx, loadtest.Batches(1, 3, loadtest.Day1)); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	files := func() []string {
		var out []string
		_ = filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
			out = append(out, p)
			return err
		})
		slices.Sort(out)
		return out
	}
	listed := files()

	warehouse, err := duckdb.OpenReadOnly(ctx, path, time.Second, dataset)
	if err != nil {
		t.Fatal(err)
	}
	defer warehouse.Close()
	catalog, err := parquet.OpenCatalog(ctx, dataset)
	if err != nil {
		t.Fatal(err)
	}
	defer catalog.Close()

	writes := []string{
		"COPY (SELECT 1) TO " + quote(path) + " (FORMAT csv)",
		"COPY accounts TO " + quote(filepath.Join(dir, "out.csv")),
		"COPY accounts TO " + quote(filepath.Join(dataset, "out.csv")), // inside the readable directory
		"ATTACH " + quote(filepath.Join(dir, "other.duckdb")) + " AS other",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET threads = 1",
		"SET enable_external_access = true",
		"RESET lock_configuration",
		"CREATE TABLE x AS SELECT 1 AS a",
		"CREATE TEMP TABLE x AS SELECT 1 AS a",
		"SELECT 1; COPY accounts TO " + quote(filepath.Join(dir, "two.csv")),
		"EXPORT DATABASE " + quote(filepath.Join(dir, "export")),
		"CHECKPOINT",
	}
	for _, c := range []struct {
		name string
		db   *sql.DB
	}{{"warehouse", warehouse}, {"Parquet catalog", catalog}} {
		for _, q := range writes {
			err := duckdb.CheckReadOnly(ctx, c.db, q)
			var ro *load.ReadOnlyError
			if !errors.As(err, &ro) && !strings.Contains(err.Error(), "Permission Error") {
				t.Errorf("%s: CheckReadOnly(%q) = %v, want it refused", c.name, q, err)
			}
			if !strings.Contains(q, dataset) {
				// Outside the readable directory, even a statement run
				// unchecked cannot write (DuckDB lets one write inside it:
				// CheckReadOnly is what refuses that).
				_, _ = c.db.ExecContext(ctx, q)
			}
		}
		if err := duckdb.CheckReadOnly(ctx, c.db, "SELECT * FROM read_csv('/etc/passwd')"); err == nil {
			t.Errorf("%s: a query reading /etc/passwd passed", c.name)
		}
		for _, q := range []string{"SELECT count(*) FROM accounts", "DESCRIBE accounts", "SHOW TABLES", "SUMMARIZE positions",
			"FROM read_parquet(" + quote(filepath.ToSlash(dataset)+"/positions/**/*.parquet") + ", hive_partitioning = true)"} {
			if err := duckdb.CheckReadOnly(ctx, c.db, q); err != nil {
				t.Errorf("%s: CheckReadOnly(%q) = %v, want nil", c.name, q, err)
			}
			rows, err := c.db.QueryContext(ctx, q)
			if err != nil {
				t.Errorf("%s: %s: %v", c.name, q, err)
				continue
			}
			rows.Close()
		}
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the warehouse file changed (%d bytes, was %d): %v", len(after), len(before), err)
	}
	if got := files(); !slices.Equal(got, listed) {
		t.Errorf("files changed:\n%v\nwas\n%v", got, listed)
	}
}

func quote(s string) string { return "'" + s + "'" }
