package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
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

// appendJSONString appends s as a JSON string (<, > and & as they are).
func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
