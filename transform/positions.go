package transform

import (
	"bytes"
	"slices"
	"time"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

// lot is one readable position, before lots of the same security and date
// in one account are merged.
type lot struct {
	key                     string
	ref                     secRef
	sec                     *payload.Security
	date                    time.Time // the position's AsOfDate (price_date); zero when it has none
	qty, price, mv, bv, avg any       // schema.Decimal or nil
	currency                any
	path                    *elemPath
	raw                     []byte
	extra                   any
}

type lotKey struct {
	security string
	date     time.Time
}

// positionCols is the order in which positionRows gives the positions
// columns.
var positionCols = schema.Positions.Layout(
	"login_id", "account_id", "security_key", "as_of_date", "quantity", "price", "market_value", "book_value", "average_cost", "currency",
	"run_id", "synced_at", "extra", "price_date",
)

// positionsScopeCols is the order of the positions scope's columns.
var positionsScopeCols = schema.Positions.ScopeLayout("login_id", "as_of_date")

// positionRows loads the account's positions into the login's snapshot. A
// position that cannot be read whole is quarantined; lots of one security
// on one date are merged, and of one security on several dates only the
// latest date loads (see doc.go).
func (t *transformer) positionRows(a *account) {
	groups := map[lotKey][]*lot{}
	for i := range a.src.Positions {
		p := &a.src.Positions[i]
		at := &elemPath{a.path, "Positions", p.Index}
		r := reader{elem: at, box: t.box}
		for _, pr := range p.Problems {
			r.errs = append(r.errs, fieldErr{path: join(at.String(), pr.Path), reason: pr.Reason})
		}
		t.securityProblems(at, p.Security)
		l := &lot{path: at, raw: p.Raw, sec: p.Security}
		l.currency = r.currency("Currency", p.Currency)
		l.key, l.ref = t.securities.key(a.positionRefs[i])
		if l.key == "" && !hasErr(r.errs, at.String()+".Security") {
			r.errs = append(r.errs, fieldErr{path: at.String() + ".Security", reason: "security cannot be resolved: no Id, Isin, Cusip or Symbol"})
		}
		if d, ok := r.date("AsOfDate", p.AsOfDate).(time.Time); ok {
			l.date = d
		}
		l.qty = r.decimal("Quantity", p.Quantity)
		l.price = r.decimal("Price", p.Price)
		l.mv = r.decimal("MarketValue", p.MarketValue)
		l.bv = r.decimal("BookValue", p.BookValue)
		l.avg = r.decimal("AverageCost", p.AverageCost)
		if len(r.errs) > 0 {
			t.quarantine(a, schema.Positions.Name, "position", p.Raw, r.errs)
			continue
		}
		l.extra = a.mask.extra(p.Extra, nil)
		k := lotKey{l.key, l.date}
		groups[k] = append(groups[k], l)
	}

	latest := map[string]time.Time{} // security -> its latest AsOfDate in the account
	for k := range groups {
		if d, ok := latest[k.security]; !ok || k.date.After(d) {
			latest[k.security] = k.date
		}
	}
	values := make([]schema.Decimal, 0, len(latest))
	for k, lots := range groups {
		if !k.date.Equal(latest[k.security]) {
			t.superseded(a, lots)
			continue
		}
		l := t.mergeLots(a, lots)
		t.securities.use(l.key, l.sec, l.ref)
		var priceDate any
		if !l.date.IsZero() {
			priceDate = t.box.date(l.date)
		}
		t.positions = append(t.positions, t.positionRow.row(
			t.loginID, a.id, t.box.str(l.key), t.snapshot, l.qty, l.price, l.mv, l.bv, l.avg, l.currency,
			t.runID, t.syncedAt, l.extra, priceDate,
		))
		if d, ok := l.mv.(schema.Decimal); ok {
			values = append(values, d)
		}
	}
	a.positionsValue = sumExact(values)
}

// superseded quarantines the lots of a security that the account also
// reports with a later AsOfDate: one snapshot holds one row per security,
// and an older-dated entry is not added to the newer one.
func (t *transformer) superseded(a *account, lots []*lot) {
	for _, l := range lots {
		t.rejected.add(l.path.String(), schema.Positions.Name, "the account reports the same security with a later AsOfDate; position not loaded", a.mask.fragment(l.raw))
	}
}

// quarantine rejects a fragment, one row per unreadable member.
func (t *transformer) quarantine(a *account, table, what string, raw []byte, errs []fieldErr) {
	frag := a.mask.fragment(raw)
	for _, e := range errs {
		t.rejected.add(e.path, table, e.reason+"; "+what+" not loaded", frag)
	}
}

// mergeLots merges lots of one security on one date: quantities, market and
// book values add up exactly; price and average cost stay when every lot
// agrees and are NULL otherwise. Only lots in one currency merge: the
// currency most lots share (ties: the smallest code); the other lots are
// quarantined. Nothing here depends on array order.
func (t *transformer) mergeLots(a *account, lots []*lot) *lot {
	if len(lots) == 1 {
		return lots[0]
	}
	count := map[string]int{}
	for _, l := range lots {
		c, _ := l.currency.(string)
		count[c]++
	}
	best := ""
	for c, n := range count {
		if n > count[best] || (n == count[best] && c < best) {
			best = c
		}
	}
	slices.SortFunc(lots, func(x, y *lot) int { return bytes.Compare(x.raw, y.raw) })
	var m *lot
	var extras []any
	for _, l := range lots {
		if c, _ := l.currency.(string); c != best {
			t.rejected.add(l.path.String(), schema.Positions.Name, "more lots of the same security and date are in another currency; position not loaded", a.mask.fragment(l.raw))
			continue
		}
		if m == nil {
			first := *l
			m, extras = &first, []any{rawJSON(l.extra)}
			continue
		}
		qty, mv, bv := sum(m.qty, l.qty), sum(m.mv, l.mv), sum(m.bv, l.bv)
		if !fitsAll(qty, mv, bv) {
			t.rejected.add(l.path.String(), schema.Positions.Name, "merging this lot with another of the same security and date overflows DECIMAL(38,18); position not loaded", a.mask.fragment(l.raw))
			continue
		}
		m.qty, m.mv, m.bv = qty, mv, bv
		m.price, m.avg = same(m.price, l.price), same(m.avg, l.avg)
		extras = append(extras, rawJSON(l.extra))
	}
	if n := len(extras); n > 1 {
		more := map[string]any{"merged_lots": n}
		for _, e := range extras {
			if e != nil {
				more["lots_extra"] = extras
				break
			}
		}
		m.extra = a.mask.extra(nil, more)
	}
	return m
}

func sum(a, b any) any {
	x, okx := a.(schema.Decimal)
	y, oky := b.(schema.Decimal)
	switch {
	case okx && oky:
		return x.Add(y)
	case okx:
		return x
	case oky:
		return y
	}
	return nil
}

func same(a, b any) any {
	x, okx := a.(schema.Decimal)
	y, oky := b.(schema.Decimal)
	if okx && oky && x.Cmp(y) == 0 {
		return a
	}
	return nil
}

func fitsAll(vs ...any) bool {
	for _, v := range vs {
		if d, ok := v.(schema.Decimal); ok && fitsExact(d) != nil {
			return false
		}
	}
	return true
}

// securityProblems quarantines unreadable members of a security reference;
// the reference still resolves from its other identifiers.
func (t *transformer) securityProblems(at *elemPath, s *payload.Security) {
	if s == nil {
		return
	}
	var errs []fieldErr
	fail := func(name string, err error) {
		if err != nil {
			errs = append(errs, fieldErr{path: at.String() + ".Security." + name, reason: reasonOf(err)})
		}
	}
	for _, pr := range s.Problems {
		errs = append(errs, fieldErr{path: join(at.String()+".Security", pr.Path), reason: pr.Reason})
	}
	_, _, err := s.ID.Ident()
	fail("Id", err)
	_, _, err = s.Isin.Ident()
	fail("Isin", err)
	_, _, err = s.Cusip.Ident()
	fail("Cusip", err)
	_, _, err = s.Symbol.Ident()
	fail("Symbol", err)
	_, _, err = s.Name.String()
	fail("Name", err)
	_, _, err = s.Type.String()
	fail("Type", err)
	_, _, err = s.Currency.String()
	fail("Currency", err)
	for _, e := range errs {
		t.rejected.add(e.path, schema.Securities.Name, e.reason+"; ignored", nil)
	}
}
