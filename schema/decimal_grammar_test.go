package schema

import (
	"errors"
	"math/big"
	"strings"
	"testing"
)

// jsonNumbers is the JSON number grammar (RFC 8259 §6) as a table:
//
//	number = [ "-" ] int [ frac ] [ exp ]
//	int    = "0" / ( digit1-9 *DIGIT )
//	frac   = "." 1*DIGIT
//	exp    = ( "e" / "E" ) [ "-" / "+" ] 1*DIGIT
var jsonNumbers = struct{ valid, invalid []string }{
	valid: []string{
		"0", "-0", "7", "-7", "10", "1234567890", "0.5", "-0.5", "0.000", "12.50",
		"1e5", "1E5", "1e+5", "1E+5", "1e-5", "1E-5", "1e0", "1e-0", "1e+0", "1e007", "1E-007",
		"0e0", "-0e-0", "0.0e+0", "123.456e-2", "-9.99E+2", "1e400", "1e-400",
	},
	invalid: []string{
		"", "-", "+", "+1", "--1", "-+1", "01", "-01", "00", "00.5", ".5", "-.5", "1.", "-1.", "1.e5",
		"1e", "1E", "1e+", "1e-", "e5", "E5", "-e5", "1e++5", "1e+-5", "1e-+5", "1e--5", "1ee5", "1eE5",
		"1e5.0", "1e5e5", "1e 5", "1.2.3", "1..2", "0x10", "1_000", "1,5", "NaN", "Infinity", "-Infinity",
		" 1", "1 ", "\t1", "1\n", "1e5 ", "١", "１", "1e٥", "1e+5x", "1x", "0.5.", "1e401", "1e-401",
	},
}

// TestParseDecimalGrammar: ParseDecimal accepts exactly the JSON number
// grammar (within the exponent bound), and each accepted number has the
// value math/big gives it.
func TestParseDecimalGrammar(t *testing.T) {
	for _, s := range jsonNumbers.valid {
		d, err := ParseDecimal(s)
		if err != nil {
			t.Errorf("ParseDecimal(%q): %v", s, err)
			continue
		}
		want, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("big.Rat refuses %q", s)
		}
		got := new(big.Rat).SetFrac(d.unscaled(), pow10(int(d.Scale)))
		if got.Cmp(want) != 0 {
			t.Errorf("ParseDecimal(%q) = %s, want %s", s, d, want.FloatString(20))
		}
	}
	for _, s := range jsonNumbers.invalid {
		if d, err := ParseDecimal(s); err == nil {
			t.Errorf("ParseDecimal(%q) accepted as %s", s, d)
		}
	}
}

func (d Decimal) unscaled() *big.Int {
	if d.Unscaled == nil {
		return new(big.Int)
	}
	return d.Unscaled
}

// TestParseDecimalRefusesAbsurdLengths: text longer than MaxNumberLen is
// refused with ErrNumberTooLong before any arithmetic, as is an exponent
// beyond ±MaxExponent; a number of exactly MaxNumberLen characters is read.
func TestParseDecimalRefusesAbsurdLengths(t *testing.T) {
	for _, s := range []string{
		longZeros(240_000),
		"1." + strings.Repeat("0", MaxNumberLen-1),
		strings.Repeat("9", MaxNumberLen+1),
		"1e401", "1e-401", "0e99999999999999999999",
	} {
		if _, err := ParseDecimal(s); !errors.Is(err, ErrNumberTooLong) {
			t.Errorf("ParseDecimal(%d characters) = %v, want ErrNumberTooLong", len(s), err)
		}
	}
	edge := "1." + strings.Repeat("0", MaxNumberLen-2)
	if d, err := ParseDecimal(edge); err != nil || d.String() != "1" || d.Scale != 0 {
		t.Errorf("ParseDecimal(%d characters) = %v (scale %d), %v; want 1", len(edge), d, d.Scale, err)
	}
	if strings.Contains(ErrNumberTooLong.Error(), "000") {
		t.Error("the error must not echo digits")
	}
}

// TestNormalize: trailing zeros after the point go, however many, and the
// result never shares the receiver's big.Int.
func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		unscaled  string
		scale     int32
		want      string
		wantScale int32
	}{
		{"12300", 2, "123", 0}, {"12300", 1, "1230", 0}, {"1000", 5, "1", 2}, {"-5000", 3, "-5", 0},
		{"7", 3, "7", 3}, {"10", 0, "10", 0}, {"0", 4, "0", 0}, {"-120", 1, "-12", 0},
		{"1" + strings.Repeat("0", 5000), 5000, "1", 0}, {"25" + strings.Repeat("0", 3000), 2999, "250", 0},
		{"123456789012345678901234567890000", 30, "12345678901234567890123456789", 26},
	} {
		u, _ := new(big.Int).SetString(c.unscaled, 10)
		in := Decimal{Unscaled: u, Scale: c.scale}
		n := in.normalize()
		if n.unscaled().String() != c.want || n.Scale != c.wantScale {
			t.Errorf("normalize(%.20s…e-%d) = %v scale %d, want %s scale %d", c.unscaled, c.scale, n.Unscaled, n.Scale, c.want, c.wantScale)
		}
		if n.Unscaled != nil && n.Unscaled == in.Unscaled {
			t.Errorf("normalize(%.20s…) shares its big.Int", c.unscaled)
		}
	}
}
