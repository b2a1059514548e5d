package duckdb

import (
	"context"
	"errors"
	"fmt"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
)

var _ load.Forgetter = (*Sink)(nil)

// Forget deletes loginID's rows from every table that names logins and
// records the erasure (record's batch), in one transaction: see
// load.Forgetter. The rows are counted first (the writer lease keeps
// other writers out), so the erasures row is staged, then merged in the
// same transaction as the deletes.
func (d *Sink) Forget(ctx context.Context, loginID string, record func(removed map[string]int64) schema.Batch) (map[string]int64, error) {
	if d.closed {
		return nil, errors.New("load: Forget on a closed DuckDB sink")
	}
	if err := d.acquire(ctx); err != nil {
		return nil, err
	}
	if d.o.ReleaseBetweenCommits {
		defer d.releaseFile()
	}
	removed := map[string]int64{}
	for _, t := range load.LoginTables() {
		var n int64
		q := fmt.Sprintf("SELECT count(*) FROM %s WHERE login_id = ?", QuoteIdent(t.Name))
		if err := d.conn.QueryRowContext(ctx, q, loginID).Scan(&n); err != nil {
			return nil, fmt.Errorf("counting %s: %w", t.Name, err)
		}
		removed[t.Name] = n
	}
	batch := record(removed)
	if err := load.CheckBatches([]schema.Batch{batch}); err != nil {
		return nil, err
	}
	d.clearStaging()
	for _, t := range schema.Tables {
		if _, err := d.stage(ctx, t, []schema.Batch{batch}); err != nil {
			return nil, err
		}
	}
	tx, err := d.conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for _, t := range load.LoginTables() {
		if removed[t.Name] == 0 {
			continue
		}
		q := fmt.Sprintf("DELETE FROM %s WHERE login_id = ?", QuoteIdent(t.Name))
		if _, err := tx.ExecContext(ctx, q, loginID); err != nil {
			return nil, fmt.Errorf("erasing from %s: %w", t.Name, err)
		}
	}
	for _, t := range schema.Tables {
		for round := range d.staged[t.Name] {
			for _, stmt := range tableMergeSQL(t, round) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return nil, fmt.Errorf("recording the erasure in %s: %w", t.Name, err)
				}
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing the erasure to %s: %w", d.path, err)
	}
	d.keepWALPrivate()
	return removed, nil
}
