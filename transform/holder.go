package transform

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode"
)

// HolderSecret is the per-warehouse key of account_holders.holder_key. It
// never prints: fmt and slog show "[redacted]".
type HolderSecret []byte

// HolderSecretLen is the length a new warehouse's holder secret should have:
// 32 random bytes, the size of an HMAC-SHA256 block's worth of entropy.
const HolderSecretLen = 32

func (HolderSecret) String() string       { return "[redacted]" }
func (HolderSecret) GoString() string     { return "transform.HolderSecret([redacted])" }
func (HolderSecret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Format prints "[redacted]" whatever the verb (%x included).
func (s HolderSecret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// errHolderSecret is ParseHolderSecret's error; it never holds the text.
var errHolderSecret = fmt.Errorf("holder secret: want %d bytes as %d hex digits", HolderSecretLen, 2*HolderSecretLen)

// ParseHolderSecret reads a holder secret written as hex digits (how a key
// file or environment variable holds it), white space around it ignored.
// It must be at least HolderSecretLen bytes. The error never contains the
// text.
func ParseHolderSecret(text []byte) (HolderSecret, error) {
	s, err := hex.DecodeString(strings.TrimSpace(string(text)))
	if err != nil || len(s) < HolderSecretLen {
		return nil, errHolderSecret
	}
	return HolderSecret(s), nil
}

// Fingerprint identifies the secret without revealing it (16 hex digits of
// an HMAC of a fixed text), so a warehouse can record which secret made its
// holder keys, and a run can refuse one made with another; "" for an empty
// secret. It can be logged.
func (s HolderSecret) Fingerprint() string {
	if len(s) == 0 {
		return ""
	}
	mac := hmac.New(sha256.New, s)
	mac.Write([]byte(holderKeyVersion + "\x00fingerprint"))
	return hex.EncodeToString(mac.Sum(nil))[:16]
}

// holderKeyVersion prefixes the hashed text, so that a future change of the
// normalisation gives keys that cannot be mistaken for these.
const holderKeyVersion = "holder-key/v1"

// holderKey returns account_holders.holder_key for a holder's name and
// e-mail (strings or nil): hex(HMAC-SHA256(secret, "holder-key/v1" NUL
// normalised name NUL normalised e-mail)). It is nil when the secret is
// empty (a key without a secret could be recomputed from guessed names) or
// when the holder has neither a name nor an e-mail.
func holderKey(secret HolderSecret, name, email any) any {
	n, _ := name.(string)
	e, _ := email.(string)
	n, e = normalizeHolder(n), normalizeHolder(e)
	if len(secret) == 0 || (n == "" && e == "") {
		return nil
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(holderKeyVersion + "\x00" + n + "\x00" + e))
	return hex.EncodeToString(mac.Sum(nil))
}

// normalizeHolder is the form of a name or e-mail that holder_key hashes:
// Unicode simple case folding (each character to one representative of the
// characters that fold together: "É", "é" alike), white space trimmed and
// each run of it collapsed to one space. It does not apply Unicode
// normalisation forms: a name sent once precomposed ("é") and once
// decomposed ("e" + combining accent) gives two keys.
func normalizeHolder(s string) string {
	return strings.Join(strings.Fields(strings.Map(foldRune, s)), " ")
}

// foldRune maps r to the smallest character of its simple case-folding
// orbit, a canonical choice.
func foldRune(r rune) rune {
	low := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		low = min(low, f)
	}
	return low
}

// piiSet is the holders' personal details of one payload, found and masked
// in free text (rules in the package doc, "Holders"). A value is compared by
// its skeleton: its letters and digits, case-folded, anything else dropped
// ("+1 (555) 013-3742" is 15550133742).
type piiSet struct {
	values [][]rune // distinct skeletons of at least minPIIChars characters
	fail   [][]int  // each value's KMP failure function
}

// minPIIChars is the shortest skeleton searched: a shorter value (initials,
// a two-letter name) would be found inside ordinary words everywhere.
const minPIIChars = 4

// newPIISet returns the set of the given values, or nil when none is long
// enough to be searched.
func newPIISet(values []string) *piiSet {
	p := &piiSet{}
	for _, v := range values {
		sk := piiSkeleton(v)
		if len(sk) < minPIIChars || slices.ContainsFunc(p.values, func(o []rune) bool { return slices.Equal(o, sk) }) {
			continue
		}
		p.values = append(p.values, sk)
		p.fail = append(p.fail, failure(sk))
	}
	if len(p.values) == 0 {
		return nil
	}
	return p
}

// failure returns the Knuth-Morris-Pratt failure function of v: f[i] is the
// length of the longest proper prefix of v[:i+1] that is also its suffix.
func failure(v []rune) []int {
	f := make([]int, len(v))
	for i, k := 1, 0; i < len(v); i++ {
		for k > 0 && v[i] != v[k] {
			k = f[k-1]
		}
		if v[i] == v[k] {
			k++
		}
		f[i] = k
	}
	return f
}

func piiSkeleton(s string) []rune {
	var out []rune
	for _, r := range s {
		if isPIIChar(r) {
			out = append(out, foldRune(r))
		}
	}
	return out
}

func isPIIChar(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// hide returns s with every letter and digit of each occurrence of a value
// of the set replaced by '*'; other characters stay. An occurrence is the
// value's skeleton read from the letters and digits of s in order, whatever
// separates them, case-folded; it may sit inside a longer word. A nil set
// hides nothing.
func (p *piiSet) hide(s string) string {
	if p == nil || len(s) < minPIIChars {
		return s
	}
	sk := piiSkeleton(s)
	// depth[i] counts the occurrences covering skeleton character i, kept
	// as differences (+1 where one starts, -1 after it ends): every
	// occurrence, overlapping ones included, is found in one linear pass
	// per value.
	var depth []int
	for n, v := range p.values {
		f := p.fail[n]
		for i, k := 0, 0; i < len(sk); i++ {
			for k > 0 && sk[i] != v[k] {
				k = f[k-1]
			}
			if sk[i] == v[k] {
				k++
			}
			if k == len(v) {
				if depth == nil {
					depth = make([]int, len(sk)+1)
				}
				depth[i+1-len(v)]++
				depth[i+1]--
				k = f[k-1]
			}
		}
	}
	var hit []bool
	if depth != nil {
		hit = make([]bool, len(sk))
		for i, d := 0, 0; i < len(sk); i++ {
			d += depth[i]
			hit[i] = d > 0
		}
	}
	if hit == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	k := 0
	for _, r := range s {
		if !isPIIChar(r) {
			b.WriteRune(r)
			continue
		}
		if hit[k] {
			b.WriteByte('*')
		} else {
			b.WriteRune(r)
		}
		k++
	}
	return b.String()
}
