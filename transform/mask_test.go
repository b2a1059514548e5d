package transform

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

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
	m := masker{number: "12345678"}
	for in, want := range map[string]string{
		"Self-directed TFSA 12345678 CAD": "Self-directed TFSA ****5678 CAD",
		"TFSA 12-345-678 CAD":             "TFSA 12-345-678 CAD", // no run of five digits
		"RRSP 2024 123456789012":          "RRSP 2024 ********9012",
		"no digits":                       "no digits",
	} {
		if got := m.text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
	keep := masker{number: "12345678", keep: true}
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
	m := masker{number: "24681357"}
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
