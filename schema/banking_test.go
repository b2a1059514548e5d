package schema

import (
	"slices"
	"strings"
	"testing"
)

// TestBankingTables pins the banking tables' public contract (what
// docs/data-dictionary.md shows of them): names, keys, the columns below,
// money columns exact, and each table created by schema version 2 (a later
// version may add columns to it).
func TestBankingTables(t *testing.T) {
	money := []string{"balance_available", "balance_current", "balance_limit", "overdraft_limit", "available", "current", "limit_amount", "debit", "credit", "amount", "balance"}
	for _, tt := range []struct {
		name    string
		merge   Merge
		key     string
		columns string
	}{
		{"bank_accounts", Latest, "login_id account_id",
			"institution title category type currency account_type balance_available balance_current balance_limit overdraft_limit transit_number institution_number account_number last_seen_at closed_at"},
		{"bank_balances", ReplaceScope, "login_id account_id as_of_date", "available current limit_amount currency"},
		{"bank_transactions", Latest, "login_id account_id transaction_id",
			"date description code debit credit amount balance currency first_seen_at updated_at removed_at"},
		{"account_holders", Upsert, "login_id account_id",
			"holder_key province country name email phone civic_address city postal_code"},
	} {
		tbl := Lookup(tt.name)
		if tbl == nil {
			t.Errorf("no table %s", tt.name)
			continue
		}
		if tbl.Merge != tt.merge || strings.Join(tbl.Key, " ") != tt.key {
			t.Errorf("%s: merge %v key %v, want %v %s", tt.name, tbl.Merge, tbl.Key, tt.merge, tt.key)
		}
		for _, name := range strings.Fields(tt.key + " " + tt.columns) {
			if tbl.Index(name) < 0 {
				t.Errorf("%s: no column %s", tt.name, name)
			}
		}
		if v := tbl.FirstVersion(); v != 2 {
			t.Errorf("%s: created by schema version %d, want 2", tt.name, v)
		}
		for _, c := range tbl.Columns {
			if slices.Contains(money, c.Name) && c.Type != Exact {
				t.Errorf("%s.%s: %s, want the exact money type", tt.name, c.Name, c.Type)
			}
		}
	}
	for _, name := range []string{"name", "email", "phone", "civic_address", "city", "postal_code", "po_box"} {
		if i := AccountHolders.Index(name); i < 0 || !AccountHolders.Columns[i].Nullable {
			t.Errorf("account_holders.%s must exist and be nullable (NULL unless --keep-holder-pii)", name)
		}
	}
	if got := strings.Join(BankBalances.ScopeBy, " "); got != "login_id as_of_date" {
		t.Errorf("bank_balances scope %s", got)
	}
}

// TestTablesInDependencyOrder: a table that names another's account_id
// comes after it.
func TestTablesInDependencyOrder(t *testing.T) {
	at := func(tbl *Table) int { return slices.Index(Tables, tbl) }
	for _, child := range []*Table{BankBalances, BankTransactions, AccountHolders} {
		if at(child) < 0 || at(child) < at(BankAccounts) {
			t.Errorf("%s comes before bank_accounts", child.Name)
		}
	}
}
