package schema

import (
	"slices"
	"strings"
	"testing"
)

// TestLatestTablesWellFormed checks what the sinks' Latest merge relies on:
// marks that are nullable TIMESTAMP columns, a NOT NULL SeenAt, scope
// columns that exist, the first of them a key column.
func TestLatestTablesWellFormed(t *testing.T) {
	for _, tbl := range Tables {
		if tbl.Merge != Latest {
			if tbl.Marks != nil || tbl.ScopeRange != "" {
				t.Errorf("%s: marks or a scope range on a table that is not Latest", tbl.Name)
			}
			continue
		}
		m := tbl.Marks
		if m == nil {
			t.Errorf("%s: Latest without marks", tbl.Name)
			continue
		}
		column := func(name string) *Column {
			if i := tbl.Index(name); i >= 0 {
				return &tbl.Columns[i]
			}
			t.Errorf("%s: no column %q", tbl.Name, name)
			return nil
		}
		if c := column(m.SeenAt); c != nil && (c.Type.Kind != KindTimestamp || c.Nullable) {
			t.Errorf("%s: SeenAt %s is not a NOT NULL TIMESTAMP", tbl.Name, c.Name)
		}
		for _, name := range []string{m.FirstSeen, m.LastSeen, m.Changed, m.Gone} {
			if name == "" {
				continue
			}
			if c := column(name); c != nil && (c.Type.Kind != KindTimestamp || !c.Nullable || slices.Contains(tbl.Key, name)) {
				t.Errorf("%s: mark %s is not a nullable TIMESTAMP outside the key", tbl.Name, name)
			}
		}
		for _, name := range append(slices.Clone(m.Lineage), tbl.ScopeBy...) {
			column(name)
		}
		if len(tbl.ScopeBy) == 0 || !slices.Contains(tbl.Key, tbl.ScopeBy[0]) {
			t.Errorf("%s: ScopeBy %v does not start with a key column", tbl.Name, tbl.ScopeBy)
		}
		if tbl.ScopeRange != "" {
			column(tbl.ScopeRange)
		}
	}
}

func TestScopeColumns(t *testing.T) {
	names := func(cols []Column) string {
		var out []string
		for _, c := range cols {
			out = append(out, c.Name+" "+c.Type.String())
		}
		return strings.Join(out, ", ")
	}
	for tbl, want := range map[*Table]string{
		Positions:        "login_id VARCHAR, as_of_date DATE",
		Accounts:         "login_id VARCHAR, scope_at TIMESTAMP",
		Transactions:     "login_id VARCHAR, account_id VARCHAR, scope_from DATE, scope_to DATE, scope_at TIMESTAMP",
		BankAccounts:     "login_id VARCHAR, scope_at TIMESTAMP",
		BankBalances:     "login_id VARCHAR, as_of_date DATE",
		BankTransactions: "login_id VARCHAR, account_id VARCHAR, scope_from DATE, scope_to DATE, scope_at TIMESTAMP",
	} {
		if got := names(tbl.ScopeColumns()); got != want {
			t.Errorf("%s scope columns: %s, want %s", tbl.Name, got, want)
		}
	}
	if got := strings.Join(Transactions.Compared(), " "); got != "date settlement_date type type_raw description security_key quantity price fees net_amount currency extra" {
		t.Errorf("transactions compares %s", got)
	}
	if got := strings.Join(BankTransactions.Compared(), " "); got != "date description code debit credit amount balance currency extra" {
		t.Errorf("bank_transactions compares %s", got)
	}
}
