package iceberg

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
)

// Kind is the Iceberg lake as a kind of warehouse: --iceberg URI with
// --catalog URI (env SYNCER_ICEBERG, SYNCER_CATALOG), on when given.
var Kind = load.Kind{Name: "iceberg", AddFlags: addFlags}

// Commit defaults: each call is one Iceberg commit per table (a metadata
// file, a manifest list, manifests and data files per table, and each
// commit's planning reads the manifests all earlier commits left until
// maintenance rewrites them), so large, rare groups make fewer, larger
// files and a shorter history: at Flinks' rates a shard finishes a few
// logins a second, and 30 s gathers a hundred or more.
const (
	commitEvery   = 1000
	commitLatency = 30 * time.Second
)

// location is the lake as a command's flags place it.
type location struct{ warehouse, catalog string }

func addFlags(fs *pflag.FlagSet, getenv func(string) string) load.Location {
	l := &location{}
	fs.StringVar(&l.warehouse, "iceberg", getenv("SYNCER_ICEBERG"), "also commit (or with --no-db, only commit) the tables to an Apache Iceberg lake: s3://bucket/prefix (the AWS SDK's environment: AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or file:///path; needs --catalog (env SYNCER_ICEBERG)")
	fs.StringVar(&l.catalog, "catalog", getenv("SYNCER_CATALOG"), "the lake's Iceberg SQL catalog: postgres://host:port/db (credentials from PGUSER, PGPASSWORD or PGPASSFILE, never in the URI) or sqlite:///path (env SYNCER_CATALOG)")
	return l
}

func (l *location) Enabled() bool { return l.warehouse != "" }

func (l *location) Validate(bool) error {
	switch {
	case l.warehouse == "" && l.catalog == "":
		return nil
	case l.catalog == "":
		return errors.New("--iceberg needs --catalog URI (postgres://host:port/db or sqlite:///path)")
	case l.warehouse == "":
		return errors.New("--catalog needs --iceberg URI (s3://bucket/prefix or file:///path)")
	}
	if err := checkWarehouseURI(l.warehouse); err != nil {
		return err
	}
	return checkCatalogURI(l.catalog)
}

func (l *location) Describe() (what, where string) { return "Iceberg lake", l.warehouse }

// sqlitePath is the SQLite catalog's file, or "" for a PostgreSQL catalog.
func (l *location) sqlitePath() string {
	u, err := url.Parse(l.catalog)
	if err != nil || u.Scheme != "sqlite" {
		return ""
	}
	return u.Path
}

// Exists reports whether the lake's catalog is there: a SQLite catalog's
// file; a PostgreSQL catalog is taken to exist (the first read says if its
// tables do not).
func (l *location) Exists() bool {
	if p := l.sqlitePath(); p != "" {
		_, err := os.Stat(p)
		return err == nil
	}
	return true
}

// CheckParent refuses a SQLite catalog or a file:// warehouse whose parent
// directory does not exist.
func (l *location) CheckParent() error {
	if p := l.sqlitePath(); p != "" {
		if err := load.CheckParent("--catalog", p); err != nil {
			return err
		}
	}
	if u, err := url.Parse(l.warehouse); err == nil && u.Scheme == "file" {
		return load.CheckParent("--iceberg", u.Path)
	}
	return nil
}

// Sidecar is beside a SQLite catalog (CATALOG.name); with a PostgreSQL
// catalog, in the working directory (syncer-lake.name). Shards on several
// machines must share one holder key: give them SYNCER_HOLDER_KEY_FILE.
func (l *location) Sidecar(name string) string {
	if p := l.sqlitePath(); p != "" {
		return p + "." + name
	}
	return filepath.Join(".", "syncer-lake."+name)
}

func (l *location) ReadDirs() []string { return nil }

func (l *location) CommitDefaults() (int, time.Duration) { return commitEvery, commitLatency }

func (l *location) Open(ctx context.Context, o load.OpenOptions) (load.Sink, error) {
	s, err := Open(ctx, Options{Warehouse: l.warehouse, Catalog: l.catalog, Logger: o.Logger})
	if err != nil {
		return nil, err // not a nil *Sink in a non-nil load.Sink
	}
	return s, nil
}

// OpenReader reads a private copy of every table's current snapshot
// (OpenCatalog), or with LedgerOnly of the ledger's tables only: a run
// that asks which logins the lake knows copies no positions.
func (l *location) OpenReader(ctx context.Context, o load.ReadOptions) (load.Reader, error) {
	var tables []*schema.Table
	if o.LedgerOnly {
		tables = load.LedgerTables
	}
	return openReader(ctx, l.warehouse, l.catalog, tables)
}

// URIs returns the warehouse and catalog URIs of a Location of this Kind,
// and false for a Location of another kind.
func URIs(l load.Location) (warehouse, catalog string, ok bool) {
	il, ok := l.(*location)
	if !ok {
		return "", "", false
	}
	return il.warehouse, il.catalog, true
}
