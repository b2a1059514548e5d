package payload

import (
	"math/big"

	"github.com/syncer/syncer/schema"
)

// parseDecimal reads the text of a JSON number exactly, exactly as
// schema.ParseDecimal does (same grammar, same schema.MaxNumberLen bound, same
// errors), but without its big.Int arithmetic when the significant digits fit
// in a uint64 (the common case: one small allocation).
func parseDecimal(s []byte) (schema.Decimal, error) {
	if len(s) > schema.MaxNumberLen {
		return schema.Decimal{}, schema.ErrNumberTooLong
	}
	i, neg := 0, false
	if i < len(s) && s[i] == '-' {
		neg, i = true, i+1
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intEnd := i
	fracStart, fracEnd := i, i
	if i < len(s) && s[i] == '.' {
		i++
		fracStart = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		fracEnd = i
		if fracEnd == fracStart {
			return schema.Decimal{}, schema.ErrNotANumber
		}
	}
	if intEnd == intStart || (intEnd-intStart > 1 && s[intStart] == '0') {
		return schema.Decimal{}, schema.ErrNotANumber
	}
	if i < len(s) {
		// An exponent, or garbage: the exact slow path decides.
		return schema.ParseDecimal(string(s))
	}
	// Significant digits: integer part then fraction, leading zeros dropped,
	// trailing fraction zeros dropped (the normalised form).
	for fracEnd > fracStart && s[fracEnd-1] == '0' {
		fracEnd--
	}
	scale := fracEnd - fracStart
	var u uint64
	n := 0
	for _, part := range [2][]byte{s[intStart:intEnd], s[fracStart:fracEnd]} {
		for _, c := range part {
			if n == 0 && c == '0' {
				continue
			}
			if n == 19 {
				return schema.ParseDecimal(string(s))
			}
			u = u*10 + uint64(c-'0')
			n++
		}
	}
	if u == 0 {
		return schema.Decimal{}, nil
	}
	// One allocation holds the big.Int and its single word.
	cell := &smallInt{w: [1]big.Word{big.Word(u)}}
	if uint64(cell.w[0]) != u { // 32-bit words: let big.Int size itself
		cell.i.SetUint64(u)
	} else {
		cell.i.SetBits(cell.w[:])
	}
	if neg {
		cell.i.Neg(&cell.i)
	}
	return schema.Decimal{Unscaled: &cell.i, Scale: int32(scale)}, nil
}

type smallInt struct {
	i big.Int
	w [1]big.Word
}
