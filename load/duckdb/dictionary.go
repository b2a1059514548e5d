package duckdb

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syncer/syncer/schema"
)

// mergeDocs says in words what each Merge does to a table, for the dictionary.
var mergeDocs = map[schema.Merge]string{
	schema.Upsert:       "a sync replaces the row with the same key, or adds it",
	schema.InsertIfNew:  "a row is written once, the first time its key is seen; later sightings leave it as it is",
	schema.Coalesce:     "a sync replaces the row with the same key, except that a value the sync does not know (NULL) keeps the stored one",
	schema.ReplaceScope: "a sync replaces every row of its scope (%s) with its own rows and leaves other scopes, the history, as they are",
	schema.Latest: "the latest sighting wins: a sync replaces the row with the same key, or adds it, and the marks (%s) record the row's life; " +
		"a sync that carries every row of a scope (%s) sets `%s` on the scope's stored rows it lacks, and keeps them",
}

// latestDoc fills in mergeDocs[schema.Latest] for t.
func latestDoc(t *schema.Table) string {
	m := t.Marks
	var marks []string
	for _, name := range []string{m.FirstSeen, m.LastSeen, m.Changed, m.Gone} {
		if name != "" {
			marks = append(marks, "`"+name+"`")
		}
	}
	scope := "same `" + strings.Join(t.ScopeBy, ", ") + "`"
	if t.ScopeRange != "" {
		scope += ", `" + t.ScopeRange + "` from the sync's lowest to its highest"
	}
	doc := fmt.Sprintf(mergeDocs[schema.Latest], strings.Join(marks, ", "), scope, m.Gone)
	if m.LastSeen == "" {
		doc += "; a sighting that changes no value leaves the row as it is, `run_id` included"
	}
	return doc
}

// Dictionary renders the data dictionary (docs/data-dictionary.md) in
// Markdown from the table definitions (schema.Tables) and the views.
func Dictionary() string {
	var b strings.Builder
	b.WriteString("# Data dictionary\n\n")
	b.WriteString("<!-- Generated from schema/tables.go, schema/banking.go and load/duckdb/views*.go by `go test ./load/duckdb -run TestDataDictionary -update`. Do not edit. -->\n\n")
	fmt.Fprintf(&b, "Schema version %d. The warehouse records its version in `%s`; opening a warehouse made by an older "+
		"version adds the missing tables and columns in place (columns added later are nullable in upgraded warehouses).\n\n", schema.Version(), VersionTable)
	b.WriteString("Money, prices and quantities are `" + TypeSQL(schema.Exact) + "`: exact, and exact under `SUM`. ")
	b.WriteString("Instants are `TIMESTAMP` in UTC; dates are `DATE`. The same descriptions are in the warehouse itself: " +
		"`SELECT table_name, column_name, comment FROM duckdb_columns()`.\n\n")

	b.WriteString("## Tables\n\n")
	for _, t := range schema.Tables {
		fmt.Fprintf(&b, "- [`%s`](#%s): %s\n", t.Name, t.Name, t.Doc)
	}
	b.WriteString("\n## Views\n\n")
	for _, v := range Views {
		fmt.Fprintf(&b, "- [`%s`](#%s): %s\n", v.Name, v.Name, v.Doc)
	}
	for _, t := range schema.Tables {
		writeTable(&b, t)
	}
	for _, v := range Views {
		writeView(&b, v)
	}
	return b.String()
}

func writeTable(b *strings.Builder, t *schema.Table) {
	fmt.Fprintf(b, "\n## %s\n\n%s\n\n", t.Name, t.Doc)
	if t.IndexedKey() {
		fmt.Fprintf(b, "Primary key: `%s`. ", strings.Join(t.Key, ", "))
	} else {
		fmt.Fprintf(b, "Key: `%s` (unique by the way rows are loaded; not an index). ", strings.Join(t.Key, ", "))
	}
	doc := mergeDocs[t.Merge]
	switch t.Merge {
	case schema.ReplaceScope:
		doc = fmt.Sprintf(doc, "`"+strings.Join(t.ScopeBy, ", ")+"`")
	case schema.Latest:
		doc = latestDoc(t)
	}
	fmt.Fprintf(b, "Loading: %s", doc)
	if len(t.Greatest) > 0 {
		fmt.Fprintf(b, ", except `%s`, which keeps the greatest value any sighting gave (a NULL keeps the stored one)", strings.Join(t.Greatest, "`, `"))
	}
	b.WriteString(".")
	if len(t.PartitionBy) > 0 {
		fmt.Fprintf(b, " Parquet partitions: `%s`.", strings.Join(t.PartitionBy, ", "))
	}
	b.WriteString("\n\n| column | type | null | since | description |\n|---|---|---|---|---|\n")
	for _, c := range t.Columns {
		name := "`" + c.Name + "`"
		if slices.Contains(t.Key, c.Name) {
			name = "**" + name + "**"
		}
		nullable := "no"
		if c.Nullable {
			nullable = "yes"
		}
		fmt.Fprintf(b, "| %s | `%s` | %s | %d | %s |\n", name, TypeSQL(c.Type), nullable, c.Since, escapeCell(c.Doc))
	}
}

func writeView(b *strings.Builder, v *View) {
	fmt.Fprintf(b, "\n## %s\n\nView. %s\n\n```sql\n%s\n```\n\n| column | description |\n|---|---|\n", v.Name, v.Doc, v.SQL)
	for _, c := range v.Columns {
		fmt.Fprintf(b, "| `%s` | %s |\n", c.Name, escapeCell(c.Doc))
	}
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
