package payload

import (
	"github.com/syncer/syncer/schema"
	"testing"
	"time"
)

func TestValueDecimal(t *testing.T) {
	for raw, want := range map[string]string{
		"12.50": "12.5", `"12.50"`: "12.5", "-0": "0", "1e-18": "0.000000000000000001", "-2.5E3": "-2500",
		"0.000": "0", "100": "100", "123456789012345678901234567890.5": "123456789012345678901234567890.5",
	} {
		d, ok, err := RawValue(raw).Decimal()
		if !ok || err != nil || d.String() != want {
			t.Errorf("Decimal(%s) = %v %v %v, want %s", raw, d, ok, err, want)
		}
	}
	for _, raw := range []string{`"abc"`, `" 12"`, `"NaN"`, `"0x10"`, `"1."`, `"01"`, "true", `""`} {
		if _, ok, err := RawValue(raw).Decimal(); ok || err == nil {
			t.Errorf("Decimal(%s) accepted", raw)
		}
	}
	if _, ok, err := RawValue("null").Decimal(); ok || err != nil {
		t.Error("null should be absent, not an error")
	}
}

func TestValueDate(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for raw, want := range map[string]time.Time{
		`"2025-01-31"`:                  day("2025-01-31"),
		`"2019-05-09T13:47:46.5227901"`: day("2019-05-09"),
		`"2025-01-30T23:30:00-05:00"`:   day("2025-01-30"),
		`"2025-01-28T00:00:00Z"`:        day("2025-01-28"),
		`"2025-01-27 08:00:00"`:         day("2025-01-27"),
		`"2024-02-29"`:                  day("2024-02-29"),
	} {
		got, ok, err := RawValue(raw).Date()
		if !ok || err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Date(%s) = %v %v %v, want %v", raw, got, ok, err, want)
		}
	}
	for _, raw := range []string{`"2023-02-29"`, `"2025-1-5"`, `"31/12/2024"`, `"2025-01-31Tgarbage"`, `"2025-01-31x"`, `20250105`, `""`} {
		if _, ok, err := RawValue(raw).Date(); ok || err == nil {
			t.Errorf("Date(%s) accepted", raw)
		}
	}
}

func TestValueTime(t *testing.T) {
	got, ok, err := RawValue(`"2019-05-09T13:47:46.5227901"`).Time()
	want := time.Date(2019, 5, 9, 13, 47, 46, 522790100, time.UTC)
	if !ok || err != nil || !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("Time = %v %v %v", got, ok, err)
	}
	got, _, _ = RawValue(`"2025-01-30T23:30:00-05:00"`).Time()
	if !got.Equal(time.Date(2025, 1, 31, 4, 30, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("offset time = %v", got)
	}
}

func TestValueIdentAndBool(t *testing.T) {
	if s, ok, err := RawValue("123").Ident(); s != "123" || !ok || err != nil {
		t.Errorf("numeric ident %q %v %v", s, ok, err)
	}
	if _, _, err := RawValue("true").Ident(); err == nil {
		t.Error("boolean ident accepted")
	}
	if b, ok, err := RawValue(`"true"`).Bool(); !b || !ok || err != nil {
		t.Error(`"true" should be true`)
	}
	if _, _, err := RawValue(`"yes"`).Bool(); err == nil {
		t.Error(`"yes" accepted as a boolean`)
	}
}

// FuzzParseDecimal: the fast parser agrees with schema.ParseDecimal on every
// input, value and error alike.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0", "12.50", "1e-18", "-2.5E3", "00", "1.", ".5", "18446744073709551615", "18446744073709551616.5",
		"9999999999999999999", "0.0000000000000000001", "123456789012345678901234567890", "1e400", "-", "", "1.0e+2", "0.000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := schema.ParseDecimal(s)
		got, gerr := parseDecimal([]byte(s))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: error %v, schema says %v", s, gerr, werr)
		}
		if werr == nil && (got.String() != want.String() || got.Scale != want.Scale) {
			t.Fatalf("%q: %s (scale %d), schema says %s (scale %d)", s, got, got.Scale, want, want.Scale)
		}
	})
}

// FuzzParseDateOnly: the fast date parser agrees with time.Parse.
func FuzzParseDateOnly(f *testing.F) {
	for _, s := range []string{"2025-01-31", "2024-02-29", "2023-02-29", "0000-01-01", "2025-13-01", "2025-00-10", "2025-1-05", "+025-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := time.Parse(time.DateOnly, s)
		got, ok := parseDateOnly(s)
		if ok != (werr == nil) || (ok && !got.Equal(want)) {
			t.Fatalf("%q: %v %v, time.Parse says %v %v", s, got, ok, want, werr)
		}
	})
}
