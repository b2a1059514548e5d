package load

import (
	"bytes"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/schema"
)

// trickyValues returns, for a column, values that an inexact encoding would
// alter: long and tiny decimals, negative zero scales, instants with
// nanoseconds in other zones and outside RFC 3339's years, strings that are
// not UTF-8, JSON text with escapes, the extremes of BIGINT.
func trickyValues(c schema.Column) []any {
	var vals []any
	switch c.Type.Kind {
	case schema.KindVarchar:
		vals = []any{"", "plain", "quote \" backslash \\ newline \n tab \t nul \x00", "é ü 漢 🙂 \u2028", "not utf-8 \xff\xfe", "<html>&amp;"}
	case schema.KindJSON:
		vals = []any{`{"a":1.10,"b":"\u00e9","c":[null,true,12345678901234567890123]}`, `[]`, `"x"`}
	case schema.KindDecimal:
		maxInt, _ := new(big.Int).SetString(strings.Repeat("9", 38), 10)
		vals = []any{
			schema.Decimal{}, dec("-0.000000000000000001"), dec("12345678901234567890.123456789012345678"),
			schema.Decimal{Unscaled: maxInt, Scale: 18}, schema.Decimal{Unscaled: new(big.Int).Neg(maxInt), Scale: 18},
			schema.Decimal{Unscaled: big.NewInt(1500), Scale: 3}, // 1.500: trailing zeros
			&schema.Decimal{Unscaled: big.NewInt(-7), Scale: 0},
		}
	case schema.KindDate:
		vals = []any{day("2025-01-31"), day("0001-01-01"), day("9999-12-31"),
			time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(12000, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(-5, 3, 1, 0, 0, 0, 0, time.UTC)}
	case schema.KindTimestamp:
		toronto := time.FixedZone("EST", -5*3600)
		vals = []any{testSyncedAt, time.Date(2025, 1, 31, 23, 59, 59, 999999999, toronto), time.Unix(0, 1),
			time.Date(10000, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(-1, 12, 31, 23, 0, 0, 5, toronto)}
	case schema.KindBoolean:
		vals = []any{true, false}
	case schema.KindBigInt:
		vals = []any{int64(0), int64(-1), int64(1<<63 - 1), int64(-1 << 63), 42}
	}
	if c.Nullable {
		vals = append(vals, nil)
	}
	return vals
}

// trickyBatches builds, for every table, rows that cycle through each
// column's tricky values, and scopes for the replace-scope tables.
func trickyBatches() []schema.Batch {
	var batches []schema.Batch
	for _, t := range schema.Tables {
		b := schema.Batch{RunID: "run \xff", LoginID: "login-é", Rows: map[string][]schema.Row{}, Scopes: map[string][]schema.Row{}}
		for i := range 7 {
			r := make(schema.Row, len(t.Columns))
			for ci, c := range t.Columns {
				vals := trickyValues(c)
				r[ci] = vals[(i+ci)%len(vals)]
			}
			b.Rows[t.Name] = append(b.Rows[t.Name], r)
		}
		if cols := scopeColumns(t); cols != nil {
			s := make(schema.Row, len(cols))
			for i, c := range cols {
				s[i] = trickyValues(c)[0]
			}
			b.Scopes[t.Name] = []schema.Row{s}
		}
		batches = append(batches, b)
	}
	batches = append(batches, schema.Batch{RunID: "r", LoginID: "empty"}) // no rows at all
	return batches
}

// sameValue reports whether got, a decoded value, is exactly want, the
// value written: a sink stores the same for both, and got is already of the
// Go type the schema gives its column (a UTC time, a schema.Decimal, int64).
func sameValue(c schema.Column, want, got any) bool {
	w, err1 := Value(c, want)
	g, err2 := Value(c, got)
	if err1 != nil || err2 != nil {
		return false
	}
	switch wv := w.(type) {
	case nil:
		return got == nil
	case time.Time:
		gv, ok := got.(time.Time)
		return ok && wv.Equal(gv) && gv.Location() == time.UTC
	case schema.Decimal:
		gv := g.(schema.Decimal)
		_, isValue := got.(schema.Decimal)
		return isValue && wv.Scale == gv.Scale && wv.Unscaled.Cmp(gv.Unscaled) == 0
	default: // string, bool, int64
		return w == g && g == got
	}
}

func encode(t testing.TB, batches []schema.Batch) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := encodeGroup(&buf, batches); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every value of every column type reads back from a journal entry exactly,
// typed by its column, never through float64; scopes too.
func TestJournalRoundTripIsExact(t *testing.T) {
	want := trickyBatches()
	got, err := decodeGroup(encode(t, want))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d batches, want %d", len(got), len(want))
	}
	for bi := range want {
		w, g := want[bi], got[bi]
		if g.RunID != w.RunID || g.LoginID != w.LoginID {
			t.Errorf("batch %d: run %q login %q, want %q %q", bi, g.RunID, g.LoginID, w.RunID, w.LoginID)
		}
		for _, kind := range []struct {
			name       string
			want, got  map[string][]schema.Row
			scopeTuple bool
		}{{"rows", w.Rows, g.Rows, false}, {"scopes", w.Scopes, g.Scopes, true}} {
			if len(kind.got) != len(kind.want) {
				t.Errorf("batch %d: %s of %d tables, want %d", bi, kind.name, len(kind.got), len(kind.want))
			}
			for name, rows := range kind.want {
				tb := schema.Lookup(name)
				cols := tb.Columns
				if kind.scopeTuple {
					cols = scopeColumns(tb)
				}
				if len(kind.got[name]) != len(rows) {
					t.Fatalf("batch %d %s %s: %d tuples, want %d", bi, kind.name, name, len(kind.got[name]), len(rows))
				}
				for ri, r := range rows {
					for ci, c := range cols {
						if !sameValue(c, r[ci], kind.got[name][ri][ci]) {
							t.Errorf("%s %s[%d].%s: got %#v, want %#v", kind.name, name, ri, c.Name, kind.got[name][ri][ci], r[ci])
						}
					}
				}
			}
		}
	}
	// Numbers are never parsed as float64: the 23-digit integer inside the
	// JSON text and the 38-digit decimals came back whole (checked above);
	// and the entry holds decimals as strings.
	if raw := encode(t, want); bytes.Contains(raw, []byte("e+")) {
		t.Error("an entry holds a number in exponent notation")
	}
}

// An entry written before a column was added reads with NULL in it; one
// naming a column or table the schema does not have, or another format, is
// refused.
func TestJournalDecodeAcrossSchemaVersions(t *testing.T) {
	entry := func(format int, columns string, row string) []byte {
		return []byte(`{"format":` + strconv.Itoa(format) + `,"columns":{"securities":` + columns + `},"scope_columns":{},"batches":[` +
			`{"run_id":"r","login_id":"","rows":{"securities":[` + row + `]},"scopes":{}}]}`)
	}
	got, err := decodeGroup(entry(1, `["symbol","security_key"]`, `["XIC","sec-1"]`))
	if err != nil {
		t.Fatal(err)
	}
	r := got[0].Rows["securities"][0]
	for i, c := range schema.Securities.Columns {
		want := map[string]any{"symbol": "XIC", "security_key": "sec-1"}[c.Name]
		if r[i] != want {
			t.Errorf("%s = %#v, want %#v", c.Name, r[i], want)
		}
	}
	for name, bad := range map[string][]byte{
		"unknown column": entry(1, `["security_key","no_such"]`, `["sec-1","x"]`),
		"wrong width":    entry(1, `["security_key"]`, `["sec-1","x"]`),
		"future format":  entry(2, `["security_key"]`, `["sec-1"]`),
		"wrong type":     entry(1, `["security_key"]`, `[12]`),
		"not JSON":       []byte(`{"format":1,"batches":[`),
	} {
		if _, err := decodeGroup(bad); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if _, err := decodeGroup([]byte(`{"format":1,"columns":{"nope":["a"]},"batches":[{"run_id":"r","login_id":"l","rows":{"nope":[["a"]]}}]}`)); err == nil {
		t.Error("unknown table: decoded")
	}
}

// The journal refuses what the sinks refuse, and its errors never quote the
// value (personal data).
func TestJournalRefusesWhatSinksRefuse(t *testing.T) {
	secret := "4111222233334444"
	acct := func(col string, v any) []schema.Batch {
		r := accountRow("login-1", "A1", "1")
		r[schema.Accounts.Index(col)] = v
		return []schema.Batch{{RunID: "r", LoginID: "login-1", Rows: map[string][]schema.Row{"accounts": {r}}}}
	}
	for name, batches := range map[string][]schema.Batch{
		"float in a decimal column": acct("cash", 4111222233334444.5),
		"NULL in a key column":      acct("account_id", nil),
		"text in a bool column":     acct("registered", secret),
		"date not at midnight":      {positionsBatch("r", "l", "2025-01-31", positionRow("l", "A1", "S", "2025-01-31", "1"))},
		"unknown table":             {{RunID: "r", Rows: map[string][]schema.Row{"nope": {{secret}}}}},
		"row of the wrong width":    {{RunID: "r", Rows: map[string][]schema.Row{"accounts": {{secret}}}}},
		"scope of a plain table":    {{RunID: "r", Scopes: map[string][]schema.Row{"accounts": {{secret}}}}},
	} {
		if name == "date not at midnight" {
			batches[0].Rows["positions"][0][schema.Positions.Index("as_of_date")] = time.Date(2025, 1, 31, 12, 0, 0, 0, time.UTC)
		}
		var buf bytes.Buffer
		err := encodeGroup(&buf, batches)
		var ve *ValueError
		if !errors.As(err, &ve) {
			t.Errorf("%s: %v, want a *ValueError", name, err)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "4.1112") {
			t.Errorf("%s: the error quotes the value: %v", name, err)
		}
	}
}

func TestAppendDecimal(t *testing.T) {
	for _, c := range []struct {
		unscaled int64
		scale    int
		want     string
	}{
		{0, 18, `"0"`}, {0, 0, `"0"`}, {-11, 9, `"-0.000000011"`}, {15, 1, `"1.5"`}, {1500, 3, `"1.5"`},
		{12, 0, `"12"`}, {-120, 1, `"-12"`}, {1, 18, `"0.000000000000000001"`}, {-1000000, 6, `"-1"`},
		{123456789, 4, `"12345.6789"`},
	} {
		if got := string(appendDecimal(nil, big.NewInt(c.unscaled), c.scale)); got != c.want {
			t.Errorf("appendDecimal(%d, %d) = %s, want %s", c.unscaled, c.scale, got, c.want)
		}
	}
}
