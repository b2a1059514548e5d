package duckdb

import (
	"fmt"
	"strings"

	"github.com/syncer/syncer/schema"
)

// CreateTableSQL returns the CREATE TABLE statement for t at the current
// version: every column with its DuckDB type, NOT NULL unless nullable, and
// the primary key where schema.Table.IndexedKey says so.
func CreateTableSQL(t *schema.Table) string { return CreateTableSQLAt(t, schema.Version()) }

// CreateTableSQLAt returns t's CREATE TABLE statement as schema version v
// wrote it, or "" if t has no column at v (the table did not exist yet).
func CreateTableSQLAt(t *schema.Table, v int) string {
	cols := t.ColumnsAt(v)
	if len(cols) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n", QuoteIdent(t.Name))
	for _, c := range cols {
		fmt.Fprintf(&b, "\t%s %s", QuoteIdent(c.Name), TypeSQL(c.Type))
		if !c.Nullable {
			b.WriteString(" NOT NULL")
		}
		b.WriteString(",\n")
	}
	if !t.IndexedKey() {
		return strings.TrimSuffix(b.String(), ",\n") + "\n)"
	}
	keys := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = QuoteIdent(k)
	}
	fmt.Fprintf(&b, "\tPRIMARY KEY (%s)\n)", strings.Join(keys, ", "))
	return b.String()
}

// AddColumnSQL returns the ALTER TABLE statement that adds c to t. DuckDB
// cannot add a column with a constraint, so the column is added nullable:
// rows written before the migration hold NULL in it.
func AddColumnSQL(t *schema.Table, c schema.Column) string {
	return fmt.Sprintf("ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s", QuoteIdent(t.Name), QuoteIdent(c.Name), TypeSQL(c.Type))
}

// CommentSQL returns the COMMENT ON statements that store the descriptions
// of t and of its columns at version v in the warehouse catalog, where
// duckdb_tables() and duckdb_columns() show them.
func CommentSQL(t *schema.Table, v int) []string {
	if len(t.ColumnsAt(v)) == 0 {
		return nil
	}
	stmts := []string{fmt.Sprintf("COMMENT ON TABLE %s IS %s", QuoteIdent(t.Name), QuoteLiteral(t.Doc))}
	for _, c := range t.ColumnsAt(v) {
		stmts = append(stmts, fmt.Sprintf("COMMENT ON COLUMN %s.%s IS %s", QuoteIdent(t.Name), QuoteIdent(c.Name), QuoteLiteral(c.Doc)))
	}
	return stmts
}
