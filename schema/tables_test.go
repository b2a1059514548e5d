package schema

import (
	"slices"
	"testing"
)

// TestGreatestColumns checks the Table.Greatest declarations the sinks rely
// on: only InsertIfNew tables have them, and each names a nullable column
// (a NULL must be able to mean "unknown, keep") of an ordered kind that is
// not part of the key.
func TestGreatestColumns(t *testing.T) {
	ordered := []Kind{KindVarchar, KindDecimal, KindDate, KindTimestamp, KindBigInt}
	for _, tbl := range Tables {
		if len(tbl.Greatest) > 0 && tbl.Merge != InsertIfNew {
			t.Errorf("%s: Greatest columns on a table that is not InsertIfNew", tbl.Name)
		}
		for _, name := range tbl.Greatest {
			i := tbl.Index(name)
			switch {
			case i < 0:
				t.Errorf("%s: Greatest column %s does not exist", tbl.Name, name)
			case !tbl.Columns[i].Nullable:
				t.Errorf("%s: Greatest column %s is NOT NULL", tbl.Name, name)
			case !slices.Contains(ordered, tbl.Columns[i].Type.Kind):
				t.Errorf("%s: Greatest column %s is not of an ordered kind", tbl.Name, name)
			case slices.Contains(tbl.Key, name):
				t.Errorf("%s: Greatest column %s is part of the key", tbl.Name, name)
			}
		}
	}
	if !slices.Equal(Logins.Greatest, []string{"last_refresh_at"}) {
		t.Errorf("logins.Greatest = %v, want [last_refresh_at]", Logins.Greatest)
	}
}

// The tables whose rows pile up with every run or every day keep no key
// index; the others, which hold about one row per login, account or
// security, keep theirs.
func TestHistoryTablesUnindexed(t *testing.T) {
	history := map[string]bool{"positions": true, "bank_balances": true, "transactions": true, "bank_transactions": true,
		"sync_logins": true, "sync_login_products": true, "rejected_records": true, "data_quality": true}
	for _, tbl := range Tables {
		if tbl.History != history[tbl.Name] {
			t.Errorf("%s: History %v, want %v", tbl.Name, tbl.History, history[tbl.Name])
		}
		if tbl.IndexedKey() == tbl.History {
			t.Errorf("%s: History %v but IndexedKey %v", tbl.Name, tbl.History, tbl.IndexedKey())
		}
		// A table replaced by scope, or with rows per run and login (not
		// sync_runs, one row a run), grows with every run.
		if (tbl.Merge == ReplaceScope || slices.Contains(tbl.Key, "run_id") && len(tbl.Key) > 1) && !tbl.History {
			t.Errorf("%s grows with every run but is not History", tbl.Name)
		}
	}
}

// A LoginData table names its login in its key and scopes (the sinks find
// a login's first rows by it); the others are the registry, the shared
// securities and what runs record about logins, which a login without
// data has too.
func TestLoginDataTables(t *testing.T) {
	want := map[string]bool{"accounts": true, "positions": true, "transactions": true,
		"bank_accounts": true, "bank_balances": true, "bank_transactions": true, "account_holders": true}
	for _, tbl := range Tables {
		if tbl.LoginData != want[tbl.Name] {
			t.Errorf("%s: LoginData %v, want %v", tbl.Name, tbl.LoginData, want[tbl.Name])
		}
		if !tbl.LoginData {
			continue
		}
		if !slices.Contains(tbl.Key, "login_id") {
			t.Errorf("%s: LoginData without login_id in its key %v", tbl.Name, tbl.Key)
		}
		if tbl.Scoped() && !slices.Contains(tbl.ScopeBy, "login_id") {
			t.Errorf("%s: LoginData without login_id in its scopes %v", tbl.Name, tbl.ScopeBy)
		}
	}
}
