package transform

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/syncer/syncer/payload"
)

// masker hides sensitive values: the account's number wherever it appears,
// and every value under a member whose name suggests holder details or
// account numbers (see sensitiveKey). With keep set it changes nothing.
type masker struct {
	number string // the account number (payload AccountId), "" when unknown
	keep   bool
}

func newMasker(a *payload.Account, keep bool) masker {
	n, _, _ := a.AccountID.Ident()
	return masker{number: strings.TrimSpace(n), keep: keep}
}

// maskLast4 replaces every character but the last four with '*'; a value of
// four characters or fewer is masked entirely.
func maskLast4(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= 4 {
		return strings.Repeat("*", n)
	}
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for _, r := range s {
		if i < n-4 {
			b.WriteByte('*')
		} else {
			b.WriteRune(r)
		}
		i++
	}
	return b.String()
}

// accountNumber is the accounts.account_number value.
func (m masker) accountNumber() any {
	if m.number == "" {
		return nil
	}
	if m.keep {
		return m.number
	}
	return maskLast4(m.number)
}

// text masks the account number inside s, and any other run of five or more
// digits (an account number written differently), keeping the last four.
func (m masker) text(s string) string {
	if m.keep {
		return s
	}
	if m.number != "" {
		s = strings.ReplaceAll(s, m.number, maskLast4(m.number))
	}
	return maskDigitRuns(s)
}

// hide masks the account number inside a free-text value (string or nil).
func (m masker) hide(v any) any {
	if s, ok := v.(string); ok && !m.keep {
		return m.hideNumber(s)
	}
	return v
}

// hideNumber masks the account number wherever it occurs in s.
func (m masker) hideNumber(s string) string {
	if m.number == "" || !strings.Contains(s, m.number) {
		return s
	}
	return strings.ReplaceAll(s, m.number, maskLast4(m.number))
}

func maskDigitRuns(s string) string {
	var b []byte
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= 5 {
			if b == nil {
				b = []byte(s)
			}
			for j := start; j < i-4; j++ {
				b[j] = '*'
			}
		}
		start = -1
	}
	if b == nil {
		return s
	}
	return string(b)
}

// numberKey reports whether a member name suggests it may hold an account
// number among other text: runs of five or more digits in its value are
// masked to their last four.
func numberKey(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "account") || strings.Contains(k, "number")
}

// sensitiveKey reports whether a member name suggests personal data or an
// account number: its value is masked whatever its shape.
func sensitiveKey(key string) bool {
	k := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, key)
	switch k {
	case "sin", "ssn", "dob", "nas", "accountid", "fullaccountid":
		return true
	}
	for _, s := range []string{"accountnumber", "accountno", "transit", "holder", "owner", "email", "phone",
		"address", "taxid", "socialinsurance", "birth", "beneficiar", "iban", "routing", "username", "password"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// extra renders unknown members as one JSON object with sorted keys, masked,
// or nil when there are none. more adds members computed by the transform.
func (m masker) extra(f payload.Fields, more map[string]any) any {
	if len(f) == 0 && len(more) == 0 {
		return nil
	}
	keys := make([]string, 0, len(f)+len(more))
	for k := range f {
		keys = append(keys, k)
	}
	for k := range more {
		if _, dup := f[k]; !dup {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(&b, k)
		b.WriteByte(':')
		if raw, ok := f[k]; ok {
			m.writeMember(&b, k, raw)
		} else {
			writeJSON(&b, more[k])
		}
	}
	b.WriteByte('}')
	return b.String()
}

// writeMember writes the value of member key, masked as its name says.
func (m masker) writeMember(b *bytes.Buffer, key string, raw json.RawMessage) {
	if m.keep || !numberKey(key) {
		m.writeValue(b, sensitiveKey(key), raw)
		return
	}
	wrapped, _ := json.Marshal(map[string]json.RawMessage{key: raw})
	var inner bytes.Buffer
	m.writeValue(&inner, false, wrapped)
	var v map[string]json.RawMessage
	if json.Unmarshal(inner.Bytes(), &v) != nil {
		b.WriteString("null")
		return
	}
	b.Write(v[key])
}

// maskDigitsDeep masks digit runs in every string and number within v.
func maskDigitsDeep(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = maskDigitsDeep(e)
		}
	case []any:
		for i, e := range x {
			x[i] = maskDigitsDeep(e)
		}
	case string:
		return maskDigitRuns(x)
	case json.Number:
		if masked := maskDigitRuns(string(x)); masked != string(x) {
			return masked
		}
	}
	return v
}

// fragment renders a whole payload object, masked, for rejected_records.
func (m masker) fragment(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var b bytes.Buffer
	m.writeValue(&b, false, raw)
	return b.String()
}

// writeValue writes raw JSON, masking it all when sensitive, and otherwise
// masking sensitive members and the account number within it.
func (m masker) writeValue(b *bytes.Buffer, sensitive bool, raw json.RawMessage) {
	raw = bytes.TrimSpace(raw)
	if m.keep || (!sensitive && len(raw) > 0 && raw[0] != '{' && raw[0] != '[' && raw[0] != '"') {
		if json.Compact(b, raw) != nil {
			b.WriteString("null")
		}
		return
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		b.WriteString("null")
		return
	}
	writeJSON(b, m.walk(v, sensitive))
}

func (m masker) walk(v any, sensitive bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = m.walk(e, sensitive || sensitiveKey(k))
			if numberKey(k) {
				x[k] = maskDigitsDeep(x[k])
			}
		}
	case []any:
		for i, e := range x {
			x[i] = m.walk(e, sensitive)
		}
	case string:
		if sensitive {
			return maskLast4(x)
		}
		return m.hideNumber(x)
	case json.Number:
		if sensitive || (m.number != "" && strings.Contains(string(x), m.number)) {
			return maskLast4(string(x))
		}
	}
	return v
}

// writeJSON encodes v without HTML escaping (map keys come out sorted).
func writeJSON(b *bytes.Buffer, v any) {
	e := json.NewEncoder(b)
	e.SetEscapeHTML(false)
	_ = e.Encode(v)
	b.Truncate(b.Len() - 1) // Encode's newline
}
