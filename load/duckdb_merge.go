package load

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syncer/syncer/schema"
)

// The DuckDB sink stages a commit's rows in temporary tables, in the writer
// connection's session:
//
//	stage_<table>  the call's rows, at most one per key (see ddbWinners)
//	scope_<table>  for ReplaceScope tables, the distinct ScopeBy tuples the
//	               call's batches replace
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
	defs := make([]string, 0, len(t.Columns))
	for _, c := range t.Columns {
		defs = append(defs, schema.QuoteIdent(c.Name)+" "+ddbStageType(c))
	}
	stmts := []string{fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s (%s)", ddbStageName(t), strings.Join(defs, ", "))}
	if t.Merge == schema.ReplaceScope {
		scope := make([]string, 0, len(t.ScopeBy))
		for _, name := range t.ScopeBy {
			scope = append(scope, schema.QuoteIdent(name)+" "+t.Columns[t.Index(name)].Type.DuckDB())
		}
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

// ddbMergeSQL returns the statements that merge t's staged rows into t as
// t.Merge says, within the commit's transaction. The staged rows have
// unique keys already.
func ddbMergeSQL(t *schema.Table) []string {
	target, cols := schema.QuoteIdent(t.Name), ddbIdents(t.ColumnNames(), "")
	staged := fmt.Sprintf("SELECT %s FROM %s", cols, ddbStageName(t))
	switch t.Merge {
	case schema.Upsert:
		return []string{fmt.Sprintf("INSERT OR REPLACE INTO %s (%s) %s", target, cols, staged)}
	case schema.InsertIfNew:
		return []string{fmt.Sprintf("INSERT OR IGNORE INTO %s (%s) %s", target, cols, staged)}
	case schema.Coalesce:
		var sets []string
		for _, c := range t.Columns {
			if !slices.Contains(t.Key, c.Name) {
				q := schema.QuoteIdent(c.Name)
				sets = append(sets, fmt.Sprintf("%s = coalesce(excluded.%s, %s.%s)", q, q, target, q))
			}
		}
		return []string{fmt.Sprintf("INSERT INTO %s (%s) %s ON CONFLICT (%s) DO UPDATE SET %s",
			target, cols, staged, ddbIdents(t.Key, ""), strings.Join(sets, ", "))}
	case schema.ReplaceScope:
		conds := make([]string, len(t.ScopeBy))
		for i, name := range t.ScopeBy {
			q := schema.QuoteIdent(name)
			conds[i] = fmt.Sprintf("s.%s = %s.%s", q, target, q)
		}
		return []string{
			fmt.Sprintf("DELETE FROM %s WHERE EXISTS (SELECT 1 FROM %s AS s WHERE %s)", target, ddbScopeName(t), strings.Join(conds, " AND ")),
			fmt.Sprintf("INSERT INTO %s (%s) %s", target, cols, staged),
		}
	}
	panic(fmt.Sprintf("load: table %s has unknown merge %d", t.Name, t.Merge))
}
