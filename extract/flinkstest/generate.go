package flinkstest

import (
	"math/rand/v2"
	"time"
)

// This file draws a login's holdings; payload.go writes them as JSON. The
// structure (institutions, accounts, which securities, base quantities) is
// drawn from Seed and the LoginId only; what depends on the as-of date (the
// day's prices, slowly drifting quantities, the transaction window) comes from
// hashes of the date, so two as-of dates show the same accounts.

type institution struct {
	name, id string
}

var institutions = []institution{
	{"FlinksCapital", "14"}, {"Desjardins", "1"}, {"Questrade", "17"}, {"Wealthsimple", "33"},
	{"RBC Direct Investing", "8"}, {"Banque Nationale", "4"}, {"Disnat", "21"},
}

type accountType struct {
	typ        string
	registered bool
	names      []string
	weight     int
}

var accountTypes = []accountType{
	{"tfsa", true, []string{"Self-directed TFSA", "CELI autogéré"}, 22},
	{"rrsp", true, []string{"Self-directed RRSP", "REER autogéré"}, 20},
	{"cash", false, []string{"Cash account", "Compte au comptant"}, 14},
	{"margin", false, []string{"Margin account", "Compte sur marge"}, 10},
	{"fhsa", true, []string{"FHSA"}, 5},
	{"resp", true, []string{"Family RESP", "REEE familial"}, 5},
	{"lira", true, []string{"Locked-in retirement account"}, 3},
	{"rrif", true, []string{"RRIF"}, 3},
	{"short", false, []string{"Short account", "Compte à découvert"}, 5},
	{"long", false, []string{"Long account"}, 2},
	{"unknown", false, []string{"Account ☂ 日本"}, 1},
}

var accountTypeWeights = func() int {
	t := 0
	for _, a := range accountTypes {
		t += a.weight
	}
	return t
}()

// holdings is everything drawn for one login.
type holdings struct {
	loginHash uint64
	groups    []accountGroup // one per institution; nil Investments when empty
}

type accountGroup struct {
	inst     institution
	accounts []account
}

type account struct {
	idx              int
	id, number, name string
	typ, currency    string
	registered       bool
	cash, mismatch   num
	extra            int8 // 0 none, else which unknown member
	positions        []position
	held             []int // universe indexes of the positions
	malformed        bool  // carries the malformed fragments
}

type position struct {
	sec                                int
	qty, inc, avg                      num
	bookNull, avgMissing, cusipMissing bool
	extra                              bool
}

// drawHoldings draws the date-independent part of a login's data.
func drawHoldings(seed int64, loginID string, malformed bool) holdings {
	r := newRand(seed, loginID, streamData)
	h := holdings{loginHash: mix(uint64(seed), hashString(normalizeLogin(loginID)))}
	n := pickWeighted(r, []int{5, 30, 30, 18, 10, 7})
	if malformed && n == 0 {
		n = 1
	}
	first := institutions[primaryInstitution(seed, loginID)]
	if n == 0 {
		if r.IntN(2) == 0 {
			h.groups = []accountGroup{{inst: first}}
		}
		return h
	}
	h.groups = []accountGroup{{inst: first}}
	split := n
	if n >= 2 && r.IntN(100) < 15 {
		split = (n + 1) / 2
		second := institutions[(primaryInstitution(seed, loginID)+1+r.IntN(len(institutions)-1))%len(institutions)]
		h.groups = append(h.groups, accountGroup{inst: second})
	}
	for i := 0; i < n; i++ {
		a := drawAccount(r, h.loginHash, i, malformed && i == 0)
		g := 0
		if i >= split {
			g = 1
		}
		h.groups[g].accounts = append(h.groups[g].accounts, a)
	}
	return h
}

// primaryInstitution is the index of the login's first institution, which
// Authorize names too.
func primaryInstitution(seed int64, loginID string) int {
	r := newRand(seed, loginID, streamAccount)
	if r.IntN(100) < 60 {
		return 0 // most logins are at FlinksCapital, as in Flinks' sandbox
	}
	return r.IntN(len(institutions))
}

func drawAccount(r *rand.Rand, loginHash uint64, idx int, malformed bool) account {
	t := accountTypes[0]
	w := r.IntN(accountTypeWeights)
	for _, at := range accountTypes {
		if w < at.weight {
			t = at
			break
		}
		w -= at.weight
	}
	a := account{
		idx:        idx,
		id:         guid(mix(loginHash, uint64(idx), 1), mix(loginHash, uint64(idx), 2)),
		number:     pad(int(r.Int64N(990000000)+10000000), 8),
		name:       t.names[r.IntN(len(t.names))],
		typ:        t.typ,
		registered: t.registered,
		currency:   "cad",
		malformed:  malformed,
	}
	if r.IntN(4) == 0 {
		a.currency = "usd"
	}
	switch c := r.IntN(40); {
	case c == 0:
		a.cash = num{u: 123456789012345678, s: 4} // 12345678901234.5678
	case c < 3:
		a.cash = num{s: 2}
	default:
		a.cash = num{u: r.Int64N(5000000), s: 2}
		if a.typ == "margin" && r.IntN(3) == 0 {
			a.cash = a.cash.neg()
		}
	}
	if r.IntN(25) == 0 {
		a.mismatch = num{u: 1 + r.Int64N(9), s: 2}
	}
	if r.IntN(10) == 0 {
		a.extra = int8(1 + r.IntN(2))
	}
	npos := 0
	if r.IntN(10) != 0 {
		npos = 1 + r.IntN(8)
	}
	if malformed {
		npos = max(npos, 1)
	}
	pool := byCurrency[a.currency]
	for len(a.positions) < npos {
		sec := pool[r.IntN(len(pool))]
		if contains(a.held, sec) {
			continue
		}
		a.held = append(a.held, sec)
		a.positions = append(a.positions, drawPosition(r, sec, a.typ == "short"))
	}
	return a
}

func drawPosition(r *rand.Rand, sec int, short bool) position {
	s := &universe[sec]
	p := position{sec: sec}
	switch s.qty {
	case qtyWhole:
		p.qty = num{u: 1 + r.Int64N(2000)}
	case qtyUnits4:
		p.qty = num{u: 10000 + r.Int64N(50000000), s: 4}
	case qtyUnits6:
		p.qty = num{u: 1000000 + r.Int64N(5000000000), s: 6}
	case qtyCrypto:
		p.qty = num{u: 10000 + r.Int64N(500000000), s: 8}
	case qtyMicro:
		p.qty = num{u: 100000000 + r.Int64N(1000000000000), s: 2}
	}
	if s.qty != qtyWhole && r.IntN(5) == 0 {
		p.inc = num{u: 1 + r.Int64N(100), s: p.qty.s} // units accrue a little every day
	}
	if short {
		p.qty, p.inc = p.qty.neg(), p.inc.neg()
	}
	p.avg = s.price.mulRound(num{u: 8000 + r.Int64N(3000), s: 4}, max(s.price.s, 4))
	p.bookNull = r.IntN(12) == 0
	p.avgMissing = r.IntN(10) == 0
	p.cusipMissing = r.IntN(8) == 0
	p.extra = r.IntN(15) == 0
	return p
}

// quantityOn is the position's quantity on a day.
func (p position) quantityOn(day int64) num {
	if p.inc.u == 0 {
		return p.qty
	}
	return p.qty.add(num{u: p.inc.u * (day % 365), s: p.inc.s})
}

// priceOn is a security's price on a day: its base price moved by up to ±3%,
// the same for every login.
func priceOn(sec int, day int64) num {
	base := universe[sec].price
	drift := int64(mix(uint64(sec), uint64(day), 0x9c)%601) - 300
	return base.mulRound(num{u: 10000 + drift, s: 4}, base.s)
}

// dayNumber is the count of days from 1970-01-01 to t's UTC date.
func dayNumber(t time.Time) int64 { return t.UTC().Unix() / 86400 }

func dateOfDay(day int64) time.Time { return time.Unix(day*86400, 0).UTC() }

func pickWeighted(r *rand.Rand, weights []int) int {
	t := 0
	for _, w := range weights {
		t += w
	}
	x := r.IntN(t)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
