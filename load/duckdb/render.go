package duckdb

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// resultColumn is one column of a query's result.
type resultColumn struct {
	name   string
	dbType string          // as the driver names it, e.g. DECIMAL(38,18)
	info   duckdb.TypeInfo // nested types and aliases; nil when unknown
}

// Result is a query's result, each value as the DuckDB driver scans it,
// except JSON values (nested ones too), which are the JSON text stored. It
// renders each value as text and as JSON (see load.Result).
type Result struct {
	cols []resultColumn
	rows [][]any
}

// Query runs q, a statement CheckReadOnly let through, and returns its
// result. The driver decodes JSON values, numbers through float64: columns
// holding JSON are cast so that each JSON value arrives as its text.
func Query(ctx context.Context, db *sql.DB, q string) (*Result, error) {
	described, err := DescribeQuery(ctx, db, q)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, jsonAsText(q, described))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	if len(described) != len(types) {
		described = nil // not the columns the statement returned: render what is scanned
	}
	res := &Result{cols: make([]resultColumn, len(types))}
	for i, c := range types {
		res.cols[i] = resultColumn{name: c.Name(), dbType: c.DatabaseTypeName()}
		if described != nil {
			res.cols[i].name, res.cols[i].info = described[i].Name, described[i].Type
		}
	}
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.rows = append(res.rows, vals)
	}
	return res, rows.Err()
}

// jsonAsText returns q, or, when a column holds JSON (nested ones too),
// q wrapped so that each such column is cast to the same type with VARCHAR
// in place of JSON. Columns are renamed by position, so a name given twice
// or a trailing comment does no harm.
func jsonAsText(q string, cols []QueryColumn) string {
	exprs := make([]string, len(cols))
	aliases := make([]string, len(cols))
	wrap := false
	for i, c := range cols {
		aliases[i] = fmt.Sprintf("c%d", i+1)
		exprs[i] = aliases[i]
		if c.Type == nil || !holdsJSON(c.Type) {
			continue
		}
		if target, ok := sqlType(c.Type); ok {
			exprs[i] = fmt.Sprintf("CAST(%s AS %s)", aliases[i], target)
			wrap = true
		}
	}
	if !wrap {
		return q
	}
	return fmt.Sprintf("SELECT %s FROM (\n%s\n) AS t(%s)", strings.Join(exprs, ", "),
		strings.TrimRight(strings.TrimSpace(q), ";"), strings.Join(aliases, ", "))
}

// holdsJSON reports whether a value of info is or contains JSON.
func holdsJSON(info duckdb.TypeInfo) bool {
	if info.Alias() == "JSON" {
		return true
	}
	return slices.ContainsFunc(children(info), holdsJSON)
}

// children returns the types nested in info: a list's or array's element,
// a map's key and value, a struct's fields, a union's members.
func children(info duckdb.TypeInfo) []duckdb.TypeInfo {
	switch d := info.Details().(type) {
	case *duckdb.ListDetails:
		return []duckdb.TypeInfo{d.Child}
	case *duckdb.ArrayDetails:
		return []duckdb.TypeInfo{d.Child}
	case *duckdb.MapDetails:
		return []duckdb.TypeInfo{d.Key, d.Value}
	case *duckdb.StructDetails:
		out := make([]duckdb.TypeInfo, len(d.Entries))
		for i, e := range d.Entries {
			out[i] = e.Info()
		}
		return out
	case *duckdb.UnionDetails:
		out := make([]duckdb.TypeInfo, len(d.Members))
		for i, m := range d.Members {
			out[i] = m.Type
		}
		return out
	}
	return nil
}

// primitiveTypes names DuckDB's types without parameters in SQL.
var primitiveTypes = map[duckdb.Type]string{
	duckdb.TYPE_BOOLEAN: "BOOLEAN", duckdb.TYPE_TINYINT: "TINYINT", duckdb.TYPE_SMALLINT: "SMALLINT",
	duckdb.TYPE_INTEGER: "INTEGER", duckdb.TYPE_BIGINT: "BIGINT", duckdb.TYPE_HUGEINT: "HUGEINT",
	duckdb.TYPE_UTINYINT: "UTINYINT", duckdb.TYPE_USMALLINT: "USMALLINT", duckdb.TYPE_UINTEGER: "UINTEGER",
	duckdb.TYPE_UBIGINT: "UBIGINT", duckdb.TYPE_UHUGEINT: "UHUGEINT", duckdb.TYPE_BIGNUM: "BIGNUM",
	duckdb.TYPE_FLOAT: "FLOAT", duckdb.TYPE_DOUBLE: "DOUBLE", duckdb.TYPE_VARCHAR: "VARCHAR", duckdb.TYPE_BLOB: "BLOB",
	duckdb.TYPE_BIT: "BIT", duckdb.TYPE_UUID: "UUID", duckdb.TYPE_DATE: "DATE", duckdb.TYPE_TIME: "TIME",
	duckdb.TYPE_TIME_TZ: "TIMETZ", duckdb.TYPE_INTERVAL: "INTERVAL", duckdb.TYPE_TIMESTAMP: "TIMESTAMP",
	duckdb.TYPE_TIMESTAMP_S: "TIMESTAMP_S", duckdb.TYPE_TIMESTAMP_MS: "TIMESTAMP_MS",
	duckdb.TYPE_TIMESTAMP_NS: "TIMESTAMP_NS", duckdb.TYPE_TIMESTAMP_TZ: "TIMESTAMPTZ",
}

// sqlType writes info in SQL with VARCHAR in place of JSON; ok is false for
// a type it cannot write.
func sqlType(info duckdb.TypeInfo) (string, bool) {
	if info.Alias() == "JSON" {
		return "VARCHAR", true
	}
	if info.Alias() != "" {
		return "", false // an extension's type
	}
	fields := func(names []string, types []duckdb.TypeInfo) (string, bool) {
		parts := make([]string, len(names))
		for i := range names {
			t, ok := sqlType(types[i])
			if !ok {
				return "", false
			}
			parts[i] = `"` + strings.ReplaceAll(names[i], `"`, `""`) + `" ` + t
		}
		return strings.Join(parts, ", "), true
	}
	switch d := info.Details().(type) {
	case *duckdb.DecimalDetails:
		return fmt.Sprintf("DECIMAL(%d,%d)", d.Width, d.Scale), true
	case *duckdb.EnumDetails:
		values := make([]string, len(d.Values))
		for i, v := range d.Values {
			values[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		}
		return "ENUM(" + strings.Join(values, ", ") + ")", true
	case *duckdb.ListDetails:
		t, ok := sqlType(d.Child)
		return t + "[]", ok
	case *duckdb.ArrayDetails:
		t, ok := sqlType(d.Child)
		return fmt.Sprintf("%s[%d]", t, d.Size), ok
	case *duckdb.MapDetails:
		k, okK := sqlType(d.Key)
		v, okV := sqlType(d.Value)
		return fmt.Sprintf("MAP(%s, %s)", k, v), okK && okV
	case *duckdb.StructDetails:
		names := make([]string, len(d.Entries))
		for i, e := range d.Entries {
			names[i] = e.Name()
		}
		f, ok := fields(names, children(info))
		return "STRUCT(" + f + ")", ok
	case *duckdb.UnionDetails:
		names := make([]string, len(d.Members))
		for i, m := range d.Members {
			names[i] = m.Name
		}
		f, ok := fields(names, children(info))
		return "UNION(" + f + ")", ok
	}
	name, ok := primitiveTypes[info.InternalType()]
	return name, ok
}

// Columns returns the result's column names, in SELECT order.
func (r *Result) Columns() []string {
	names := make([]string, len(r.cols))
	for i, c := range r.cols {
		names[i] = c.name
	}
	return names
}

// Numeric reports whether column col holds numbers: decimals, integers of
// any size, floats.
func (r *Result) Numeric(col int) bool {
	switch kind := r.cols[col].dbType; {
	case strings.HasPrefix(kind, "DECIMAL"), strings.Contains(kind, "INT") && !strings.Contains(kind, "INTERVAL"),
		kind == "DOUBLE", kind == "FLOAT", kind == "BIGNUM":
		return true
	}
	return false
}

// Len returns the number of rows.
func (r *Result) Len() int { return len(r.rows) }

// Text renders a value as text (cellText): NULL as empty, decimals and big
// integers exactly, dates as YYYY-MM-DD, instants in RFC 3339 UTC, nested
// values as JSON.
func (r *Result) Text(row, col int) string { return cellText(r.rows[row][col], r.cols[col].info) }

// AppendJSON appends a value as JSON to b (appendJSONValue).
func (r *Result) AppendJSON(b []byte, row, col int) []byte {
	return appendJSONValue(b, r.rows[row][col], r.cols[col].info)
}

// typeOf is info's type, TYPE_INVALID when unknown.
func typeOf(info duckdb.TypeInfo) duckdb.Type {
	if info == nil {
		return duckdb.TYPE_INVALID
	}
	return info.InternalType()
}

// cellText renders v, of type info (nil if unknown), as text: NULL as
// empty, decimals exactly (without trailing zeros), dates as YYYY-MM-DD,
// instants in RFC 3339 UTC, a UUID in its usual form, nested values and
// JSON as JSON.
func cellText(v any, info duckdb.TypeInfo) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return timeText(x, typeOf(info))
	case []byte:
		if typeOf(info) == duckdb.TYPE_UUID && len(x) == 16 {
			return uuidText(x)
		}
		return string(x)
	case *big.Int:
		return x.String()
	case duckdb.Interval:
		return intervalText(x)
	case []any, map[string]any, duckdb.OrderedMap, duckdb.Union:
		return string(appendJSONValue(nil, v, info))
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// timeText renders a date, a time of day or an instant.
func timeText(t time.Time, kind duckdb.Type) string {
	switch kind {
	case duckdb.TYPE_DATE:
		return t.Format(time.DateOnly)
	case duckdb.TYPE_TIME:
		return t.Format("15:04:05.999999")
	case duckdb.TYPE_TIME_TZ:
		return t.Format("15:04:05.999999Z07:00")
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// uuidText writes 16 bytes as 8-4-4-4-12 hex digits.
func uuidText(b []byte) string {
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// intervalText writes an interval as an ISO 8601 duration, e.g. P1Y2M3DT4H5M6.5S
// (each part signed as DuckDB keeps it), PT0S when zero.
func intervalText(iv duckdb.Interval) string {
	var b strings.Builder
	b.WriteString("P")
	part := func(n int64, unit string) {
		if n != 0 {
			fmt.Fprintf(&b, "%d%s", n, unit)
		}
	}
	part(int64(iv.Months/12), "Y")
	part(int64(iv.Months%12), "M")
	part(int64(iv.Days), "D")
	if iv.Micros != 0 {
		b.WriteString("T")
		micros := iv.Micros
		part(micros/3_600_000_000, "H")
		micros %= 3_600_000_000
		part(micros/60_000_000, "M")
		micros %= 60_000_000
		if micros != 0 {
			s := strconv.FormatFloat(float64(micros)/1e6, 'f', -1, 64) // at most 8 digits: exact
			b.WriteString(s + "S")
		}
	}
	if b.Len() == 1 {
		return "PT0S"
	}
	return b.String()
}

// decimalText writes d with all the fractional digits of its scale, as the
// warehouse holds it: 12345678901234.567800000000000000 for DECIMAL(38,18).
func decimalText(d duckdb.Decimal) string {
	if d.Value == nil {
		return "0"
	}
	digits := new(big.Int).Abs(d.Value).String()
	if scale := int(d.Scale); scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if d.Value.Sign() < 0 {
		return "-" + digits
	}
	return digits
}

// appendJSONValue appends v, of type info (nil if unknown), as JSON: NULL as
// null; booleans; integers of any size and decimals (every digit of their
// scale) as numbers, never through float64; a float that is not finite as
// the string "NaN", "Infinity" or "-Infinity"; dates as "YYYY-MM-DD",
// instants as RFC 3339 UTC strings, times of day and intervals (ISO 8601)
// as strings; a UUID in its usual form, other bytes in base64; lists and
// arrays as arrays; structs as objects in their fields' order; maps as
// objects (keys as text); a union as its value; JSON as the JSON it holds.
func appendJSONValue(b []byte, v any, info duckdb.TypeInfo) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return fmt.Append(b, x)
	case float32:
		return appendFloat(b, float64(x), 32)
	case float64:
		return appendFloat(b, x, 64)
	case *big.Int:
		return x.Append(b, 10)
	case duckdb.Decimal:
		return append(b, decimalText(x)...)
	case string:
		if info != nil && info.Alias() == "JSON" {
			var buf bytes.Buffer
			if json.Compact(&buf, []byte(x)) == nil {
				return append(b, buf.Bytes()...)
			}
		}
		return appendJSONString(b, x)
	case []byte:
		if typeOf(info) == duckdb.TYPE_UUID && len(x) == 16 {
			return appendJSONString(b, uuidText(x))
		}
		return appendJSONString(b, base64.StdEncoding.EncodeToString(x))
	case time.Time:
		return appendJSONString(b, timeText(x, typeOf(info)))
	case duckdb.Interval:
		return appendJSONString(b, intervalText(x))
	case []any:
		return appendJSONList(b, x, elementType(info))
	case map[string]any:
		return appendJSONStruct(b, x, info)
	case duckdb.OrderedMap:
		return appendJSONMap(b, x, info)
	case duckdb.Union:
		return appendJSONValue(b, x.Value, unionMember(info, x.Tag))
	case fmt.Stringer:
		return appendJSONString(b, x.String())
	}
	return appendJSONString(b, fmt.Sprint(v))
}

// appendFloat appends f as a JSON number, or a string when it is not finite.
func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

// appendJSONString appends s as a JSON string (<, > and & as they are).
func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

func appendJSONList(b []byte, list []any, elem duckdb.TypeInfo) []byte {
	b = append(b, '[')
	for i, e := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONValue(b, e, elem)
	}
	return append(b, ']')
}

// appendJSONStruct appends a struct in its fields' order (info's), or, when
// info does not describe it, in the order of its keys.
func appendJSONStruct(b []byte, m map[string]any, info duckdb.TypeInfo) []byte {
	var names []string
	types := map[string]duckdb.TypeInfo{}
	if info != nil {
		if d, ok := info.Details().(*duckdb.StructDetails); ok {
			for _, e := range d.Entries {
				names = append(names, e.Name())
				types[e.Name()] = e.Info()
			}
		}
	}
	if len(names) != len(m) {
		names = slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		})
	}
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONValue(b, m[k], types[k])
	}
	return append(b, '}')
}

// appendJSONMap appends a map as an object whose keys are the map's keys as
// text, in the map's order.
func appendJSONMap(b []byte, m duckdb.OrderedMap, info duckdb.TypeInfo) []byte {
	var keyType, valueType duckdb.TypeInfo
	if info != nil {
		if d, ok := info.Details().(*duckdb.MapDetails); ok {
			keyType, valueType = d.Key, d.Value
		}
	}
	keys, values := m.Keys(), m.Values()
	b = append(b, '{')
	for i := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, cellText(keys[i], keyType))
		b = append(b, ':')
		b = appendJSONValue(b, values[i], valueType)
	}
	return append(b, '}')
}

// elementType is the element type of a list or array type, nil otherwise.
func elementType(info duckdb.TypeInfo) duckdb.TypeInfo {
	if info == nil {
		return nil
	}
	switch d := info.Details().(type) {
	case *duckdb.ListDetails:
		return d.Child
	case *duckdb.ArrayDetails:
		return d.Child
	}
	return nil
}

// unionMember is the type of a union's member named tag, nil if unknown.
func unionMember(info duckdb.TypeInfo, tag string) duckdb.TypeInfo {
	if info == nil {
		return nil
	}
	if d, ok := info.Details().(*duckdb.UnionDetails); ok {
		for _, m := range d.Members {
			if m.Name == tag {
				return m.Type
			}
		}
	}
	return nil
}
