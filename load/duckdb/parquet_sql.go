package duckdb

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/syncer/syncer/schema"
)

// The SQL of the ParquetEngine. It works on scratch tables per table and
// commit, in an in-memory DuckDB:
//
//	stage  the commit's new rows, with _pid (the number of their file, as
//	       the sink numbers the files a commit touches), _b (batch index)
//	       and _s (a sequence number over the whole commit: later wins)
//	scope  for ReplaceScope and Latest tables, the batches' scope tuples, with _b
//	rounds for Latest tables, the round (_r) of each batch (_b): see load.LatestRounds
//	cur    a view of the current rows of every touched file, with _pid
//
// mergeSQL selects the merged rows of the touched files, with _pid, and
// writeSQL writes them as one file per _pid.
const (
	stageTable = "stage"
	scopeTable = "scope"
	curTable   = "cur"
)

// columnDefs is the column list of a CREATE TABLE for t's columns. Scratch
// tables have no NOT NULL or key constraints: the merge enforces keys, and
// NOT NULL is checked when rows are staged.
func columnDefs(cols []schema.Column) string {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = QuoteIdent(c.Name) + " " + TypeSQL(c.Type)
	}
	return strings.Join(defs, ", ")
}

// createStageSQL creates the staging table. JSON columns are staged as
// VARCHAR, since the Appender would JSON-encode a Go string a second time;
// typeStageSQL gives them their type once the rows are in.
func createStageSQL(t *schema.Table) string {
	cols := slices.Clone(t.Columns)
	for i := range cols {
		if cols[i].Type.Kind == schema.KindJSON {
			cols[i].Type = schema.Type{Kind: schema.KindVarchar}
		}
	}
	return fmt.Sprintf("CREATE OR REPLACE TABLE %s (%s, _pid INTEGER, _b INTEGER, _s BIGINT)", stageTable, columnDefs(cols))
}

// typeStageSQL returns the statements that cast the staged JSON text to JSON.
func typeStageSQL(t *schema.Table) []string {
	var stmts []string
	for _, c := range t.Columns {
		if c.Type.Kind == schema.KindJSON {
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET DATA TYPE JSON", stageTable, QuoteIdent(c.Name)))
		}
	}
	return stmts
}

func createScopeSQL(t *schema.Table) string {
	return fmt.Sprintf("CREATE OR REPLACE TABLE %s (%s, _b INTEGER)", scopeTable, columnDefs(t.ScopeColumns()))
}

// curViewSQL defines cur over the existing files (absolute path -> _pid),
// read in place: one scan, no copy. Columns no file has yet (added to the
// schema since) read as NULL; present lists the columns the files have.
func curViewSQL(t *schema.Table, files map[string]int32, present map[string]bool) string {
	var list, cases, cols []string
	for _, path := range slices.Sorted(maps.Keys(files)) {
		list = append(list, QuoteLiteral(path))
		cases = append(cases, fmt.Sprintf("WHEN %s THEN %d", QuoteLiteral(path), files[path]))
	}
	for _, c := range t.Columns {
		if present[c.Name] && c.Type.Kind == schema.KindTimestamp {
			cols = append(cols, readInstantSQL(QuoteIdent(c.Name))+" AS "+QuoteIdent(c.Name))
		} else if present[c.Name] {
			cols = append(cols, QuoteIdent(c.Name))
		} else {
			cols = append(cols, fmt.Sprintf("CAST(NULL AS %s) AS %s", TypeSQL(c.Type), QuoteIdent(c.Name)))
		}
	}
	return fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT %s, CASE filename %s END AS _pid FROM %s",
		curTable, strings.Join(cols, ", "), strings.Join(cases, " "), readFilesSQL(list))
}

// readFilesSQL is the read_parquet call over the quoted absolute paths.
func readFilesSQL(quoted []string) string {
	return fmt.Sprintf("read_parquet([%s], filename = true, hive_partitioning = false, union_by_name = true)", strings.Join(quoted, ", "))
}

// emptyCurSQL defines cur as empty, for a commit that touches no existing file.
func emptyCurSQL(t *schema.Table) string {
	return fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT %s, _pid FROM %s WHERE false", curTable, idents(t.ColumnNames(), ""), stageTable)
}

// mergeSQL returns the query of the merged content of every touched file,
// with _pid, per the table's merge rule. Keys never span files (the file
// is a function of key columns), so merging the touched files is merging the
// table.
func mergeSQL(t *schema.Table) string {
	cols := idents(t.ColumnNames(), "")
	key := idents(t.Key, "")
	lastPerKey := fmt.Sprintf("SELECT %s, _pid FROM %s QUALIFY row_number() OVER (PARTITION BY %s ORDER BY _s DESC) = 1", cols, stageTable, key)
	var q string
	switch t.Merge {
	case schema.Upsert:
		q = fmt.Sprintf("SELECT %[1]s, %[2]s._pid FROM %[2]s ANTI JOIN %[3]s USING (%[4]s) UNION ALL %[5]s",
			idents(t.ColumnNames(), curTable+"."), curTable, stageTable, key, lastPerKey)
	case schema.InsertIfNew:
		if len(t.Greatest) > 0 {
			q = insertGreatestSQL(t)
			break
		}
		q = fmt.Sprintf("SELECT %[1]s, _pid FROM %[2]s UNION ALL SELECT %[1]s, _pid FROM (SELECT %[3]s.* FROM %[3]s ANTI JOIN %[2]s USING (%[4]s)) QUALIFY row_number() OVER (PARTITION BY %[4]s ORDER BY _s) = 1",
			cols, curTable, stageTable, key)
	case schema.Coalesce:
		q = coalesceSQL(t)
	case schema.Latest:
		q = latestSelectSQL(t, "(SELECT max(_r) FROM "+roundsTable+")")
	case schema.ReplaceScope:
		scope := idents(t.ScopeBy, "")
		var match []string
		for _, c := range t.ScopeBy {
			match = append(match, fmt.Sprintf("%[1]s.%[3]s = %[2]s.%[3]s", scopeTable, stageTable, QuoteIdent(c)))
		}
		// Existing rows survive unless a scope of the commit or a new row
		// with their key replaces them; a batch's rows survive unless a
		// later batch of the same commit replaces their scope.
		q = fmt.Sprintf(`SELECT k.* FROM (SELECT %[2]s.* FROM %[2]s ANTI JOIN %[3]s USING (%[5]s)) k ANTI JOIN %[4]s USING (%[6]s)
UNION ALL
SELECT %[1]s, _pid FROM %[4]s WHERE NOT EXISTS (SELECT 1 FROM %[3]s WHERE %[7]s AND %[3]s._b > %[4]s._b)
QUALIFY row_number() OVER (PARTITION BY %[6]s ORDER BY _s DESC) = 1`,
			idents(t.ColumnNames(), ""), curTable, scopeTable, stageTable, scope, key, strings.Join(match, " AND "))
	default:
		panic(fmt.Sprintf("parquet: table %s: unknown merge %d", t.Name, t.Merge))
	}
	return q
}

// coalesceSQL merges so that each column takes the last non-NULL value the
// commit staged for the key, else the stored value: a NULL never erases.
func coalesceSQL(t *schema.Table) string {
	var agg, pick []string
	for _, c := range t.Columns {
		id := QuoteIdent(c.Name)
		if isKey(t, c.Name) {
			pick = append(pick, id)
			continue
		}
		agg = append(agg, fmt.Sprintf("arg_max(%[1]s, _s) FILTER (WHERE %[1]s IS NOT NULL) AS %[1]s", id))
		pick = append(pick, fmt.Sprintf("coalesce(n.%[1]s, %[2]s.%[1]s) AS %[1]s", id, curTable))
	}
	key := idents(t.Key, "")
	return fmt.Sprintf(`SELECT %[1]s, n._pid FROM (SELECT %[2]s, any_value(_pid) AS _pid, %[3]s FROM %[4]s GROUP BY %[2]s) n LEFT JOIN %[5]s USING (%[2]s)
UNION ALL
SELECT %[6]s, %[5]s._pid FROM %[5]s ANTI JOIN %[4]s USING (%[2]s)`,
		strings.Join(pick, ", "), key, strings.Join(agg, ", "), stageTable, curTable, idents(t.ColumnNames(), curTable+"."))
}

// insertGreatestSQL merges an InsertIfNew table with Greatest columns: a key
// keeps its first row (the stored one, else the commit's first), except that
// each Greatest column takes the greatest non-NULL value among the stored
// one and those the commit staged for the key.
func insertGreatestSQL(t *schema.Table) string {
	key := idents(t.Key, "")
	var greatest, stored, first []string
	for _, c := range t.Columns {
		id := QuoteIdent(c.Name)
		switch {
		case isKey(t, c.Name):
			stored, first = append(stored, id), append(first, id)
		case slices.Contains(t.Greatest, c.Name):
			greatest = append(greatest, fmt.Sprintf("max(%[1]s) AS %[1]s", id))
			stored = append(stored, fmt.Sprintf("greatest(coalesce(l.%[1]s, %[2]s.%[1]s), coalesce(%[2]s.%[1]s, l.%[1]s)) AS %[1]s", id, curTable))
			first = append(first, fmt.Sprintf("l.%[1]s", id))
		default:
			stored, first = append(stored, curTable+"."+id), append(first, "f."+id)
		}
	}
	return fmt.Sprintf(`WITH l AS (SELECT %[1]s, %[2]s FROM %[3]s GROUP BY %[1]s),
f AS (SELECT %[3]s.* FROM %[3]s ANTI JOIN %[4]s USING (%[1]s) QUALIFY row_number() OVER (PARTITION BY %[1]s ORDER BY _s) = 1)
SELECT %[5]s, %[4]s._pid FROM %[4]s LEFT JOIN l USING (%[1]s)
UNION ALL
SELECT %[6]s, f._pid FROM f JOIN l USING (%[1]s)`,
		key, strings.Join(greatest, ", "), stageTable, curTable, strings.Join(stored, ", "), strings.Join(first, ", "))
}

func isKey(t *schema.Table, name string) bool {
	for _, k := range t.Key {
		if k == name {
			return true
		}
	}
	return false
}

// writeSQL writes the merged rows as one Parquet file per touched file, at
// dir/_pid=N/data_0.parquet (PARTITION_BY drops _pid from the files), each
// sorted by key, with instants UTC-adjusted (storedSQL). Sorting costs about
// 10% of a large commit and makes files 2-3x smaller, deterministic, and
// prunable by login_id.
func writeSQL(t *schema.Table, dir string) string {
	return fmt.Sprintf("COPY (%s ORDER BY _pid, %s) TO %s (FORMAT parquet, PARTITION_BY (_pid), COMPRESSION zstd)",
		storedSQL(t, mergeSQL(t)), idents(t.Key, ""), QuoteLiteral(dir))
}

// Instants are written as UTC-adjusted Parquet timestamps
// (isAdjustedToUTC=true, which DuckDB reads as TIMESTAMPTZ and Spark as
// TIMESTAMP), since a warehouse TIMESTAMP is a UTC instant. storedInstantSQL
// turns a TIMESTAMP expression into what a file stores, and readInstantSQL
// reads a file's column back as the UTC TIMESTAMP, whatever the session's
// TimeZone. (A file written before instants were UTC-adjusted holds a plain
// TIMESTAMP, which the cast reads in the session's TimeZone: the writer's
// engine and OpenCatalog use UTC.)
func storedInstantSQL(expr string) string { return fmt.Sprintf("timezone('UTC', %s)", expr) }

func readInstantSQL(expr string) string {
	return fmt.Sprintf("timezone('UTC', CAST(%s AS TIMESTAMPTZ))", expr)
}

// storedInstants is the REPLACE list that turns t's rows, in the table's own
// types, into what its files store; "" when t has no instant.
func storedInstants(t *schema.Table) string {
	var cols []string
	for _, c := range t.Columns {
		if c.Type.Kind == schema.KindTimestamp {
			id := QuoteIdent(c.Name)
			cols = append(cols, storedInstantSQL(id)+" AS "+id)
		}
	}
	return strings.Join(cols, ", ")
}

// storedSQL wraps a query of t's rows so that it selects what t's files store.
func storedSQL(t *schema.Table, query string) string {
	if r := storedInstants(t); r != "" {
		return fmt.Sprintf("SELECT * REPLACE (%s) FROM (%s)", r, query)
	}
	return fmt.Sprintf("SELECT * FROM (%s)", query)
}
