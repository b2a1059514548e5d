package duckdb

import (
	"fmt"
	"slices"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/syncer/syncer/schema"
)

// The DuckDB sink stages a commit's rows in temporary tables, in the writer
// connection's session:
//
//	stage_<table>  the call's rows, at most one per key (see load.FoldRows);
//	               for Latest tables, one per key and round, with the round
//	               in _r (see load.LatestRounds)
//	scope_<table>  for ReplaceScope tables, the distinct ScopeBy tuples the
//	               call's batches replace; for Latest tables, the scope
//	               tuples the batches declare, with their round in _r
//
// and merges them into the table with the statements tableMergeSQL derives
// from the table's definition (per round for Latest tables), so a new
// column needs no change here. The rows of logins whose first sync this is
// go into their table directly, through a query Appender (see first.go).

func stageName(t *schema.Table) string { return QuoteIdent("stage_" + t.Name) }
func scopeName(t *schema.Table) string { return QuoteIdent("scope_" + t.Name) }

// stageType is the staging type of a column: JSON is staged as VARCHAR
// (the Appender would JSON-encode a Go string again) and cast on merge.
func stageType(c schema.Column) string {
	if c.Type.Kind == schema.KindJSON {
		return "VARCHAR"
	}
	return TypeSQL(c.Type)
}

// stageTypeInfo is stageType for an Appender that declares its columns (a
// query Appender's).
func stageTypeInfo(c schema.Column) (duckdb.TypeInfo, error) {
	var t duckdb.Type
	switch c.Type.Kind {
	case schema.KindVarchar, schema.KindJSON:
		t = duckdb.TYPE_VARCHAR
	case schema.KindDecimal:
		return duckdb.NewDecimalInfo(uint8(c.Type.Width), uint8(c.Type.Scale))
	case schema.KindDate:
		t = duckdb.TYPE_DATE
	case schema.KindTimestamp:
		t = duckdb.TYPE_TIMESTAMP
	case schema.KindBoolean:
		t = duckdb.TYPE_BOOLEAN
	case schema.KindBigInt:
		t = duckdb.TYPE_BIGINT
	default:
		return nil, fmt.Errorf("column %s: unknown kind %d", c.Name, c.Type.Kind)
	}
	return duckdb.NewTypeInfo(t)
}

// stagingSQL returns the statements that (re)create t's staging tables:
// stage_ and, for a scoped table, scope_ ("" for a table without scopes),
// which its merge statements read.
func stagingSQL(t *schema.Table) (stage, scope string) {
	defs := make([]string, 0, len(t.Columns)+1)
	for _, c := range t.Columns {
		defs = append(defs, QuoteIdent(c.Name)+" "+stageType(c))
	}
	if t.Merge == schema.Latest {
		defs = append(defs, "_r INTEGER")
	}
	stage = fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s (%s)", stageName(t), strings.Join(defs, ", "))
	if t.Scoped() {
		var cols []string
		for _, c := range t.ScopeColumns() {
			cols = append(cols, QuoteIdent(c.Name)+" "+TypeSQL(c.Type))
		}
		if t.Merge == schema.Latest {
			cols = append(cols, "_r INTEGER")
		}
		scope = fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s (%s)", scopeName(t), strings.Join(cols, ", "))
	}
	return stage, scope
}

// tableMergeSQL returns the statements that merge t's staged rows into t as
// t.Merge says, within the commit's transaction: for a Latest table, those
// of the given round (see latestMergeSQL); other tables have one. The staged
// rows have unique keys already (load.FoldRows). Rows whose key t holds are
// UPDATEd in place and the others INSERTed: measured here, this is several
// times faster than INSERT OR REPLACE / OR IGNORE, whose conflict handling
// in the primary key index dominated a re-sync, where most keys already
// exist.
func tableMergeSQL(t *schema.Table, round int) []string {
	switch t.Merge {
	case schema.Upsert:
		return upsertSQL(t, false)
	case schema.InsertIfNew:
		return append(greatestSQL(t), insertNewSQL(t))
	case schema.Coalesce:
		return upsertSQL(t, true)
	case schema.ReplaceScope:
		// The replaced scopes' rows go, the call's rows come. The table has
		// no key index (schema.Table.IndexedKey), so this is cheaper than an
		// upsert, and the semi-join on the scopes lets DuckDB skip row
		// groups of other dates.
		target := QuoteIdent(t.Name)
		return []string{
			fmt.Sprintf("DELETE FROM %s WHERE EXISTS (SELECT 1 FROM %s AS s WHERE %s)", target, scopeName(t), match(t.ScopeBy, "s", target)),
			fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", target, idents(t.ColumnNames(), ""), idents(t.ColumnNames(), ""), stageName(t)),
		}
	case schema.Latest:
		return latestMergeSQL(t, round)
	}
	panic(fmt.Sprintf("load: table %s has unknown merge %d", t.Name, t.Merge))
}

// upsertSQL updates the rows of t whose key is staged, with the staged
// values (or, when coalesce, with the staged values that are not NULL), and
// inserts the staged rows t lacks.
func upsertSQL(t *schema.Table, coalesce bool) []string {
	target := QuoteIdent(t.Name)
	var sets []string
	for _, c := range t.Columns {
		if slices.Contains(t.Key, c.Name) {
			continue
		}
		q := QuoteIdent(c.Name)
		if coalesce {
			sets = append(sets, fmt.Sprintf("%s = coalesce(n.%s, %s.%s)", q, q, target, q))
		} else {
			sets = append(sets, fmt.Sprintf("%s = n.%s", q, q))
		}
	}
	stmts := []string{insertNewSQL(t)}
	if len(sets) > 0 {
		update := fmt.Sprintf("UPDATE %s SET %s FROM %s AS n WHERE %s",
			target, strings.Join(sets, ", "), stageName(t), match(t.Key, "n", target))
		stmts = append([]string{update}, stmts...)
	}
	return stmts
}

// greatestSQL returns the statement that raises t's Greatest columns of
// the rows whose key is staged to the staged values where those are greater
// (a NULL on either side yields the other), or nothing when t has no
// Greatest column.
func greatestSQL(t *schema.Table) []string {
	if len(t.Greatest) == 0 {
		return nil
	}
	target := QuoteIdent(t.Name)
	sets := make([]string, len(t.Greatest))
	for i, name := range t.Greatest {
		q := QuoteIdent(name)
		sets[i] = fmt.Sprintf("%[1]s = greatest(coalesce(n.%[1]s, %[2]s.%[1]s), coalesce(%[2]s.%[1]s, n.%[1]s))", q, target)
	}
	return []string{fmt.Sprintf("UPDATE %s SET %s FROM %s AS n WHERE %s",
		target, strings.Join(sets, ", "), stageName(t), match(t.Key, "n", target))}
}

// insertNewSQL inserts the staged rows whose key t does not hold.
func insertNewSQL(t *schema.Table) string {
	target := QuoteIdent(t.Name)
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s AS n WHERE NOT EXISTS (SELECT 1 FROM %s AS x WHERE %s)",
		target, idents(t.ColumnNames(), ""), idents(t.ColumnNames(), "n."), stageName(t), target, match(t.Key, "x", "n"))
}

// latestMergeSQL returns the statements that merge round round of a Latest
// table's staged rows and scopes into t: mark the stored rows the round's
// scopes cover and its rows lack as gone (unless they are already), rewrite
// the stored rows the round sights (those latestRewrites selects), insert
// the others. The first statement only marks rows the others do not touch.
func latestMergeSQL(t *schema.Table, round int) []string {
	target := QuoteIdent(t.Name)
	stage := fmt.Sprintf("(SELECT * FROM %s WHERE _r = %d)", stageName(t), round)
	scope := fmt.Sprintf("(SELECT * FROM %s WHERE _r = %d)", scopeName(t), round)
	m := t.Marks
	var stmts []string
	if m.Gone != "" {
		gone := QuoteIdent(m.Gone)
		stmts = append(stmts, fmt.Sprintf("UPDATE %s SET %s = g._at FROM (%s) AS g WHERE %s",
			target, gone, latestGoneSQL(t, target, stage, scope), match(t.Key, "g", target)))
	}
	var sets, inserts []string
	for _, c := range t.Columns {
		inserts = append(inserts, latestValue(t, c, "", "n", ""))
		if !slices.Contains(t.Key, c.Name) {
			sets = append(sets, fmt.Sprintf("%s = %s", QuoteIdent(c.Name), latestValue(t, c, target, "n", "")))
		}
	}
	update := fmt.Sprintf("UPDATE %s SET %s FROM %s AS n WHERE %s", target, strings.Join(sets, ", "), stage, match(t.Key, "n", target))
	if rewrites := latestRewrites(t, target, "n"); rewrites != "true" {
		update += " AND " + rewrites
	}
	stmts = append(stmts, update,
		fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s AS n WHERE NOT EXISTS (SELECT 1 FROM %s AS x WHERE %s)",
			target, idents(t.ColumnNames(), ""), strings.Join(inserts, ", "), stage, target, match(t.Key, "x", "n")))
	return stmts
}
