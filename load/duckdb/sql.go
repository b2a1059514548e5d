// Package duckdb is the DuckDB sink (Sink, a warehouse file; Kind, its place
// in the CLI) and the DuckDB dialect of the warehouse: the DDL and
// migrations of a DuckDB file (schema.Tables at each version, with their
// descriptions as comments), the analyst views and the data dictionary, the
// statements that merge a commit into a table as its schema.Merge says, the
// ledger's queries, the read-only lockdown of a reader, and the rendering of
// a query's typed results. Nothing outside this package writes DuckDB SQL:
// the Parquet sink drives an in-memory DuckDB through its ParquetEngine and
// reads its dataset through OpenParquetCatalog.
package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/syncer/syncer/schema"
)

// QuoteIdent quotes an SQL identifier.
func QuoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// QuoteLiteral quotes an SQL string literal.
func QuoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// TypeSQL returns DuckDB's spelling of a column type.
func TypeSQL(t schema.Type) string {
	switch t.Kind {
	case schema.KindVarchar:
		return "VARCHAR"
	case schema.KindDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Width, t.Scale)
	case schema.KindDate:
		return "DATE"
	case schema.KindTimestamp:
		return "TIMESTAMP"
	case schema.KindBoolean:
		return "BOOLEAN"
	case schema.KindBigInt:
		return "BIGINT"
	case schema.KindJSON:
		return "JSON"
	}
	panic(fmt.Sprintf("duckdb: unknown kind %d", t.Kind))
}

// idents is the comma-separated list of the quoted names, each after prefix
// (a table alias and its dot, or "").
func idents(names []string, prefix string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + QuoteIdent(n)
	}
	return strings.Join(out, ", ")
}

// match is the condition a.c = b.c over the columns.
func match(columns []string, a, b string) string {
	conds := make([]string, len(columns))
	for i, name := range columns {
		q := QuoteIdent(name)
		conds[i] = fmt.Sprintf("%s.%s = %s.%s", a, q, b, q)
	}
	return strings.Join(conds, " AND ")
}

// querier is what runs a query: a *sql.DB, *sql.Conn or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// nameSet runs query with args, which selects one text column, and
// returns its values as a set.
func nameSet(ctx context.Context, q querier, query string, args ...any) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names[name] = true
	}
	return names, rows.Err()
}
