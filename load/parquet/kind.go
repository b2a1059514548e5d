package parquet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
)

// Kind is the Parquet dataset as a kind of warehouse: --parquet DIR (env
// SYNCER_PARQUET), on when given. Its sidecar files are inside the dataset
// (DIR/_holder_key, DIR/_journal).
var Kind = load.Kind{Name: "parquet", AddFlags: addFlags}

// Commit defaults: each commit rewrites the partition files it touches, so
// small frequent groups would rewrite the day's files over and over.
const (
	DefaultCommitEvery = 1000 // logins per commit, unless --commit-every says
	commitLatency      = 5 * time.Second
)

// location is the dataset as a command's flags place it.
type location struct{ dir string }

func addFlags(fs *pflag.FlagSet, getenv func(string) string) load.Location {
	l := &location{}
	fs.StringVar(&l.dir, "parquet", getenv("SYNCER_PARQUET"), "also write (or with --no-db, only write) the tables as a Parquet dataset in this directory (env SYNCER_PARQUET)")
	return l
}

func (l *location) Enabled() bool { return l.dir != "" }

func (l *location) Validate(bool) error { return nil }

func (l *location) Describe() (what, where string) { return "Parquet dataset", l.dir }

func (l *location) Exists() bool {
	_, err := os.Stat(l.dir)
	return err == nil
}

// CheckParent checks the dataset's parent: the dataset's own directory is
// created if missing.
func (l *location) CheckParent() error { return load.CheckParent("--parquet", l.dir) }

// Sidecar is DIR/_name, with the dataset's other files of its own
// (_dataset.json, _runs, _lock), underscores for dashes.
func (l *location) Sidecar(name string) string {
	return filepath.Join(l.dir, "_"+strings.ReplaceAll(name, "-", "_"))
}

func (l *location) ReadDirs() []string { return []string{l.dir} }

func (l *location) CommitDefaults() (int, time.Duration) { return DefaultCommitEvery, commitLatency }

func (l *location) Open(ctx context.Context, o load.OpenOptions) (load.Sink, error) {
	s, err := Open(ctx, Options{Dir: l.dir, LockWait: o.LockWait, Logger: o.Logger})
	if err != nil {
		return nil, err // not a nil *Sink in a non-nil load.Sink
	}
	return s, nil
}

// OpenReader opens the dataset's catalog (OpenCatalog), which reads the
// dataset's files and no others.
func (l *location) OpenReader(ctx context.Context, _ load.ReadOptions) (load.Reader, error) {
	db, err := OpenCatalog(ctx, l.dir)
	if err != nil {
		return nil, err
	}
	return duckdb.NewReader(db), nil
}
