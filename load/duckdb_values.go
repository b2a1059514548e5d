package load

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
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
			if err := d.FitsIn(c.Type); err != nil {
				return nil, err
			}
			u, err := d.Rescale(int32(c.Type.Scale))
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
	Row    int
	Column string // "" when the row as a whole is wrong
	Err    error
}

func (e *ValueError) Error() string {
	where := fmt.Sprintf("batch %d (run %s): %s row %d", e.Batch, e.RunID, e.Table, e.Row)
	if e.Column != "" {
		where += " column " + e.Column
	}
	return where + ": " + e.Err.Error()
}

func (e *ValueError) Unwrap() error { return e.Err }
