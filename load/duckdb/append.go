package duckdb

import (
	"database/sql/driver"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
)

// stageValue checks v, a row value of column c (load.Value), and converts it
// to what the Appender stores in c's staging column (appenderValue).
func stageValue(c schema.Column, v any) (driver.Value, error) {
	nv, err := load.Value(c, v)
	if err != nil {
		return nil, err
	}
	return appenderValue(c, nv), nil
}

// appenderValue converts v, a value of column c as load.Value returns it,
// to what an Appender stores in a column of c's type: a decimal becomes a
// duckdb.Decimal of the column's own width and scale (the Appender ignores
// the scale of the value it is given, so the value must be at the
// column's already, as load.Value leaves it); other values stay as they are.
func appenderValue(c schema.Column, v any) driver.Value {
	if d, ok := v.(schema.Decimal); ok {
		return duckdb.Decimal{Width: uint8(c.Type.Width), Scale: uint8(c.Type.Scale), Value: d.Unscaled}
	}
	return v
}
