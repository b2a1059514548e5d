package flinkstest

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// jw appends JSON to a byte slice. Objects are written field by field so the
// sandbox controls member order, nulls, missing members and exact numbers.
type jw struct {
	b     []byte
	comma bool // a value was written at this level, the next needs a comma
}

func (w *jw) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.comma = true
}

func (w *jw) open(c byte) {
	w.sep()
	w.b = append(w.b, c)
	w.comma = false
}

func (w *jw) close(c byte) {
	w.b = append(w.b, c)
	w.comma = true
}

func (w *jw) key(k string) {
	w.sep()
	w.b = appendString(w.b, k)
	w.b = append(w.b, ':')
	w.comma = false
}

// Object members.
func (w *jw) str(k, v string) { w.key(k); w.b = appendString(w.b, v); w.comma = true }
func (w *jw) null(k string)   { w.key(k); w.b = append(w.b, "null"...); w.comma = true }
func (w *jw) num(k string, n num) {
	w.key(k)
	w.b = appendNum(w.b, n)
	w.comma = true
}
func (w *jw) int(k string, n int) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, int64(n), 10)
	w.comma = true
}
func (w *jw) bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
	w.comma = true
}
func (w *jw) raw(k, json string) { w.key(k); w.b = append(w.b, json...); w.comma = true }

// optStr writes a string, or null for "".
func (w *jw) optStr(k, v string) {
	if v == "" {
		w.null(k)
		return
	}
	w.str(k, v)
}

func (w *jw) date(k string, t time.Time) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.AppendFormat(w.b, time.DateOnly)
	w.b = append(w.b, '"')
	w.comma = true
}

func (w *jw) openKey(k string, c byte) {
	w.key(k)
	w.b = append(w.b, c)
	w.comma = false
}

// appendString writes s as a JSON string; non-ASCII UTF-8 is kept as is.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}
