package load

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/pflag"
)

// Kind is one kind of warehouse, as its sink package offers it to the CLI:
// the flags that place and enable it, and from them a Location that says
// where it is and opens it. A new sink is a package with its Sink and its
// Kind, and one Register call where cmd/syncer builds its Registry (restic's
// location.Registry is the model).
type Kind struct {
	// Name names the kind: "duckdb", "parquet".
	Name string
	// AddFlags adds the kind's flags to fs, with their defaults from getenv
	// where the flag has an environment variable, and returns the Location
	// they fill once fs is parsed.
	AddFlags func(fs *pflag.FlagSet, getenv func(string) string) Location
}

// Location is a warehouse of one kind as a command's flags place it.
type Location interface {
	// Enabled reports whether the flags ask for this warehouse.
	Enabled() bool
	// Validate checks the flags once parsed; others says whether a
	// warehouse of another kind is enabled. Its error is a usage error.
	Validate(others bool) error
	// Describe names the warehouse for people: what it is ("warehouse",
	// "Parquet dataset") and where.
	Describe() (what, where string)
	// Exists reports whether the warehouse is there already.
	Exists() bool
	// CheckParent refuses a warehouse whose parent directory does not
	// exist: a mistyped path is an error naming it, not a silent mkdir -p.
	CheckParent() error
	// Sidecar returns the path of a file or directory of the warehouse's
	// own called name ("holder-key", "journal"), which moves and is backed
	// up with it and which its writer lock protects.
	Sidecar(name string) string
	// ReadDirs are the directories a reader of another warehouse may read
	// to reach this one's files (a Parquet dataset's); nil if none.
	ReadDirs() []string
	// CommitDefaults are the group size and latency this warehouse commits
	// best with, for a command whose flags do not say; 0 for no preference.
	CommitDefaults() (every int, latency time.Duration)
	// Open opens the warehouse for a run to write, creating it if need be.
	// The Sink may also be a MergeCounter, and a Ledgered.
	Open(ctx context.Context, o OpenOptions) (Sink, error)
	// OpenReader opens an existing warehouse read-only, for `syncer sql`
	// and `status`.
	OpenReader(ctx context.Context, o ReadOptions) (Reader, error)
}

// OpenOptions configure Location.Open.
type OpenOptions struct {
	// LockWait is how long to wait for a warehouse another process holds
	// (DefaultLockWait if zero).
	LockWait time.Duration
	// Logger receives the sink's messages.
	Logger *slog.Logger
}

// ReadOptions configure Location.OpenReader.
type ReadOptions struct {
	// LockWait is how long to wait for a warehouse another process holds
	// (DefaultLockWait if zero).
	LockWait time.Duration
	// Logger receives the reader's messages (waiting for a lock).
	Logger *slog.Logger
	// ReadDirs are the directories, besides the warehouse's own files, that
	// queries may read: the other enabled warehouses' ReadDirs.
	ReadDirs []string
	// LedgerOnly says the reader serves only its Ledger (a run's known
	// logins and retry candidates): a warehouse that copies tables to read
	// them may copy only LedgerTables.
	LedgerOnly bool
}

// Ledgered is implemented by a sink that can read the ledger of the
// warehouse it writes while it holds it (the DuckDB sink, whose file no
// reader may open meanwhile). For a sink that is not, a run reads the
// ledger through its Location's OpenReader.
type Ledgered interface {
	Ledger() Ledger
}

// Registry lists the kinds of warehouse, in the order a run commits to
// them: the first enabled one is the primary warehouse, which serves the
// reads (sql, status, a run's known logins) and keeps the sidecar files.
type Registry struct {
	kinds []Kind
}

// Register adds a kind after those registered before. It panics if the
// name is taken: two kinds of one name are a programming error.
func (r *Registry) Register(k Kind) {
	if slices.ContainsFunc(r.kinds, func(o Kind) bool { return o.Name == k.Name }) {
		panic(fmt.Sprintf("load: warehouse kind %q registered twice", k.Name))
	}
	r.kinds = append(r.kinds, k)
}

// Kinds returns the registered kinds, in order.
func (r *Registry) Kinds() []Kind { return slices.Clone(r.kinds) }

// CheckParent returns an error naming flag when the directory path is to be
// created in does not exist, or is not a directory.
func CheckParent(flag, path string) error {
	parent := filepath.Dir(path)
	st, err := os.Stat(parent)
	switch {
	case err != nil:
		return fmt.Errorf("%s %s: the directory %s does not exist (create it first)", flag, path, parent)
	case !st.IsDir():
		return fmt.Errorf("%s %s: %s is not a directory", flag, path, parent)
	}
	return nil
}
