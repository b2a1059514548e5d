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
	"slices"
	"time"

	"github.com/syncer/syncer/schema"
)

// Parquet is a Sink writing the warehouse tables as a Parquet dataset, laid
// out as docs/parquet-layout.md describes:
//
//	DIR/_dataset.json                                  layout parameters (login bucket count)
//	DIR/<table>/part-bNNN.parquet                      tables keyed by login_id, one file per login bucket
//	DIR/positions/as_of_date=YYYY-MM-DD/part-bNNN.parquet
//	DIR/securities/data.parquet, DIR/sync_runs/data.parquet
//	DIR/_runs/<run_id>.json                            manifest: the files each run published
//
// Every partition is exactly one file at a fixed name, rewritten whole ("insert
// overwrite partition"): a commit reads the current file, merges the new rows
// per the table's schema.Table.Merge, writes a temp file in the same
// directory, fsyncs it and renames it over the old name. So a reader globbing
// DIR/<table>/**/*.parquet at any moment sees whole files and each key once,
// and the files carry the same columns and types as the DuckDB tables
// (as_of_date is both in the file and in the directory name, as a DATE).
//
// Commit is a group commit: each touched file is rewritten once per call,
// whatever the number of batches. All files of a call are prepared first; if
// preparing fails, nothing is published. Publishing (renames) is recorded in a
// journal first, so a crash while publishing is rolled forward at the next
// OpenParquet: a call is durable whole or not at all. A reader globbing
// during the few renames of a publish may see some tables (or buckets) of the
// call and not yet others; each file is still whole and each key once.
//
// Parquet is for a single writer, enforced across processes by a lock file.
type Parquet struct {
	dir    string
	layout layout
	tables []tableLayout
	db     *sql.DB
	conn   *sql.Conn
	lock   *os.File
	log    *slog.Logger
}

var _ Sink = (*Parquet)(nil)

// ParquetOptions configures OpenParquet.
type ParquetOptions struct {
	// Dir is the dataset's root directory; it is created (0700) if missing.
	Dir string
	// Buckets is the number of login buckets of a new dataset
	// (DefaultParquetBuckets when 0). An existing dataset keeps its own; a
	// different non-zero value is an error.
	Buckets int
	// Logger receives debug and info lines; nil discards them.
	Logger *slog.Logger
}

// OpenParquet opens (or creates) the dataset in o.Dir for writing: it takes
// the writer lock, rolls forward a commit a crash interrupted, and sweeps the
// temp files a crashed writer left.
func OpenParquet(ctx context.Context, o ParquetOptions) (*Parquet, error) {
	if o.Dir == "" {
		return nil, errors.New("parquet: no directory given")
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	if err := mkdirAll(dir); err != nil {
		return nil, fmt.Errorf("parquet: create dataset directory: %w", err)
	}
	lock, err := lockDataset(dir)
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

func openLocked(ctx context.Context, dir string, buckets int, logger *slog.Logger) (*Parquet, error) {
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
	p := &Parquet{dir: dir, layout: layout{buckets: info.Buckets}, log: logger}
	for _, t := range schema.Tables {
		tl, err := p.layout.forTable(t)
		if err != nil {
			return nil, err
		}
		p.tables = append(p.tables, tl)
	}
	// The merge engine: an in-memory DuckDB that reads current files and
	// writes new ones. It never loads extensions.
	p.db, err = sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		return nil, fmt.Errorf("parquet: start merge engine: %w", err)
	}
	p.conn, err = p.db.Conn(ctx)
	if err != nil {
		p.db.Close()
		return nil, fmt.Errorf("parquet: start merge engine: %w", err)
	}
	return p, nil
}

// Dir returns the dataset's absolute root directory.
func (p *Parquet) Dir() string { return p.dir }

// Commit merges the batches into the dataset; see Sink and the Parquet doc.
func (p *Parquet) Commit(ctx context.Context, batches []schema.Batch) (err error) {
	if len(batches) == 0 {
		return nil
	}
	start := time.Now()
	var j journal
	defer func() {
		if err != nil {
			for _, r := range j.Renames {
				os.Remove(filepath.Join(p.dir, filepath.FromSlash(r.Temp)))
			}
		}
	}()
	var files []string
	for _, tl := range p.tables {
		prep, err := p.prepareTable(ctx, tl, batches)
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
		return err
	}
	p.log.Debug("parquet commit", "batches", len(batches), "files", len(files), "removed", len(j.Removes), "elapsed", time.Since(start))
	return nil
}

// Close releases the merge engine and the writer lock.
func (p *Parquet) Close() error {
	err := p.conn.Close()
	if cerr := p.db.Close(); err == nil {
		err = cerr
	}
	if cerr := p.lock.Close(); err == nil {
		err = cerr
	}
	return err
}

// prepareTable writes the new version of every file of tl the batches touch
// as a temp file, and returns the renames (and removals of emptied files)
// that publish them. On error the returned renames name the temps to remove.
func (p *Parquet) prepareTable(ctx context.Context, tl tableLayout, batches []schema.Batch) (journal, error) {
	var j journal
	t := tl.table
	parts, err := p.stage(ctx, tl, batches)
	if err != nil || len(parts) == 0 {
		return j, err
	}
	if _, err := p.conn.ExecContext(ctx, createCurSQL(t)); err != nil {
		return j, fmt.Errorf("parquet: %s: %w", t.Name, err)
	}
	for _, part := range parts {
		path := p.abs(part)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if _, err := p.conn.ExecContext(ctx, loadCurSQL(path, part)); err != nil {
			return j, fmt.Errorf("parquet: read %s: %w", part, err)
		}
	}
	if _, err := p.conn.ExecContext(ctx, mergeSQL(t)); err != nil {
		return j, fmt.Errorf("parquet: merge %s: %w", t.Name, err)
	}
	nonEmpty, err := p.nonEmptyParts(ctx)
	if err != nil {
		return j, fmt.Errorf("parquet: %s: %w", t.Name, err)
	}
	for _, part := range parts {
		if !nonEmpty[part] {
			if _, err := os.Stat(p.abs(part)); err == nil {
				j.Removes = append(j.Removes, part)
			}
			continue
		}
		if err := mkdirAll(filepath.Dir(p.abs(part))); err != nil {
			return j, fmt.Errorf("parquet: %w", err)
		}
		tmp := tempName(part)
		j.Renames = append(j.Renames, rename{Temp: tmp, Final: part})
		if _, err := p.conn.ExecContext(ctx, copyPartSQL(t, part, p.abs(tmp))); err != nil {
			return j, fmt.Errorf("parquet: write %s: %w", part, err)
		}
		if err := syncFile(p.abs(tmp)); err != nil {
			return j, fmt.Errorf("parquet: write %s: %w", part, err)
		}
	}
	return j, nil
}

func (p *Parquet) nonEmptyParts(ctx context.Context) (map[string]bool, error) {
	rows, err := p.conn.QueryContext(ctx, "SELECT DISTINCT _part FROM "+resTable)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var part string
		if err := rows.Scan(&part); err != nil {
			return nil, err
		}
		out[part] = true
	}
	return out, rows.Err()
}

func (p *Parquet) abs(rel string) string { return filepath.Join(p.dir, filepath.FromSlash(rel)) }

// sortedKeys returns a set's members in order.
func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
