package duckdb

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
)

// makeStaging (re)creates, empty, the staging tables of t that a commit
// merges from: stage_ and scope_. The commit's transaction makes them: a
// table an earlier commit filled and this one does not keep its rows until
// a commit needs it again (no DROP per table and commit); nothing reads it.
// (Emptying a staging table with DELETE kept its rows in temporary storage:
// a session held across commits grew by every commit's rows.)
func (d *Sink) makeStaging(ctx context.Context, t *schema.Table) error {
	stage, scope := stagingSQL(t)
	for _, stmt := range []string{stage, scope} {
		if stmt == "" {
			continue
		}
		if _, err := d.conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("warehouse %s: creating staging for %s: %w", d.path, t.Name, err)
		}
	}
	return nil
}

// Commit makes batches visible in one transaction: all of them or, when it
// returns an error, none: see load.Sink. With ReleaseBetweenCommits it takes the
// file first, waiting for readers as long as ctx allows, and releases it
// when it returns, unless it committed and KeepHeldWhile says to keep it
// (see Sink).
func (d *Sink) Commit(ctx context.Context, batches []schema.Batch) (err error) {
	if d.closed {
		return errors.New("load: Commit on a closed DuckDB sink")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := load.CheckBatches(batches); err != nil {
		return err
	}
	if err := d.acquire(ctx); err != nil {
		return err
	}
	if d.o.ReleaseBetweenCommits {
		defer func() { d.releaseAfterCommit(err == nil) }()
	}
	return classed(d.commit(ctx, batches))
}

// commit stages and merges batches through the held file, in one
// transaction: the staging tables' making and filling too, which saves
// DuckDB a commit per statement. When it fails, the transaction is rolled
// back, staging tables included.
func (d *Sink) commit(ctx context.Context, batches []schema.Batch) (err error) {
	start := time.Now()
	first, err := d.firstSyncs(ctx, batches)
	if err != nil {
		return err
	}
	d.first = first
	defer func() { d.first = nil }()
	if _, err := d.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			if _, rerr := d.conn.ExecContext(context.Background(), "ROLLBACK"); rerr != nil {
				err = errors.Join(err, rerr)
			}
			d.clearStaging()
		}
	}()
	d.clearStaging()
	rows := 0
	for _, t := range schema.Tables {
		n, err := d.stage(ctx, t, batches)
		if err != nil {
			return err
		}
		rows += n
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	staged := time.Now()
	counts, err := d.merge(ctx)
	if err != nil {
		return err
	}
	firstRows := int64(0)
	for name, n := range d.inserted {
		c := counts[name]
		c.Inserted += n
		counts[name] = c
		firstRows += n
	}
	if _, err := d.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("committing to %s: %w", d.path, err)
	}
	for name, c := range counts {
		d.counts[name] = d.counts[name].Plus(c)
	}
	d.keepWALPrivate()
	d.logger.Debug("committed", "batches", len(batches), "rows", rows, "first_syncs", len(first), "first_rows", firstRows, "staging", staged.Sub(start), "merge", time.Since(staged))
	return nil
}

// clearStaging forgets what the previous commit staged.
func (d *Sink) clearStaging() {
	clear(d.staged)
	clear(d.inserted)
}

// stage appends t's rows (reduced to one per key) and scopes over every
// batch to its staging tables, converting and checking each value, and
// returns the number of rows staged. The rows of logins whose first sync
// this is are inserted instead (d.inserted), and their scopes staged
// nowhere (see first.go); d.staged[t.Name] is 0 when nothing is left to
// merge.
func (d *Sink) stage(ctx context.Context, t *schema.Table, batches []schema.Batch) (int, error) {
	n, scopes := 0, 0
	for _, b := range batches {
		n += len(b.Rows[t.Name])
		scopes += len(b.Scopes[t.Name])
	}
	if n == 0 && scopes == 0 {
		return 0, nil
	}
	var rounds []int
	merges := 1 // the rounds to merge (see load.LatestRounds)
	if t.Merge == schema.Latest {
		rounds, merges = load.LatestRounds(t, batches)
	}
	folded := load.FoldRows(t, batches)
	rows, first := d.splitFirst(t, folded)
	var scoped [][]driver.Value
	if t.Scoped() {
		var err error
		if scoped, err = d.scopeRows(t, batches, rounds); err != nil {
			return 0, err
		}
	}
	merge := len(rows) > 0 || len(scoped) > 0
	if !merge {
		merges = 0
	}
	d.staged[t.Name] = merges
	if merge {
		if err := d.makeStaging(ctx, t); err != nil {
			return 0, err
		}
	}
	err := d.conn.Raw(func(dc any) error {
		if len(rows) > 0 {
			if err := withAppender(dc.(driver.Conn), "stage_"+t.Name, func(a *duckdb.Appender) error {
				return appendFolded(a, t, batches, rows, t.Merge == schema.Latest)
			}); err != nil {
				return err
			}
		}
		if len(first) > 0 {
			if err := insertFirst(dc.(driver.Conn), t, batches, first); err != nil {
				return err
			}
			d.inserted[t.Name] = int64(len(first))
		}
		if len(scoped) > 0 {
			return withAppender(dc.(driver.Conn), "scope_"+t.Name, func(a *duckdb.Appender) error {
				for _, vals := range scoped {
					if err := a.AppendRow(vals...); err != nil {
						return fmt.Errorf("staging %s scopes: %w", t.Name, err)
					}
				}
				return nil
			})
		}
		return nil
	})
	return len(folded), err
}

// withAppender opens an Appender on a staging table and hands it to fill;
// the rows reach the table when the Appender closes without error.
func withAppender(dc driver.Conn, table string, fill func(a *duckdb.Appender) error) error {
	a, err := duckdb.NewAppender(dc, "temp", "main", table)
	if err != nil {
		return fmt.Errorf("staging %s: %w", table, err)
	}
	return fillAndClose(a, table, fill)
}

// fillAndClose hands a to fill and closes it, which flushes what fill
// appended; it returns the first error, naming table.
func fillAndClose(a *duckdb.Appender, table string, fill func(a *duckdb.Appender) error) (err error) {
	defer func() {
		if cerr := a.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("staging %s: %w", table, cerr)
		}
	}()
	return fill(a)
}

// appendFolded appends t's folded rows to a, checking and converting each
// value, with their round in _r when round is set.
func appendFolded(a *duckdb.Appender, t *schema.Table, batches []schema.Batch, rows []load.FoldedRow, round bool) error {
	vals := make([]driver.Value, len(t.Columns))
	if round {
		vals = append(vals, nil) // _r
	}
	for _, r := range rows {
		b := batches[r.Batch]
		for ci, c := range t.Columns {
			v, err := stageValue(c, r.Values[ci])
			if err != nil {
				return &load.ValueError{Batch: r.Batch, RunID: b.RunID, Table: t.Name, Row: r.Index, Column: c.Name, Err: err}
			}
			vals[ci] = v
		}
		if round {
			vals[len(t.Columns)] = int32(r.Round)
		}
		if err := a.AppendRow(vals...); err != nil {
			return fmt.Errorf("staging %s: %w", t.Name, err)
		}
	}
	return nil
}

// scopeRows returns, checked and converted, the scope tuples of the call's
// batches to stage: for a ReplaceScope table the distinct tuples
// (load.ReplacedScopes), for a Latest table the declared ones with their
// batch's round (rounds[batch]) last; but not those of a login's first sync
// (firstScope).
func (d *Sink) scopeRows(t *schema.Table, batches []schema.Batch, rounds []int) ([][]driver.Value, error) {
	cols := t.ScopeColumns()
	perBatch := declaredScopes(t, batches)
	if t.Merge == schema.ReplaceScope {
		perBatch = load.ReplacedScopes(t, batches)
	}
	var out [][]driver.Value
	seen := map[string]bool{}
	for bi, tuples := range perBatch {
		round := 0
		if rounds != nil {
			round = rounds[bi]
		}
		for ti, tuple := range tuples {
			k := load.Key(tuple)
			if rounds != nil {
				k = fmt.Sprint(round) + "\x00" + k
			}
			if seen[k] {
				continue
			}
			seen[k] = true
			vals := make([]driver.Value, len(tuple), len(tuple)+1)
			for i, v := range tuple {
				dv, err := stageValue(cols[i], v)
				if err == nil && dv == nil {
					err = load.ErrNull
				}
				if err != nil {
					return nil, &load.ValueError{Batch: bi, RunID: batches[bi].RunID, Table: t.Name + " scope", Row: ti, Column: cols[i].Name, Err: err}
				}
				vals[i] = dv
			}
			if d.firstScope(t, tuple, round) {
				continue // checked, but it covers no stored row
			}
			if rounds != nil {
				vals = append(vals, int32(round))
			}
			out = append(out, vals)
		}
	}
	return out, nil
}

// declaredScopes returns, per batch, the scope tuples it declares for t.
func declaredScopes(t *schema.Table, batches []schema.Batch) [][][]any {
	out := make([][][]any, len(batches))
	for bi, b := range batches {
		for _, tuple := range b.Scopes[t.Name] {
			out[bi] = append(out[bi], tuple)
		}
	}
	return out
}

// merge runs every staged table's statements, within the commit's
// transaction, and returns the rows they affected, for MergeCounts once it
// commits.
func (d *Sink) merge(ctx context.Context) (map[string]load.TableCounts, error) {
	counts := map[string]load.TableCounts{}
	for _, t := range schema.Tables {
		for round := range d.staged[t.Name] {
			for _, stmt := range tableMergeSQL(t, round) {
				res, err := d.conn.ExecContext(ctx, stmt)
				if err != nil {
					return nil, fmt.Errorf("merging %s: %w", t.Name, err)
				}
				if n, err := res.RowsAffected(); err == nil {
					counts[t.Name] = countStatement(counts[t.Name], stmt, n)
				}
			}
		}
	}
	return counts, nil
}

// MergeCounts says what the commits since Open did to each table; see
// load.MergeCounter.
func (d *Sink) MergeCounts() map[string]load.TableCounts {
	out := make(map[string]load.TableCounts, len(d.counts))
	for name, c := range d.counts {
		out[name] = c
	}
	return out
}

// keepWALPrivate tightens the WAL's mode should it have been created
// readable by others despite privateFiles (a umask changed behind it).
func (d *Sink) keepWALPrivate() {
	if st, err := os.Stat(d.path + ".wal"); err == nil && st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(d.path+".wal", 0o600); err != nil {
			d.logger.Warn("cannot make the WAL private", "path", d.path+".wal", "err", err)
		}
	}
}

// countStatement adds to c the n rows a merge statement affected, by its
// verb. A statement of another kind (such as a MERGE) counts as updating.
func countStatement(c load.TableCounts, stmt string, n int64) load.TableCounts {
	switch verb, _, _ := strings.Cut(strings.TrimSpace(stmt), " "); strings.ToUpper(verb) {
	case "INSERT":
		c.Inserted += n
	case "DELETE":
		c.Deleted += n
	default:
		c.Updated += n
	}
	return c
}
