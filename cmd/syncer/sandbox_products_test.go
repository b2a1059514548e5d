package main

import (
	"path/filepath"
	"testing"
)

// TestSandboxSyncsBothProducts: `sync --sandbox`, the README's first
// command, demonstrates investments and banking; --products or
// SYNCER_PRODUCTS still choose, and without --sandbox the default stays
// investments (TestRetiredInvestmentsExplainsItself and the fault proofs run
// against a served sandbox without the flag).
func TestSandboxSyncsBothProducts(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name          string
		env, args     []string
		invest, banks bool
	}{
		{"default", nil, nil, true, true},
		{"flag", nil, []string{"--products", "banking"}, false, true},
		{"env", []string{"SYNCER_PRODUCTS=investments"}, nil, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := filepath.Join(dir, c.name+".duckdb")
			args := append([]string{"sync", "--sandbox", "--db", db, "--poll-interval", "1ms"}, c.args...)
			if r := syncer(t, dir, c.env, args...); r.code != exitOK {
				t.Fatalf("want exit 0\n%s", r)
			}
			w := openWarehouseRO(t, db)
			if got := queryInt(t, w, `SELECT count(*) FROM accounts`) > 0; got != c.invest {
				t.Errorf("investment accounts loaded: %v, want %v", got, c.invest)
			}
			if got := queryInt(t, w, `SELECT count(*) FROM bank_accounts`) > 0; got != c.banks {
				t.Errorf("bank accounts loaded: %v, want %v", got, c.banks)
			}
		})
	}
}
