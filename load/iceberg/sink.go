package iceberg

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"golang.org/x/sync/errgroup"

	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/internal/logs"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// Sink is a load.Sink committing the warehouse tables to Iceberg tables.
//
// Commit is a group commit. For each table it makes one Iceberg commit
// holding whole logins (the data tables side by side, then the ledger
// tables sync_logins, sync_login_products and sync_runs): it finds which
// data files of the table's current snapshot hold rows the call's logins
// (and scopes, and keys) touch (touchedFiles), reads those files whole,
// merges the call's rows into them per the table's schema.Table.Merge
// (duckdb.ParquetEngine, as the Parquet sink), and replaces exactly those
// files with the merged rows, in one table transaction (copy-on-write); a
// call of logins the table does not hold yet only adds files. The
// login-keyed tables are partitioned by login bucket, the hash shards
// select logins by (tables.go), so a call reads and replaces only files of
// its own logins' buckets, and shards never replace each other's files. A reader
// of a table sees all of a login's rows from one run or none. Between two
// tables' commits a reader may see one table of a call new and the next
// still old; the ledger is committed last, so a login sync_logins calls
// succeeded has its rows in every table (docs/lake.md).
//
// Several sinks, in several processes, may commit to the same tables at
// once (shards). A commit that finds the table changed since it read it
// (iceberg-go: "requirement failed: branch main has changed") reloads the
// table and merges again, up to maxAttempts times; a call that fails
// commits none of its remaining tables, and since every table's commit is
// idempotent, retrying the call converges. Files written by a failed
// attempt are in no snapshot: readers never see them, and `lake maintain`
// deletes them.
type Sink struct {
	lake   *lake
	engine *duckdb.ParquetEngine
	// engineMu serialises the engine's use by the commits of one call that
	// merge again after losing a race (the engine has one connection).
	engineMu sync.Mutex
	tmp      string // private scratch directory, removed at Close
	log      *slog.Logger
	clock    clock.Clock

	rebased   atomic.Int64 // commits retried that committed again without merging again
	retriedMu sync.Mutex
	retried   map[string]int // commits retried after losing a race, by table
}

var _ load.Sink = (*Sink)(nil)

// Options configure Open.
type Options struct {
	// Warehouse is where the tables' files go: s3://bucket/prefix, or
	// file:///path.
	Warehouse string
	// Catalog is the SQL catalog: postgres://host:port/db (credentials from
	// libpq's environment: PGUSER, PGPASSWORD, PGPASSFILE) or sqlite:///path.
	Catalog string
	// Logger receives the sink's messages; nil discards them.
	Logger *slog.Logger
	// Clock times the waits between attempts; nil is the real clock.
	Clock clock.Clock
}

// maxAttempts bounds the attempts of one table's commit that lose a race
// to another writer: with backoff doubling to 2 s, minutes of contention.
const maxAttempts = 20

// Open opens (creating if need be) the namespace and tables in the catalog.
func Open(ctx context.Context, o Options) (*Sink, error) {
	if err := privateRoot(o.Warehouse); err != nil {
		return nil, err
	}
	l, err := openCatalog(ctx, o.Catalog, o.Warehouse, ensureTables)
	if err != nil {
		return nil, err
	}
	ctx = l.bind(ctx)
	s := &Sink{lake: l, log: logs.OrDiscard(o.Logger), clock: clock.Or(o.Clock)}
	if s.tmp, err = os.MkdirTemp("", "syncer-iceberg-*"); err != nil {
		l.Close()
		return nil, fmt.Errorf("iceberg: %w", err)
	}
	if s.engine, err = duckdb.OpenParquetEngine(ctx, filepath.Join(s.tmp, "spill")); err != nil {
		os.RemoveAll(s.tmp)
		l.Close()
		return nil, fmt.Errorf("iceberg: %w", err)
	}
	return s, nil
}

// privateRoot creates a file:// warehouse's directory 0700 if it is
// missing: the files iceberg-go writes inside are 0644, and the directory
// keeps them from other users. (An object store's access is its policy's.)
func privateRoot(warehouseURI string) error {
	u, err := url.Parse(warehouseURI)
	if err != nil || u.Scheme != "file" {
		return nil
	}
	if err := os.Mkdir(u.Path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("iceberg: %w", err)
	}
	return nil
}

// Close releases the catalog, the merge engine and the scratch directory.
func (s *Sink) Close() error {
	s.log.Info("iceberg sink closed", "commits_retried", s.Conflicts(), "commits_rebased", s.rebased.Load(),
		"retried_by_table", s.retriedByTable())
	err := s.engine.Close()
	if cerr := s.lake.Close(); err == nil {
		err = cerr
	}
	if rerr := os.RemoveAll(s.tmp); err == nil {
		err = rerr
	}
	return err
}

// retriedByTable renders the commits retried per table, most first:
// "securities=40 holdings=3".
func (s *Sink) retriedByTable() string {
	s.retriedMu.Lock()
	defer s.retriedMu.Unlock()
	names := slices.Collect(maps.Keys(s.retried))
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(s.retried[b]-s.retried[a], strings.Compare(a, b)) })
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, s.retried[n])
	}
	return strings.Join(parts, " ")
}

// lostRace counts a commit of table retried after losing a race.
func (s *Sink) lostRace(table string) {
	s.retriedMu.Lock()
	defer s.retriedMu.Unlock()
	if s.retried == nil {
		s.retried = map[string]int{}
	}
	s.retried[table]++
}

// Conflicts returns how many table commits were retried because another
// writer committed first.
func (s *Sink) Conflicts() int64 {
	s.retriedMu.Lock()
	defer s.retriedMu.Unlock()
	var n int64
	for _, c := range s.retried {
		n += int64(c)
	}
	return n
}

// Commit commits the batches, table by table (see Sink).
func (s *Sink) Commit(ctx context.Context, batches []schema.Batch) error {
	if len(batches) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := load.CheckBatches(batches); err != nil {
		return err
	}
	ctx = s.lake.bind(ctx)
	if err := s.engine.SizeFor(ctx, batches); err != nil {
		return fmt.Errorf("iceberg: %w", err)
	}
	props := snapshotProperties(batches)
	// Every table is merged before any is committed: a bad value, or a
	// scope the merge refuses, fails the call with nothing committed.
	var prepared []*preparedTable
	defer func() {
		for _, p := range prepared {
			os.RemoveAll(p.dir)
		}
	}()
	for _, t := range schema.Tables {
		p, err := s.prepare(ctx, t, batches)
		if err != nil {
			return &tableError{table: t.Name, step: "merge", err: err}
		}
		if p != nil {
			prepared = append(prepared, p)
		}
	}
	// The data tables commit side by side (each commit is a few round
	// trips to the catalog and the object store), then the ledger's.
	data, ledger := splitLedger(prepared)
	for _, group := range [][]*preparedTable{data, ledger} {
		var g errgroup.Group
		g.SetLimit(commitConcurrency)
		for _, p := range group {
			g.Go(func() error {
				if err := s.commitTable(ctx, p, batches, props); err != nil {
					return &tableError{table: p.table.Name, step: "commit", err: err}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	return nil
}

// commitConcurrency is the most table commits of a call under way at once.
const commitConcurrency = 8

// splitLedger splits prepared tables into the data tables and the ledger's
// (load.LedgerTables but logins, the registry, which is data a run needs
// before its outcome), keeping their order.
func splitLedger(prepared []*preparedTable) (data, ledger []*preparedTable) {
	for _, p := range prepared {
		if p.table != schema.Logins && slices.Contains(load.LedgerTables, p.table) {
			ledger = append(ledger, p)
		} else {
			data = append(data, p)
		}
	}
	return data, ledger
}

// snapshotProperties are written in each snapshot's summary: the runs and
// the number of logins of the call, so a table's history says which runs
// wrote it.
func snapshotProperties(batches []schema.Batch) iceberg.Properties {
	var runs []string
	for _, b := range batches {
		if !slices.Contains(runs, b.RunID) {
			runs = append(runs, b.RunID)
		}
	}
	return iceberg.Properties{
		"syncer.run-ids": strings.Join(runs, ","),
		"syncer.logins":  fmt.Sprint(len(batches)),
	}
}

// preparedTable is one table's merged rows, ready to replace the data
// files the merge read, in the snapshot tbl is at.
type preparedTable struct {
	table    *schema.Table
	touch    touch              // the rows the merge may change
	tbl      *table.Table       // the Iceberg table, as the merge read it
	replaced []iceberg.DataFile // the files the merge read whole
	dir      string             // scratch directory of this merge
	merged   []string           // the merged rows' Parquet files
	added    []iceberg.DataFile // the merged rows' data files in the table, once written
	written  bool               // added is written
}

// prepare stages the batches' rows of t, reads the data files holding rows
// they may touch from the table's current snapshot and merges them,
// leaving the result in a scratch directory. It returns nil when the batches have nothing for t.
func (s *Sink) prepare(ctx context.Context, t *schema.Table, batches []schema.Batch) (*preparedTable, error) {
	touch, staged, err := s.stage(ctx, t, batches)
	if err != nil || !staged {
		return nil, err
	}
	tbl, err := s.lake.cat.LoadTable(ctx, identifier(t))
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(s.tmp, t.Name+"-*")
	if err != nil {
		return nil, err
	}
	p := &preparedTable{table: t, touch: touch, tbl: tbl, dir: dir}
	if err := s.merge(ctx, p, batches); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// merge reads the data files of p.tbl that hold rows p.touch selects and
// merges the staged rows into theirs, into p.merged.
func (s *Sink) merge(ctx context.Context, p *preparedTable, batches []schema.Batch) error {
	t := p.table
	cur := filepath.Join(p.dir, "current.parquet")
	replaced, n, err := readTouchedFiles(ctx, p.tbl, p.touch, cur)
	p.replaced = replaced
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	files := map[string]int32{}
	if n > 0 {
		files[cur] = 0
	}
	if err := s.engine.ReadFiles(ctx, t, files, false); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if t.Merge == schema.Latest {
		_, rounds := load.LatestRounds(t, batches)
		if err := s.engine.FoldRounds(ctx, t, rounds); err != nil {
			return fmt.Errorf("merge: %w", err)
		}
	}
	out := filepath.Join(p.dir, "merged")
	if err := s.engine.Write(ctx, t, out); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	p.merged, err = filepath.Glob(filepath.Join(out, "_pid=0", "*.parquet"))
	return err
}

// commitTable replaces p's read files with its merged rows in one Iceberg
// commit. When another writer committed to the table since p read it, it
// reloads the table; if the files holding p's rows are still exactly the
// ones it read (another shard committed its own buckets), it commits the
// same new files on the new snapshot, else it merges again (see Sink).
func (s *Sink) commitTable(ctx context.Context, p *preparedTable, batches []schema.Batch, props iceberg.Properties) error {
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.replace(ctx, p, props)
		if err == nil || !isConflict(err) {
			return err
		}
		if attempt == maxAttempts {
			return &racesLost{attempts: attempt, last: err}
		}
		s.lostRace(p.table.Name)
		// Jitter spreads writers that collided.
		if err := clock.Sleep(ctx, s.clock, backoff/2+rand.N(backoff)); err != nil {
			return err
		}
		backoff = min(2*backoff, 2*time.Second)
		tbl, err := s.lake.cat.LoadTable(ctx, identifier(p.table))
		if err != nil {
			return err
		}
		same, err := sameFiles(ctx, tbl, p)
		if err != nil {
			return err
		}
		if same {
			s.rebased.Add(1)
			s.log.Debug("iceberg commit lost a race to a commit of other rows; committing again on the new snapshot", "table", p.table.Name, "attempt", attempt)
			p.tbl = tbl
			continue
		}
		s.log.Debug("iceberg commit lost a race; merging again on the new snapshot", "table", p.table.Name, "attempt", attempt)
		os.RemoveAll(p.dir)
		s.engineMu.Lock() // other tables of the call may be merging again too
		again, err := s.prepare(ctx, p.table, batches)
		s.engineMu.Unlock()
		if err != nil {
			return err
		}
		*p = *again
	}
}

// sameFiles reports whether tbl, a newer snapshot of p's table, holds p's
// rows in exactly the data files p's merge read, under the same schema:
// then the files p wrote replace them as well on tbl as on the snapshot p
// read, and no row another writer committed is lost.
func sameFiles(ctx context.Context, tbl *table.Table, p *preparedTable) (bool, error) {
	if tbl.Schema().ID != p.tbl.Schema().ID {
		return false, nil
	}
	files, _, err := touchedFiles(ctx, tbl, p.touch)
	if err != nil || len(files) != len(p.replaced) {
		return false, err
	}
	read := make(map[string]bool, len(p.replaced))
	for _, f := range p.replaced {
		read[f.FilePath()] = true
	}
	for _, f := range files {
		if !read[f.FilePath()] {
			return false, nil
		}
	}
	return true, nil
}

// replace commits p: its merged rows written as new data files (split by
// the table's partitions; once, however many attempts), the files its
// merge read removed.
func (s *Sink) replace(ctx context.Context, p *preparedTable, props iceberg.Properties) error {
	if !p.written {
		target, err := table.SchemaToArrowSchema(p.tbl.Schema(), nil, true, false)
		if err != nil {
			return err
		}
		for df, err := range table.WriteRecords(ctx, p.tbl, target, mergedRecords(ctx, p.merged, target)) {
			if err != nil {
				return fmt.Errorf("write: %w", err)
			}
			p.added = append(p.added, df)
		}
		p.written = true
	}
	if len(p.added) == 0 && len(p.replaced) == 0 {
		return nil
	}
	tx := p.tbl.NewTransaction()
	if err := tx.ReplaceDataFilesWithDataFiles(ctx, p.replaced, p.added, props); err != nil {
		return err
	}
	_, err := tx.Commit(ctx)
	return err
}

// tableError is a call's failure on one table: Error gives the underlying
// message (which may quote key values, for sync_logins.error), Class only
// the table, the step and the kind of failure (load.ErrorClass).
type tableError struct {
	table, step string // step: merge (before anything is committed) or commit
	err         error
}

func (e *tableError) Error() string {
	return fmt.Sprintf("iceberg: %s.%s: %v", Namespace, e.table, e.err)
}
func (e *tableError) Unwrap() error { return e.err }
func (e *tableError) Class() string {
	return fmt.Sprintf("iceberg %s %s: %s", e.table, e.step, load.ErrorClass(e.err))
}

// racesLost is a table's commit that lost maxAttempts races to other
// writers in a row.
type racesLost struct {
	attempts int
	last     error
}

func (e *racesLost) Error() string {
	return fmt.Sprintf("lost %d commit races to other writers in a row: %v", e.attempts, e.last)
}
func (e *racesLost) Unwrap() error { return e.last }
func (e *racesLost) Class() string {
	return fmt.Sprintf("lost %d commit races to other writers in a row", e.attempts)
}

// isConflict reports whether err says another writer committed to the
// table first: iceberg-go's retry covers only a compare-and-swap that
// updated no row (ErrCommitFailed), not a changed branch.
func isConflict(err error) bool {
	if errors.Is(err, table.ErrCommitFailed) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "requirement failed:") &&
		(strings.Contains(msg, "has changed") || strings.Contains(msg, "created concurrently"))
}
