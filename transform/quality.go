package transform

import (
	"math/big"

	"github.com/syncer/syncer/schema"
)

// CheckValueReconciles is the data_quality check comparing an account's
// reported value with cash plus the market values of its latest positions.
const CheckValueReconciles = "value_reconciles"

// ValueTolerance is the largest |actual - expected| that passes
// CheckValueReconciles: half a cent, since every line arrives rounded to the
// cent and a true sum of rounded lines matches to the cent.
var ValueTolerance = schema.Decimal{Unscaled: big.NewInt(5), Scale: 3}

// reconcile records, for an account that reports its value, whether cash plus
// the sum of its positions' market values (on the account's latest as-of
// date) equals the reported AccountValue within ValueTolerance. A missing
// cash or market value counts as 0. The row keeps expected, actual and their
// difference, so a reader can apply a looser tolerance in SQL.
func (t *transformer) reconcile(a *account) {
	if a.value == nil {
		return
	}
	expected := *a.value
	actual := a.positionsValue
	if a.cash != nil {
		actual = actual.Add(*a.cash)
	}
	diff := actual.Sub(expected)
	passed := diff.Abs().Cmp(ValueTolerance) <= 0
	var act, dif any = actual, diff
	if fitsExact(actual) != nil || fitsExact(diff) != nil {
		act, dif, passed = nil, nil, false
	}
	if !passed {
		t.stats.QualityFailed++
	}
	t.quality = append(t.quality, schema.Row{t.runID, t.loginID, a.id, CheckValueReconciles, expected, act, dif, passed})
}
