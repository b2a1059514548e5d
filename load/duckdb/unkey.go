package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/syncer/syncer/schema"
)

// unkeyHistory rebuilds without its PRIMARY KEY each History table
// (schema.Table.History) that still has one: a warehouse made before those
// tables lost their index. The index grew with every night, in memory and
// in every checkpoint (BENCHMARKS.md); the merges keep the keys unique
// without it. Each table is rebuilt in its own transaction, so a process
// killed meanwhile leaves it as it was, and the next open rebuilds it; it
// is a one-off cost, logged, that copies the table once.
func (d *Sink) unkeyHistory(ctx context.Context) error {
	keyed, err := keyedTables(ctx, d.conn)
	if err != nil {
		return fmt.Errorf("warehouse %s: reading its constraints: %w", d.path, err)
	}
	for _, t := range schema.Tables {
		if !t.History || !keyed[t.Name] {
			continue
		}
		start := time.Now()
		rows, err := d.rebuildUnkeyed(ctx, t)
		if err != nil {
			return fmt.Errorf("warehouse %s: rebuilding %s without its key index: %w", d.path, t.Name, err)
		}
		d.logger.Info("rebuilt a history table without its key index (once)", "path", d.path, "table", t.Name,
			"rows", rows, "elapsed", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// keyedTables returns the tables of the warehouse q reads that have a
// PRIMARY KEY.
func keyedTables(ctx context.Context, q querier) (map[string]bool, error) {
	return nameSet(ctx, q, `SELECT table_name FROM duckdb_constraints()
		WHERE database_name = current_database() AND schema_name = 'main' AND constraint_type = 'PRIMARY KEY'`)
}

// rebuildUnkeyed copies t into a new table made by today's DDL (no
// PRIMARY KEY), drops t and gives the copy its name and descriptions, in
// one transaction. It returns the rows copied.
func (d *Sink) rebuildUnkeyed(ctx context.Context, t *schema.Table) (int64, error) {
	tx, err := d.conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	tmp := *t
	tmp.Name = t.Name + "__unkeyed"
	cols := idents(t.ColumnNames(), "")
	copyRows := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", QuoteIdent(tmp.Name), cols, cols, QuoteIdent(t.Name))
	if err := execAll(ctx, tx, fmt.Sprintf("DROP TABLE IF EXISTS %s", QuoteIdent(tmp.Name)), CreateTableSQL(&tmp)); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, copyRows)
	if err != nil {
		return 0, fmt.Errorf("copying the rows: %w", err)
	}
	copied, _ := res.RowsAffected()
	swap := []string{
		fmt.Sprintf("DROP TABLE %s", QuoteIdent(t.Name)),
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", QuoteIdent(tmp.Name), QuoteIdent(t.Name)),
	}
	if err := execAll(ctx, tx, append(swap, CommentSQL(t, schema.Version())...)...); err != nil {
		return 0, err
	}
	return copied, tx.Commit()
}

// execAll runs stmts in tx, in order, up to the first that fails.
func execAll(ctx context.Context, tx *sql.Tx, stmts ...string) error {
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", strings.SplitN(stmt, " (", 2)[0], err)
		}
	}
	return nil
}
