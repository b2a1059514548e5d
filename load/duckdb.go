package load

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	ddb "github.com/syncer/syncer/load/duckdb"
)

// DefaultLockWait is how long an open waits, by default, for a warehouse
// another process holds.
const DefaultLockWait = time.Minute

// DuckDBOptions configures OpenDuckDB.
type DuckDBOptions struct {
	// Path of the .duckdb file; created (0600, and its directory 0700) if missing.
	Path string
	// LockWait is how long to wait for a file another process holds
	// (DefaultLockWait if zero).
	LockWait time.Duration
	// Logger receives the lock waiting and migration messages (slog.Default() if nil).
	Logger *slog.Logger
	// Clock times the lock waiting (SystemClock if its fields are nil).
	Clock Clock
}

func (o DuckDBOptions) withDefaults() DuckDBOptions {
	if o.LockWait == 0 {
		o.LockWait = DefaultLockWait
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock.Now == nil {
		o.Clock.Now = SystemClock.Now
	}
	if o.Clock.Sleep == nil {
		o.Clock.Sleep = SystemClock.Sleep
	}
	return o
}

// DuckDB is the Sink that writes a DuckDB warehouse file. It holds the file,
// and so its write lock, from OpenDuckDB to Close: open it for a run, not for
// the life of a scheduler, so analysts can query between runs.
//
// Commit stages the rows with the Appender into temporary tables, then merges
// them with one set-based statement per table, all in one transaction: the
// batches of a call become visible together, or (on any error) none of them.
type DuckDB struct {
	path    string
	db      *sql.DB
	conn    *sql.Conn // the single writer; the staging tables live in its session
	logger  *slog.Logger
	release func() // of ddbPrivateFiles
	// staged holds the tables Commit staged, with the rounds each merges (see LatestRounds).
	staged map[string]int
	closed bool
	counts map[string]TableCounts // what the committed merges did (MergeCounts)
}

var (
	_ Sink         = (*DuckDB)(nil)
	_ MergeCounter = (*DuckDB)(nil)
)

// OpenDuckDB opens the warehouse at o.Path for writing: it creates the file
// (0600) or migrates an older schema in place, waiting with backoff up to
// o.LockWait while another process holds the file. On timeout the error
// wraps ErrLocked (a *LockedError naming the file and, when DuckDB says, the
// holding process).
func OpenDuckDB(ctx context.Context, o DuckDBOptions) (*DuckDB, error) {
	o = o.withDefaults()
	if o.Path == "" {
		return nil, errors.New("load: no DuckDB path")
	}
	release := ddbPrivateFiles()
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o700); err != nil {
		release()
		return nil, fmt.Errorf("warehouse directory: %w", err)
	}
	_, statErr := os.Stat(o.Path)
	created := errors.Is(statErr, fs.ErrNotExist)
	db, err := waitForLock(ctx, o.Path, o.LockWait, o.Clock, o.Logger, func() (*sql.DB, error) {
		return ddbOpenWritable(o.Path)
	})
	if err != nil {
		release()
		return nil, err
	}
	d := &DuckDB{path: o.Path, db: db, logger: o.Logger, release: release, staged: map[string]int{}, counts: map[string]TableCounts{}}
	if created {
		if err := os.Chmod(o.Path, 0o600); err != nil {
			d.Close()
			return nil, err
		}
	}
	if err := d.start(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// ddbOpenWritable opens the database file for writing. An empty file that
// DuckDB refuses as "not a valid DuckDB database file" is what a process
// killed while DuckDB created the file leaves: it is removed and the open
// retried once. (A file another process is creating is locked, so the open
// fails on the lock before DuckDB reads it.)
func ddbOpenWritable(path string) (*sql.DB, error) {
	db, err := ddbOpen(path, false)
	if err == nil || !strings.Contains(err.Error(), "not a valid DuckDB database file") {
		return db, err
	}
	if st, serr := os.Stat(path); serr != nil || st.Size() != 0 {
		return nil, err
	}
	if rerr := os.Remove(path); rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	return ddbOpen(path, false)
}

// start takes the writer connection, migrates, and creates the staging tables.
func (d *DuckDB) start(ctx context.Context) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("warehouse %s: %w", d.path, err)
	}
	d.conn = conn
	if err := d.migrate(ctx); err != nil {
		return err
	}
	return d.createStaging(ctx)
}

// ReaderOptions configures OpenDuckDBReader.
type ReaderOptions struct {
	// Path of an existing .duckdb file.
	Path string
	// LockWait is how long to wait for a file another process holds for
	// writing (DefaultLockWait if zero).
	LockWait time.Duration
	// ReadDirs are the directories, besides the file, that queries may read
	// (such as the Parquet dataset); none if empty.
	ReadDirs []string
	// Logger receives the lock waiting messages (slog.Default() if nil).
	Logger *slog.Logger
	// Clock times the lock waiting (SystemClock if its fields are nil).
	Clock Clock
}

// OpenDuckDBReadOnly opens an existing warehouse for reading: it is
// OpenDuckDBReader with these options, logging to slog.Default().
func OpenDuckDBReadOnly(ctx context.Context, path string, lockWait time.Duration, readDirs ...string) (*sql.DB, error) {
	return OpenDuckDBReader(ctx, ReaderOptions{Path: path, LockWait: lockWait, ReadDirs: readDirs})
}

// OpenDuckDBReader opens an existing warehouse for reading (syncer sql and
// status), waiting for a writer to release it as OpenDuckDB does. The
// warehouse is not migrated: queries see the schema it has. Within a process
// that has the warehouse open for writing, read through DuckDB.DB() instead:
// DuckDB refuses a second, read-only, instance of the same file.
//
// Nothing run through it can write: the file is opened read-only, and no
// statement can write or read another file (except reading under
// o.ReadDirs), attach a database, install or load an extension, or change a
// setting. Temporary tables, in memory, remain possible: a reader running a
// person's SQL refuses every statement that is not a query with
// CheckReadOnly.
func OpenDuckDBReader(ctx context.Context, o ReaderOptions) (*sql.DB, error) {
	opts := DuckDBOptions{Path: o.Path, LockWait: o.LockWait, Logger: o.Logger, Clock: o.Clock}.withDefaults()
	if _, err := os.Stat(o.Path); err != nil {
		return nil, fmt.Errorf("no warehouse at %s: %w", o.Path, err)
	}
	db, err := waitForLock(ctx, o.Path, opts.LockWait, opts.Clock, opts.Logger, func() (*sql.DB, error) {
		return ddbOpen(o.Path, true)
	})
	if err != nil && strings.Contains(err.Error(), "different configuration than existing connections") {
		return nil, fmt.Errorf("warehouse %s is open for writing in this process: read through its DuckDB.DB(): %w", o.Path, err)
	}
	if err != nil {
		return nil, err
	}
	if err := ddb.LockDown(ctx, db, o.ReadDirs); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// ddbOpen opens the database file. Extensions are never downloaded: a query
// that needs httpfs or the like fails at once instead of reaching the network.
func ddbOpen(path string, readOnly bool) (*sql.DB, error) {
	dsn := path + "?autoinstall_known_extensions=false&autoload_known_extensions=false"
	if readOnly {
		dsn += "&access_mode=READ_ONLY"
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(connector), nil
}

// DB returns the warehouse's database for read queries (known logins, retry
// candidates, status). It is valid until Close; do not write through it.
func (d *DuckDB) DB() *sql.DB { return d.db }

// Path returns the warehouse file's path.
func (d *DuckDB) Path() string { return d.path }

// Close checkpoints the WAL into the database file and releases the file.
// It is safe to call after a failed Commit, and more than once.
func (d *DuckDB) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	defer d.release()
	var errs []error
	if d.conn != nil {
		if _, err := d.conn.ExecContext(context.Background(), "CHECKPOINT"); err != nil {
			errs = append(errs, fmt.Errorf("checkpoint %s: %w", d.path, err))
		}
		errs = append(errs, d.conn.Close())
	}
	errs = append(errs, d.db.Close())
	return errors.Join(errs...)
}

// DuckDBLibraryVersion returns the version of the DuckDB library linked
// into the binary (e.g. "v1.5.6"), or "unknown" if an in-memory database
// cannot say.
func DuckDBLibraryVersion() string {
	db, err := ddbOpen("", false)
	if err != nil {
		return "unknown"
	}
	defer db.Close()
	var v string
	if err := db.QueryRow(`SELECT library_version FROM pragma_version()`).Scan(&v); err != nil {
		return "unknown"
	}
	return v
}
