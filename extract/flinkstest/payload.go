package flinkstest

import (
	"math/rand/v2"
	"time"
)

// TransactionWindowDays is how many days of activity a payload carries,
// ending on the as-of date: a later as-of date still shows the earlier
// transactions inside the window (with the same Ids) plus the new ones.
const TransactionWindowDays = 45

// Payload returns the exact body of the 200 the sandbox serves for loginID on
// asOf's UTC date, once any transient fault is spent: the data of the day it
// was last refreshed (asOf's, or earlier for a StaleLogin). For a persistent
// FaultMalformed login it is the malformed body; for other fault logins it is
// the healthy body that the fault hides. Tests use it to compute the rows a
// sync must land.
func Payload(seed int64, loginID string, asOf time.Time) []byte {
	spec, _ := parseFaultLogin(normalizeLogin(loginID))
	return appendPayload(make([]byte, 0, 16<<10), seed, loginID, dataAsOf(loginID, asOf), spec.fault == FaultMalformed && spec.times == 0)
}

func appendPayload(b []byte, seed int64, loginID string, asOf time.Time, malformed bool) []byte {
	h := drawHoldings(seed, loginID, malformed)
	day := dayNumber(asOf)
	w := &jw{b: b}
	w.open('{')
	w.openKey("Investments", '[')
	for _, g := range h.groups {
		w.open('{')
		w.str("Name", g.inst.name)
		w.str("Id", g.inst.id)
		w.openKey("Accounts", '[')
		for i := range g.accounts {
			writeAccount(w, &h, &g.accounts[i], day)
		}
		w.close(']')
		w.close('}')
	}
	w.close(']')
	w.null("Message")
	w.close('}')
	return w.b
}

// valued is a position's figures on a day.
type valued struct{ qty, price, mv, book num }

func (a *account) valuesOn(day int64) []valued {
	vals := make([]valued, len(a.positions))
	for i, p := range a.positions {
		q := p.quantityOn(day)
		price := priceOn(p.sec, day)
		vals[i] = valued{q, price, q.mulRound(price, 2), q.mulRound(p.avg, 2)}
	}
	return vals
}

func sumMarketValue(vals []valued) num {
	sum := num{s: 2}
	for _, v := range vals {
		sum = sum.add(v.mv)
	}
	return sum
}

func writeAccount(w *jw, h *holdings, a *account, day int64) {
	vals := a.valuesOn(day)
	value := a.cash.add(sumMarketValue(vals)).add(a.mismatch)
	w.open('{')
	w.str("Id", a.id)
	w.str("FullAccountId", a.name+" "+a.number+" "+upper(a.currency))
	w.str("AccountId", a.number)
	w.str("Name", a.name)
	w.str("Type", a.typ)
	w.bool("Registered", a.registered)
	w.str("Currency", a.currency)
	w.num("Cash", a.cash)
	w.num("AccountValue", value)
	w.num("CurrencyValue", value)
	switch a.extra {
	case 1:
		w.null("OverdraftLimit")
	case 2:
		w.str("Nickname", "Épargne 日本 ✓")
	}
	w.openKey("Positions", '[')
	for i, p := range a.positions {
		s := &universe[p.sec]
		v := vals[i]
		w.open('{')
		if a.malformed && i == 0 {
			w.str("Quantity", "abc")
		} else {
			w.num("Quantity", v.qty)
		}
		w.num("Price", v.price)
		w.num("MarketValue", v.mv)
		if p.bookNull {
			w.null("BookValue")
		} else {
			w.num("BookValue", v.book)
		}
		if !p.avgMissing {
			w.num("AverageCost", p.avg)
		}
		w.str("Currency", s.currency)
		w.date("AsOfDate", dateOfDay(day))
		w.key("Security")
		w.comma = false
		writeSecurity(w, s, p.cusipMissing, p.extra)
		if p.extra {
			w.raw("UnrealizedGainLoss", string(appendNum(nil, v.mv.add(v.book.neg()))))
		}
		w.close('}')
	}
	w.close(']')
	w.openKey("Transactions", '[')
	writeTransactions(w, h, a, day)
	w.close(']')
	w.close('}')
}

// writeSecurity writes a full Security object as a value.
func writeSecurity(w *jw, s *security, cusipMissing, extra bool) {
	w.open('{')
	w.str("Id", s.id)
	w.str("Symbol", s.symbol)
	w.str("Name", s.name)
	if s.cusip != "" || !cusipMissing {
		w.optStr("Cusip", s.cusip)
	}
	w.optStr("Isin", s.isin)
	w.str("Type", s.typ)
	w.str("Currency", s.currency)
	if extra {
		w.str("Exchange", "TSX")
	}
	w.close('}')
}

// writeSecurityRef writes a partial reference to s, as transactions carry.
func writeSecurityRef(w *jw, s *security, r *rand.Rand) {
	w.key("Security")
	w.comma = false
	switch x := r.IntN(100); {
	case x < 15:
		writeSecurity(w, s, false, false)
		return
	case x < 70:
		w.open('{')
		w.str("Id", s.id)
		w.str("Symbol", s.symbol)
	case x < 85:
		w.open('{')
		w.str("Symbol", s.symbol)
	case x < 95 && s.isin != "":
		w.open('{')
		w.str("Isin", s.isin)
	default:
		w.open('{')
		w.str("Id", s.id)
	}
	w.close('}')
}

var txTypes = []string{"buy", "sell", "dividend", "reinvestment", "deposit", "withdrawal", "fee", "interest", "transfer", "split", "other", "journal"}
var txWeights = []int{25, 10, 15, 5, 15, 7, 7, 8, 4, 1, 2, 1}

// writeTransactions writes the account's activity in the window ending on
// day. Each transaction derives from (login, account, date, ordinal) alone,
// so its Id and content are the same whatever the as-of date.
func writeTransactions(w *jw, h *holdings, a *account, day int64) {
	pcg := rand.NewPCG(0, 0)
	r := rand.New(pcg)
	for d := day - TransactionWindowDays + 1; d <= day; d++ {
		hd := mix(h.loginHash, uint64(a.idx), uint64(d), streamTx)
		n := 0
		switch hd % 100 {
		case 0, 1, 2:
			n = 2
		case 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14:
			n = 1
		}
		for j := 0; j < n; j++ {
			pcg.Seed(hd, uint64(j))
			writeTransaction(w, r, a, d, guid(mix(hd, uint64(j), 1), mix(hd, uint64(j), 2)))
		}
	}
	if a.malformed {
		writeMalformedTransactions(w, h, a, day)
	}
}

func writeTransaction(w *jw, r *rand.Rand, a *account, day int64, id string) {
	typ := txTypes[pickWeighted(r, txWeights)]
	var sec *security
	idx := 0
	switch typ {
	case "buy", "sell", "dividend", "reinvestment", "split":
		if len(a.held) > 0 && r.IntN(10) < 7 {
			idx = a.held[r.IntN(len(a.held))]
		} else {
			pool := byCurrency[a.currency]
			idx = pool[r.IntN(len(pool))] // may be a security no position holds
		}
		sec = &universe[idx]
	}
	w.open('{')
	w.str("Id", id)
	date := dateOfDay(day)
	w.date("Date", date)
	switch x := r.IntN(30); {
	case x < 3:
		w.null("SettlementDate")
	case x < 5:
	case typ == "buy" || typ == "sell":
		w.date("SettlementDate", date.AddDate(0, 0, 2))
	default:
		w.date("SettlementDate", date)
	}
	w.str("Type", typ)
	fees := num{s: 2}
	switch x := r.IntN(20); {
	case x < 8:
		fees.u = 495
	case x < 12:
		fees.u = 999
	}
	cents := num{u: 1 + r.Int64N(500000), s: 2}
	switch typ {
	case "buy", "sell", "reinvestment", "split":
		price := priceOn(idx, day)
		q := tradeQuantity(r, sec)
		w.str("Description", describe(typ, sec))
		if typ == "split" {
			w.num("Quantity", q)
			w.null("Price")
			w.num("NetAmount", num{s: 2})
			break
		}
		gross := q.mulRound(price, 2)
		net := gross.neg().add(fees.neg())
		if typ == "sell" {
			q = q.neg()
			net = gross.add(fees.neg())
		}
		if typ == "reinvestment" {
			net = gross.neg()
		}
		w.num("Quantity", q)
		w.num("Price", price)
		switch x := r.IntN(20); {
		case typ == "reinvestment" || x == 0:
			// no Fees member
		case x == 1:
			w.null("Fees")
		default:
			w.num("Fees", fees)
		}
		w.num("NetAmount", net)
	case "dividend":
		w.str("Description", describe(typ, sec))
		w.num("NetAmount", cents)
	default:
		w.str("Description", describe(typ, nil))
		if r.IntN(2) == 0 {
			w.null("Quantity")
		}
		switch typ {
		case "withdrawal", "fee":
			cents = cents.neg()
		case "transfer", "other", "journal":
			if r.IntN(2) == 0 {
				cents = cents.neg()
			}
		}
		w.num("NetAmount", cents)
	}
	if r.IntN(30) != 0 {
		w.str("Currency", a.currency)
	}
	if sec != nil {
		writeSecurityRef(w, sec, r)
	} else if r.IntN(2) == 0 {
		w.null("Security")
	}
	switch r.IntN(40) {
	case 0, 1:
		w.raw("ExchangeRate", "1.3612")
	case 2:
		w.null("Notes")
	}
	w.close('}')
}

// writeMalformedTransactions adds the two broken transactions of a
// FaultMalformed login: one without an Id, one whose Date is not a date.
func writeMalformedTransactions(w *jw, h *holdings, a *account, day int64) {
	w.open('{')
	w.date("Date", dateOfDay(day))
	w.str("Type", "deposit")
	w.str("Description", "Dépôt sans identifiant")
	w.raw("NetAmount", "100.00")
	w.str("Currency", a.currency)
	w.close('}')
	w.open('{')
	w.str("Id", guid(mix(h.loginHash, 0xbad, 1), mix(h.loginHash, 0xbad, 2)))
	w.str("Date", "31/12/2024")
	w.str("Type", "fee")
	w.str("Description", "Frais — date illisible")
	w.raw("NetAmount", "-4.95")
	w.str("Currency", a.currency)
	w.close('}')
}

func tradeQuantity(r *rand.Rand, s *security) num {
	switch s.qty {
	case qtyUnits4:
		return num{u: 1 + r.Int64N(10000000), s: 4}
	case qtyUnits6:
		return num{u: 1 + r.Int64N(1000000000), s: 6}
	case qtyCrypto:
		return num{u: 1 + r.Int64N(100000000), s: 8}
	case qtyMicro:
		return num{u: 1 + r.Int64N(100000000000), s: 2}
	}
	return num{u: 1 + r.Int64N(500)}
}

func describe(typ string, s *security) string {
	switch typ {
	case "buy":
		return "BUY " + s.symbol
	case "sell":
		return "VENTE " + s.symbol
	case "dividend":
		return "Dividende — " + s.name
	case "reinvestment":
		return "DRIP " + s.symbol
	case "split":
		return "Split " + s.symbol
	case "deposit":
		return "Dépôt"
	case "withdrawal":
		return "Retrait"
	case "fee":
		return "Frais d'administration"
	case "interest":
		return "Intérêts créditeurs"
	case "transfer":
		return "Transfert 振替"
	}
	return "Écriture de journal"
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}
