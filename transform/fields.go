package transform

import (
	"errors"
	"strconv"
	"strings"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

// reader reads the members of one payload object into row values, collecting
// a fieldErr (path and reason, never the value) for each member it cannot use.
// A member that fails reads as NULL.
type reader struct {
	base string
	elem *elemPath // when set, the base path (built only if a member fails)
	errs []fieldErr
	box  *interner // nil: no interning
	// bankingDates reads dates with payload.Value.BankingDate (YYYY/MM/DD too).
	bankingDates bool
}

// elemPath is the JSON path of an array element, kept in parts so that the
// string is only built when something must be reported there.
type elemPath struct {
	parent, array string
	index         int
}

func (p elemPath) String() string {
	return p.parent + "." + p.array + "[" + strconv.Itoa(p.index) + "]"
}

func (r *reader) path() string {
	if r.elem != nil {
		return r.elem.String()
	}
	return r.base
}

func (r *reader) fail(name string, err error) {
	r.errs = append(r.errs, fieldErr{path: r.path() + "." + name, reason: reasonOf(err)})
}

// reasonOf turns a decoding error into a reason that names what is wrong and
// never echoes the value.
func reasonOf(err error) string {
	var wt *payload.ErrWrongType
	switch {
	case errors.As(err, &wt):
		return wt.Error()
	case errors.Is(err, schema.ErrNotANumber):
		return "not a number"
	case errors.Is(err, schema.ErrNumberTooLong):
		return schema.ErrNumberTooLong.Error()
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "not a ") {
		return msg
	}
	return "unreadable value"
}

// text reads a string member; nil for null or missing.
func (r *reader) text(name string, v payload.Value) any {
	s, ok, err := v.String()
	if err != nil {
		r.fail(name, err)
		return nil
	}
	if !ok {
		return nil
	}
	return s
}

// ident reads an identifier (string or number), trimmed; nil when empty.
func (r *reader) ident(name string, v payload.Value) any {
	s, ok, err := v.Ident()
	if err != nil {
		r.fail(name, err)
		return nil
	}
	s = strings.TrimSpace(s)
	if !ok || s == "" {
		return nil
	}
	return s
}

// currency reads a currency code as upper-case ISO; nil when empty.
func (r *reader) currency(name string, v payload.Value) any {
	s, ok, err := v.String()
	if err != nil {
		r.fail(name, err)
		return nil
	}
	if !ok {
		return nil
	}
	if r.box != nil {
		return r.box.currency(s)
	}
	if n := normCurrency(s); n != "" {
		return n
	}
	return nil
}

func normCurrency(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// decimal reads an exact number that fits schema.Exact; never rounds.
func (r *reader) decimal(name string, v payload.Value) any {
	d, ok, err := v.Decimal()
	if err != nil {
		r.fail(name, err)
		return nil
	}
	if !ok {
		return nil
	}
	if err := fitsExact(d); err != nil {
		r.errs = append(r.errs, fieldErr{path: r.path() + "." + name, reason: "does not fit DECIMAL(38,18): " + err.Error()})
		return nil
	}
	return d
}

// fitsExact is schema.Decimal.FitsIn(schema.Exact) with a fast path for the
// common case: at most 18 fractional digits and an int64 unscaled value (at
// most 19 digits) always fit.
func fitsExact(d schema.Decimal) error {
	if d.Scale >= 0 && d.Scale <= int32(schema.Exact.Scale) && (d.Unscaled == nil || d.Unscaled.IsInt64()) {
		return nil
	}
	return d.FitsIn(schema.Exact)
}

func (r *reader) boolean(name string, v payload.Value) any {
	b, ok, err := v.Bool()
	if err != nil {
		r.fail(name, err)
		return nil
	}
	if !ok {
		return nil
	}
	return b
}

// date reads a strict date as midnight UTC (payload.Value.Date, or
// BankingDate when bankingDates is set).
func (r *reader) date(name string, v payload.Value) any {
	if r.box != nil {
		if d, ok := r.box.dateTexts[string(v.Raw())]; ok {
			return d
		}
	}
	read := v.Date
	if r.bankingDates {
		read = v.BankingDate
	}
	d, ok, err := read()
	if err != nil {
		r.fail(name, err)
		return nil
	}
	if !ok {
		return nil
	}
	if r.box != nil {
		boxed := any(d)
		r.box.dateTexts[string(v.Raw())] = boxed
		return boxed
	}
	return d
}
