package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/syncer/syncer/schema"
)

// Value is one scalar member of the payload, kept as its exact JSON text so
// that numbers never pass through float64. The zero Value is a missing member.
//
// A Value refers to the immutable text Decode copied from the body: String
// returns strings that share that memory instead of copying each one, so
// the bytes from Raw must never be modified.
type Value struct {
	raw json.RawMessage // nil when missing; never empty otherwise
}

// RawValue builds a Value from JSON text, for tests and generators.
func RawValue(text string) Value {
	if text == "" {
		text = "null" // an empty text is not JSON; keep "present" distinct from missing
	}
	return Value{raw: json.RawMessage(text)}
}

// Missing reports whether the member was absent.
func (v Value) Missing() bool { return v.raw == nil }

// Null reports whether the member was absent or JSON null.
func (v Value) Null() bool { return v.raw == nil || v.kind() == 'n' }

// Raw returns the member's JSON text (nil when missing). Do not modify it.
func (v Value) Raw() json.RawMessage { return v.raw }

// kind returns the first significant byte: '"', '{', '[', 't', 'f', 'n', or a digit/'-' for numbers.
func (v Value) kind() byte {
	for _, c := range v.raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c
	}
	return 0
}

func kindName(k byte) string {
	switch k {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	}
	return "a number"
}

// ErrWrongType says a member holds another JSON type than expected. Its text
// names the types, never the value.
type ErrWrongType struct{ Want, Got string }

func (e *ErrWrongType) Error() string { return fmt.Sprintf("expected %s, got %s", e.Want, e.Got) }

// String returns a string member. ok is false for null or missing; err is
// set for any other JSON type.
func (v Value) String() (s string, ok bool, err error) {
	if v.Null() {
		return "", false, nil
	}
	if v.kind() != '"' {
		return "", false, &ErrWrongType{Want: "a string", Got: kindName(v.kind())}
	}
	if in := v.raw[1 : len(v.raw)-1]; plain(in) {
		return view(in), true, nil
	}
	return unquote(v.raw)
}

// unquote decodes a JSON string with escapes or invalid UTF-8, as
// encoding/json does. Kept apart so that its escaping variable does not make
// every String call allocate.
func unquote(raw []byte) (string, bool, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, err
	}
	return s, true, nil
}

// plain reports whether string contents need no unescaping: no backslash,
// and valid UTF-8 (encoding/json replaces invalid bytes).
func plain(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c >= utf8.RuneSelf {
			return utf8.Valid(b) && bytes.IndexByte(b, '\\') < 0
		}
	}
	return true
}

// Text returns a string member, or "" for null, missing or another type.
func (v Value) Text() string {
	s, _, _ := v.String()
	return s
}

// Decimal returns a number member exactly. A string holding a number
// ("12.50") is accepted too, since some Flinks fields arrive quoted. err is
// schema.ErrNotANumber for text outside the JSON number grammar and
// schema.ErrNumberTooLong for a number beyond schema.MaxNumberLen characters
// (or schema.MaxExponent), which cannot be a real amount.
func (v Value) Decimal() (d schema.Decimal, ok bool, err error) {
	if v.Null() {
		return schema.Decimal{}, false, nil
	}
	text := v.raw
	switch k := v.kind(); {
	case k == '"':
		if in := v.raw[1 : len(v.raw)-1]; plain(in) {
			text = in
		} else {
			s, _, err := unquote(v.raw)
			if err != nil {
				return schema.Decimal{}, false, err
			}
			text = []byte(s)
		}
	case k == '-' || (k >= '0' && k <= '9'):
	default:
		return schema.Decimal{}, false, &ErrWrongType{Want: "a number", Got: kindName(k)}
	}
	d, err = parseDecimal(text)
	if err != nil {
		return schema.Decimal{}, false, err
	}
	return d, true, nil
}

// Bool returns a boolean member (true/false, or the strings "true"/"false").
func (v Value) Bool() (b bool, ok bool, err error) {
	if v.Null() {
		return false, false, nil
	}
	switch string(v.raw) {
	case "true", `"true"`:
		return true, true, nil
	case "false", `"false"`:
		return false, true, nil
	}
	return false, false, &ErrWrongType{Want: "a boolean", Got: kindName(v.kind())}
}

// Date returns a date member as midnight UTC. It accepts exactly
// "YYYY-MM-DD", or a whole timestamp that Time accepts, whose calendar date is
// taken as written (a zone-less Flinks timestamp is UTC; an offset is not
// applied, so "2025-01-31T23:00:00-05:00" is 2025-01-31). Anything else,
// including a valid date followed by garbage or the year 0000, is an error.
func (v Value) Date() (t time.Time, ok bool, err error) {
	s, ok, err := v.String()
	if !ok || err != nil {
		return time.Time{}, ok, err
	}
	var y, d int
	var m time.Month
	if len(s) == len(time.DateOnly) {
		t, ok := parseDateOnly(s)
		if !ok {
			return time.Time{}, false, errNotDate
		}
		y, m, d = t.Date()
	} else if ts, err := parseTime(s); err == nil {
		y, m, d = ts.Date()
	} else {
		return time.Time{}, false, errNotDate
	}
	if y < 1 {
		return time.Time{}, false, errYearZero
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true, nil
}

// BankingDate is Date for the banking payload, whose older responses write
// dates "YYYY/MM/DD": it accepts exactly that form too, and everything Date
// accepts.
func (v Value) BankingDate() (t time.Time, ok bool, err error) {
	s, ok, err := v.String()
	if !ok || err != nil {
		return time.Time{}, ok, err
	}
	if len(s) == len("2006/01/02") && s[4] == '/' && s[7] == '/' {
		t, ok := parseDateOnly(s[:4] + "-" + s[5:7] + "-" + s[8:])
		switch {
		case !ok:
			return time.Time{}, false, errNotBankingDate
		case t.Year() < 1:
			return time.Time{}, false, errYearZero
		}
		return t, true, nil
	}
	t, ok, err = v.Date()
	if errors.Is(err, errNotDate) {
		err = errNotBankingDate
	}
	return t, ok, err
}

var (
	errNotDate        = errors.New("not a date (want YYYY-MM-DD)")
	errNotBankingDate = errors.New("not a date (want YYYY-MM-DD or YYYY/MM/DD)")
	errNotTime        = errors.New("not a timestamp")
	// errYearZero refuses the year 0000: the Gregorian calendar has none
	// (1 BC is followed by AD 1), and Go, DuckDB and Parquet would each store
	// it as 1 BC, a date no financial record carries.
	errYearZero = errors.New("not a date: year 0000 does not exist")
)

// FlinksTimeLayout parses Flinks' zone-less UTC timestamps with 0 to 7
// fractional digits, e.g. "2019-05-09T13:47:46.5227901".
const FlinksTimeLayout = "2006-01-02T15:04:05.9999999"

// Time returns a timestamp member as UTC: RFC 3339 with a zone, or Flinks'
// zone-less form (UTC), with "T" or a space between date and time. A year
// written 0000 is an error, as in Date.
func (v Value) Time() (t time.Time, ok bool, err error) {
	s, ok, err := v.String()
	if !ok || err != nil {
		return time.Time{}, ok, err
	}
	t, err = parseTime(s)
	if err != nil {
		return time.Time{}, false, err
	}
	if t.Year() < 1 || t.UTC().Year() < 1 { // as written or in UTC
		return time.Time{}, false, errYearZero
	}
	return t.UTC(), true, nil
}

// parseTime parses s keeping its own offset (UTC when it has none).
func parseTime(s string) (time.Time, error) {
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(FlinksTimeLayout, s, time.UTC); err == nil {
		return t, nil
	}
	return time.Time{}, errNotTime
}

// Ident returns an identifier member: a string, or a number's JSON text
// (some sources send numeric ids). ok is false for null or missing; err is
// set for booleans, objects and arrays.
func (v Value) Ident() (s string, ok bool, err error) {
	switch k := v.kind(); {
	case v.Null():
		return "", false, nil
	case k == '-' || (k >= '0' && k <= '9'):
		return string(v.raw), true, nil
	}
	s, ok, err = v.String()
	if err != nil {
		return "", false, &ErrWrongType{Want: "a string or number", Got: kindName(v.kind())}
	}
	return s, ok, nil
}

// parseDateOnly parses "YYYY-MM-DD" strictly, as time.Parse(time.DateOnly)
// does, without its generality.
func parseDateOnly(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	n := func(b string) (int, bool) {
		v := 0
		for i := 0; i < len(b); i++ {
			if b[i] < '0' || b[i] > '9' {
				return 0, false
			}
			v = v*10 + int(b[i]-'0')
		}
		return v, true
	}
	y, ok1 := n(s[:4])
	m, ok2 := n(s[5:7])
	d, ok3 := n(s[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// view returns b as a string without copying. Only for the immutable text
// that Decode and RawValue own.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
