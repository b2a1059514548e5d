package duckdb

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

	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/internal/logs"
	"github.com/syncer/syncer/load"
)

// Options configures Open.
type Options struct {
	// Path of the .duckdb file; created (0600, and its directory 0700) if missing.
	Path string
	// LockWait is how long Open waits for a warehouse another process
	// holds (load.DefaultLockWait if zero).
	LockWait time.Duration
	// ReleaseBetweenCommits makes the sink hold the database file only
	// while it commits, so analysts (syncer sql, any DuckDB client) can open
	// it during a long run: see Sink.
	ReleaseBetweenCommits bool
	// MemoryLimit bounds DuckDB's memory, in bytes (DuckDB's memory_limit:
	// DefaultMemoryLimit if zero); what a merge needs beyond it spills to
	// PATH.tmp.
	MemoryLimit int64
	// Threads is how many threads DuckDB runs the merges with
	// (DefaultThreads if zero).
	Threads int
	// Logger receives the lock waiting and migration messages (nothing if nil).
	Logger *slog.Logger
	// Clock times the lock waiting (clock.Real if nil).
	Clock clock.Clock
}

func (o Options) withDefaults() Options {
	if o.LockWait == 0 {
		o.LockWait = load.DefaultLockWait
	}
	o.Logger, o.Clock = logs.OrDiscard(o.Logger), clock.Or(o.Clock)
	return o
}

// Sink is the load.Sink that writes a DuckDB warehouse file.
//
// Commit stages the rows with the Appender into temporary tables, then merges
// them with one set-based statement per table, all in one transaction: the
// batches of a call become visible together, or (on any error) none of them.
//
// Two locks guard the warehouse. The writer lease (LeasePath) is held from
// Open to Close: no other writer, and so no other run, gets in. The
// database file itself (DuckDB's lock, which a reader needs too: a DuckDB
// file open for writing cannot be opened by another process, not even
// read-only) is held from Open to Close as well, unless
// ReleaseBetweenCommits is set; then:
//
//   - every Commit releases the file when it returns, committed or not: it
//     checkpoints (so the file alone holds every commit and a reader sees
//     them all, without a WAL) and closes the database; except that a
//     Commit that succeeded keeps it while another follows at once
//     (KeepHeldWhile: a run that is behind) and no reader says it waits;
//   - the next Commit, or DB, takes the file back: it waits, with the
//     backoff of Open, for the readers that opened it meanwhile, for
//     as long as its context allows (a reader is never a reason to fail a
//     commit), logging the wait when it starts and again every LockWait;
//   - before taking the file back, when a reader says it waits for the file
//     (see ReadersPath: OpenReader does), it leaves it free at least as long
//     as it last held it, at most 0.5 s (twice the longest backoff of a
//     waiting OpenReader, 0.25 s), so such readers get in even when commits
//     come back to back; with no reader waiting it takes the file back at
//     once.
//
// A reader therefore waits for at most about one commit (its hold time),
// and the writer for the readers that got in, as long as they stay. Per
// login atomicity and crash safety are DuckDB's own, as when the file is
// held: a process killed between commits leaves a checkpointed file.
type Sink struct {
	o       Options
	path    string
	db      *sql.DB   // nil while released
	conn    *sql.Conn // the single writer; the staging tables live in its session
	lease   *os.File  // the writer lease, held until Close
	logger  *slog.Logger
	release func() // of privateFiles
	// staged holds the tables Commit staged, with the rounds each merges
	// (see load.LatestRounds; 0 when it has nothing to merge).
	staged map[string]int
	// first holds the LoginIds whose first rows the current Commit inserts
	// without merging, inserted how many such rows it (or the last
	// Commit) inserted into each table; checked says the warehouse was
	// checked for data of unrefreshed logins, and mergeAll that it holds
	// some, or that a commit wrote some, which makes the first rows merge
	// too (see first.go).
	first    map[string]bool
	inserted map[string]int64
	checked  bool
	mergeAll bool
	closed   bool
	counts   map[string]load.TableCounts // what the committed merges did (MergeCounts)

	// With ReleaseBetweenCommits: when the file was last taken and
	// released, and what releasing it failed with (returned by Close).
	heldAt, releasedAt time.Time
	lastHold           time.Duration
	releaseErrs        []error
	more               func() bool // see KeepHeldWhile; nil: release after every Commit
}

var (
	_ load.Sink         = (*Sink)(nil)
	_ load.MergeCounter = (*Sink)(nil)
	_ load.Holder       = (*Sink)(nil)
)

// Open opens the warehouse at o.Path for writing: it takes the
// writer lease, then the file, which it creates (0600) or migrates in place,
// waiting with backoff up to o.LockWait in all while another process holds
// either. On timeout the error wraps load.ErrLocked (a *load.LockedError naming the
// file and, when known, the holding process). It returns with the file
// held, even with o.ReleaseBetweenCommits (the first Commit releases it).
func Open(ctx context.Context, o Options) (*Sink, error) {
	o = o.withDefaults()
	if o.Path == "" {
		return nil, errors.New("load: no DuckDB path")
	}
	release := privateFiles()
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o700); err != nil {
		release()
		return nil, fmt.Errorf("warehouse directory: %w", err)
	}
	start := o.Clock.Now()
	wait := load.WaitPolicy{Path: o.Path, Limit: o.LockWait, Busy: "warehouse is busy, waiting for it", Clock: o.Clock, Logger: o.Logger}
	lease, err := load.WaitForLock(ctx, wait, func() (*os.File, error) { return takeLease(o.Path) })
	if err != nil {
		release()
		return nil, err
	}
	d := &Sink{o: o, path: o.Path, lease: lease, logger: o.Logger, release: release,
		staged: map[string]int{}, inserted: map[string]int64{}, counts: map[string]load.TableCounts{}}
	if err := makeReadersFile(o.Path); err != nil {
		o.Logger.Warn("readers of the warehouse cannot say they wait: they get in only between commits", "path", ReadersPath(o.Path), "err", err)
	}
	_, statErr := os.Stat(o.Path)
	created := errors.Is(statErr, fs.ErrNotExist)
	wait.Limit = max(o.LockWait-o.Clock.Now().Sub(start), 0)
	if d.db, err = load.WaitForLock(ctx, wait, func() (*sql.DB, error) { return held(openWritable(o.Path, o.settingsDSN())) }); err != nil {
		d.Close()
		return nil, err
	}
	d.heldAt = o.Clock.Now()
	if created {
		if err := os.Chmod(o.Path, 0o600); err != nil {
			d.Close()
			return nil, err
		}
	}
	if err := d.start(ctx, true); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// openWritable opens the database file for writing. An empty file that
// DuckDB refuses as "not a valid DuckDB database file" is what a process
// killed while DuckDB created the file leaves: it is removed and the open
// retried once. (A file another process is creating is locked, so the open
// fails on the lock before DuckDB reads it.)
func openWritable(path, settings string) (*sql.DB, error) {
	db, err := connect(path, false, settings)
	if err == nil || !strings.Contains(err.Error(), "not a valid DuckDB database file") {
		return db, err
	}
	if st, serr := os.Stat(path); serr != nil || st.Size() != 0 {
		return nil, err
	}
	if rerr := os.Remove(path); rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	return connect(path, false, settings)
}

// start takes the writer connection, and migrates when migrate is set
// (schema version, then the History tables' key indexes: unkeyHistory).
// The session's staging tables are made as Commit needs them.
func (d *Sink) start(ctx context.Context, migrate bool) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("warehouse %s: %w", d.path, err)
	}
	d.conn = conn
	if !migrate {
		return nil
	}
	if err := d.migrate(ctx); err != nil {
		return err
	}
	return d.unkeyHistory(ctx)
}

// ReaderOptions configures OpenReader.
type ReaderOptions struct {
	// Path of an existing .duckdb file.
	Path string
	// LockWait is how long to wait for a file another process holds for
	// writing (load.DefaultLockWait if zero).
	LockWait time.Duration
	// ReadDirs are the directories, besides the file, that queries may read
	// (such as the Parquet dataset); none if empty.
	ReadDirs []string
	// Logger receives the lock waiting messages (nothing if nil).
	Logger *slog.Logger
	// Clock times the lock waiting (clock.Real if nil).
	Clock clock.Clock
}

// OpenReadOnly opens an existing warehouse for reading: it is
// OpenReader with these options, logging to slog.Default().
func OpenReadOnly(ctx context.Context, path string, lockWait time.Duration, readDirs ...string) (*sql.DB, error) {
	return OpenReader(ctx, ReaderOptions{Path: path, LockWait: lockWait, ReadDirs: readDirs, Logger: slog.Default()})
}

// OpenReader opens an existing warehouse for reading (syncer sql and
// status), waiting up to o.LockWait for a writer to release it, as Open
// does but trying at least every 0.25 s, and saying it waits
// (ReadersPath): a run releases the file between commits (see Sink) and
// leaves it free long enough for such a try while a reader says so. The
// warehouse is not migrated: queries see the schema it has. Within a process
// that holds the warehouse's file for writing, read through Sink.DB
// instead: DuckDB refuses a second, read-only, instance of the same file
// (a sink that released it between commits is no obstacle).
//
// Nothing run through it can write: the file is opened read-only, and no
// statement can write or read another file (except reading under
// o.ReadDirs), attach a database, install or load an extension, or change a
// setting. Temporary tables, in memory, remain possible: a reader running a
// person's SQL refuses every statement that is not a query with
// CheckReadOnly.
func OpenReader(ctx context.Context, o ReaderOptions) (*sql.DB, error) {
	opts := Options{Path: o.Path, LockWait: o.LockWait, Logger: o.Logger, Clock: o.Clock}.withDefaults()
	if _, err := os.Stat(o.Path); err != nil {
		return nil, fmt.Errorf("no warehouse at %s: %w", o.Path, err)
	}
	wait := load.WaitPolicy{Path: o.Path, Limit: opts.LockWait, MaxBackoff: readBackoffMax, Busy: "warehouse is busy, waiting for it", Clock: opts.Clock, Logger: opts.Logger}
	waiting := announceReader(o.Path)
	db, err := load.WaitForLock(ctx, wait, func() (*sql.DB, error) { return held(connect(o.Path, true, "")) })
	waiting()
	if err != nil && strings.Contains(err.Error(), "different configuration than existing connections") {
		return nil, fmt.Errorf("warehouse %s is open for writing in this process: read through its Sink.DB: %w", o.Path, err)
	}
	if err != nil {
		return nil, err
	}
	if err := lockDown(ctx, db, o.ReadDirs); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// DB returns the warehouse's database for read queries (known logins, retry
// candidates, run ids, status). With ReleaseBetweenCommits it first takes
// the file back if a Commit released it, waiting for readers as Commit does
// (as long as ctx allows); the file then stays held until the next Commit
// returns or Close. The *sql.DB is valid until then: call DB again after a
// Commit. Do not write through it, and do not call DB concurrently with
// Commit or Close.
func (d *Sink) DB(ctx context.Context) (*sql.DB, error) {
	if d.closed {
		return nil, errors.New("load: DB of a closed DuckDB sink")
	}
	if err := d.acquire(ctx); err != nil {
		return nil, err
	}
	return d.db, nil
}

// Path returns the warehouse file's path.
func (d *Sink) Path() string { return d.path }

// acquire takes the file back when a Commit released it (see Sink): it
// first leaves the file free as long as it was last held (at most
// yieldMax) if a reader says it waits (readerWaiting), then waits for the
// readers holding it as long as ctx allows, and starts the writer's
// session again.
func (d *Sink) acquire(ctx context.Context) error {
	if d.db != nil {
		return nil
	}
	yield := min(d.lastHold, yieldMax)
	if free := d.o.Clock.Now().Sub(d.releasedAt); free < yield && readerWaiting(d.path) {
		if err := clock.Sleep(ctx, d.o.Clock, yield-free); err != nil {
			return err
		}
	}
	wait := load.WaitPolicy{Path: d.path, Limit: load.NoLimit, Remind: d.o.LockWait, Clock: d.o.Clock, Logger: d.logger,
		Busy: "a reader holds the warehouse: the commit waits for it (nothing is lost meanwhile)"}
	db, err := load.WaitForLock(ctx, wait, func() (*sql.DB, error) { return held(connect(d.path, false, d.o.settingsDSN())) })
	if err != nil {
		return err
	}
	d.db, d.heldAt = db, d.o.Clock.Now()
	// No migration: Open migrated, and the lease kept other writers out.
	if err := d.start(ctx, false); err != nil {
		d.releaseErrs = append(d.releaseErrs, d.closeDB())
		return err
	}
	d.logger.Debug("took the warehouse back", "path", d.path, "open", d.o.Clock.Now().Sub(d.heldAt))
	return nil
}

// KeepHeldWhile makes a Commit with ReleaseBetweenCommits keep the file
// held when more reports that another Commit follows at once and no reader
// says it waits (readerWaiting): a run that is behind then commits back to
// back on one open database, and releases the file when it catches up, when
// a reader asks, or at Close. See load.Holder.
func (d *Sink) KeepHeldWhile(more func() bool) { d.more = more }

// releaseAfterCommit releases the file after a Commit, unless the Commit
// succeeded and KeepHeldWhile says to keep it.
func (d *Sink) releaseAfterCommit(committed bool) {
	if committed && d.more != nil && d.more() && !readerWaiting(d.path) {
		return
	}
	d.releaseFile()
}

// releaseFile checkpoints and closes the database, keeping the lease, so
// that readers can open the file until the next acquire. A failure is kept
// for Close to report: the commit before it is durable in the WAL whatever
// happens, and the next acquire opens the file again (DuckDB replays the WAL).
func (d *Sink) releaseFile() {
	if d.db == nil {
		return
	}
	start := d.o.Clock.Now()
	if err := d.closeDB(); err != nil {
		d.logger.Warn("releasing the warehouse between commits failed; its commits are in its WAL", "path", d.path, "err", err)
		d.releaseErrs = append(d.releaseErrs, err)
	}
	d.releasedAt = d.o.Clock.Now()
	d.lastHold = d.releasedAt.Sub(d.heldAt)
	d.logger.Debug("released the warehouse", "path", d.path, "held", d.lastHold, "checkpoint_and_close", d.releasedAt.Sub(start))
}

// closeDB checkpoints the WAL into the database file and closes the
// database; the staging tables go with the session.
func (d *Sink) closeDB() error {
	var errs []error
	if d.conn != nil {
		if _, err := d.conn.ExecContext(context.Background(), "CHECKPOINT"); err != nil {
			errs = append(errs, fmt.Errorf("checkpoint %s: %w", d.path, err))
		}
		errs = append(errs, d.conn.Close())
	}
	errs = append(errs, d.db.Close())
	d.db, d.conn = nil, nil
	d.clearStaging()
	return errors.Join(errs...)
}

// Close checkpoints the WAL into the database file and releases the file
// and the writer lease. It is safe to call after a failed Commit, and more
// than once. It reports what releasing the file between commits failed with.
func (d *Sink) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	defer d.release()
	errs := d.releaseErrs
	if d.db != nil {
		errs = append(errs, d.closeDB())
	}
	errs = append(errs, d.lease.Close())
	return errors.Join(errs...)
}
