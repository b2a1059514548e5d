package load

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"
)

// DuckDBKind is the DuckDB file as a kind of warehouse: --db PATH (env
// SYNCER_DB, default flinks.duckdb), on unless --no-db. Its sidecar files
// are beside it (PATH.holder-key, PATH.journal).
var DuckDBKind = Kind{Name: "duckdb", AddFlags: addDuckDBFlags}

// ddbLocation is the DuckDB file as a command's flags place it.
type ddbLocation struct {
	path string
	off  bool
}

func addDuckDBFlags(fs *pflag.FlagSet, getenv func(string) string) Location {
	l := &ddbLocation{}
	path := getenv("SYNCER_DB")
	if path == "" {
		path = "flinks.duckdb"
	}
	fs.StringVar(&l.path, "db", path, "the DuckDB warehouse file (env SYNCER_DB)")
	fs.BoolVar(&l.off, "no-db", false, "do not use the DuckDB file; needs --parquet")
	return l
}

func (l *ddbLocation) Enabled() bool { return !l.off }

func (l *ddbLocation) Validate(others bool) error {
	switch {
	case l.off && !others:
		return fmt.Errorf("--no-db needs --parquet DIR")
	case !l.off && l.path == "":
		return fmt.Errorf("--db is empty")
	}
	return nil
}

func (l *ddbLocation) Describe() (what, where string) { return "warehouse", l.path }

func (l *ddbLocation) Exists() bool {
	_, err := os.Stat(l.path)
	return err == nil
}

func (l *ddbLocation) CheckParent() error { return CheckParent("--db", l.path) }

// Sidecar is PATH.name, beside the file as DuckDB's own PATH.wal.
func (l *ddbLocation) Sidecar(name string) string { return l.path + "." + name }

func (l *ddbLocation) ReadDirs() []string { return nil }

func (l *ddbLocation) CommitDefaults() (int, time.Duration) { return 0, 0 }

// Open opens the file for a run, releasing it between commit groups so
// analysts can query during the run (DuckDBOptions.ReleaseBetweenCommits):
// the run holds the writer lease throughout.
func (l *ddbLocation) Open(ctx context.Context, o OpenOptions) (Sink, error) {
	d, err := OpenDuckDB(ctx, DuckDBOptions{Path: l.path, LockWait: o.LockWait, Logger: o.Logger, ReleaseBetweenCommits: true})
	if err != nil {
		return nil, err // not a nil *DuckDB in a non-nil Sink
	}
	return d, nil
}

func (l *ddbLocation) OpenReader(ctx context.Context, o ReadOptions) (Reader, error) {
	db, err := OpenDuckDBReader(ctx, ReaderOptions{Path: l.path, LockWait: o.LockWait, ReadDirs: o.ReadDirs, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	return DuckDBReader(db), nil
}
