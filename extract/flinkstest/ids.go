package flinkstest

import (
	"math/rand/v2"
	"strings"
)

// Every draw of the sandbox comes from a PCG seeded from (Seed, a hash of the
// LoginId, a stream constant), or from mix of such values: output is the same
// on every run and machine, whatever the order of requests.

// Stream constants keep independent draws of one login apart.
const (
	streamData uint64 = 0x9e3779b97f4a7c15 + iota
	streamPending
	streamFault
	streamTx
	streamDemo
	streamToken
	streamAccount
	streamRefresh
)

// hashString is FNV-1a 64, stable across machines and Go versions.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix is splitmix64's finalizer over a combination of values.
func mix(vs ...uint64) uint64 {
	h := uint64(0x243f6a8885a308d3)
	for _, v := range vs {
		h ^= v
		h += 0x9e3779b97f4a7c15
		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
		h = (h ^ (h >> 27)) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// newRand returns the generator of one stream of one login.
func newRand(seed int64, loginID string, stream uint64) *rand.Rand {
	h := hashString(normalizeLogin(loginID))
	return rand.New(rand.NewPCG(mix(uint64(seed), stream), mix(h, stream)))
}

// normalizeLogin makes LoginIds case-insensitive, as GUIDs are.
func normalizeLogin(id string) string {
	for i := 0; i < len(id); i++ {
		if c := id[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(id)
		}
	}
	return id
}

const hexDigits = "0123456789abcdef"

// guid formats two 64-bit values as a version-4 style GUID.
func guid(hi, lo uint64) string {
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	var b [36]byte
	pos := 0
	put := func(v uint64, nibbles int) {
		for i := nibbles - 1; i >= 0; i-- {
			b[pos] = hexDigits[(v>>(4*uint(i)))&0xf]
			pos++
		}
	}
	put(hi>>32, 8)
	b[pos] = '-'
	pos++
	put(hi>>16, 4)
	b[pos] = '-'
	pos++
	put(hi, 4)
	b[pos] = '-'
	pos++
	put(lo>>48, 4)
	b[pos] = '-'
	pos++
	put(lo, 12)
	return string(b[:])
}

// isGUID reports whether s has the 8-4-4-4-12 hexadecimal form.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
