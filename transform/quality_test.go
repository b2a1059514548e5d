package transform

import (
	"testing"

	"github.com/syncer/syncer/schema"
)

func TestSumExact(t *testing.T) {
	for _, tc := range [][]string{
		{}, {"0"}, {"1.5", "-1.5"}, {"0.000000000000000001", "99999999999999999999"}, {"12.345", "-0.005", "7"},
		{"1e-40", "1"}, {"123456789012345678901234567890", "0.1"},
	} {
		var ds []schema.Decimal
		want := schema.Decimal{}
		for _, s := range tc {
			d := schema.MustDecimal(s)
			ds = append(ds, d)
			want = want.Add(d)
		}
		if got := sumExact(ds); got.String() != want.String() || got.Scale != want.Scale {
			t.Errorf("sumExact(%v) = %s (scale %d), want %s (scale %d)", tc, got, got.Scale, want, want.Scale)
		}
	}
}
