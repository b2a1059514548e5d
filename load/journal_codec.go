package load

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/syncer/syncer/schema"
)

// journalFormat is the version of a journal entry's encoding.
const journalFormat = 1

// A journal entry is one JSON document holding the batches of one Commit
// call, exactly:
//
//	{"format":1,
//	 "columns":{"accounts":["login_id",...],...},        each table's columns, in the order of the row values
//	 "scope_columns":{"positions":["login_id","as_of_date"]},
//	 "batches":[
//	  {"run_id":"...","login_id":"...","rows":{"accounts":[[...],...]},"scopes":{"positions":[[...]]}},
//	  ...]}
//
// A value is encoded by its column's type, never through float64: NULL as
// null; VARCHAR and JSON as a JSON string (a string that is not valid UTF-8,
// which JSON cannot hold, as {"base64":"..."}); DECIMAL as a string of its
// exact digits ("-12.5"); DATE and TIMESTAMP as a string of the UTC instant
// in RFC 3339 with nanoseconds ("2025-01-31T00:00:00Z"), or "@<unix
// seconds>.<nanoseconds>" for a year RFC 3339 cannot write; BOOLEAN as
// true/false; BIGINT as a JSON integer. Values are checked as the sinks check
// them (Value), so an entry holds only what a sink can take. Rows are
// decoded by column name, so an entry written before a column was added
// reads with NULL in it.

// encodeGroup writes batches to w as one journal entry. It refuses, with a
// *ValueError that never quotes a value, what a sink would refuse (an unknown
// table, a row of the wrong width, a value not of its column's type).
func encodeGroup(w io.Writer, batches []schema.Batch) error {
	if err := CheckBatches(batches); err != nil {
		return err
	}
	tables, scoped := map[string]bool{}, map[string]bool{}
	for _, b := range batches {
		for name := range b.Rows {
			tables[name] = true
		}
		for name := range b.Scopes {
			scoped[name] = true
		}
	}
	buf := []byte(`{"format":` + strconv.Itoa(journalFormat) + `,"columns":{`)
	buf = appendColumnLists(buf, tables, func(t *schema.Table) []string { return t.ColumnNames() })
	buf = append(buf, `},"scope_columns":{`...)
	buf = appendColumnLists(buf, scoped, scopeColumnNames)
	buf = append(buf, "},\"batches\":["...)
	var err error
	for bi, b := range batches {
		if bi > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n{\"run_id\":"...)
		buf = appendString(buf, b.RunID)
		buf = append(buf, `,"login_id":`...)
		buf = appendString(buf, b.LoginID)
		buf = append(buf, `,"rows":{`...)
		if buf, err = appendTuples(w, buf, bi, b, b.Rows, false); err != nil {
			return err
		}
		buf = append(buf, `},"scopes":{`...)
		if buf, err = appendTuples(w, buf, bi, b, b.Scopes, true); err != nil {
			return err
		}
		buf = append(buf, '}', '}')
	}
	buf = append(buf, "\n]}\n"...)
	_, err = w.Write(buf)
	return err
}

// appendColumnLists appends "table":[columns...] for each named table (all
// in the schema), in name order.
func appendColumnLists(buf []byte, names map[string]bool, columns func(*schema.Table) []string) []byte {
	for i, name := range slices.Sorted(maps.Keys(names)) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, name)
		buf = append(buf, ':', '[')
		for ci, c := range columns(schema.Lookup(name)) {
			if ci > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, c)
		}
		buf = append(buf, ']')
	}
	return buf
}

// appendTuples appends one batch's rows (or scopes) by table, writing the
// buffer out to w as it grows so an entry is never held whole in memory.
func appendTuples(w io.Writer, buf []byte, bi int, b schema.Batch, byTable map[string][]schema.Row, scopes bool) ([]byte, error) {
	names := make([]string, 0, len(byTable))
	for name := range byTable {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		t := schema.Lookup(name) // CheckBatches: it exists
		cols, what := t.Columns, name
		if scopes {
			cols, what = scopeColumns(t), name+" scope"
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, name)
		buf = append(buf, ':', '[')
		for ri, r := range byTable[name] {
			if ri > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '[')
			for ci, c := range cols {
				if ci > 0 {
					buf = append(buf, ',')
				}
				var err error
				if buf, err = appendValue(buf, c, r[ci]); err != nil {
					return buf, &ValueError{Batch: bi, RunID: b.RunID, Table: what, Row: ri, Column: c.Name, Err: err}
				}
			}
			buf = append(buf, ']')
			if len(buf) >= 1<<16 {
				if _, err := w.Write(buf); err != nil {
					return buf, err
				}
				buf = buf[:0]
			}
		}
		buf = append(buf, ']')
	}
	return buf, nil
}

// scopeColumns returns the columns of t's scope tuples, in order
// (schema.Table.ScopeColumns); nil for a table that takes no scopes.
func scopeColumns(t *schema.Table) []schema.Column {
	if t == nil || !t.Scoped() {
		return nil
	}
	return t.ScopeColumns()
}

// scopeColumnNames returns the names of t's scope tuple columns, in order.
func scopeColumnNames(t *schema.Table) []string {
	cols := scopeColumns(t)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}

// appendValue appends v, a value of column c, in the encoding of c's type.
func appendValue(buf []byte, c schema.Column, v any) ([]byte, error) {
	dv, err := Value(c, v)
	if err != nil || dv == nil {
		return append(buf, "null"...), err
	}
	switch c.Type.Kind {
	case schema.KindVarchar, schema.KindJSON:
		return appendString(buf, dv.(string)), nil
	case schema.KindDecimal:
		d := dv.(schema.Decimal)
		return appendDecimal(buf, d.Unscaled, int(d.Scale)), nil
	case schema.KindDate, schema.KindTimestamp:
		return strconv.AppendQuote(buf, formatInstant(dv.(time.Time))), nil
	case schema.KindBoolean:
		return strconv.AppendBool(buf, dv.(bool)), nil
	case schema.KindBigInt:
		return strconv.AppendInt(buf, dv.(int64), 10), nil
	}
	return buf, fmt.Errorf("a %s column", c.Type)
}

// appendDecimal appends unscaled × 10^-scale as a JSON string of its exact
// digits in plain notation, without trailing zeros after the point:
// "-0.000000011", "1.5", "12".
func appendDecimal(buf []byte, unscaled *big.Int, scale int) []byte {
	buf = append(buf, '"')
	if unscaled.Sign() < 0 {
		buf = append(buf, '-')
	}
	start := len(buf)
	buf = new(big.Int).Abs(unscaled).Append(buf, 10)
	if digits := len(buf) - start; digits <= scale { // pad to one digit before the point
		buf = append(buf, make([]byte, scale+1-digits)...)
		copy(buf[start+scale+1-digits:], buf[start:start+digits])
		for i := start; i < start+scale+1-digits; i++ {
			buf[i] = '0'
		}
	}
	if scale > 0 {
		point := len(buf) - scale
		frac := strings.TrimRight(string(buf[point:]), "0")
		buf = buf[:point]
		if frac != "" {
			buf = append(append(buf, '.'), frac...)
		}
	}
	return append(buf, '"')
}

// appendString appends s as a JSON string, or, when s is not valid UTF-8
// (JSON would replace the bad bytes), as {"base64":"..."}.
func appendString(buf []byte, s string) []byte {
	if !utf8.ValidString(s) {
		buf = append(buf, `{"base64":"`...)
		buf = base64.StdEncoding.AppendEncode(buf, []byte(s))
		return append(buf, '"', '}')
	}
	if plainASCII(s) {
		buf = append(buf, '"')
		buf = append(buf, s...)
		return append(buf, '"')
	}
	quoted, _ := json.Marshal(s) // a valid UTF-8 string always marshals
	return append(buf, quoted...)
}

// plainASCII reports whether s is printable ASCII that a JSON string holds
// as is (no quote, no backslash): most values, written without escaping.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// formatInstant writes t's UTC instant exactly: RFC 3339 with nanoseconds for
// the years it can write, else "@<unix seconds>.<nanoseconds>".
func formatInstant(t time.Time) string {
	t = t.UTC()
	if y := t.Year(); y >= 0 && y <= 9999 {
		return t.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("@%d.%09d", t.Unix(), t.Nanosecond())
}

// parseInstant reads what formatInstant wrote, as a UTC time.
func parseInstant(s string) (time.Time, error) {
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		secs, nanos, ok := strings.Cut(rest, ".")
		sec, err1 := strconv.ParseInt(secs, 10, 64)
		nsec, err2 := strconv.ParseInt(nanos, 10, 64)
		if !ok || err1 != nil || err2 != nil || len(nanos) != 9 {
			return time.Time{}, errors.New("not an instant")
		}
		return time.Unix(sec, nsec).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("not an instant")
	}
	return t.UTC(), nil
}

// journalEntry is a decoded journal entry, before its values are typed.
type journalEntry struct {
	Format       int                 `json:"format"`
	Columns      map[string][]string `json:"columns"`
	ScopeColumns map[string][]string `json:"scope_columns"`
	Batches      []struct {
		RunID   json.RawMessage                `json:"run_id"`
		LoginID json.RawMessage                `json:"login_id"`
		Rows    map[string][][]json.RawMessage `json:"rows"`
		Scopes  map[string][][]json.RawMessage `json:"scopes"`
	} `json:"batches"`
}

// decodeGroup reads a journal entry back into the batches it was written
// from: each value typed by its column in the current schema, each row in
// the current column order (NULL in a column the entry does not have).
func decodeGroup(data []byte) ([]schema.Batch, error) {
	var e journalEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("not a journal entry: %w", err)
	}
	if e.Format != journalFormat {
		return nil, fmt.Errorf("journal entry format %d, this program reads %d", e.Format, journalFormat)
	}
	batches := make([]schema.Batch, len(e.Batches))
	for bi, jb := range e.Batches {
		b := &batches[bi]
		var err error
		if b.RunID, err = decodeString(jb.RunID); err != nil {
			return nil, fmt.Errorf("batch %d: run_id: %w", bi, err)
		}
		if b.LoginID, err = decodeString(jb.LoginID); err != nil {
			return nil, fmt.Errorf("batch %d: login_id: %w", bi, err)
		}
		if b.Rows, err = decodeTuples(bi, jb.Rows, e.Columns, false); err != nil {
			return nil, err
		}
		if b.Scopes, err = decodeTuples(bi, jb.Scopes, e.ScopeColumns, true); err != nil {
			return nil, err
		}
	}
	return batches, nil
}

// decodeTuples types one batch's rows (or scopes) by table. A scope must name
// exactly the table's scope columns (schema.Table.ScopeColumns); a row may lack columns added since.
func decodeTuples(bi int, byTable map[string][][]json.RawMessage, columns map[string][]string, scopes bool) (map[string][]schema.Row, error) {
	if byTable == nil {
		return nil, nil
	}
	out := make(map[string][]schema.Row, len(byTable))
	for name, tuples := range byTable {
		t := schema.Lookup(name)
		if t == nil {
			return nil, fmt.Errorf("batch %d: no table %q in the schema", bi, name)
		}
		cols := t.Columns
		if scopes {
			if cols = scopeColumns(t); !slices.Equal(columns[name], scopeColumnNames(t)) {
				return nil, fmt.Errorf("batch %d: %s scopes over %v, the schema's are over %v", bi, name, columns[name], scopeColumnNames(t))
			}
		}
		at := make([]int, len(columns[name])) // entry position -> position in cols
		for i, cname := range columns[name] {
			at[i] = slices.IndexFunc(cols, func(c schema.Column) bool { return c.Name == cname })
			if at[i] < 0 {
				return nil, fmt.Errorf("batch %d: %s has no column %q", bi, name, cname)
			}
		}
		rows := make([]schema.Row, len(tuples))
		for ri, tuple := range tuples {
			if len(tuple) != len(at) {
				return nil, fmt.Errorf("batch %d: %s row %d: %w", bi, name, ri, ErrBadWidth)
			}
			r := make(schema.Row, len(cols))
			for i, raw := range tuple {
				v, err := decodeValue(cols[at[i]], raw)
				if err != nil {
					return nil, fmt.Errorf("batch %d: %s row %d column %s: %w", bi, name, ri, cols[at[i]].Name, err)
				}
				r[at[i]] = v
			}
			rows[ri] = r
		}
		out[name] = rows
	}
	return out, nil
}

// decodeValue reads one encoded value of column c as the Go value the sinks
// take for c's type (see schema.Kind). The error names the type, never the
// value: it may be personal data.
func decodeValue(c schema.Column, raw json.RawMessage) (any, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	v, ok := decodeTyped(c.Type.Kind, raw)
	if !ok {
		return nil, fmt.Errorf("not an encoded %s", c.Type)
	}
	return v, nil
}

func decodeTyped(k schema.Kind, raw json.RawMessage) (any, bool) {
	switch k {
	case schema.KindVarchar, schema.KindJSON:
		s, err := decodeString(raw)
		return s, err == nil
	case schema.KindDecimal:
		var text string
		if json.Unmarshal(raw, &text) != nil {
			return nil, false
		}
		d, err := schema.ParseDecimal(text)
		return d, err == nil
	case schema.KindDate, schema.KindTimestamp:
		var text string
		if json.Unmarshal(raw, &text) != nil {
			return nil, false
		}
		t, err := parseInstant(text)
		return t, err == nil
	case schema.KindBoolean:
		return string(raw) == "true", string(raw) == "true" || string(raw) == "false"
	case schema.KindBigInt:
		n, err := strconv.ParseInt(string(raw), 10, 64)
		return n, err == nil
	}
	return nil, false
}

// decodeString reads what appendString wrote.
func decodeString(raw json.RawMessage) (string, error) {
	if len(raw) > 0 && raw[0] == '{' {
		var b struct {
			Base64 string `json:"base64"`
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", errors.New("not an encoded string")
		}
		data, err := base64.StdEncoding.DecodeString(b.Base64)
		if err != nil {
			return "", errors.New("not an encoded string")
		}
		return string(data), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errors.New("not an encoded string")
	}
	return s, nil
}
