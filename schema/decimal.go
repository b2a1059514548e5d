package schema

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Decimal is an exact decimal number, Unscaled × 10^-Scale. It is how every
// money, price and quantity travels from the JSON decoder to the warehouse;
// no float64 is ever involved. The zero value is 0.
type Decimal struct {
	Unscaled *big.Int // nil means 0
	Scale    int32    // digits after the point, >= 0
}

// ErrNotANumber is returned by ParseDecimal for text that is not a JSON number.
var ErrNotANumber = errors.New("not a number")

// MaxNumberLen bounds the text of a number, sign, point and exponent
// included, that ParseDecimal reads. Every money, price and quantity column is
// DECIMAL(38,18): at most 38 significant digits, so the plain form of any
// storable value ("-12345678901234567890.123456789012345678") has at most 40
// characters. 256 leaves room for generous zero padding; text beyond it cannot
// be a real amount, and refusing it before any arithmetic keeps hostile input
// cheap (a 240,000-digit "1.000…0e0" once took 14 s to read).
const MaxNumberLen = 256

// MaxExponent bounds the exponent of a number ParseDecimal reads. A nonzero
// number of at most MaxNumberLen characters with an exponent beyond ±300
// cannot fit DECIMAL(38,18) anyway, and 10^400 is still cheap to compute.
const MaxExponent = 400

// ErrNumberTooLong is returned by ParseDecimal for a JSON number beyond
// MaxNumberLen or MaxExponent. Its text never contains the number.
var ErrNumberTooLong = fmt.Errorf("number longer than %d characters or with an exponent beyond ±%d", MaxNumberLen, MaxExponent)

// ParseDecimal reads the text of a JSON number ("-12.5", "1e-9", "3E+2")
// exactly, in time linear in its length, and returns it normalised (no
// trailing zeros after the point). It accepts exactly the JSON number grammar
// (RFC 8259 §6): no '+' sign, no leading zeros, no space, no NaN. Quoted
// numbers must be unquoted by the caller.
func ParseDecimal(s string) (Decimal, error) {
	if len(s) > MaxNumberLen {
		return Decimal{}, ErrNumberTooLong
	}
	n, err := splitNumber(s)
	if err != nil {
		return Decimal{}, err
	}
	return n.decimal(), nil
}

// numberParts is a JSON number taken apart: -intPart.frac × 10^exp.
type numberParts struct {
	neg           bool
	intPart, frac string // ASCII digits; frac may be empty
	exp           int
}

// splitNumber checks s against the JSON number grammar
//
//	number = [ "-" ] ( "0" / digit1-9 *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]
//
// and returns its parts: ErrNotANumber when s breaks the grammar,
// ErrNumberTooLong when its exponent is beyond ±MaxExponent.
func splitNumber(s string) (numberParts, error) {
	var n numberParts
	i := 0
	if i < len(s) && s[i] == '-' {
		n.neg, i = true, i+1
	}
	start := i
	i = skipDigits(s, i)
	if i == start || (s[start] == '0' && i-start > 1) {
		return numberParts{}, ErrNotANumber
	}
	n.intPart = s[start:i]
	if i < len(s) && s[i] == '.' {
		start = i + 1
		if i = skipDigits(s, start); i == start {
			return numberParts{}, ErrNotANumber
		}
		n.frac = s[start:i]
	}
	var exp string
	negExp := false
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			negExp, i = s[i] == '-', i+1
		}
		start = i
		if i = skipDigits(s, start); i == start {
			return numberParts{}, ErrNotANumber
		}
		exp = s[start:i]
	}
	if i != len(s) {
		return numberParts{}, ErrNotANumber
	}
	e, ok := boundedInt(exp, MaxExponent)
	if !ok {
		return numberParts{}, ErrNumberTooLong
	}
	if negExp {
		e = -e
	}
	n.exp = e
	return n, nil
}

// skipDigits returns the index of the first non-digit of s at or after i.
func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// boundedInt reads a run of ASCII digits ("" is 0), leading zeros allowed;
// ok is false when the value exceeds limit.
func boundedInt(digits string, limit int) (v int, ok bool) {
	for i := 0; i < len(digits); i++ {
		v = v*10 + int(digits[i]-'0')
		if v > limit {
			return 0, false
		}
	}
	return v, true
}

// decimal builds the normalised Decimal: the significant digits without
// leading or trailing zeros, trailing zeros folded into the scale, so no
// division is ever needed.
func (n numberParts) decimal() Decimal {
	digits := strings.TrimLeft(n.intPart+n.frac, "0")
	if digits == "" {
		return Decimal{}
	}
	significant := strings.TrimRight(digits, "0")
	scale := len(n.frac) - n.exp - (len(digits) - len(significant))
	u, _ := new(big.Int).SetString(significant, 10) // only digits: cannot fail
	if scale < 0 {
		u.Mul(u, pow10(-scale))
		scale = 0
	}
	if n.neg {
		u.Neg(u)
	}
	return Decimal{Unscaled: u, Scale: int32(scale)}
}

// MustDecimal is ParseDecimal for constants in tests and code; it panics on bad input.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(fmt.Sprintf("schema.MustDecimal(%q): %v", s, err))
	}
	return d
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// normalize drops trailing zero digits after the point, so equal numbers have
// equal representations. It returns a new big.Int, never d's own, and strips
// any number of zeros with one decimal conversion and one division.
func (d Decimal) normalize() Decimal {
	if d.Unscaled == nil || d.Unscaled.Sign() == 0 {
		return Decimal{}
	}
	u := new(big.Int).Set(d.Unscaled)
	k := trailingZeros(u, d.Scale)
	if k > 0 {
		u.Quo(u, pow10(int(k)))
	}
	return Decimal{Unscaled: u, Scale: d.Scale - k}
}

// trailingZeros counts the zero digits that end u's decimal form (u != 0),
// at most limit of them.
func trailingZeros(u *big.Int, limit int32) int32 {
	if limit <= 0 {
		return 0
	}
	// 10^k divides u only if 2^k does: the binary zeros bound k cheaply.
	if tz := u.TrailingZeroBits(); uint(limit) > tz {
		limit = int32(tz)
	}
	var k int32
	if u.IsInt64() {
		for v := u.Int64(); k < limit && v%10 == 0; v /= 10 {
			k++
		}
		return k
	}
	text := u.Text(10)
	for k < limit && text[len(text)-1-int(k)] == '0' {
		k++
	}
	return k
}

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.Unscaled == nil || d.Unscaled.Sign() == 0 }

// Rescale returns the unscaled integer of d at the given scale. It fails
// rather than round when d has more fractional digits than scale allows.
func (d Decimal) Rescale(scale int32) (*big.Int, error) {
	n := d.normalize()
	if n.Unscaled == nil {
		return new(big.Int), nil
	}
	if n.Scale > scale {
		return nil, fmt.Errorf("%d digits after the point, more than the %d kept", n.Scale, scale)
	}
	return new(big.Int).Mul(n.Unscaled, pow10(int(scale-n.Scale))), nil
}

// FitsIn reports whether d can be stored in a column of type t without losing a digit.
func (d Decimal) FitsIn(t Type) error {
	u, err := d.Rescale(int32(t.Scale))
	if err != nil {
		return err
	}
	if len(new(big.Int).Abs(u).String()) > t.Width {
		return fmt.Errorf("more than %d integer digits", t.Width-t.Scale)
	}
	return nil
}

// Add returns d + e exactly.
func (d Decimal) Add(e Decimal) Decimal {
	s := max(d.Scale, e.Scale)
	a, _ := d.Rescale(s)
	b, _ := e.Rescale(s)
	return Decimal{Unscaled: a.Add(a, b), Scale: s}.normalize()
}

// Sub returns d - e exactly.
func (d Decimal) Sub(e Decimal) Decimal {
	s := max(d.Scale, e.Scale)
	a, _ := d.Rescale(s)
	b, _ := e.Rescale(s)
	return Decimal{Unscaled: a.Sub(a, b), Scale: s}.normalize()
}

// Abs returns |d|.
func (d Decimal) Abs() Decimal {
	if d.Unscaled == nil {
		return d
	}
	return Decimal{Unscaled: new(big.Int).Abs(d.Unscaled), Scale: d.Scale}
}

// Cmp compares d and e: -1, 0 or +1.
func (d Decimal) Cmp(e Decimal) int { return d.Sub(e).sign() }

func (d Decimal) sign() int {
	if d.Unscaled == nil {
		return 0
	}
	return d.Unscaled.Sign()
}

// String renders d in plain notation without trailing zeros: "-0.000000011".
func (d Decimal) String() string {
	n := d.normalize()
	if n.Unscaled == nil {
		return "0"
	}
	digits := new(big.Int).Abs(n.Unscaled).String()
	sign := ""
	if n.Unscaled.Sign() < 0 {
		sign = "-"
	}
	if n.Scale == 0 {
		return sign + digits
	}
	if pad := int(n.Scale) + 1 - len(digits); pad > 0 {
		digits = strings.Repeat("0", pad) + digits
	}
	cut := len(digits) - int(n.Scale)
	return sign + digits[:cut] + "." + digits[cut:]
}
