package transform

import (
	"slices"

	"github.com/syncer/syncer/payload"
)

// numberSet is every account number of one payload, to be found in free text
// however it is written. A number is compared by its skeleton: its ASCII
// letters and digits, letters upper-cased ("ab-12345" is AB12345).
type numberSet struct {
	skeletons map[string]bool
	lengths   []int // the distinct skeleton lengths, ascending
	minDigits int   // fewest digits in a skeleton: a text with fewer holds no number
}

// minNumberChars is the shortest skeleton searched in text: a shorter number
// (a year, a branch) would be found everywhere, and masking keeps four
// characters anyway.
const minNumberChars = 5

// payloadNumbers collects the account number (AccountId) of every account of
// the payload, loaded or not.
func payloadNumbers(inv *payload.Investments) *numberSet {
	var numbers []string
	for i := range inv.Institutions {
		for j := range inv.Institutions[i].Accounts {
			numbers = append(numbers, accountNumberOf(&inv.Institutions[i].Accounts[j]))
		}
	}
	return newNumberSet(numbers)
}

// newNumberSet returns the set of the given numbers' skeletons of at least
// minNumberChars characters, or nil when there is none.
func newNumberSet(numbers []string) *numberSet {
	n := &numberSet{skeletons: map[string]bool{}}
	for _, s := range numbers {
		sk := skeleton(s)
		if len(sk) < minNumberChars || n.skeletons[sk] {
			continue
		}
		digits := countDigits(sk)
		if len(n.skeletons) == 0 || digits < n.minDigits {
			n.minDigits = digits
		}
		n.skeletons[sk] = true
		if !slices.Contains(n.lengths, len(sk)) {
			n.lengths = append(n.lengths, len(sk))
		}
	}
	if len(n.skeletons) == 0 {
		return nil
	}
	slices.Sort(n.lengths)
	return n
}

// skeleton returns the ASCII letters and digits of s, letters upper-cased.
func skeleton(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; isAlnum(c) {
			b = append(b, upper(c))
		}
	}
	return string(b)
}

func isAlnum(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

// isNumberSeparator reports whether c may stand alone between two characters
// of an account number written in groups: a space, a hyphen or a dot.
func isNumberSeparator(c byte) bool { return c == ' ' || c == '-' || c == '.' }

// mark stars, in out, every letter and digit but the last four of each
// occurrence of a number of the set in s. An occurrence is the number's
// skeleton, compared without regard to letter case, read from a stretch of s
// whose letters and digits are adjacent or separated by exactly one space,
// hyphen or dot; it may sit inside a longer stretch ("ACCT33334444X").
// out may be nil; it is returned, still nil when nothing was starred.
func (n *numberSet) mark(s string, out []byte) []byte {
	if countDigits(s) < n.minDigits {
		return out
	}
	var posBuf [64]int
	var skelBuf [64]byte
	pos := posBuf[:0]   // byte offsets of the stretch's letters and digits
	skel := skelBuf[:0] // those characters, upper-cased
	for i := 0; i < len(s); {
		if !isAlnum(s[i]) {
			i++
			continue
		}
		pos, skel = pos[:0], skel[:0]
		for i < len(s) {
			if isAlnum(s[i]) {
				pos, skel = append(pos, i), append(skel, upper(s[i]))
			} else if !isNumberSeparator(s[i]) || i+1 >= len(s) || !isAlnum(s[i+1]) {
				break
			}
			i++
		}
		out = n.markStretch(s, pos, skel, out)
	}
	return out
}

// markStretch stars the occurrences of the set's numbers within one stretch.
func (n *numberSet) markStretch(s string, pos []int, skel []byte, out []byte) []byte {
	for _, l := range n.lengths {
		for j := 0; j+l <= len(skel); j++ {
			if !n.skeletons[string(skel[j:j+l])] {
				continue
			}
			for _, p := range pos[j : j+l-4] {
				out = star(s, out, p)
			}
		}
	}
	return out
}
