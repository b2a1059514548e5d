package duckdb

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/syncer/syncer/schema"
)

// ParquetViews returns the SQL that makes the dataset in dir queryable in
// DuckDB as the warehouse tables: one CREATE OR REPLACE VIEW per table, over
// the documented read pattern
//
//	read_parquet('DIR/<table>/**/*.parquet', hive_partitioning = true, union_by_name = true)
//
// selecting the table's columns in schema order, so each view has the DuckDB
// table's columns and types. A table with no file yet gets an empty view of
// the right shape (a bare glob matching nothing is an error in DuckDB).
// union_by_name reads files written before a column was added as NULL there;
// and since no file may have that column yet (a dataset an older version
// wrote, before a sync of this one rewrites a file of the table), the glob is
// united BY NAME with the empty view, which brings every column.
// The analyst views of Views follow, defined over those.
func ParquetViews(dir string) string {
	var b strings.Builder
	for _, t := range schema.Tables {
		root := filepath.Join(dir, t.Name)
		var cols, nulls []string
		for _, c := range t.Columns {
			id := QuoteIdent(c.Name)
			nulls = append(nulls, fmt.Sprintf("CAST(NULL AS %s) AS %s", TypeSQL(c.Type), id))
			if c.Type.Kind == schema.KindTimestamp {
				cols = append(cols, readInstantSQL(id)+" AS "+id) // files hold UTC-adjusted instants
				continue
			}
			cols = append(cols, fmt.Sprintf("CAST(%s AS %s) AS %s", id, TypeSQL(c.Type), id))
		}
		empty := fmt.Sprintf("SELECT %s WHERE false", strings.Join(nulls, ", "))
		if hasParquet(root) {
			glob := filepath.ToSlash(root) + "/**/*.parquet"
			fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s AS SELECT %s FROM (SELECT * FROM read_parquet(%s, hive_partitioning = true, union_by_name = true) UNION ALL BY NAME %s);\n",
				QuoteIdent(t.Name), strings.Join(cols, ", "), QuoteLiteral(glob), empty)
			continue
		}
		fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s AS %s;\n", QuoteIdent(t.Name), empty)
	}
	for _, v := range Views {
		b.WriteString(CreateViewSQL(v) + ";\n")
	}
	return b.String()
}

// hasParquet reports whether any *.parquet file is under root.
func hasParquet(root string) bool {
	found := false
	_ = filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return fs.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".parquet") {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}
