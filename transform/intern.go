package transform

import "time"

// interner boxes values that repeat across rows (currencies, types, dates)
// once per transform, since every conversion to any allocates.
type interner struct {
	strs       map[string]any
	currencies map[string]any // as sent -> normalised, boxed (nil for empty)
	dates      map[time.Time]any
	dateTexts  map[string]any    // JSON text of a date as sent -> its boxed DATE
	types      map[string][2]any // transaction type as sent -> boxed (normalised, as sent)
}

func newInterner() *interner {
	return &interner{strs: map[string]any{}, currencies: map[string]any{}, dates: map[time.Time]any{}, dateTexts: map[string]any{}, types: map[string][2]any{}}
}

// currency returns the normalised code of a currency as sent, or nil.
func (in *interner) currency(raw string) any {
	if v, ok := in.currencies[raw]; ok {
		return v
	}
	var v any
	if n := normCurrency(raw); n != "" {
		v = in.str(n)
	}
	in.currencies[raw] = v
	return v
}

func (in *interner) str(s string) any {
	if v, ok := in.strs[s]; ok {
		return v
	}
	v := any(s)
	in.strs[s] = v
	return v
}

func (in *interner) date(d time.Time) any {
	if v, ok := in.dates[d]; ok {
		return v
	}
	v := any(d)
	in.dates[d] = v
	return v
}

// txType returns a transaction type as sent, normalised and as sent, boxed.
func (in *interner) txType(raw string) (normalized, asSent any) {
	if v, ok := in.types[raw]; ok {
		return v[0], v[1]
	}
	v := [2]any{in.str(NormalizeType(raw)), in.str(raw)}
	in.types[raw] = v
	return v[0], v[1]
}
