// Package schema is the one place a warehouse table or column is defined.
//
// Every table's columns, types, keys and merge behaviour live in Tables. The
// DuckDB DDL, the Parquet layout, the data dictionary and the loaders' merge
// statements are all derived from these definitions, so adding a column means
// editing this package and the transform that fills it, and nothing else.
package schema

import (
	"fmt"
	"time"
)

// Kind is the logical type of a column.
type Kind int

const (
	KindVarchar   Kind = iota // Go value: string
	KindDecimal               // Go value: Decimal (exact), at the column's Width and Scale
	KindDate                  // Go value: time.Time at midnight UTC
	KindTimestamp             // Go value: time.Time, stored as its UTC instant
	KindBoolean               // Go value: bool
	KindBigInt                // Go value: int64
	KindJSON                  // Go value: string holding a JSON document
)

// Type is a column type. Width and Scale only apply to Decimal.
type Type struct {
	Kind  Kind
	Width int
	Scale int
}

// Exact is the type of every money, price and quantity column: 38 digits with
// 18 after the point, wide enough for any amount Flinks sends and exact under SUM.
var Exact = Type{Kind: KindDecimal, Width: 38, Scale: 18}

// DuckDB returns the DuckDB spelling of the type.
func (t Type) DuckDB() string {
	switch t.Kind {
	case KindVarchar:
		return "VARCHAR"
	case KindDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Width, t.Scale)
	case KindDate:
		return "DATE"
	case KindTimestamp:
		return "TIMESTAMP"
	case KindBoolean:
		return "BOOLEAN"
	case KindBigInt:
		return "BIGINT"
	case KindJSON:
		return "JSON"
	}
	panic(fmt.Sprintf("schema: unknown kind %d", t.Kind))
}

// Column is one column of a table.
type Column struct {
	Name     string
	Type     Type
	Nullable bool
	Doc      string // one line, for the data dictionary
	// Since is the schema version that added the column (1 for the first).
	Since int
}

// Merge says how a commit's rows combine with what a table already holds.
type Merge int

const (
	// Upsert replaces the row with the same key, or inserts it.
	Upsert Merge = iota
	// InsertIfNew inserts rows whose key is absent and leaves existing rows as
	// they are, except for the Table.Greatest columns.
	InsertIfNew
	// Coalesce upserts, but a NULL in the new row keeps the stored value, so a
	// partial reference never erases what a fuller one recorded.
	Coalesce
	// ReplaceScope deletes every row matching one of the batch's scope tuples
	// (over Table.ScopeBy columns), then inserts the batch's rows.
	ReplaceScope
)

// Table is one warehouse table.
type Table struct {
	Name    string
	Doc     string
	Columns []Column
	Key     []string // primary key, in order
	Merge   Merge
	// ScopeBy lists the columns whose values identify what a ReplaceScope
	// commit replaces (for positions: login_id and as_of_date).
	ScopeBy []string
	// PartitionBy lists the Hive partition columns of the Parquet dataset.
	PartitionBy []string
	// Greatest lists, for an InsertIfNew table, the nullable columns that
	// keep the greatest non-NULL value any row of the key has given (for an
	// instant, the newest), whatever the order the rows come in; the other
	// columns keep the first row's values. A NULL never erases a value.
	Greatest []string
}

// Row is one row of a table: one value per column, in Table.Columns order.
// A nil element is SQL NULL.
type Row []any

// Index returns the position of the named column, or -1.
func (t *Table) Index(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// ColumnNames returns the column names in order.
func (t *Table) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// Batch is one commit unit: everything one login contributes to one run.
// A sink makes a Batch visible whole or not at all.
type Batch struct {
	RunID   string
	LoginID string
	// Rows holds each table's new rows, keyed by table name.
	Rows map[string][]Row
	// Scopes holds, for ReplaceScope tables, the ScopeBy tuples this batch
	// replaces (even those for which it has no rows).
	Scopes map[string][]Row
}

// DateOf returns the DATE value for t: midnight UTC of t's calendar day in UTC.
func DateOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
