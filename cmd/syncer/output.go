package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/pipeline"
	"github.com/syncer/syncer/schema"
)

// table is rows of text under a header, printed aligned, as CSV or as JSON.
type table struct {
	header []string
	rows   [][]string
	right  []bool // right-align the column (numbers)
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer, format string) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write(t.header)
		_ = cw.WriteAll(t.rows)
		return cw.Error()
	case "json":
		return writeJSONRows(w, t.header, len(t.rows), func(b []byte, row, col int) []byte {
			return appendJSONString(b, t.rows[row][col])
		})
	}
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i < len(t.right) && t.right[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
			if i < len(cells)-1 {
				b.WriteString("  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(t.header)
	seps := make([]string, len(widths))
	for i, n := range widths {
		seps[i] = strings.Repeat("-", n)
	}
	line(seps)
	for _, r := range t.rows {
		line(r)
	}
	return nil
}

// writeJSONRows writes n rows as a JSON array with an object per row, on a
// line of its own: its keys are names, in their order (a name given again is
// made unique, see uniqueNames); cell appends to b the JSON value of a row's
// column. No rows is [].
func writeJSONRows(w io.Writer, names []string, n int, cell func(b []byte, row, col int) []byte) error {
	if n == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	keys := make([][]byte, len(names))
	for i, name := range uniqueNames(names) {
		keys[i] = append(appendJSONString(nil, name), ':')
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("[\n")
	var b []byte
	for row := range n {
		b = append(b[:0], "  {"...)
		for col, key := range keys {
			if col > 0 {
				b = append(b, ',')
			}
			b = cell(append(b, key...), row, col)
		}
		b = append(b, '}')
		if row < n-1 {
			b = append(b, ',')
		}
		bw.Write(append(b, '\n'))
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// uniqueNames returns names with each name already taken given the first
// free suffix _1, _2, ... (as DuckDB names the columns of a subquery):
// a, a, a_1 become a, a_1, a_1_1.
func uniqueNames(names []string) []string {
	taken := make(map[string]bool, len(names))
	out := make([]string, len(names))
	for i, name := range names {
		unique := name
		for n := 1; taken[unique]; n++ {
			unique = fmt.Sprintf("%s_%d", name, n)
		}
		taken[unique] = true
		out[i] = unique
	}
	return out
}

// printSummary writes the end-of-run summary on stdout. Its row counts say
// what the run received and, when the DuckDB sink can tell (counts not nil),
// what its merges did to each table.
func printSummary(w io.Writer, s *pipeline.Summary, counts map[string]load.TableCounts, f *syncFlags) {
	fmt.Fprintf(w, "run %s: %s in %s, %d requests\n", s.RunID, s.Status, s.Wall().Round(time.Millisecond), s.Requests)
	if !f.noDB {
		fmt.Fprintf(w, "warehouse: %s", f.db)
		if f.parquet != "" {
			fmt.Fprintf(w, " and Parquet dataset %s", f.parquet)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "Parquet dataset: %s\n", f.parquet)
	}
	fmt.Fprintln(w)
	st := &table{header: []string{"login status", "logins"}, right: []bool{false, true}}
	for _, status := range pipeline.Statuses {
		st.add(status, fmt.Sprint(s.ByStatus[status]))
	}
	if n := s.Total - s.Committed; n > 0 {
		st.add("not recorded", fmt.Sprint(n))
	}
	st.add("total", fmt.Sprint(s.Total))
	_ = st.write(w, "text")
	fmt.Fprintln(w)
	_ = rowsTable(s, counts).write(w, "text")
	if counts != nil {
		fmt.Fprintln(w, "\nreceived: rows in the run's payloads; inserted, updated, deleted: what the run did to the DuckDB tables")
		fmt.Fprintln(w, "(updated: rows already there, given the latest values, changed or not; a positions snapshot is replaced: deleted, inserted).")
	}
}

// rowsTable has a line per data table: the rows received and, with counts,
// the rows inserted, updated and deleted.
func rowsTable(s *pipeline.Summary, counts map[string]load.TableCounts) *table {
	rt := &table{header: []string{"table", "rows received"}, right: []bool{false, true, true, true, true}}
	if counts != nil {
		rt.header = append(rt.header, "inserted", "updated", "deleted")
	}
	for _, t := range schema.Tables {
		n, ok := s.Rows[t.Name]
		if !ok || t == schema.Logins {
			continue
		}
		cells := []string{t.Name, fmt.Sprint(n)}
		if counts != nil {
			c := counts[t.Name]
			cells = append(cells, fmt.Sprint(c.Inserted), fmt.Sprint(c.Updated), fmt.Sprint(c.Deleted))
		}
		rt.add(cells...)
	}
	return rt
}
