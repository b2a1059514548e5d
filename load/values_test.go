package load

import (
	"math/big"
	"testing"

	"github.com/syncer/syncer/schema"
)

// TestValueDecimals: a decimal lands at its column's scale, exactly, or is
// refused; never rounded.
func TestValueDecimals(t *testing.T) {
	small := schema.Type{Kind: schema.KindDecimal, Width: 6, Scale: 2}
	tests := []struct {
		in      schema.Decimal
		typ     schema.Type
		want    string // unscaled at the column's scale; "" for an error
		comment string
	}{
		{schema.Decimal{Unscaled: big.NewInt(12345), Scale: 2}, schema.Exact, "123450000000000000000", "the Appender scale trap: 123.45"},
		{schema.MustDecimal("0.000000000000000001"), schema.Exact, "1", "smallest step"},
		{schema.MustDecimal("1E-19"), schema.Exact, "", "one digit too fine"},
		{schema.Decimal{Unscaled: big.NewInt(1000), Scale: 20}, schema.Exact, "10", "too fine but trailing zeros"},
		{schema.MustDecimal("99999999999999999999.999999999999999999"), schema.Exact, "99999999999999999999999999999999999999", "largest"},
		{schema.MustDecimal("-99999999999999999999.999999999999999999"), schema.Exact, "-99999999999999999999999999999999999999", "most negative"},
		{schema.MustDecimal("100000000000000000000"), schema.Exact, "", "21 integer digits"},
		{schema.Decimal{}, schema.Exact, "0", "zero value"},
		{schema.MustDecimal("9999.99"), small, "999999", "narrow column, full"},
		{schema.MustDecimal("10000"), small, "", "narrow column, overflow"},
		{schema.MustDecimal("-0.5"), small, "-50", "negative half"},
	}
	for _, tt := range tests {
		v, err := Value(schema.Column{Name: "c", Type: tt.typ}, tt.in)
		got, _ := v.(schema.Decimal)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%s: %s into %s = %s, want an error", tt.comment, tt.in, tt.typ, got.Unscaled)
		case tt.want != "" && (err != nil || got.Unscaled.String() != tt.want || int(got.Scale) != tt.typ.Scale):
			t.Errorf("%s: %s into %s = %v (scale %d), %v; want %s", tt.comment, tt.in, tt.typ, got.Unscaled, got.Scale, err, tt.want)
		}
	}
}
