package load

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syncer/syncer/schema"
)

// The DuckDB sink stages a commit's rows in two temporary tables per table,
// in the writer connection's session:
//
//	stage_<table>  the rows, with _batch (index of the batch in the call) and
//	               _seq (position in the call: a later row wins)
//	scope_<table>  for ReplaceScope tables, the ScopeBy tuples of each batch,
//	               declared or implied by its rows, with _batch
//
// and merges them into the table with the statements ddbMergeSQL derives
// from the table's definition, so a new column needs no change here.

func ddbStageName(t *schema.Table) string { return schema.QuoteIdent("stage_" + t.Name) }
func ddbScopeName(t *schema.Table) string { return schema.QuoteIdent("scope_" + t.Name) }

// ddbStageType is the staging type of a column: JSON is staged as VARCHAR
// (the Appender would JSON-encode a Go string again) and cast on merge.
func ddbStageType(c schema.Column) string {
	if c.Type.Kind == schema.KindJSON {
		return "VARCHAR"
	}
	return c.Type.DuckDB()
}

// ddbStagingSQL returns the statements that (re)create t's staging tables.
func ddbStagingSQL(t *schema.Table) []string {
	defs := make([]string, 0, len(t.Columns)+2)
	for _, c := range t.Columns {
		defs = append(defs, schema.QuoteIdent(c.Name)+" "+ddbStageType(c))
	}
	defs = append(defs, "_batch INTEGER", "_seq BIGINT")
	stmts := []string{fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s (%s)", ddbStageName(t), strings.Join(defs, ", "))}
	if t.Merge == schema.ReplaceScope {
		scope := make([]string, 0, len(t.ScopeBy)+1)
		for _, name := range t.ScopeBy {
			scope = append(scope, schema.QuoteIdent(name)+" "+t.Columns[t.Index(name)].Type.DuckDB())
		}
		scope = append(scope, "_batch INTEGER")
		stmts = append(stmts, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s (%s)", ddbScopeName(t), strings.Join(scope, ", ")))
	}
	return stmts
}

func ddbIdents(names []string, prefix string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + schema.QuoteIdent(n)
	}
	return strings.Join(out, ", ")
}

// ddbLatest selects t's staged rows, one per key: the last staged when
// last, else the first.
func ddbLatest(t *schema.Table, where string, last bool) string {
	order := "ASC"
	if last {
		order = "DESC"
	}
	return fmt.Sprintf("SELECT %s FROM %s AS r%s QUALIFY row_number() OVER (PARTITION BY %s ORDER BY _seq %s) = 1",
		ddbIdents(t.ColumnNames(), "r."), ddbStageName(t), where, ddbIdents(t.Key, "r."), order)
}

// ddbMergeSQL returns the statements that merge t's staged rows into t as
// t.Merge says, within the commit's transaction.
func ddbMergeSQL(t *schema.Table) []string {
	target, cols := schema.QuoteIdent(t.Name), ddbIdents(t.ColumnNames(), "")
	switch t.Merge {
	case schema.Upsert:
		return []string{fmt.Sprintf("INSERT OR REPLACE INTO %s (%s) %s", target, cols, ddbLatest(t, "", true))}
	case schema.InsertIfNew:
		return []string{fmt.Sprintf("INSERT OR IGNORE INTO %s (%s) %s", target, cols, ddbLatest(t, "", false))}
	case schema.Coalesce:
		return []string{ddbCoalesceSQL(t)}
	case schema.ReplaceScope:
		match := func(alias string) string {
			conds := make([]string, len(t.ScopeBy))
			for i, name := range t.ScopeBy {
				q := schema.QuoteIdent(name)
				conds[i] = fmt.Sprintf("s.%s = %s.%s", q, alias, q)
			}
			return strings.Join(conds, " AND ")
		}
		// A row is kept unless a later batch of the call replaces its scope.
		newer := fmt.Sprintf(" WHERE NOT EXISTS (SELECT 1 FROM %s AS s WHERE %s AND s._batch > r._batch)", ddbScopeName(t), match("r"))
		return []string{
			fmt.Sprintf("DELETE FROM %s WHERE EXISTS (SELECT 1 FROM %s AS s WHERE %s)", target, ddbScopeName(t), match(target)),
			fmt.Sprintf("INSERT INTO %s (%s) %s", target, cols, ddbLatest(t, newer, true)),
		}
	}
	panic(fmt.Sprintf("load: table %s has unknown merge %d", t.Name, t.Merge))
}

// ddbCoalesceSQL upserts one row per key whose every column is the last
// non-NULL value staged for it, and keeps the stored value where that is NULL.
func ddbCoalesceSQL(t *schema.Table) string {
	target := schema.QuoteIdent(t.Name)
	var selects, sets []string
	for _, c := range t.Columns {
		q := schema.QuoteIdent(c.Name)
		if slices.Contains(t.Key, c.Name) {
			selects = append(selects, q)
			continue
		}
		selects = append(selects, fmt.Sprintf("arg_max(%s, _seq) FILTER (WHERE %s IS NOT NULL) AS %s", q, q, q))
		sets = append(sets, fmt.Sprintf("%s = coalesce(excluded.%s, %s.%s)", q, q, target, q))
	}
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s GROUP BY %s ON CONFLICT (%s) DO UPDATE SET %s",
		target, ddbIdents(t.ColumnNames(), ""), strings.Join(selects, ", "), ddbStageName(t),
		ddbIdents(t.Key, ""), ddbIdents(t.Key, ""), strings.Join(sets, ", "))
}
