package duckdb

import (
	"math/big"
	"testing"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// TestValueTexts: decimals keep every digit of their scale and their sign,
// intervals read as ISO 8601.
func TestValueTexts(t *testing.T) {
	for _, c := range []struct {
		unscaled string
		scale    uint8
		want     string
	}{
		{"123456789012345678000000000000000", 18, "123456789012345.678000000000000000"},
		{"-1", 3, "-0.001"},
		{"0", 2, "0.00"},
		{"42", 0, "42"},
		{"-170141183460469231731687303715884105727", 10, "-17014118346046923173168730371.5884105727"},
	} {
		v, _ := new(big.Int).SetString(c.unscaled, 10)
		if got := decimalText(duckdb.Decimal{Width: 38, Scale: c.scale, Value: v}); got != c.want {
			t.Errorf("decimalText(%s, scale %d) = %s, want %s", c.unscaled, c.scale, got, c.want)
		}
	}
	for _, c := range []struct {
		iv   duckdb.Interval
		want string
	}{
		{duckdb.Interval{}, "PT0S"},
		{duckdb.Interval{Months: 14, Days: 3, Micros: 4*3_600_000_000 + 5*60_000_000 + 6_500_000}, "P1Y2M3DT4H5M6.5S"},
		{duckdb.Interval{Days: -1}, "P-1D"},
		{duckdb.Interval{Micros: 1}, "PT0.000001S"},
	} {
		if got := intervalText(c.iv); got != c.want {
			t.Errorf("intervalText(%+v) = %s, want %s", c.iv, got, c.want)
		}
	}
}
