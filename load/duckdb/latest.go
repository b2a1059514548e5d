package duckdb

import (
	"fmt"
	"strings"

	"github.com/syncer/syncer/schema"
)

// The SQL of the Latest merge (schema.Latest), which the DuckDB sink and
// the Parquet engine share; load.LatestRounds splits a call's batches into
// the rounds they merge one after the other.

// latestCovers is the condition that scope tuple s covers row r of t.
func latestCovers(t *schema.Table, r, s string) string {
	cond := match(t.ScopeBy, r, s)
	if t.ScopeRange != "" {
		cond += fmt.Sprintf(" AND %s.%s BETWEEN %s.%s AND %s.%s", r, QuoteIdent(t.ScopeRange),
			s, QuoteIdent(schema.ScopeFrom), s, QuoteIdent(schema.ScopeTo))
	}
	return cond
}

// latestChanged is the condition that the sighting n holds a value other
// than the stored row o's in a column of t.Compared(). JSON is compared as
// the column stores it.
func latestChanged(t *schema.Table, o, n string) string {
	var conds []string
	for _, name := range t.Compared() {
		q := QuoteIdent(name)
		nv := n + "." + q
		if c := t.Columns[t.Index(name)]; c.Type.Kind == schema.KindJSON {
			nv = fmt.Sprintf("CAST(%s AS %s)", nv, TypeSQL(c.Type))
		}
		conds = append(conds, fmt.Sprintf("%s.%s IS DISTINCT FROM %s", o, q, nv))
	}
	if len(conds) == 0 {
		return "false"
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

// latestRewrites is the condition that the sighting n rewrites the stored
// row o: always when t keeps a LastSeen mark, which every sighting moves;
// otherwise only when a compared value changed or the row was gone. A
// sighting that would change nothing but the lineage leaves the row as it
// is: run_id and synced_at keep naming the run that wrote its values, and a
// re-sync of unchanged transactions writes nothing.
func latestRewrites(t *schema.Table, o, n string) string {
	m := t.Marks
	if m.LastSeen != "" {
		return "true"
	}
	cond := latestChanged(t, o, n)
	if m.Gone != "" {
		cond = fmt.Sprintf("(%s OR %s.%s IS NOT NULL)", cond, o, QuoteIdent(m.Gone))
	}
	return cond
}

// latestValue is the expression of column c of the row that the sighting n
// leaves, given the stored row o: o is "" when there is none, and stored,
// when not "", is the condition that o is a stored row (for an outer join).
// Values and lineage come from n; the marks follow schema.Marks. It applies
// where latestRewrites holds.
func latestValue(t *schema.Table, c schema.Column, o, n, stored string) string {
	m, q := t.Marks, QuoteIdent(c.Name)
	seen := n + "." + QuoteIdent(m.SeenAt)
	null := fmt.Sprintf("CAST(NULL AS %s)", TypeSQL(c.Type))
	switch c.Name {
	case m.FirstSeen:
		if o == "" {
			return seen
		}
		return fmt.Sprintf("coalesce(%s.%s, %s.%s, %s)", o, q, o, QuoteIdent(m.SeenAt), seen)
	case m.LastSeen:
		return seen
	case m.Changed:
		if o == "" {
			return null
		}
		changed := latestChanged(t, o, n)
		if stored != "" {
			changed = stored + " AND " + changed
		}
		return fmt.Sprintf("CASE WHEN %s THEN %s ELSE %s.%s END", changed, seen, o, q)
	case m.Gone:
		return null
	}
	return n + "." + q
}

// latestGoneSQL is the query of the stored rows of cur (alias o) that are
// not gone yet, that a scope of scope covers and that stage does not carry,
// with their key and _at, the earliest instant of the scopes covering them.
func latestGoneSQL(t *schema.Table, cur, stage, scope string) string {
	keys := idents(t.Key, "o.")
	return fmt.Sprintf("SELECT %[1]s, min(s.%[2]s) AS _at FROM %[3]s AS o JOIN %[4]s AS s ON %[5]s WHERE o.%[8]s IS NULL AND NOT EXISTS (SELECT 1 FROM %[6]s AS n WHERE %[7]s) GROUP BY %[1]s",
		keys, QuoteIdent(schema.ScopeAt), cur, scope, latestCovers(t, "o", "s"), stage, match(t.Key, "n", "o"), QuoteIdent(t.Marks.Gone))
}
