package load

import (
	"database/sql/driver"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/syncer/syncer/schema"
)

// ddbValue converts v, a row value of column c, to what the Appender stores
// in c's staging column: Value's form, a decimal as a duckdb.Decimal of the
// column's own width and scale (the Appender ignores the scale of the value
// it is given, so the value must already be at the column's).
func ddbValue(c schema.Column, v any) (driver.Value, error) {
	nv, err := Value(c, v)
	if d, ok := nv.(schema.Decimal); ok {
		return duckdb.Decimal{Width: uint8(c.Type.Width), Scale: uint8(c.Type.Scale), Value: d.Unscaled}, nil
	}
	return nv, err
}
