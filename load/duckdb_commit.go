package load

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/syncer/syncer/schema"
)

// createStaging (re)creates every table's staging tables in the writer's session.
func (d *DuckDB) createStaging(ctx context.Context) error {
	for _, t := range schema.Tables {
		for _, stmt := range ddbStagingSQL(t) {
			if _, err := d.conn.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("warehouse %s: creating staging for %s: %w", d.path, t.Name, err)
			}
		}
	}
	return nil
}

// Commit makes batches visible in one transaction: all of them or, when it
// returns an error, none. See Sink.
func (d *DuckDB) Commit(ctx context.Context, batches []schema.Batch) error {
	if d.closed {
		return errors.New("load: Commit on a closed DuckDB sink")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	if err := ddbCheckTables(batches); err != nil {
		return err
	}
	if err := d.clearStaging(ctx); err != nil {
		return err
	}
	rows := 0
	for _, t := range schema.Tables {
		n, err := d.stage(t, batches)
		if err != nil {
			return err
		}
		rows += n
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	staged := time.Now()
	if err := d.merge(ctx); err != nil {
		return err
	}
	d.keepWALPrivate()
	d.logger.Debug("committed", "batches", len(batches), "rows", rows, "staging", staged.Sub(start), "merge", time.Since(staged))
	return nil
}

// ddbCheckTables refuses batches naming a table the schema does not have.
func ddbCheckTables(batches []schema.Batch) error {
	for i, b := range batches {
		for name := range b.Rows {
			if schema.Lookup(name) == nil {
				return &ValueError{Batch: i, RunID: b.RunID, Table: name, Row: -1, Err: errors.New("no such table")}
			}
		}
		for name := range b.Scopes {
			if t := schema.Lookup(name); t == nil || t.Merge != schema.ReplaceScope {
				return &ValueError{Batch: i, RunID: b.RunID, Table: name, Row: -1, Err: errors.New("scope for a table that is not replaced by scope")}
			}
		}
	}
	return nil
}

// clearStaging empties the staging tables the previous Commit used.
func (d *DuckDB) clearStaging(ctx context.Context) error {
	for name := range d.staged {
		t := schema.Lookup(name)
		if _, err := d.conn.ExecContext(ctx, "DELETE FROM "+ddbStageName(t)); err != nil {
			return err
		}
		if t.Merge == schema.ReplaceScope {
			if _, err := d.conn.ExecContext(ctx, "DELETE FROM "+ddbScopeName(t)); err != nil {
				return err
			}
		}
		delete(d.staged, name)
	}
	return nil
}

// stage appends t's rows (and scopes) of every batch to its staging tables,
// converting and checking each value, and returns the number of rows.
func (d *DuckDB) stage(t *schema.Table, batches []schema.Batch) (int, error) {
	n, scopes := 0, 0
	for _, b := range batches {
		n += len(b.Rows[t.Name])
		scopes += len(b.Scopes[t.Name])
	}
	if n == 0 && scopes == 0 {
		return 0, nil
	}
	d.staged[t.Name] = true
	err := d.conn.Raw(func(dc any) error {
		if err := d.appendRows(dc.(driver.Conn), t, batches); err != nil {
			return err
		}
		if t.Merge == schema.ReplaceScope {
			return d.appendScopes(dc.(driver.Conn), t, batches)
		}
		return nil
	})
	return n, err
}

func (d *DuckDB) appendRows(dc driver.Conn, t *schema.Table, batches []schema.Batch) (err error) {
	a, err := duckdb.NewAppender(dc, "temp", "main", "stage_"+t.Name)
	if err != nil {
		return fmt.Errorf("staging %s: %w", t.Name, err)
	}
	defer func() {
		if cerr := a.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("staging %s: %w", t.Name, cerr)
		}
	}()
	vals := make([]driver.Value, len(t.Columns)+2)
	seq := int64(0)
	for bi, b := range batches {
		for ri, row := range b.Rows[t.Name] {
			if len(row) != len(t.Columns) {
				return &ValueError{Batch: bi, RunID: b.RunID, Table: t.Name, Row: ri, Err: errBadWidth}
			}
			for ci, c := range t.Columns {
				v, err := ddbValue(c, row[ci])
				if err != nil {
					return &ValueError{Batch: bi, RunID: b.RunID, Table: t.Name, Row: ri, Column: c.Name, Err: err}
				}
				vals[ci] = v
			}
			vals[len(t.Columns)], vals[len(t.Columns)+1] = int32(bi), seq
			seq++
			if err := a.AppendRow(vals...); err != nil {
				return fmt.Errorf("staging %s: %w", t.Name, err)
			}
		}
	}
	return nil
}

// appendScopes stages each batch's scope tuples: those it declares and those
// its rows imply, so a row never lands beside an unreplaced snapshot.
func (d *DuckDB) appendScopes(dc driver.Conn, t *schema.Table, batches []schema.Batch) (err error) {
	a, err := duckdb.NewAppender(dc, "temp", "main", "scope_"+t.Name)
	if err != nil {
		return fmt.Errorf("staging %s scopes: %w", t.Name, err)
	}
	defer func() {
		if cerr := a.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("staging %s scopes: %w", t.Name, cerr)
		}
	}()
	idx := make([]int, len(t.ScopeBy))
	for i, name := range t.ScopeBy {
		idx[i] = t.Index(name)
	}
	for bi, b := range batches {
		seen := map[string]bool{}
		add := func(ri int, tuple []any) error {
			vals := make([]driver.Value, len(tuple)+1)
			key := ""
			for i, v := range tuple {
				dv, err := ddbValue(t.Columns[idx[i]], v)
				if err != nil || dv == nil {
					if err == nil {
						err = errNull
					}
					return &ValueError{Batch: bi, RunID: b.RunID, Table: t.Name + " scope", Row: ri, Column: t.ScopeBy[i], Err: err}
				}
				vals[i] = dv
				key += fmt.Sprintf("\x00%v", dv)
			}
			if seen[key] {
				return nil
			}
			seen[key] = true
			vals[len(tuple)] = int32(bi)
			return a.AppendRow(vals...)
		}
		for ri, tuple := range b.Scopes[t.Name] {
			if len(tuple) != len(idx) {
				return &ValueError{Batch: bi, RunID: b.RunID, Table: t.Name + " scope", Row: ri, Err: errBadWidth}
			}
			if err := add(ri, tuple); err != nil {
				return err
			}
		}
		for ri, row := range b.Rows[t.Name] {
			tuple := make([]any, len(idx))
			for i, ci := range idx {
				tuple[i] = row[ci]
			}
			if err := add(ri, tuple); err != nil {
				return err
			}
		}
	}
	return nil
}

// merge runs every staged table's merge statements in one transaction.
func (d *DuckDB) merge(ctx context.Context) error {
	tx, err := d.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range schema.Tables {
		if !d.staged[t.Name] {
			continue
		}
		for _, stmt := range ddbMergeSQL(t) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("merging %s: %w", t.Name, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing to %s: %w", d.path, err)
	}
	return nil
}

// keepWALPrivate tightens the WAL's mode should it have been created
// readable by others despite ddbPrivateFiles (a umask changed behind it).
func (d *DuckDB) keepWALPrivate() {
	if st, err := os.Stat(d.path + ".wal"); err == nil && st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(d.path+".wal", 0o600); err != nil {
			d.logger.Warn("cannot make the WAL private", "path", d.path+".wal", "err", err)
		}
	}
}
