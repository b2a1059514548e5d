package transform

import (
	"math/big"

	"github.com/syncer/syncer/schema"
)

// qualityCols is the order in which the checks give the data_quality
// columns.
var qualityCols = schema.DataQuality.Layout("run_id", "login_id", "account_id", "check_name", "expected", "actual", "difference", "passed")

// CheckValueReconciles is the data_quality check comparing an account's
// reported value with cash plus the market values of its positions.
const CheckValueReconciles = "value_reconciles"

// CheckSecurityAmbiguous prefixes the data_quality checks recording that an
// identifier names more than one security in a payload: the check_name is
// "security_ambiguous:" followed by the identifier (e.g.
// "security_ambiguous:symbol:ABC@CAD"), so that one account's ambiguities
// each keep their own row.
const CheckSecurityAmbiguous = "security_ambiguous"

// ValueTolerance is the largest |actual - expected| that passes
// CheckValueReconciles: half a cent, since every line arrives rounded to the
// cent and a true sum of rounded lines matches to the cent.
var ValueTolerance = schema.Decimal{Unscaled: big.NewInt(5), Scale: 3}

// reconcile records, for an account that reports its value, whether cash plus
// the sum of its loaded positions' market values (the whole snapshot)
// equals the reported AccountValue within ValueTolerance. A missing
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
	t.quality = append(t.quality, qualityCols.Row(t.runID, t.loginID, a.id, CheckValueReconciles, expected, act, dif, passed))
}

// reportAmbiguous records a failed CheckSecurityAmbiguous row for each
// identifier that the account's security references (of its positions and
// transactions, loaded or not) carry and that the payload gives more than
// one security: expected 1 key, actual the number of keys it is carried
// under. Another account of the login carrying it has its own row.
func (t *transformer) reportAmbiguous(a *account) {
	keys := map[string]int{}
	for _, sites := range [][]int32{a.positionRefs, a.transactionRefs} {
		for _, site := range sites {
			t.securities.sharedAt(site, keys)
		}
	}
	one := schema.Decimal{Unscaled: big.NewInt(1)}
	for id, n := range keys {
		actual := schema.Decimal{Unscaled: big.NewInt(int64(n))}
		t.quality = append(t.quality, qualityCols.Row(t.runID, t.loginID, a.id, CheckSecurityAmbiguous+":"+id, one, actual, actual.Sub(one), false))
		t.stats.QualityFailed++
	}
}

// sumExact adds decimals exactly with one accumulator, rather than one
// Decimal.Add (and its allocations) per term.
func sumExact(ds []schema.Decimal) schema.Decimal {
	var scale int32
	for _, d := range ds {
		scale = max(scale, d.Scale)
	}
	if scale > 40 {
		return slowSum(ds)
	}
	acc, term := new(big.Int), new(big.Int)
	for _, d := range ds {
		if d.Unscaled == nil {
			continue
		}
		if shift := scale - d.Scale; shift > 0 {
			acc.Add(acc, term.Mul(d.Unscaled, pow10[shift]))
		} else {
			acc.Add(acc, d.Unscaled)
		}
	}
	return schema.Decimal{Unscaled: acc, Scale: scale}.Add(schema.Decimal{}) // normalised
}

// pow10[i] is 10^i.
var pow10 = func() (p [41]*big.Int) {
	for i := range p {
		p[i] = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(i)), nil)
	}
	return p
}()

func slowSum(ds []schema.Decimal) schema.Decimal {
	var s schema.Decimal
	for _, d := range ds {
		s = s.Add(d)
	}
	return s
}
