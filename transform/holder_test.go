package transform

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestNormalizeHolder(t *testing.T) {
	for _, pair := range [][2]string{
		{"  ZOË   Ünïcode ", "zoë ünïcode"},
		{"Zoë\tÜnïcode", "ZOË ÜNÏCODE"},
		{"Test_User1@NoMail.com", "test_user1@nomail.com"},
		{"\u212a", "k"}, // KELVIN SIGN folds with k
	} {
		if a, b := normalizeHolder(pair[0]), normalizeHolder(pair[1]); a != b {
			t.Errorf("normalizeHolder(%q) = %q, normalizeHolder(%q) = %q; want equal", pair[0], a, pair[1], b)
		}
	}
	if normalizeHolder("Zoe Unicode") == normalizeHolder("Zoë Ünïcode") {
		t.Error("accents must not be dropped")
	}
	if got := normalizeHolder(" \t "); got != "" {
		t.Errorf("space only normalises to %q", got)
	}
}

func TestHolderKey(t *testing.T) {
	secret := HolderSecret("0123456789abcdef0123456789abcdef")
	k := holderKey(secret, "Zoë Ünïcode", "zoe@example.com")
	if s, ok := k.(string); !ok || len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
		t.Fatalf("holder key %v is not 64 hex digits", k)
	}
	if holderKey(secret, "  ZOË  ÜNÏCODE", "ZOE@example.com ") != k {
		t.Error("one person, written differently, has two keys")
	}
	for _, other := range []any{
		holderKey(secret, "Zoë Ünïcode", nil),
		holderKey(secret, "Marc Ünïcode", "zoe@example.com"),
		holderKey(secret, "Zoë Ünïcode & Marc Ünïcode", "zoe@example.com"),
		holderKey(HolderSecret("another secret of thirty-two b.."), "Zoë Ünïcode", "zoe@example.com"),
	} {
		if other == k || other == nil {
			t.Errorf("holder key %v equals %v or is NULL", other, k)
		}
	}
	// The separator cannot be forged by moving text between the fields.
	if holderKey(secret, "a", "b c") == holderKey(secret, "a b", "c") {
		t.Error("name and e-mail are not separated")
	}
	for name, got := range map[string]any{
		"no secret":         holderKey(nil, "Zoë", "zoe@example.com"),
		"no name nor email": holderKey(secret, "  ", nil),
	} {
		if got != nil {
			t.Errorf("%s: holder key %v, want NULL", name, got)
		}
	}
}

// TestHolderSecretNeverPrints: the secret does not show in fmt or slog output.
func TestHolderSecretNeverPrints(t *testing.T) {
	s := HolderSecret("super-secret-holder-key-material")
	c := Context{HolderSecret: s}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("ctx", "secret", s, "context", c)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %x %q", s, c, c, s, s, s), logged.String()} {
		if strings.Contains(out, "super-secret") || strings.Contains(out, fmt.Sprintf("%x", []byte(s))) {
			t.Errorf("secret printed: %s", out)
		}
	}
}

func TestPIISetHide(t *testing.T) {
	p := newPIISet([]string{"Zoë Ünïcode", "zoe.u@example.com", "+1 (555) 013-3742", "Li", "M5J 2V5"})
	for in, want := range map[string]string{
		"E-TRANSFER FROM ZOË ÜNÏCODE":    "E-TRANSFER FROM *** *******",
		"zoe.u@EXAMPLE.com sent you":     "***.*@*******.*** sent you",
		"tel 1-555-013-3742!":            "tel *-***-***-****!",
		"LI WU and M5J2V5":               "LI WU and ******", // a value under four letters and digits is not searched
		"ANNUAL FEE":                     "ANNUAL FEE",
		"":                               "",
		"zoëünïcodezoëünïcode":           "********************",
		"Zoe Unicode (no accents) stays": "Zoe Unicode (no accents) stays",
	} {
		if got := p.hide(in); got != want {
			t.Errorf("hide(%q) = %q, want %q", in, got, want)
		}
	}
	// Overlapping occurrences are all found, each letter starred once.
	if got := newPIISet([]string{"abab"}).hide("xababab xab"); got != "x****** xab" {
		t.Errorf("overlapping occurrences: %q", got)
	}
	var none *piiSet
	if none.hide("Zoë Ünïcode") != "Zoë Ünïcode" || newPIISet([]string{"ab", ""}) != nil {
		t.Error("an empty set hides something")
	}
}

func TestParseHolderSecret(t *testing.T) {
	raw := strings.Repeat("ab", HolderSecretLen)
	s, err := ParseHolderSecret([]byte("  " + raw + "\n"))
	if err != nil || len(s) != HolderSecretLen || s[0] != 0xab {
		t.Fatalf("ParseHolderSecret = %v, %v", len(s), err)
	}
	for name, text := range map[string]string{
		"short":   strings.Repeat("ab", HolderSecretLen-1),
		"not hex": strings.Repeat("zz", HolderSecretLen),
		"empty":   "",
	} {
		_, err := ParseHolderSecret([]byte(text))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if text != "" && strings.Contains(err.Error(), text[:8]) {
			t.Errorf("%s: error %q echoes the secret", name, err)
		}
	}
}

// TestHolderSecretFingerprint: stable for one secret, different for another,
// and not the secret nor a holder key.
func TestHolderSecretFingerprint(t *testing.T) {
	a := HolderSecret(strings.Repeat("a", HolderSecretLen))
	b := HolderSecret(strings.Repeat("b", HolderSecretLen))
	fa := a.Fingerprint()
	if fa != a.Fingerprint() || fa == b.Fingerprint() || len(fa) != 16 || strings.Contains(fa, "aaaa") {
		t.Errorf("fingerprints %q %q", fa, b.Fingerprint())
	}
	if (HolderSecret(nil)).Fingerprint() != "" {
		t.Error("an empty secret has a fingerprint")
	}
}
