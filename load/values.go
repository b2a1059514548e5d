package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/syncer/syncer/schema"
)

// Value errors name what is wrong, never the value: it may be personal data.
var (
	// ErrNull is a NULL in a NOT NULL column, or in a scope tuple.
	ErrNull = errors.New("NULL in a NOT NULL column")
	// ErrBadWidth is a row or scope tuple with the wrong number of values.
	ErrBadWidth = errors.New("wrong number of values for the table's columns")
	errNotDate  = errors.New("date is not midnight UTC (build it with schema.DateOf)")
	errBadJSON  = errors.New("not a valid JSON document")
)

// Value checks v, a value of column c, and returns it in the one form every
// sink stores for c's type, or an error that says what is wrong and never
// quotes the value:
//
//   - NULL is nil, refused (ErrNull) in a NOT NULL column;
//   - VARCHAR is a string, JSON a string holding one valid JSON document;
//   - DECIMAL is a schema.Decimal at the column's own scale (its Unscaled
//     counts units of 10^-Scale), from a Decimal or *Decimal of any scale;
//     one with more fractional digits than the column keeps (other than
//     zeros) or more integer digits than it holds is refused, never rounded;
//   - DATE is a time.Time at midnight UTC (schema.DateOf), TIMESTAMP a
//     time.Time in UTC;
//   - BOOLEAN is a bool, BIGINT an int64 (from an int64 or an int).
//
// Each sink converts these to its engine's own values, and nothing else.
func Value(c schema.Column, v any) (any, error) {
	if v == nil {
		if !c.Nullable {
			return nil, ErrNull
		}
		return nil, nil
	}
	// A value already in its stored form is returned as it came, boxed
	// once: a Commit passes every cell of every row through here.
	switch c.Type.Kind {
	case schema.KindVarchar:
		if _, ok := v.(string); ok {
			return v, nil
		}
	case schema.KindJSON:
		if s, ok := v.(string); ok {
			if !json.Valid([]byte(s)) {
				return nil, errBadJSON
			}
			return v, nil
		}
	case schema.KindDecimal:
		d, ok := v.(schema.Decimal)
		if p, isPtr := v.(*schema.Decimal); isPtr && p != nil {
			d, ok = *p, true
		}
		if ok {
			u, err := unscaled(d, c.Type)
			if err != nil {
				return nil, err
			}
			return schema.Decimal{Unscaled: u, Scale: int32(c.Type.Scale)}, nil
		}
	case schema.KindDate:
		if t, ok := v.(time.Time); ok {
			if !t.Equal(schema.DateOf(t)) {
				return nil, errNotDate
			}
			return utc(v, t), nil
		}
	case schema.KindTimestamp:
		if t, ok := v.(time.Time); ok {
			return utc(v, t), nil
		}
	case schema.KindBoolean:
		if _, ok := v.(bool); ok {
			return v, nil
		}
	case schema.KindBigInt:
		switch n := v.(type) {
		case int64:
			return v, nil
		case int:
			return int64(n), nil
		}
	}
	return nil, fmt.Errorf("a Go %T for a %s column", v, c.Type)
}

// utc returns t (boxed as v) in UTC, as t.UTC() leaves it: v itself when it
// is so already.
func utc(v any, t time.Time) any {
	if u := t.UTC(); u != t {
		return u
	}
	return v
}

// ValueError locates a value a sink refused: by batch index in the Commit
// call, table, row and column; never the value itself.
type ValueError struct {
	Batch  int
	RunID  string
	Table  string
	Row    int    // -1 when the batch as a whole is wrong
	Column string // "" when the row as a whole is wrong
	Err    error
}

func (e *ValueError) Error() string {
	where := fmt.Sprintf("batch %d (run %s): table %s", e.Batch, e.RunID, e.Table)
	if e.Row >= 0 {
		where += fmt.Sprintf(" row %d", e.Row)
	}
	if e.Column != "" {
		where += " column " + e.Column
	}
	return where + ": " + e.Err.Error()
}

func (e *ValueError) Unwrap() error { return e.Err }

// pow10 holds 10^0 ... 10^38, the range of DECIMAL widths and scales.
var pow10 = func() (p [39]*big.Int) {
	for i := range p {
		p[i] = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(i)), nil)
	}
	return p
}()

// unscaled returns d's unscaled integer at t's scale, or an error if d has
// more fractional digits than t keeps or more integer digits than t holds.
// Nothing is ever rounded.
func unscaled(d schema.Decimal, t schema.Type) (*big.Int, error) {
	if t.Width < 1 || t.Width > 38 || t.Scale < 0 || t.Scale > t.Width {
		return nil, fmt.Errorf("unsupported column type %s", t)
	}
	var u *big.Int
	switch {
	case d.Unscaled == nil:
		u = new(big.Int)
	case d.Scale >= 0 && int(d.Scale) <= t.Scale:
		u = new(big.Int).Mul(d.Unscaled, pow10[t.Scale-int(d.Scale)])
	default: // more digits after the point than kept: fine only if they are zeros
		var err error
		if u, err = d.Rescale(int32(t.Scale)); err != nil {
			return nil, err
		}
	}
	if u.CmpAbs(pow10[t.Width]) >= 0 {
		return nil, fmt.Errorf("more than %d integer digits", t.Width-t.Scale)
	}
	return u, nil
}
