package transform

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

func TestMaskLast4(t *testing.T) {
	for in, want := range map[string]string{
		"":           "",
		"1234":       "****",
		"12345":      "*2345",
		"987654321":  "*****4321",
		"Ébène-9876": "******9876",
	} {
		if got := maskLast4(in); got != want {
			t.Errorf("maskLast4(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskerText(t *testing.T) {
	m := masker{own: "12345678", numbers: newNumberSet([]string{"12345678"})}
	for in, want := range map[string]string{
		"Self-directed TFSA 12345678 CAD": "Self-directed TFSA ****5678 CAD",
		"TFSA 12-345-678 CAD":             "TFSA **-**5-678 CAD",    // one run: single dashes join digit groups
		"TFSA 1234 CAD 5678":              "TFSA 1234 CAD 5678",     // two runs of four
		"RRSP 2024 123456789012":          "RRSP **** ********9012", // one run: a single space joins groups
		"no digits":                       "no digits",
	} {
		if got := m.text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
	keep := masker{own: "12345678", numbers: newNumberSet([]string{"12345678"}), keep: true}
	if got := keep.text("A 12345678"); got != "A 12345678" {
		t.Errorf("keep masked %q", got)
	}
}

func TestSensitiveKey(t *testing.T) {
	for key, want := range map[string]bool{
		"Holder": true, "AccountHolders": true, "email_address": true, "SIN": true, "DateOfBirth": true,
		"Phone": true, "Nickname": false, "Business": false, "ExchangeRate": false, "Notes": false,
	} {
		if got := sensitiveKey(key); got != want {
			t.Errorf("sensitiveKey(%q) = %v", key, got)
		}
	}
}

// accountNumbers returns every AccountId of a payload, as sent.
func accountNumbers(t *testing.T, body []byte) []string {
	var p struct {
		Investments []struct {
			Accounts []struct {
				AccountID json.RawMessage `json:"AccountId"`
			}
		}
	}
	_ = json.Unmarshal(body, &p) // lenient: bad fixtures decode partly
	var out []string
	for _, in := range p.Investments {
		for _, a := range in.Accounts {
			var s string
			if json.Unmarshal(a.AccountID, &s) == nil && len(s) >= 5 {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestNoAccountNumberLeaks: with default masking, no account number appears
// in any row of any fixture; with KeepAccountNumbers, accounts keep them.
func TestNoAccountNumberLeaks(t *testing.T) {
	checked := 0
	for name, body := range corpus(t) {
		numbers := accountNumbers(t, body)
		b, _ := mustFromJSON(t, body, goldenContext())
		var all bytes.Buffer
		for _, rows := range b.Rows {
			all.WriteString(mustJSON(cells(rows)))
		}
		for _, n := range numbers {
			checked++
			if strings.Contains(all.String(), n) {
				t.Errorf("%s: account number ending %s appears in the rows", name, n[len(n)-4:])
			}
		}
		keep := goldenContext()
		keep.KeepAccountNumbers = true
		kb, _ := mustFromJSON(t, body, keep)
		full := map[any]bool{}
		for _, r := range kb.Rows[schema.Accounts.Name] {
			full[r[schema.Accounts.Index("account_number")]] = true
		}
		for _, n := range numbers {
			if !full[n] && len(kb.Rows[schema.Accounts.Name]) > 0 && !strings.Contains(name, "bad") {
				t.Errorf("%s: KeepAccountNumbers lost the number ending %s", name, n[len(n)-4:])
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d account numbers checked", checked)
	}
}

func TestExtraMasksHolderDetails(t *testing.T) {
	m := masker{own: "24681357", numbers: newNumberSet([]string{"24681357"})}
	got := m.extra(map[string]json.RawMessage{
		"Holder":  json.RawMessage(`{"Name":"Jeanne Tremblay","Emails":["j@example.com"]}`),
		"Memo":    json.RawMessage(`"from 24681357"`),
		"Score":   json.RawMessage(`1e400`),
		"Account": json.RawMessage(`"99990000"`),
	}, nil)
	want := `{"Account":"****0000","Holder":{"Emails":["*********.com"],"Name":"***********blay"},"Memo":"from ****1357","Score":1e400}`
	if got != want {
		t.Errorf("extra = %s\nwant    %s", got, want)
	}
	if (masker{}).extra(nil, nil) != nil {
		t.Error("no members should give NULL")
	}
}

// TestMaskerDescription pins the description rule: a run is digits joined by
// at most one space or hyphen between two of them; a run of seven digits or
// more keeps only its last four, unless it is exactly a YYYY-MM-DD date.
func TestMaskerDescription(t *testing.T) {
	m := masker{}
	for in, want := range map[string]string{
		"WIRE 1234567":               "WIRE ***4567",
		"WIRE 123456":                "WIRE 123456",
		"CARD 4520 1234 5678 9012":   "CARD **** **** **** 9012",
		"TO 123-4567-890":            "TO ***-***7-890",
		"CALL 514-555-1234":          "CALL ***-***-1234",
		"AMOUNT 1 234 567,89":        "AMOUNT * **4 567,89",
		"DIVIDEND 2025-01-31":        "DIVIDEND 2025-01-31",
		"2025-01-31 12345678":        "****-**-** ****5678",
		"BUY 100 @ 31.25":            "BUY 100 @ 31.25",
		"CONTRIBUTION 12345.67":      "CONTRIBUTION 12345.67",
		"REF 12345678.5":             "REF ****5678.5",
		"A 123  4567 B":              "A 123  4567 B", // two spaces end a run
		"Dépôt 7654321 — reçu":       "Dépôt ***4321 — reçu",
		"no digits":                  "no digits",
		"RUN 1-2-3-4-5-6-7":          "RUN *-*-*-4-5-6-7",
		"MONTH 2025-13-01 IS NO DAY": "MONTH ****-13-01 IS NO DAY",
	} {
		if got := m.description(in); got != want {
			t.Errorf("description(%q) = %q, want %q", in, got, want)
		}
	}
	if got := (masker{keep: true}).description("WIRE 1234567"); got != "WIRE 1234567" {
		t.Errorf("keep masked the description: %q", got)
	}
}

// TestMaskerFindsNumbersInAnyForm: a payload's account numbers are found in
// free text written plain, with spaces, dashes or dots between any of their
// characters, inside longer runs and in any letter case, and keep only their
// last four characters.
func TestMaskerFindsNumbersInAnyForm(t *testing.T) {
	m := masker{numbers: newNumberSet([]string{"33334444", "AB-12345", "1234"})}
	for in, want := range map[string]string{
		"TRANSFER TO RRSP 33334444":  "TRANSFER TO RRSP ****4444",
		"TO 3333-4444":               "TO ****-4444",
		"TO 3333 4444":               "TO **** 4444",
		"TO 3333.4444.":              "TO ****.4444.",
		"TO 33-33-44-44":             "TO **-**-44-44",
		"TO 9333344449":              "TO 9****44449",
		"ACCT33334444X":              "ACCT****4444X",
		"TO 3333  4444":              "TO 3333  4444", // two spaces: not one number
		"ab 12345 and AB12345":       "** *2345 and ***2345",
		"year 1234":                  "year 1234", // under five characters: not searched
		"Épargne 3333-4444 — 振替":     "Épargne ****-4444 — 振替",
		"33334444 and 3333 4444 too": "****4444 and **** 4444 too",
	} {
		if got := m.hide(in); got != want {
			t.Errorf("hide(%q) = %q, want %q", in, got, want)
		}
	}
}

// digitGroups returns each stretch of s made of digits, spaces, hyphens and
// dots, with only its digits kept: "TO 3333-4444." gives "33334444".
func digitGroups(s string) []string {
	var out []string
	for _, g := range regexp.MustCompile(`[0-9 .-]+`).FindAllString(s, -1) {
		out = append(out, strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, g))
	}
	return out
}

// TestSiblingAccountNumbersMasked: in testdata/payloads/sibling_numbers.json
// account A names account B's number (and B names A's) in every form and
// place a sibling's number can hide. No five consecutive digits of any account
// number of the payload survive in any text cell of any row (extra and
// rejected fragments included), in whatever separator form they were
// written; with KeepAccountNumbers the descriptions are kept as sent.
func TestSiblingAccountNumbersMasked(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(payloadDir, "sibling_numbers.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := goldenContext()
	b, _ := mustFromJSON(t, body, c)
	if err := checkBatch(b, c); err != nil {
		t.Fatalf("invariant: %v", err)
	}
	if n := len(b.Rows[schema.Transactions.Name]); n != 5 {
		t.Fatalf("%d transactions loaded, want 5", n)
	}
	if n := len(b.Rows[schema.RejectedRecords.Name]); n < 3 {
		t.Fatalf("%d rejected rows, want the position, the transaction and the payload level", n)
	}
	for name, rows := range b.Rows {
		for _, r := range rows {
			for i, v := range r {
				s, ok := v.(string)
				if !ok {
					continue
				}
				// Separators between digits must not hide a number.
				for _, d := range digitGroups(s) {
					for _, number := range []string{"11112222", "33334444"} {
						for k := 0; k+5 <= len(number); k++ {
							if strings.Contains(d, number[k:k+5]) {
								t.Errorf("%s.%s keeps digits %s… of an account number: %q", name, schema.Lookup(name).Columns[i].Name, number[k:k+5], s)
							}
						}
					}
				}
			}
		}
	}
	desc := map[any]any{}
	for _, r := range b.Rows[schema.Transactions.Name] {
		desc[r[2]] = r[schema.Transactions.Index("description")]
	}
	if got := desc["t4"]; got != "WIRE ***6543 REF ****.4444" {
		t.Errorf("t4 description = %q", got)
	}

	keep := goldenContext()
	keep.KeepAccountNumbers = true
	kb, _ := mustFromJSON(t, body, keep)
	for _, r := range kb.Rows[schema.Transactions.Name] {
		if r[2] == "t2" && r[schema.Transactions.Index("description")] != "TRANSFER TO 3333-4444" {
			t.Errorf("KeepAccountNumbers masked a description: %q", r[schema.Transactions.Index("description")])
		}
	}
}

// FuzzMaskDescription: masking a description only turns ASCII letters and
// digits into '*' (so the length and valid UTF-8 are kept), leaves no run of
// seven digits but a date, and leaves no occurrence of the account number in
// any separator form.
func FuzzMaskDescription(f *testing.F) {
	for _, c := range [][2]string{
		{"TRANSFER TO RRSP 33334444", "33334444"}, {"TO 3333-4444 / 3333 4444 / 3333.4444", "33334444"},
		{"CARD 4520 1234 5678 9012", "11112222"}, {"DIV 2025-01-31 12345", "ab-12345"}, {"Dépôt 1-2-3-4-5-6-7 振替", "1234567"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, s, number string) {
		m := masker{numbers: newNumberSet([]string{number})}
		got := m.description(s)
		if len(got) != len(s) {
			t.Fatalf("length changed: %q -> %q", s, got)
		}
		for i := 0; i < len(s); i++ {
			if got[i] != s[i] && (got[i] != '*' || !isAlnum(s[i])) {
				t.Fatalf("byte %d changed from %q to %q", i, s[i], got[i])
			}
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		if err := checkDescription(got); err != nil {
			t.Fatalf("%q -> %q: %v", s, got, err)
		}
		if m.numbers != nil && m.numbers.mark(got, nil) != nil {
			t.Fatalf("%q -> %q still holds the number", s, got)
		}
	})
}

// TestMaskerPersonalModes: members named like personal details are masked
// to their last four in the investments payload (unless numbers are kept),
// withheld whole in the banking one unless holder details are kept, and
// kept in clear with them; the holders' details are masked in every text,
// number and member name, whatever KeepAccountNumbers says.
func TestMaskerPersonalModes(t *testing.T) {
	fields := payload.Fields{
		"Email":         json.RawMessage(`"zoe.u@example.com"`),
		"Note":          json.RawMessage(`"from Zoë Ünïcode, acct 12345678"`),
		"Nested":        json.RawMessage(`{"HolderName":"Anyone","Ok":1}`),
		"Tel":           json.RawMessage(`15550133742`),
		"Zoë Ünïcode":   json.RawMessage(`true`),
		"AccountNumber": json.RawMessage(`"12345678"`),
		"SIN":           json.RawMessage(`"046 454 286"`),
	}
	pii := newPIISet([]string{"Zoë Ünïcode", "+1 (555) 013-3742"})
	numbers := newNumberSet([]string{"12345678"})
	for _, tt := range []struct {
		name string
		m    masker
		want string
	}{
		{"investments", masker{numbers: numbers},
			`{"AccountNumber":"****5678","Email":"*************.com","Nested":{"HolderName":"**yone","Ok":1},"Note":"from Zoë Ünïcode, acct ****5678","SIN":"******* 286","Tel":15550133742,"Zoë Ünïcode":true}`},
		{"investments, numbers kept", masker{numbers: numbers, keep: true},
			`{"AccountNumber":"12345678","Email":"zoe.u@example.com","Nested":{"HolderName":"Anyone","Ok":1},"Note":"from Zoë Ünïcode, acct 12345678","SIN":"046 454 286","Tel":15550133742,"Zoë Ünïcode":true}`},
		{"banking", masker{numbers: numbers, personal: personalWithhold, pii: pii},
			`{"*** *******":true,"AccountNumber":"****5678","Email":"(withheld)","Nested":{"HolderName":"(withheld)","Ok":1},"Note":"from *** *******, acct ****5678","SIN":"(withheld)","Tel":"***********"}`},
		{"banking, numbers kept", masker{numbers: numbers, keep: true, personal: personalWithhold, pii: pii},
			`{"*** *******":true,"AccountNumber":"12345678","Email":"(withheld)","Nested":{"HolderName":"(withheld)","Ok":1},"Note":"from *** *******, acct 12345678","SIN":"(withheld)","Tel":"***********"}`},
		{"banking, holder details kept", masker{numbers: numbers, personal: personalKeep},
			`{"AccountNumber":"****5678","Email":"zoe.u@example.com","Nested":{"HolderName":"Anyone","Ok":1},"Note":"from Zoë Ünïcode, acct ****5678","SIN":"(withheld)","Tel":15550133742,"Zoë Ünïcode":true}`},
	} {
		if got, _ := tt.m.extra(fields, nil).(string); got != tt.want {
			t.Errorf("%s: extra\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
	m := masker{keep: true, personal: personalWithhold, pii: pii}
	if got := m.fragment(json.RawMessage(`{"Description":"E-TRANSFER ZOE ÜNÏCODE zoë ünïcode","Owner":{"a":1}}`)); got != `{"Description":"E-TRANSFER ZOE ÜNÏCODE *** *******","Owner":"(withheld)"}` {
		t.Errorf("fragment %v", got)
	}
	if got := m.hide("Zoë Ünïcode's chequing"); got != "*** *******'s chequing" {
		t.Errorf("hide %v", got)
	}
	if got := m.description("PAYROLL ZOË ÜNÏCODE 1234567"); got != "PAYROLL *** ******* 1234567" {
		t.Errorf("description with numbers kept: %v", got)
	}
}
