package transform

import (
	"strings"
	"testing"

	"github.com/syncer/syncer/schema"
)

// rejectedByPath returns the rejected_records rows of a batch by JSON path.
func rejectedByPath(b schema.Batch) map[string]schema.Row {
	out := map[string]schema.Row{}
	for _, r := range b.Rows[schema.RejectedRecords.Name] {
		out[r[2].(string)] = r
	}
	return out
}

// TestAbsurdNumbersQuarantined: a 240,000-digit number is quarantined by its
// JSON path, quickly, with a reason that says why and a fragment that does
// not carry it; the account loads with that column NULL, the position does
// not load.
func TestAbsurdNumbersQuarantined(t *testing.T) {
	huge := "1." + strings.Repeat("0", 240_000) + "e0"
	body := `{"Investments":[{"Name":"Bank","Id":"inst","Accounts":[{"Id":"acc-1","AccountId":"12345678","Currency":"CAD","Cash":` + huge + `,
	  "Positions":[{"Quantity":"` + huge + `","Price":1,"Currency":"CAD","Security":{"Id":"sec-1"},"Note":` + huge + `}]}]}]}`
	c := goldenContext()
	b, _ := mustFromJSON(t, []byte(body), c)
	if err := checkBatch(b, c); err != nil {
		t.Fatalf("invariant: %v", err)
	}
	acct := b.Rows[schema.Accounts.Name]
	if len(acct) != 1 || acct[0][schema.Accounts.Index("cash")] != nil {
		t.Fatalf("accounts = %v, want one row with cash NULL", acct)
	}
	if n := len(b.Rows[schema.Positions.Name]); n != 0 {
		t.Fatalf("%d positions loaded, want 0", n)
	}
	rej := rejectedByPath(b)
	want := schema.ErrNumberTooLong.Error()
	for path, suffix := range map[string]string{
		"$.Investments[0].Accounts[0].Cash":                  "; loaded as NULL",
		"$.Investments[0].Accounts[0].Positions[0].Quantity": "; position not loaded",
	} {
		r, ok := rej[path]
		if !ok {
			t.Errorf("no rejected_records row at %s (have %v)", path, rej)
			continue
		}
		if r[4] != want+suffix {
			t.Errorf("%s: reason %q, want %q", path, r[4], want+suffix)
		}
		if f, _ := r[5].(string); strings.Contains(f, strings.Repeat("0", schema.MaxNumberLen)) {
			t.Errorf("%s: the fragment keeps the %d-character number", path, len(huge))
		}
	}
}

// TestYearZeroQuarantined: a date in the year 0000 (which Go reads as 1 BC)
// is quarantined at its path, wherever it is.
func TestYearZeroQuarantined(t *testing.T) {
	body := `{"Investments":[{"Name":"Bank","Accounts":[{"Id":"acc-1","Currency":"CAD",
	  "Positions":[{"Quantity":1,"Currency":"CAD","AsOfDate":"0000-01-31","Security":{"Id":"sec-1"}}],
	  "Transactions":[{"Id":"t1","Date":"0000-01-01","NetAmount":1,"Currency":"CAD"},
	                  {"Id":"t2","Date":"2025-01-02","SettlementDate":"0000-12-31T00:00:00","NetAmount":1,"Currency":"CAD"}]}]}]}`
	c := goldenContext()
	b, _ := mustFromJSON(t, []byte(body), c)
	if err := checkBatch(b, c); err != nil {
		t.Fatalf("invariant: %v", err)
	}
	if p, x := len(b.Rows[schema.Positions.Name]), len(b.Rows[schema.Transactions.Name]); p != 0 || x != 0 {
		t.Fatalf("%d positions and %d transactions loaded, want none", p, x)
	}
	rej := rejectedByPath(b)
	for _, path := range []string{
		"$.Investments[0].Accounts[0].Positions[0].AsOfDate",
		"$.Investments[0].Accounts[0].Transactions[0].Date",
		"$.Investments[0].Accounts[0].Transactions[1].SettlementDate",
	} {
		if r, ok := rej[path]; !ok || !strings.HasPrefix(r[4].(string), "not a date: year 0000") {
			t.Errorf("%s: rejected %v, want a year-0000 reason", path, r)
		}
	}
}
