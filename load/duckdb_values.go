package load

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/syncer/syncer/schema"
)

// Value errors name what is wrong, never the value: it may be personal data.
var (
	errNull     = errors.New("NULL in a NOT NULL column")
	errNotDate  = errors.New("date is not midnight UTC (build it with schema.DateOf)")
	errBadJSON  = errors.New("not a valid JSON document")
	errBadWidth = errors.New("wrong number of values for the table's columns")
)

// ddbValue converts v, a row value of column c, to what the Appender stores
// in c's staging column. Decimals are rescaled to the column's own scale
// (the Appender ignores the scale of the value it is given) and rejected,
// never rounded, when they do not fit.
func ddbValue(c schema.Column, v any) (driver.Value, error) {
	if v == nil {
		if !c.Nullable {
			return nil, errNull
		}
		return nil, nil
	}
	switch c.Type.Kind {
	case schema.KindVarchar:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case schema.KindJSON:
		if s, ok := v.(string); ok {
			if !json.Valid([]byte(s)) {
				return nil, errBadJSON
			}
			return s, nil
		}
	case schema.KindDecimal:
		d, ok := v.(schema.Decimal)
		if p, isPtr := v.(*schema.Decimal); isPtr && p != nil {
			d, ok = *p, true
		}
		if ok {
			u, err := ddbUnscaled(d, c.Type)
			if err != nil {
				return nil, err
			}
			return duckdb.Decimal{Width: uint8(c.Type.Width), Scale: uint8(c.Type.Scale), Value: u}, nil
		}
	case schema.KindDate:
		if t, ok := v.(time.Time); ok {
			if !t.Equal(schema.DateOf(t)) {
				return nil, errNotDate
			}
			return t.UTC(), nil
		}
	case schema.KindTimestamp:
		if t, ok := v.(time.Time); ok {
			return t.UTC(), nil
		}
	case schema.KindBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case schema.KindBigInt:
		switch n := v.(type) {
		case int64:
			return n, nil
		case int:
			return int64(n), nil
		}
	}
	return nil, fmt.Errorf("a Go %T for a %s column", v, c.Type.DuckDB())
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

// ddbPow10 holds 10^0 ... 10^38, the range of DECIMAL widths and scales.
var ddbPow10 = func() (p [39]*big.Int) {
	for i := range p {
		p[i] = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(i)), nil)
	}
	return p
}()

// ddbUnscaled returns d's unscaled integer at t's scale, or an error if d
// has more fractional digits than t keeps or more integer digits than t
// holds. Nothing is ever rounded.
func ddbUnscaled(d schema.Decimal, t schema.Type) (*big.Int, error) {
	if t.Width < 1 || t.Width > 38 || t.Scale < 0 || t.Scale > t.Width {
		return nil, fmt.Errorf("unsupported column type %s", t.DuckDB())
	}
	var u *big.Int
	switch {
	case d.Unscaled == nil:
		u = new(big.Int)
	case d.Scale >= 0 && int(d.Scale) <= t.Scale:
		u = new(big.Int).Mul(d.Unscaled, ddbPow10[t.Scale-int(d.Scale)])
	default: // more digits after the point than kept: fine only if they are zeros
		var err error
		if u, err = d.Rescale(int32(t.Scale)); err != nil {
			return nil, err
		}
	}
	if u.CmpAbs(ddbPow10[t.Width]) >= 0 {
		return nil, fmt.Errorf("more than %d integer digits", t.Width-t.Scale)
	}
	return u, nil
}
