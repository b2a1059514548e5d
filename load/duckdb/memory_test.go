package duckdb_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
)

// settings reads DuckDB's memory_limit and threads through the sink's own
// connection.
func settings(t *testing.T, sink *duckdb.Sink) (memory string, threads int64) {
	t.Helper()
	db, err := sink.DB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT current_setting('memory_limit'), current_setting('threads')").Scan(&memory, &threads); err != nil {
		t.Fatal(err)
	}
	return memory, threads
}

// TestDuckDBMemoryLimitReachesDuckDB: the sink's DuckDB runs with the
// memory limit and threads of its Options (the defaults when unset), also
// after a commit released the file and the next took it back.
func TestDuckDBMemoryLimitReachesDuckDB(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name        string
		o           duckdb.Options
		wantMemory  string
		wantThreads int64
	}{
		{"defaults", duckdb.Options{}, "256.0 MiB", duckdb.DefaultThreads},
		{"set", duckdb.Options{MemoryLimit: 100 << 20, Threads: 1}, "100.0 MiB", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			o.Path, o.Logger, o.ReleaseBetweenCommits = filepath.Join(t.TempDir(), "w.duckdb"), quiet, true
			sink, err := duckdb.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer sink.Close()
			if m, th := settings(t, sink); m != c.wantMemory || th != c.wantThreads {
				t.Errorf("after Open: memory_limit %q threads %d, want %q and %d", m, th, c.wantMemory, c.wantThreads)
			}
			if err := sink.Commit(ctx, loadtest.Batches(1, 2, loadtest.Day1)); err != nil {
				t.Fatal(err)
			}
			if m, th := settings(t, sink); m != c.wantMemory || th != c.wantThreads {
				t.Errorf("after a released commit: memory_limit %q threads %d, want %q and %d", m, th, c.wantMemory, c.wantThreads)
			}
		})
	}
}

// TestParseMemoryLimit: sizes with a binary or decimal unit parse to bytes;
// anything else, or a size too small for a merge, is refused.
func TestParseMemoryLimit(t *testing.T) {
	good := map[string]int64{
		"256MiB": 256 << 20, "1GiB": 1 << 30, "1.5GiB": 3 << 29, "500MB": 500e6, "2gb": 2e9, "64 MiB": 64 << 20,
	}
	for s, want := range good {
		if got, err := duckdb.ParseMemoryLimit(s); err != nil || got != want {
			t.Errorf("ParseMemoryLimit(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "banana", "256", "-1GiB", "1PiB", "1 MiB", "0GiB", "12XB", "NaNGiB"} {
		if got, err := duckdb.ParseMemoryLimit(s); err == nil {
			t.Errorf("ParseMemoryLimit(%q) = %d, want an error", s, got)
		}
	}
}
