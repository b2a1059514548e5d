package schema

import (
	"math/big"
	"strconv"
	"strings"
	"testing"
)

func TestParseDecimalExact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"0.000000011", "0.000000011"},
		{"12345678901234.5678", "12345678901234.5678"}, {"1250.10", "1250.1"},
		{"-384.00", "-384"}, {"1e-9", "0.000000001"}, {"1.5E+3", "1500"},
		{"2.5e2", "250"}, {"-0.1e1", "-1"}, {"123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"},
	}
	for _, c := range cases {
		d, err := ParseDecimal(c.in)
		if err != nil {
			t.Fatalf("ParseDecimal(%q): %v", c.in, err)
		}
		if got := d.String(); got != c.want {
			t.Errorf("ParseDecimal(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"", "-", "abc", "1.", ".5", "01", "1e", "1e+", "--1", "1.2.3", "NaN", "1e999"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("ParseDecimal(%q) accepted", bad)
		}
	}
}

func TestDecimalRescaleAndFit(t *testing.T) {
	d := MustDecimal("1.2345")
	u, err := d.Rescale(18)
	if err != nil || u.String() != "1234500000000000000" {
		t.Fatalf("Rescale(18) = %v, %v", u, err)
	}
	if _, err := MustDecimal("0.1234567890123456789").Rescale(18); err == nil {
		t.Error("19 fractional digits fit in scale 18")
	}
	if err := MustDecimal("123456789012345678901").FitsIn(Exact); err == nil {
		t.Error("21 integer digits fit in DECIMAL(38,18)")
	}
	if err := MustDecimal("-12345678901234567890.123456789012345678").FitsIn(Exact); err != nil {
		t.Errorf("20+18 digits do not fit: %v", err)
	}
}

func TestDecimalArithmetic(t *testing.T) {
	a, b := MustDecimal("0.1"), MustDecimal("0.2")
	if got := a.Add(b).String(); got != "0.3" {
		t.Errorf("0.1+0.2 = %s", got)
	}
	if got := a.Sub(b).String(); got != "-0.1" {
		t.Errorf("0.1-0.2 = %s", got)
	}
	if a.Cmp(b) != -1 || b.Cmp(a) != 1 || a.Cmp(MustDecimal("0.10")) != 0 {
		t.Error("Cmp is wrong")
	}
}

// longZeros is "1." followed by n zeros and "e0": one significant digit
// written with n trailing zeros, the shape that once took quadratic time.
func longZeros(n int) string {
	return "1." + strings.Repeat("0", n) + "e0"
}

// BenchmarkParseDecimalLongZeros parses the 240,000-zero number of issue 9
// (14.9 s per parse with the digit-at-a-time normalize): it is now refused as
// too long before any arithmetic.
func BenchmarkParseDecimalLongZeros(b *testing.B) {
	s := longZeros(240_000)
	for b.Loop() {
		if _, err := ParseDecimal(s); err != ErrNumberTooLong {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadNumberLongZeros reads "1.000…0e0" past the length bound
// (splitNumber and decimal, which ParseDecimal calls within it) at two sizes:
// ns/digit stays flat when the work is linear in the length.
func BenchmarkReadNumberLongZeros(b *testing.B) {
	for _, n := range []int{24_000, 240_000} {
		s := longZeros(n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				p, err := splitNumber(s)
				if d := p.decimal(); err != nil || d.Scale != 0 || d.Unscaled.Int64() != 1 {
					b.Fatalf("read %v, %v", d, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/digit")
		})
	}
}

// BenchmarkNormalizeLongZeros normalises 10^n × 10^-n (that is, 1) built
// directly, past any parsing bound, at two sizes: normalize strips the zeros
// with one conversion and one division, not one digit at a time (15.2 s for
// n = 240,000 before).
func BenchmarkNormalizeLongZeros(b *testing.B) {
	for _, n := range []int{24_000, 240_000} {
		d := Decimal{Unscaled: pow10(n), Scale: int32(n)}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if r := d.normalize(); r.Scale != 0 || r.Unscaled.Cmp(big.NewInt(1)) != 0 {
					b.Fatalf("normalize = %v", r)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/digit")
		})
	}
}
