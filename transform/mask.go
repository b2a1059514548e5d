package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

// masker hides sensitive values in the rows of one payload (the rules are in
// the package doc, "Masking"): the payload's account numbers in any free text,
// long digit runs in descriptions and labels, and every value under a member
// whose name suggests holder details or account numbers (see sensitiveKey).
// With keep set it changes nothing of the above, except that it never writes
// a number longer than schema.MaxNumberLen into extra or a fragment. Members
// named like personal details and the holders' details in text follow
// personal and pii instead, for the banking payload (package doc, "Holders").
type masker struct {
	own     string     // this account's number (payload AccountId), "" when unknown or not an account's
	numbers *numberSet // every account number of the payload; nil when none
	keep    bool
	// personal says what becomes of members named like personal details.
	personal personalMode
	// pii holds the payload's holders' details, masked in every text,
	// number and member name whatever keep says; nil when none (or kept).
	pii *piiSet
}

// personalMode is what a masker does to the values of members whose names
// suggest personal details (see keyClass).
type personalMode uint8

const (
	// personalAsAccount masks them to their last four characters, as
	// account numbers, unless keep is set: the investments payload.
	personalAsAccount personalMode = iota
	// personalWithhold replaces them whole with withheldText, whatever keep
	// says: the banking payload without KeepHolderPII.
	personalWithhold
	// personalKeep keeps contact details (personalKey) in clear and
	// withholds identity numbers and credentials (identityKey): the banking
	// payload with KeepHolderPII, which covers name, e-mail, phone and
	// address only.
	personalKeep
)

// withheldText stands in extra and fragments for a withheld personal value.
const withheldText = "(withheld)"

// Minimum digits in a run (see markRuns) that labels and descriptions mask.
const (
	labelRunDigits       = 5 // a label exists to carry the account number
	descriptionRunDigits = 7 // Canadian account numbers have seven digits or more
)

func newMasker(a *payload.Account, numbers *numberSet, keep bool) masker {
	return masker{own: accountNumberOf(a), numbers: numbers, keep: keep}
}

// accountNumberOf returns the account's number (AccountId, trimmed), "" when
// it has none that can be read.
func accountNumberOf(a *payload.Account) string {
	n, _, _ := a.AccountID.Ident()
	return strings.TrimSpace(n)
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
	if m.own == "" {
		return nil
	}
	if m.keep {
		return m.own
	}
	return maskLast4(m.own)
}

// text masks a label (full_account_label): the holders' details, the
// payload's account numbers, and every run of labelRunDigits digits or more.
func (m masker) text(s string) string {
	s = m.pii.hide(s)
	if m.keep {
		return s
	}
	return m.mask(s, labelRunDigits)
}

// description masks a transaction description: the holders' details, the
// payload's account numbers, and every run of descriptionRunDigits digits
// or more.
func (m masker) description(s string) string {
	s = m.pii.hide(s)
	if m.keep {
		return s
	}
	return m.mask(s, descriptionRunDigits)
}

// describe is description for a free-text value (string or nil).
func (m masker) describe(v any) any {
	if s, ok := v.(string); ok {
		if masked := m.description(s); masked != s {
			return masked
		}
	}
	return v
}

// hide masks the holders' details and the payload's account numbers inside
// a free-text value (string or nil).
func (m masker) hide(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	masked := m.pii.hide(s)
	if !m.keep {
		masked = m.mask(masked, 0)
	}
	if masked != s {
		return masked
	}
	return v
}

// mask returns s with the payload's account numbers masked and, when
// minRun > 0, every digit run of at least minRun digits.
func (m masker) mask(s string, minRun int) string {
	var out []byte
	if m.numbers != nil {
		out = m.numbers.mark(s, out)
	}
	if minRun > 0 {
		out = markRuns(s, minRun, out)
	}
	if out == nil {
		return s
	}
	return string(out)
}

// star sets out[i] to '*', copying s into out first when out is nil.
func star(s string, out []byte, i int) []byte {
	if out == nil {
		out = []byte(s)
	}
	out[i] = '*'
	return out
}

// isRunSeparator reports whether c may stand alone between two digits of one
// run: a space or a hyphen. A dot does not: it is the decimal point of
// amounts ("12345.67" is a five-digit run and two fraction digits).
func isRunSeparator(c byte) bool { return c == ' ' || c == '-' }

// markRuns stars, in out, every digit but the last four of each run of at
// least minRun digits of s. A run is a maximal sequence of ASCII digits in
// which two consecutive digits are adjacent or separated by exactly one
// space or hyphen ("4520 1234 5678 9012", "123-4567-8" are one run each).
// A run written exactly YYYY-MM-DD (a month 01-12, a day 01-31) is a date,
// not a number, and stays. out may be nil; it is returned, still nil when
// nothing was starred.
func markRuns(s string, minRun int, out []byte) []byte {
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		start, end, digits := i, i+1, 1
		for end < len(s) {
			switch {
			case isDigit(s[end]):
				end, digits = end+1, digits+1
				continue
			case isRunSeparator(s[end]) && end+1 < len(s) && isDigit(s[end+1]):
				end++
				continue
			}
			break
		}
		i = end
		if digits < minRun || isISODate(s[start:end]) {
			continue
		}
		for j, seen := start, 0; seen < digits-4; j++ {
			if isDigit(s[j]) {
				out = star(s, out, j)
				seen++
			}
		}
	}
	return out
}

// isISODate reports whether s is exactly YYYY-MM-DD with a month 01-12 and a
// day 01-31.
func isISODate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if !isDigit(s[i]) {
			return false
		}
	}
	month := int(s[5]-'0')*10 + int(s[6]-'0')
	day := int(s[8]-'0')*10 + int(s[9]-'0')
	return month >= 1 && month <= 12 && day >= 1 && day <= 31
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// maskDigitRuns masks every run (see markRuns) of five digits or more but
// its last four digits.
func maskDigitRuns(s string) string {
	if out := markRuns(s, labelRunDigits, nil); out != nil {
		return string(out)
	}
	return s
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
func sensitiveKey(key string) bool { return classOf(key) != plainKey }

// keyClass says what a member's name suggests its value holds. Classes are
// ordered: a member inside another takes the greater of the two classes.
type keyClass uint8

const (
	plainKey    keyClass = iota
	accountKey           // an account number: masked to its last four unless keep
	personalKey          // a holder's contact details: see personalMode
	identityKey          // an identity number, a birth date or a credential: as personalKey, but never kept in clear by personalKeep
)

// classOf classifies a member name (compared lower-case, letters and digits only).
func classOf(key string) keyClass {
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
	case "accountid", "fullaccountid":
		return accountKey
	case "sin", "ssn", "dob", "nas":
		return identityKey
	}
	for _, s := range []string{"taxid", "socialinsurance", "birth", "username", "password"} {
		if strings.Contains(k, s) {
			return identityKey
		}
	}
	for _, s := range []string{"holder", "owner", "email", "phone", "address", "beneficiar"} {
		if strings.Contains(k, s) {
			return personalKey
		}
	}
	for _, s := range []string{"accountnumber", "accountno", "transit", "iban", "routing"} {
		if strings.Contains(k, s) {
			return accountKey
		}
	}
	return plainKey
}

// withheld reports whether m replaces a value of class c whole.
func (m masker) withheld(c keyClass) bool {
	return (c == personalKey && m.personal == personalWithhold) || (c == identityKey && m.personal != personalAsAccount)
}

// lastFour reports whether m masks a value of class c to its last four
// characters (unless keep).
func (m masker) lastFour(c keyClass) bool {
	return c == accountKey || (c >= personalKey && m.personal == personalAsAccount)
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
	names := keys // as written: the holders' details masked
	if m.pii != nil {
		keys, names = m.hideKeys(keys)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(&b, names[i])
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
	if m.keep || !numberKey(key) || m.withheld(classOf(key)) {
		m.writeValue(b, classOf(key), raw)
		return
	}
	wrapped, _ := json.Marshal(map[string]json.RawMessage{key: raw})
	var inner bytes.Buffer
	m.writeValue(&inner, plainKey, wrapped)
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
	m.writeValue(&b, plainKey, raw)
	return b.String()
}

// omittedNumber stands in extra and fragments for a JSON number longer than
// schema.MaxNumberLen (or a string holding one), which cannot be a real
// amount: such a number is quarantined by path and never copied.
var omittedNumber = fmt.Sprintf("(number longer than %d characters, omitted)", schema.MaxNumberLen)

// writeValue writes raw JSON, a value of class c, masking it all as c says,
// and otherwise masking sensitive members and the payload's account numbers
// and holders' details within it.
func (m masker) writeValue(b *bytes.Buffer, c keyClass, raw json.RawMessage) {
	if m.withheld(c) {
		writeJSON(b, withheldText)
		return
	}
	raw = bytes.TrimSpace(raw)
	literal := len(raw) > 0 && (raw[0] == 't' || raw[0] == 'f' || raw[0] == 'n')
	asSent := m.keep && m.pii == nil && m.personal != personalWithhold
	if (asSent || literal) && !mayHoldLongNumber(raw) {
		if json.Compact(b, raw) != nil {
			b.WriteString("null")
		}
		return
	}
	if len(raw) > 0 && (raw[0] == '-' || isDigit(raw[0])) && json.Valid(raw) {
		// A bare number: masked as walk would, without decoding.
		writeJSON(b, m.walk(json.Number(raw), c))
		return
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		b.WriteString("null")
		return
	}
	writeJSON(b, m.walk(v, c))
}

// numberLike reports whether s is made only of bytes that can make up a JSON
// number: a quoted number, however long.
func numberLike(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isNumberByte(s[i]) {
			return false
		}
	}
	return true
}

func isNumberByte(c byte) bool {
	return isDigit(c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'
}

// mayHoldLongNumber reports whether raw has more than schema.MaxNumberLen
// consecutive bytes that can make up a JSON number.
func mayHoldLongNumber(raw []byte) bool {
	run := 0
	for _, c := range raw {
		if isNumberByte(c) {
			if run++; run > schema.MaxNumberLen {
				return true
			}
			continue
		}
		run = 0
	}
	return false
}

// walk masks a decoded JSON value of class c in place (see writeValue).
// With keep set, and no holders' details to mask, it only replaces numbers
// longer than schema.MaxNumberLen.
func (m masker) walk(v any, c keyClass) any {
	switch x := v.(type) {
	case map[string]any:
		if m.pii != nil {
			x = m.hideNames(x)
		}
		for k, e := range x {
			kc := max(c, classOf(k))
			if m.withheld(kc) {
				x[k] = withheldText
				continue
			}
			x[k] = m.walk(e, kc)
			if numberKey(k) && !m.keep {
				x[k] = maskDigitsDeep(x[k])
			}
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = m.walk(e, c)
		}
	case string:
		if len(x) > schema.MaxNumberLen && numberLike(x) {
			return omittedNumber
		}
		return m.leaf(m.pii.hide(x), c)
	case json.Number:
		if len(x) > schema.MaxNumberLen {
			return omittedNumber
		}
		if hidden := m.pii.hide(string(x)); hidden != string(x) {
			return m.leaf(hidden, c)
		}
		switch {
		case m.keep:
			return x
		case m.lastFour(c):
			return maskLast4(string(x))
		}
		if masked := m.mask(string(x), 0); masked != string(x) {
			return masked
		}
	}
	return v
}

// leaf masks a string value of class c, its holders' details already masked.
func (m masker) leaf(s string, c keyClass) string {
	switch {
	case m.keep:
		return s
	case m.lastFour(c):
		return maskLast4(s)
	}
	return m.mask(s, 0)
}

// hideKeys returns sorted member names with the holders' details masked in
// them: the names as sent, and as written, both in the order of the latter.
// Of two names that become one, the first as sent is kept.
func (m masker) hideKeys(sorted []string) (keys, names []string) {
	type pair struct{ key, name string }
	pairs := make([]pair, len(sorted))
	for i, k := range sorted {
		pairs[i] = pair{k, m.pii.hide(k)}
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return strings.Compare(a.name, b.name) })
	for i, p := range pairs {
		if i > 0 && p.name == pairs[i-1].name {
			continue
		}
		keys, names = append(keys, p.key), append(names, p.name)
	}
	return keys, names
}

// hideNames returns x with the holders' details masked in its member names.
// Of two names that become one, the first in sorted order keeps its value.
func (m masker) hideNames(x map[string]any) map[string]any {
	names := make([]string, 0, len(x))
	for k := range x {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make(map[string]any, len(x))
	for _, k := range names {
		if name := m.pii.hide(k); !hasKey(out, name) {
			out[name] = x[k]
		}
	}
	return out
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// writeJSON encodes v without HTML escaping (map keys come out sorted).
func writeJSON(b *bytes.Buffer, v any) {
	e := json.NewEncoder(b)
	e.SetEscapeHTML(false)
	_ = e.Encode(v)
	b.Truncate(b.Len() - 1) // Encode's newline
}
