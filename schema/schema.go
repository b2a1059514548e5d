// Package schema is the one place a warehouse table or column is defined.
//
// Every table's columns, types, keys, merge behaviour and versions live in
// Tables, in no engine's words. Each sink derives its own from them (the
// DuckDB DDL, migrations and merge statements in load/duckdb, the Parquet
// layout in load/parquet), and so does the data dictionary, so adding a
// column means editing this package and the transform that fills it, and
// nothing else.
package schema

import (
	"fmt"
	"slices"
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

// String names the type in the words of standard SQL, as the data
// dictionary and error messages show it: VARCHAR, DECIMAL(38,18), DATE,
// TIMESTAMP (a UTC instant), BOOLEAN, BIGINT, JSON. How an engine spells it
// is the engine's sink's business.
func (t Type) String() string {
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
	return fmt.Sprintf("kind %d", t.Kind)
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
	// Latest keeps one row per key that follows the source: each sighting
	// replaces the row's values, as Upsert, and the columns Table.Marks
	// names record the row's life. A batch may declare scopes, each saying
	// "these rows are all the source now holds of this part of the table";
	// a stored row that a scope covers and the batch does not carry is
	// marked gone (Marks.Gone), never deleted, and is otherwise kept as it
	// was. See Marks for what each mark holds, and ScopeColumns for what a
	// scope tuple holds.
	Latest
)

// Marks names the columns in which a Latest table records each row's life
// across syncs. The sinks derive these columns from SeenAt and the scopes;
// the values a batch's rows carry in them are ignored. All but SeenAt are
// optional ("" for none) and must be nullable TIMESTAMP columns: rows stored
// before a mark column existed hold NULL in it until they are seen again.
type Marks struct {
	// SeenAt is the NOT NULL TIMESTAMP column of a batch's row that says
	// when its sync fetched it (synced_at); the marks below take their time
	// from it, and from the scopes' instants.
	SeenAt string
	// FirstSeen is the SeenAt of the row's first sighting: set on insert and
	// kept after. A row stored without it (before the column existed) takes
	// its stored SeenAt when next seen: the earliest sighting still known.
	FirstSeen string
	// LastSeen is the SeenAt of the row's latest sighting.
	LastSeen string
	// Changed is the SeenAt of the latest sighting whose values differed
	// from the stored row's in any column but the key, the marks and
	// Lineage; NULL while the row never changed. A sighting of a gone row is
	// compared with its values before it went.
	Changed string
	// Gone is set, to the scope's instant, when a scope of a batch covers
	// the stored row and the batch does not carry it; a row already gone
	// keeps its earlier time. A later sighting sets it back to NULL.
	Gone string
	// Lineage lists the columns, besides the marks, that describe the load
	// rather than the source (run_id, synced_at): never compared, and
	// replaced with the values when a sighting rewrites the row. A sighting
	// rewrites the row when the table keeps LastSeen (which every sighting
	// moves), else only when a compared value changed or the row was gone: a
	// sighting that would change nothing but the lineage leaves the row as
	// it is, so the lineage names the run that last wrote its values.
	Lineage []string
}

// Table is one warehouse table.
type Table struct {
	Name    string
	Doc     string
	Columns []Column
	Key     []string // primary key, in order
	Merge   Merge
	// History marks a table whose rows pile up with every run or every
	// day (transactions, positions, balances, the per-run ledger): a
	// warehouse keeps no index on its key (see IndexedKey).
	History bool
	// LoginData marks a table of one login's synced data: login_id is in
	// its Key (and in its ScopeBy, when scoped), and only a batch that
	// also carries the login's logins row with last_refresh_at set writes
	// to it. So a login the logins table lacks, or holds with
	// last_refresh_at NULL, has no rows here, and a sink may insert its
	// first rows without merging them.
	LoginData bool
	// ScopeBy lists the columns whose values identify what a ReplaceScope
	// commit replaces (for positions: login_id and as_of_date), or what a
	// Latest scope covers (for transactions: login_id and account_id). Its
	// first column must be a key column: batches whose rows and scopes have
	// different values in it never touch the same rows.
	ScopeBy []string
	// ScopeRange, for a Latest table, names a column whose range each scope
	// tuple bounds: a scope covers the rows whose ScopeBy columns equal the
	// tuple's and whose ScopeRange value is within the tuple's bounds
	// (inclusive; a NULL value is never covered).
	ScopeRange string
	// Marks names a Latest table's bookkeeping columns.
	Marks *Marks
	// PartitionBy lists the Hive partition columns of the Parquet dataset.
	PartitionBy []string
	// Greatest lists, for an InsertIfNew table, the nullable columns that
	// keep the greatest non-NULL value any row of the key has given (for an
	// instant, the newest), whatever the order the rows come in; the other
	// columns keep the first row's values. A NULL never erases a value.
	Greatest []string
}

// Row is one row of a table: one value per column, in Table.Columns order.
// A nil element is SQL NULL. Build rows with a Layout, which places values by
// column name, rather than by position.
type Row []any

// Index returns the position of the named column, or -1.
func (t *Table) Index(name string) int { return columnIndex(t.Columns, name) }

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
	// replaces (even those for which it has no rows); for Latest tables, the
	// parts of the table of which this batch carries every row the source
	// still holds. Each tuple is laid out as Table.ScopeColumns says.
	Scopes map[string][]Row
}

// IndexedKey reports whether a warehouse keeps an index on t's key (in
// DuckDB, a PRIMARY KEY). It does, except for History tables, whose keys
// the merges keep unique (a batch's rows are folded to one per key, and a
// row is inserted only where its key is not stored, or after its scope
// was deleted). An index on an ever-growing table cost more than it
// guards, measured here: DuckDB holds the index in memory, writes it whole
// into the file at each checkpoint, and checks it on each insert (at 1M
// keyed rows: 136 MB of index, a file 6 times the size, commits 3 times
// and checkpoints 10 times slower than without; BENCHMARKS.md).
func (t *Table) IndexedKey() bool { return !t.History }

// Scoped reports whether batches may declare scopes for t.
func (t *Table) Scoped() bool { return t.Merge == ReplaceScope || t.Merge == Latest }

// Names of the scope tuple columns of a Latest table besides ScopeBy's.
const (
	ScopeFrom = "scope_from" // lowest ScopeRange value covered
	ScopeTo   = "scope_to"   // highest ScopeRange value covered
	ScopeAt   = "scope_at"   // when the batch's sync saw the scope: the time of the Gone marks
)

// ScopeColumns returns the layout of t's scope tuples, in order: the ScopeBy
// columns; then, for a Latest table with a ScopeRange, ScopeFrom and ScopeTo
// (of the range column's type); then, for a Latest table, ScopeAt
// (TIMESTAMP). Every value of a tuple is required (not NULL).
func (t *Table) ScopeColumns() []Column {
	var cols []Column
	for _, name := range t.ScopeBy {
		c := t.Columns[t.Index(name)]
		c.Nullable = false
		cols = append(cols, c)
	}
	if t.Merge != Latest {
		return cols
	}
	if t.ScopeRange != "" {
		typ := t.Columns[t.Index(t.ScopeRange)].Type
		cols = append(cols,
			Column{Name: ScopeFrom, Type: typ, Doc: "Lowest " + t.ScopeRange + " the scope covers."},
			Column{Name: ScopeTo, Type: typ, Doc: "Highest " + t.ScopeRange + " the scope covers."})
	}
	return append(cols, Column{Name: ScopeAt, Type: Type{Kind: KindTimestamp}, Doc: "When the batch's sync saw the scope."})
}

// Compared returns the columns of a Latest table whose change a sighting
// records in Marks.Changed: every column but the key, the marks and Lineage.
func (t *Table) Compared() []string {
	var out []string
	for _, c := range t.Columns {
		if !slices.Contains(t.Key, c.Name) && !t.isMark(c.Name) && !slices.Contains(t.Marks.Lineage, c.Name) {
			out = append(out, c.Name)
		}
	}
	return out
}

// isMark reports whether name is one of t's mark columns (SeenAt excluded).
func (t *Table) isMark(name string) bool {
	m := t.Marks
	return m != nil && name != "" && (name == m.FirstSeen || name == m.LastSeen || name == m.Changed || name == m.Gone)
}

// DateOf returns the DATE value for t: midnight UTC of t's calendar day in UTC.
func DateOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
