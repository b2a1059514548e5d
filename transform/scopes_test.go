package transform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/syncer/syncer/schema"
)

// TestLatestScopes: a batch says which of the login's lists it holds whole.
// The accounts scope (the login, and when its sync saw the payload) is
// declared unless an account or institution of the payload could not be
// read; each account's transactions scope (the login, the account, the
// min..max date of its loaded transactions, the instant) unless one of its
// transactions could not be loaded.
func TestLatestScopes(t *testing.T) {
	const ok = `{"Id": "A", "Transactions": [
		{"Id": "t1", "Date": "2025-01-05", "NetAmount": 1},
		{"Id": "t2", "Date": "2025-01-02", "NetAmount": 2},
		{"Id": "t3", "Date": "2025-01-03", "NetAmount": 3},
		{"Id": "t4", "NetAmount": 4}]}`
	const rangeA = "A 2025-01-02..2025-01-05"
	tests := []struct {
		name, accounts, wantAccounts, wantTransactions string
	}{
		{"whole lists", ok + `, {"Id": "B"}`, "login-golden", rangeA},
		{"no accounts at all", ``, "login-golden", ""},
		{"an account without an Id", ok + `, {"Name": "no id"}`, "", rangeA},
		{"an unreadable account", ok + `, 7`, "", rangeA},
		{"a transaction not loaded", `{"Id": "A", "Transactions": [{"Id": "t1", "Date": "2025-01-05"}, {"Id": "t2", "Date": "2025-01-02", "NetAmount": "x"}]}`,
			"login-golden", ""},
		{"an unreadable transaction", `{"Id": "A", "Transactions": [{"Id": "t1", "Date": "2025-01-05"}, 7]}`, "login-golden", ""},
		{"no dated transaction", `{"Id": "A", "Transactions": [{"Id": "t1"}]}`, "login-golden", ""},
		{"a duplicate transaction Id, first kept", `{"Id": "A", "Transactions": [{"Id": "t1", "Date": "2025-01-05"}, {"Id": "t1", "Date": "2025-01-01"}]}`,
			"login-golden", "A 2025-01-05..2025-01-05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := goldenContext()
			body := `{"Investments": [{"Name": "Bank", "Id": "1", "Accounts": [` + tt.accounts + `]}]}`
			b, _, err := FromJSON([]byte(body), c)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkBatch(b, c); err != nil {
				t.Fatalf("invariant: %v", err)
			}
			var got []string
			for _, s := range b.Scopes[schema.Accounts.Name] {
				got = append(got, s[0].(string))
			}
			if g := strings.Join(got, ","); g != tt.wantAccounts {
				t.Errorf("accounts scope %q, want %q", g, tt.wantAccounts)
			}
			got = nil
			for _, s := range b.Scopes[schema.Transactions.Name] {
				got = append(got, fmt.Sprintf("%s %s..%s", s[1], cell(s[2]), cell(s[3])))
			}
			if g := strings.Join(got, ","); g != tt.wantTransactions {
				t.Errorf("transactions scopes %q, want %q", g, tt.wantTransactions)
			}
		})
	}
}
