package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
)

// A login's first sync. A merge joins the staged rows with the whole table
// they go to, so its cost grows with the warehouse; but a login the
// warehouse has never refreshed has no rows in the LoginData tables
// (schema.Table.LoginData), so a commit inserts such a login's rows there
// as they are, and merges only the others: a backfill of new logins, and
// the first sync of a warehouse, merge nothing. The first rows go straight
// into their table, through a query Appender whose INSERT reads them as
// they are appended: no staging table to make, fill and read again. A row
// of a later round of a Latest table (the login synced twice in one commit)
// still merges, after the first round's inserts.
//
// The rule rests on every writer of a LoginData table refreshing the login
// in the same batch. The sink checks it rather than trusting it: when the
// warehouse holds such rows of a login it never refreshed (rows written
// before last_refresh_at existed, say), which it checks once, at the first
// commit that has first rows to insert, and from the first commit that
// writes such rows, it merges everything, as before.

// firstRows is the name under which the query Appender's INSERT reads the
// first rows appended.
const firstRows = "first_rows"

// firstSQL returns the query Appender's statement that inserts into t the
// first rows appended, laid out as t's staging table is (stageType).
func firstSQL(t *schema.Table) string {
	values := idents(t.ColumnNames(), "n.")
	if t.Merge == schema.Latest {
		exprs := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			exprs[i] = latestValue(t, c, "", "n", "")
		}
		values = strings.Join(exprs, ", ")
	}
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s AS n", QuoteIdent(t.Name), idents(t.ColumnNames(), ""), values, firstRows)
}

// insertFirst inserts t's first rows, checking and converting each value,
// within the commit's transaction.
func insertFirst(dc driver.Conn, t *schema.Table, batches []schema.Batch, rows []load.FoldedRow) error {
	types := make([]duckdb.TypeInfo, len(t.Columns))
	for i, c := range t.Columns {
		var err error
		if types[i], err = stageTypeInfo(c); err != nil {
			return fmt.Errorf("inserting %s: %w", t.Name, err)
		}
	}
	a, err := duckdb.NewQueryAppender(dc, firstSQL(t), firstRows, types, t.ColumnNames())
	if err != nil {
		return fmt.Errorf("inserting %s: %w", t.Name, err)
	}
	return fillAndClose(a, t.Name, func(a *duckdb.Appender) error {
		return appendFolded(a, t, batches, rows, false)
	})
}

// unrefreshedLoginData reports whether some LoginData table holds rows of
// a login that logins lacks or holds with last_refresh_at NULL.
func (d *Sink) unrefreshedLoginData(ctx context.Context) (bool, error) {
	for _, t := range schema.Tables {
		if !t.LoginData {
			continue
		}
		q := fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %s AS t WHERE NOT EXISTS (
			SELECT 1 FROM logins AS l WHERE l.login_id = t.login_id AND l.last_refresh_at IS NOT NULL))`, QuoteIdent(t.Name))
		var found bool
		if err := d.conn.QueryRowContext(ctx, q).Scan(&found); err != nil {
			return false, fmt.Errorf("warehouse %s: checking %s for unrefreshed logins: %w", d.path, t.Name, err)
		}
		if found {
			d.logger.Info("the warehouse holds data of logins it never refreshed: a login's first sync merges as a re-sync does", "path", d.path, "table", t.Name)
			return true, nil
		}
	}
	return false, nil
}

// firstSyncs returns the LoginIds whose rows in the LoginData tables the
// commit of batches may insert without merging, and whose scopes there it
// may drop: those it refreshes (a logins row with last_refresh_at) and the
// warehouse never has, with rows of theirs or without (a login with no
// account still declares that it holds none). When the batches write
// LoginData rows of a login they do not refresh and the warehouse never
// has, it returns none, and turns the first-sync path off for the rest of
// the sink's life (see above).
func (d *Sink) firstSyncs(ctx context.Context, batches []schema.Batch) (map[string]bool, error) {
	if d.mergeAll {
		return nil, nil
	}
	refreshes, writes := map[string]bool{}, map[string]bool{}
	id, refresh := schema.Logins.Index("login_id"), schema.Logins.Index("last_refresh_at")
	for _, b := range batches {
		for _, r := range b.Rows[schema.Logins.Name] {
			if login, ok := r[id].(string); ok && r[refresh] != nil {
				refreshes[login] = true
			}
		}
		for _, t := range schema.Tables {
			if !t.LoginData || len(b.Rows[t.Name]) == 0 {
				continue
			}
			li, last := t.Index("login_id"), ""
			for _, r := range b.Rows[t.Name] {
				if login, ok := r[li].(string); ok && login != last {
					writes[login], last = true, login // a batch's rows are mostly one login's
				}
			}
		}
	}
	if len(refreshes) == 0 && len(writes) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(refreshes)+len(writes))
	for login := range refreshes {
		ids = append(ids, login)
	}
	for login := range writes {
		if !refreshes[login] {
			ids = append(ids, login)
		}
	}
	refreshed, err := d.refreshedLogins(ctx, ids)
	if err != nil {
		return nil, err
	}
	for login := range writes {
		if !refreshes[login] && !refreshed[login] {
			d.logger.Info("a commit writes data of a login it does not refresh: from now on a login's first sync merges as a re-sync does", "path", d.path)
			d.mergeAll = true
			return nil, nil
		}
	}
	first := map[string]bool{}
	for login := range refreshes {
		if !refreshed[login] {
			first[login] = true
		}
	}
	if len(first) > 0 && !d.checked {
		if d.mergeAll, err = d.unrefreshedLoginData(ctx); err != nil || d.mergeAll {
			return nil, err
		}
		d.checked = true
	}
	return first, nil
}

// refreshedLogins returns those of ids that logins holds with
// last_refresh_at set.
func (d *Sink) refreshedLogins(ctx context.Context, ids []string) (map[string]bool, error) {
	refreshed, err := nameSet(ctx, d.conn,
		"SELECT login_id FROM logins WHERE last_refresh_at IS NOT NULL AND login_id IN (SELECT unnest(CAST(? AS VARCHAR[])))", ids)
	if err != nil {
		return nil, fmt.Errorf("warehouse %s: reading which logins it refreshed: %w", d.path, err)
	}
	return refreshed, nil
}

// splitFirst moves out of rows, t's rows folded for the commit, those the
// commit inserts without merging: the rows of d.first's logins (of the
// first round, for a Latest table).
func (d *Sink) splitFirst(t *schema.Table, rows []load.FoldedRow) (merged, first []load.FoldedRow) {
	if !t.LoginData || len(d.first) == 0 {
		return rows, nil
	}
	li := t.Index("login_id")
	merged = rows[:0:0]
	for _, r := range rows {
		if login, ok := r.Values[li].(string); ok && d.first[login] && r.Round == 0 {
			first = append(first, r)
		} else {
			merged = append(merged, r)
		}
	}
	return merged, first
}

// firstScope reports whether a scope tuple of t, of the given round, is one
// of a login the commit inserts without merging: such a scope covers no
// stored row, so it is not staged. A tuple starts with t.ScopeBy's values
// (schema.Table.ScopeColumns), which name the login of a LoginData table.
func (d *Sink) firstScope(t *schema.Table, tuple []any, round int) bool {
	if !t.LoginData || len(d.first) == 0 || round != 0 {
		return false
	}
	i := slices.Index(t.ScopeBy, "login_id")
	if i < 0 {
		return false
	}
	login, ok := tuple[i].(string)
	return ok && d.first[login]
}
