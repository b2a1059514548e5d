package flinkstest

import (
	"math/big"
	"math/bits"
	"strconv"
)

// num is an exact decimal u × 10^-s used to build payload numbers. Numbers
// are emitted from their digits (appendNum), never through float64.
type num struct {
	u int64
	s int8
}

var pow10s = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// rescale returns n at scale s (s >= n.s).
func (n num) rescale(s int8) num {
	if s <= n.s {
		return n
	}
	return num{u: n.u * pow10s[s-n.s], s: s}
}

func (n num) add(m num) num {
	s := max(n.s, m.s)
	return num{u: n.rescale(s).u + m.rescale(s).u, s: s}
}

func (n num) neg() num { return num{u: -n.u, s: n.s} }

// mulRound returns n × m rounded half away from zero to scale s.
func (n num) mulRound(m num, s int8) num {
	ps := n.s + m.s
	a, b := n.u, m.u
	neg := (a < 0) != (b < 0)
	if a < 0 {
		a = -a
	}
	if b < 0 {
		b = -b
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	var q int64
	switch {
	case ps <= s:
		q = int64(lo) * pow10s[s-ps] // products here are small
	case hi == 0 && lo < 1<<63:
		d := uint64(pow10s[ps-s])
		q = int64((lo + d/2) / d)
	default:
		p := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
		d := big.NewInt(pow10s[ps-s])
		p.Add(p, new(big.Int).Rsh(d, 1))
		q = p.Quo(p, d).Int64()
	}
	if neg {
		q = -q
	}
	return num{u: q, s: s}
}

// appendNum writes n as JSON number text with exactly n.s fractional digits.
func appendNum(b []byte, n num) []byte {
	u := n.u
	if u < 0 {
		b = append(b, '-')
		u = -u
	}
	if n.s == 0 {
		return strconv.AppendInt(b, u, 10)
	}
	p := pow10s[n.s]
	b = strconv.AppendInt(b, u/p, 10)
	b = append(b, '.')
	frac := u % p
	var tmp [20]byte
	digits := strconv.AppendInt(tmp[:0], frac, 10)
	for i := len(digits); i < int(n.s); i++ {
		b = append(b, '0')
	}
	return append(b, digits...)
}

// String renders n like appendNum, for tests and messages.
func (n num) String() string { return string(appendNum(nil, n)) }
