package schema

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
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

// ParseDecimal reads the text of a JSON number ("-12.5", "1e-9", "3E+2")
// exactly. Quoted numbers must be unquoted by the caller.
func ParseDecimal(s string) (Decimal, error) {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || i+1 == len(s) || e > 400 || e < -400 {
			return Decimal{}, ErrNotANumber
		}
		mant, exp = s[:i], e
	}
	neg := strings.HasPrefix(mant, "-")
	if neg {
		mant = mant[1:]
	}
	intPart, frac, hasPoint := strings.Cut(mant, ".")
	if intPart == "" || (hasPoint && frac == "") || !allDigits(intPart) || !allDigits(frac) {
		return Decimal{}, ErrNotANumber
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return Decimal{}, ErrNotANumber
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	scale := len(frac) - exp
	if digits == "" {
		return Decimal{}, nil
	}
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return Decimal{}, ErrNotANumber
	}
	if scale < 0 {
		u.Mul(u, pow10(-scale))
		scale = 0
	}
	if neg {
		u.Neg(u)
	}
	return Decimal{Unscaled: u, Scale: int32(scale)}.normalize(), nil
}

// MustDecimal is ParseDecimal for constants in tests and code; it panics on bad input.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(fmt.Sprintf("schema.MustDecimal(%q): %v", s, err))
	}
	return d
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// normalize drops trailing zero digits after the point, so equal numbers have
// equal representations.
func (d Decimal) normalize() Decimal {
	if d.Unscaled == nil || d.Unscaled.Sign() == 0 {
		return Decimal{}
	}
	u := new(big.Int).Set(d.Unscaled)
	ten, r := big.NewInt(10), new(big.Int)
	s := d.Scale
	for s > 0 {
		q, m := new(big.Int).QuoRem(u, ten, r)
		if m.Sign() != 0 {
			break
		}
		u, s = q, s-1
	}
	return Decimal{Unscaled: u, Scale: s}
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
