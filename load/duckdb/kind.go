package duckdb

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"
	"github.com/syncer/syncer/load"
)

// Kind is the DuckDB file as a kind of warehouse: --db PATH (env
// SYNCER_DB, default flinks.duckdb), on unless --no-db, its DuckDB bounded
// by --memory-limit (env SYNCER_MEMORY_LIMIT, default DefaultMemoryLimit).
// Its sidecar files are beside it (PATH.holder-key, PATH.journal).
var Kind = load.Kind{Name: "duckdb", AddFlags: addFlags}

// location is the DuckDB file as a command's flags place it.
type location struct {
	path   string
	off    bool
	memory string // --memory-limit as given
	limit  int64  // memory, parsed by Validate
}

func addFlags(fs *pflag.FlagSet, getenv func(string) string) load.Location {
	l := &location{}
	path := getenv("SYNCER_DB")
	if path == "" {
		path = "flinks.duckdb"
	}
	fs.StringVar(&l.path, "db", path, "the DuckDB warehouse file (env SYNCER_DB)")
	fs.BoolVar(&l.off, "no-db", false, "do not use the DuckDB file; needs --parquet or --iceberg")
	memory := getenv("SYNCER_MEMORY_LIMIT")
	if memory == "" {
		memory = FormatMemoryLimit(DefaultMemoryLimit)
	}
	fs.StringVar(&l.memory, "memory-limit", memory, "the most memory DuckDB may use for the warehouse, e.g. 512MiB or 2GiB; beyond it a merge spills to DB.tmp (env SYNCER_MEMORY_LIMIT)")
	return l
}

func (l *location) Enabled() bool { return !l.off }

func (l *location) Validate(others bool) error {
	switch {
	case l.off && !others:
		return fmt.Errorf("--no-db needs --parquet DIR or --iceberg URI")
	case !l.off && l.path == "":
		return fmt.Errorf("--db is empty")
	}
	limit, err := ParseMemoryLimit(l.memory)
	if err != nil {
		return fmt.Errorf("--memory-limit: %w", err)
	}
	l.limit = limit
	return nil
}

func (l *location) Describe() (what, where string) { return "warehouse", l.path }

func (l *location) Exists() bool {
	_, err := os.Stat(l.path)
	return err == nil
}

func (l *location) CheckParent() error { return load.CheckParent("--db", l.path) }

// Sidecar is PATH.name, beside the file as DuckDB's own PATH.wal.
func (l *location) Sidecar(name string) string { return l.path + "." + name }

func (l *location) ReadDirs() []string { return nil }

func (l *location) CommitDefaults() (int, time.Duration) { return 0, 0 }

// Open opens the file for a run, releasing it between commit groups so
// analysts can query during the run (Options.ReleaseBetweenCommits):
// the run holds the writer lease throughout.
func (l *location) Open(ctx context.Context, o load.OpenOptions) (load.Sink, error) {
	d, err := Open(ctx, Options{Path: l.path, LockWait: o.LockWait, Logger: o.Logger, ReleaseBetweenCommits: true, MemoryLimit: l.limit})
	if err != nil {
		return nil, err // not a nil *Sink in a non-nil load.Sink
	}
	return d, nil
}

func (l *location) OpenReader(ctx context.Context, o load.ReadOptions) (load.Reader, error) {
	db, err := OpenReader(ctx, ReaderOptions{Path: l.path, LockWait: o.LockWait, ReadDirs: o.ReadDirs, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	return NewReader(db), nil
}
