package payload

import (
	"errors"
	"strings"
	"testing"

	"github.com/syncer/syncer/schema"
)

// TestNumberGrammar: the scanner, Value.Decimal on a bare number and
// Value.Decimal on a quoted one all follow the JSON number grammar (RFC 8259
// §6). A form that is not a JSON number makes the document a syntax error
// and is refused inside a string.
func TestNumberGrammar(t *testing.T) {
	valid := []string{
		"0", "-0", "7", "-7", "10", "0.5", "-0.5", "12.50", "1e5", "1E5", "1e+5", "1E-5", "1e-0", "1e007",
		"0e0", "-0.0E+0", "123.456e-2", "-9.99E+2", "12345678901234567890123.5",
	}
	invalid := []string{
		"+1", "--1", "01", "-01", "00", ".5", "-.5", "1.", "1.e5", "1e", "1e+", "1e-", "e5", "-e5",
		"1e++5", "1e+-5", "1e-+5", "1e--5", "1ee5", "1e5.0", "1e5e5", "1.2.3", "0x10", "1_000",
		"NaN", "Infinity", "-Infinity", "1e+5x", "١", "1e٥",
	}
	doc := func(n string) []byte { return []byte(`{"Investments":[{"Accounts":[{"Id":"a","Cash":` + n + `}]}]}`) }
	for _, n := range valid {
		inv, err := Decode(doc(n))
		if err != nil {
			t.Errorf("Decode with Cash %s: %v", n, err)
			continue
		}
		if _, ok, err := inv.Institutions[0].Accounts[0].Cash.Decimal(); !ok || err != nil {
			t.Errorf("Decimal(%s) = %v, %v", n, ok, err)
		}
		if _, ok, err := RawValue(`"` + n + `"`).Decimal(); !ok || err != nil {
			t.Errorf(`Decimal("%s") = %v, %v`, n, ok, err)
		}
	}
	for _, n := range invalid {
		if _, err := Decode(doc(n)); !errors.Is(err, ErrSyntax) {
			t.Errorf("Decode with Cash %s: %v, want ErrSyntax", n, err)
		}
		if d, ok, err := RawValue(`"` + n + `"`).Decimal(); ok || !errors.Is(err, schema.ErrNotANumber) {
			t.Errorf(`Decimal("%s") = %v %v %v, want ErrNotANumber`, n, d, ok, err)
		}
		if d, ok, err := RawValue(n).Decimal(); ok || err == nil {
			t.Errorf("Decimal(%s) = %v %v %v, want an error", n, d, ok, err)
		}
	}
}

// TestDecimalRefusesAbsurdLengths: a number longer than schema.MaxNumberLen
// is refused with schema.ErrNumberTooLong, bare or quoted, with an exponent
// (the exact path) or without (the fast path), and the error does not echo it.
func TestDecimalRefusesAbsurdLengths(t *testing.T) {
	zeros := strings.Repeat("0", 240_000)
	for _, raw := range []string{
		"1." + zeros + "e0", `"1.` + zeros + `e0"`, "1." + zeros, `"1.` + zeros + `"`,
		"-" + strings.Repeat("9", schema.MaxNumberLen), "1e-401",
	} {
		d, ok, err := RawValue(raw).Decimal()
		if ok || !errors.Is(err, schema.ErrNumberTooLong) {
			t.Errorf("Decimal(%.12s… %d bytes) = %v %v %v, want ErrNumberTooLong", raw, len(raw), d, ok, err)
		}
		if err != nil && strings.Contains(err.Error(), "0000") {
			t.Errorf("error echoes the number: %v", err)
		}
	}
	edge := "-" + strings.Repeat("9", schema.MaxNumberLen-1)
	if _, ok, err := RawValue(edge).Decimal(); !ok || err != nil {
		t.Errorf("Decimal(%d characters) = %v %v, want a number", len(edge), ok, err)
	}
}

// TestDateRefusesYearZero: there is no year 0000 in the calendar Flinks
// writes (Go would read it as 1 BC); such dates and timestamps are errors.
func TestDateRefusesYearZero(t *testing.T) {
	for _, raw := range []string{`"0000-01-01"`, `"0000-02-29"`, `"0000-12-31T10:00:00"`, `"0000-06-01T00:00:00Z"`, `"0000-06-01 08:00:00"`} {
		if d, ok, err := RawValue(raw).Date(); ok || err == nil {
			t.Errorf("Date(%s) = %v %v %v, want an error", raw, d, ok, err)
		}
		if len(raw) > 12 {
			if ts, ok, err := RawValue(raw).Time(); ok || err == nil {
				t.Errorf("Time(%s) = %v %v %v, want an error", raw, ts, ok, err)
			}
		}
	}
	if ts, ok, err := RawValue(`"0001-01-01T01:00:00+05:00"`).Time(); ok || err == nil {
		t.Errorf("Time(0001-01-01T01:00:00+05:00) = %v %v %v, want an error (year 0 in UTC)", ts, ok, err)
	}
	if d, ok, err := RawValue(`"0001-01-01"`).Date(); !ok || err != nil || d.Year() != 1 {
		t.Errorf("Date(0001-01-01) = %v %v %v", d, ok, err)
	}
}
