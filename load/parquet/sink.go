// Package parquet is the sink that writes the warehouse tables as a Parquet
// dataset (docs/parquet-layout.md), and reads it back through a catalog of
// views (OpenCatalog). It merges with an in-memory DuckDB, whose SQL is in
// load/duckdb (duckdb.ParquetEngine); the layout, the files, their
// publishing and the lock are its own.
package parquet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/internal/durable"
	"github.com/syncer/syncer/internal/logs"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// Sink is a load.Sink writing the warehouse tables as a Parquet dataset, laid
// out as docs/parquet-layout.md describes:
//
//	DIR/_dataset.json                                  layout parameters (login bucket count)
//	DIR/<table>/part-bNNN.parquet                      tables keyed by login_id, one file per login bucket
//	DIR/positions/as_of_date=YYYY-MM-DD/part-bNNN.parquet
//	DIR/securities/data.parquet, DIR/sync_runs/data.parquet
//	DIR/_runs/<run_id>.json                            manifest: the files each run published
//
// Every partition is exactly one file at a fixed name, rewritten whole ("insert
// overwrite partition"): a commit reads the current files it touches, merges
// the new rows per the table's schema.Table.Merge, writes the new files in a
// staging directory (DIR/_staging), fsyncs them and renames each over its old
// name. So at every instant each file name holds a whole file and each key is
// in exactly one file, and the files carry the same columns and types as the
// DuckDB tables (as_of_date is both in the file and in the directory name, as
// a DATE).
//
// Commit is a group commit: each touched file is rewritten once per call,
// whatever the number of batches. All files of a call are prepared first; if
// preparing fails, nothing is published. Publishing (renames) is recorded in a
// journal first, so a crash while publishing is rolled forward at the next
// Open or Recover: a call is durable whole or not at all. A
// reader globbing during the few renames of a publish may see some tables (or
// buckets) of the call and not yet others; each key is still there once.
// DuckDB's read_parquet opens a file twice and fails (an error) if the file is
// replaced in between: a reader querying during a run should retry.
//
// Sink is for a single writer, enforced across processes by a lock file.
type Sink struct {
	dir    string
	layout layout
	tables []tableLayout
	engine *duckdb.ParquetEngine
	lock   *os.File
	log    *slog.Logger

	// written holds the files this sink published: they have every column
	// of the schema, so reading them needs no look at their columns first.
	written map[string]bool
}

var _ load.Sink = (*Sink)(nil)

// Options configures Open.
type Options struct {
	// Dir is the dataset's root directory; it is created (0700) if missing.
	Dir string
	// Buckets is the number of login buckets of a new dataset
	// (DefaultBuckets when 0). An existing dataset keeps its own; a
	// different non-zero value is an error.
	Buckets int
	// Logger receives debug and info lines; nil discards them.
	Logger *slog.Logger
	// LockWait is how long to wait for a dataset another writer holds
	// (load.DefaultLockWait if zero), as the DuckDB sink's LockWait.
	LockWait time.Duration
	// Clock times the lock waiting (clock.Real if nil).
	Clock clock.Clock
}

// Open opens (or creates) the dataset in o.Dir for writing: it takes the
// writer lock, waiting with backoff up to o.LockWait while another writer
// holds it (then the error wraps load.ErrLocked, as the DuckDB sink's), rolls
// forward a commit a crash interrupted, and sweeps the temp files a crashed
// writer left.
func Open(ctx context.Context, o Options) (*Sink, error) {
	if o.Dir == "" {
		return nil, errors.New("parquet: no directory given")
	}
	logger := logs.OrDiscard(o.Logger)
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	if err := durable.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("parquet: create dataset directory: %w", err)
	}
	if o.LockWait == 0 {
		o.LockWait = load.DefaultLockWait
	}
	wait := load.WaitPolicy{Path: dir, Limit: o.LockWait, Busy: "warehouse is busy, waiting for it", Clock: o.Clock, Logger: logger}
	lock, err := load.WaitForLock(ctx, wait, func() (*os.File, error) { return lockDataset(dir) })
	if err != nil {
		return nil, err
	}
	p, err := openLocked(ctx, dir, o.Buckets, logger)
	if err != nil {
		lock.Close()
		return nil, err
	}
	p.lock = lock
	return p, nil
}

func openLocked(ctx context.Context, dir string, buckets int, logger *slog.Logger) (*Sink, error) {
	recovered, err := recoverJournal(dir)
	if err != nil {
		return nil, err
	}
	swept, err := sweepTemps(dir)
	if err != nil {
		return nil, fmt.Errorf("parquet: sweep temp files: %w", err)
	}
	if recovered || swept > 0 {
		logger.Info("parquet dataset recovered after an interrupted writer", "rolled_forward_commit", recovered, "temp_files_removed", swept)
	}
	info, err := openDataset(dir, buckets)
	if err != nil {
		return nil, err
	}
	p := &Sink{dir: dir, layout: layout{buckets: info.Buckets}, log: logger, written: map[string]bool{}}
	for _, t := range schema.Tables {
		tl, err := p.layout.forTable(t)
		if err != nil {
			return nil, err
		}
		p.tables = append(p.tables, tl)
	}
	if p.engine, err = duckdb.OpenParquetEngine(ctx, p.abs(stagingDir+"/spill")); err != nil {
		return nil, fmt.Errorf("parquet: start merge engine: %w", err)
	}
	if err := p.writeEmptyFiles(ctx); err != nil {
		p.engine.Close()
		return nil, err
	}
	return p, nil
}

// Dir returns the dataset's absolute root directory.
func (p *Sink) Dir() string { return p.dir }

// Commit merges the batches into the dataset; see load.Sink and Sink.
func (p *Sink) Commit(ctx context.Context, batches []schema.Batch) (err error) {
	if len(batches) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := load.CheckBatches(batches); err != nil {
		return err
	}
	// A journal left by an earlier call whose publish failed is finished
	// before this call writes its own.
	if _, err := recoverJournal(p.dir); err != nil {
		return err
	}
	start := time.Now()
	if err := p.engine.SizeFor(ctx, batches); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	staging, err := p.newStaging()
	if err != nil {
		return err
	}
	var j journal
	keepTemps := false // a journal that names them awaits the next open
	defer func() {
		if keepTemps {
			return
		}
		if err != nil {
			for _, r := range j.Renames {
				os.Remove(p.abs(r.Temp)) // the manifests; the rest is under staging
			}
		}
		os.RemoveAll(p.abs(staging))
		p.removeStaging()
	}()
	var files []string
	for _, tl := range p.tables {
		tableStart := time.Now()
		prep, err := p.prepareTable(ctx, tl, batches, staging)
		if len(prep.Renames)+len(prep.Removes) > 0 {
			p.log.Debug("parquet table prepared", "table", tl.table.Name, "files", len(prep.Renames), "removed", len(prep.Removes), "elapsed", time.Since(tableStart))
		}
		j.Renames = append(j.Renames, prep.Renames...)
		j.Removes = append(j.Removes, prep.Removes...)
		if err != nil {
			return err
		}
	}
	for _, r := range j.Renames {
		files = append(files, r.Final)
	}
	manifests, err := p.prepareManifests(batches, files, j.Removes)
	j.Renames = append(j.Renames, manifests...)
	if err != nil {
		return err
	}
	if err := publish(p.dir, j); err != nil {
		// If the journal is durable, some renames may be done: finish them
		// now, or leave the journal and its files for the next open.
		recovered, rerr := recoverJournal(p.dir)
		if rerr != nil {
			keepTemps = true
			return err
		}
		if !recovered {
			return err // the journal was never written: nothing is published
		}
		p.log.Warn("parquet publish failed and was completed on retry", "error", err)
	}
	for _, r := range j.Renames {
		p.written[r.Final] = true
	}
	for _, rel := range j.Removes {
		delete(p.written, rel)
	}

	p.log.Debug("parquet commit", "batches", len(batches), "files", len(files), "removed", len(j.Removes), "elapsed", time.Since(start))
	return nil
}

// Recover completes, or discards, the commit a crashed writer left half
// published in dir and sweeps its temp files, as Open does,
// without opening a writer. Readers that need every login's data of a run
// whole (not just every file whole) call it before reading; it fails if a
// writer holds the dataset.
func Recover(dir string) error {
	lock, err := lockDataset(dir)
	if err != nil {
		return err
	}
	defer lock.Close()
	if _, err := recoverJournal(dir); err != nil {
		return err
	}
	_, err = sweepTemps(dir)
	return err
}

// Close releases the merge engine and the writer lock, leaving no empty
// staging directory.
func (p *Sink) Close() error {
	err := p.engine.Close()
	p.removeStaging()
	if cerr := p.lock.Close(); err == nil {
		err = cerr
	}
	return err
}

// prepareTable writes the new version of every file of tl the batches touch
// under the commit's staging directory, and returns the renames (and
// removals of emptied files) that publish them.
func (p *Sink) prepareTable(ctx context.Context, tl tableLayout, batches []schema.Batch, staging string) (journal, error) {
	var j journal
	t := tl.table
	files, err := p.stage(ctx, tl, batches)
	if err != nil || files == nil {
		return j, err
	}
	existing := map[string]int32{}
	allOurs := true
	for id, rel := range files.paths {
		if _, err := os.Stat(p.abs(rel)); err == nil {
			existing[p.abs(rel)] = int32(id)
			allOurs = allOurs && p.written[rel]
		} else if !errors.Is(err, fs.ErrNotExist) {
			return j, fmt.Errorf("parquet: %w", err)
		}
	}
	if err := p.engine.ReadFiles(ctx, t, existing, allOurs); err != nil {
		return j, fmt.Errorf("parquet: read %s: %w", t.Name, err)
	}
	if t.Merge == schema.Latest {
		_, rounds := load.LatestRounds(t, batches)
		if err := p.engine.FoldRounds(ctx, t, rounds); err != nil {
			return j, fmt.Errorf("parquet: merge %s: %w", t.Name, err)
		}
	}
	out := path.Join(staging, t.Name)
	if err := p.engine.Write(ctx, t, p.abs(out)); err != nil {
		return j, fmt.Errorf("parquet: write %s: %w", t.Name, err)
	}
	return p.publishWritten(t, out, files.paths, existing)
}

// publishWritten returns the renames that publish the files the engine wrote
// under out (file N at out/_pid=N), which replace paths[N], and the
// removals of the existing files none of whose rows remain.
func (p *Sink) publishWritten(t *schema.Table, out string, paths []string, existing map[string]int32) (journal, error) {
	var j journal
	for id, rel := range paths {
		written, err := filepath.Glob(filepath.Join(p.abs(out), fmt.Sprintf("_pid=%d", id), "*.parquet"))
		if err != nil {
			return j, err
		}
		switch len(written) {
		case 0: // the file's rows are all gone
			if _, ok := existing[p.abs(rel)]; ok {
				j.Removes = append(j.Removes, rel)
			}
			continue
		case 1:
		default:
			return j, fmt.Errorf("parquet: %s: the engine split one file into %d", t.Name, len(written))
		}
		if err := durable.SyncFile(written[0]); err != nil {
			return j, fmt.Errorf("parquet: write %s: %w", rel, err)
		}
		if err := durable.MkdirAll(filepath.Dir(p.abs(rel))); err != nil {
			return j, fmt.Errorf("parquet: %w", err)
		}
		tmp, _ := filepath.Rel(p.dir, written[0])
		j.Renames = append(j.Renames, rename{Temp: filepath.ToSlash(tmp), Final: rel})
		step("temp")
	}
	return j, nil
}

// newStaging creates the commit's private staging directory, where the
// engine writes the new files before they are renamed into place.
func (p *Sink) newStaging() (string, error) {
	rel := path.Join(stagingDir, durable.TempName("commit"))
	if err := durable.MkdirAll(p.abs(rel)); err != nil {
		return "", fmt.Errorf("parquet: %w", err)
	}
	return rel, nil
}

func (p *Sink) abs(rel string) string { return filepath.Join(p.dir, filepath.FromSlash(rel)) }
