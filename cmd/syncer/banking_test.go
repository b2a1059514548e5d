package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/schema"
)

// bankingFlags are fastFlags syncing both products.
func bankingFlags(srv *flinkstest.Server, db string) []string {
	return append(fastFlags(srv, db), "--products", "investments,banking", "--concurrency", "4")
}

// noCanaries fails the test when a holder's personal value is in text.
func noCanaries(t *testing.T, what, text string) {
	t.Helper()
	for _, c := range flinkstest.HolderCanaries() {
		if strings.Contains(text, c) {
			t.Errorf("%s carries the holder value %q", what, c)
		}
	}
}

// Both products through the binary: a login whose banking fails keeps its
// investments and the reverse; retry asks Flinks again for the failed
// product only; no holder's personal data reaches a log line, an error or a
// table without --keep-holder-pii; a second as-of date adds a balance
// snapshot and duplicates no transaction.
func TestBankingEndToEnd(t *testing.T) {
	logins := flinkstest.DemoLogins(42, 4)
	healthy, noBank, noInv := logins[0], logins[1], logins[2]
	var broken atomic.Bool
	broken.Store(true)
	cfg := flinkstest.Config{Seed: 42, AsOf: e2eAsOf, Pending: flinkstest.FixedPending(1),
		DataFault: func(endpoint, login string) flinkstest.Fault {
			if !broken.Load() {
				return flinkstest.FaultNone
			}
			if (login == noBank && endpoint != flinkstest.EndpointInvestments) || (login == noInv && endpoint == flinkstest.EndpointInvestments) {
				return flinkstest.FaultAggregationError
			}
			return flinkstest.FaultNone
		}}
	srv := flinkstest.New(cfg)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	list := writeLogins(t, dir, logins[:3])

	first := syncer(t, dir, nil, append(append([]string{"sync"}, bankingFlags(srv, db)...), "--logins", list)...)
	if first.code != exitPartial {
		t.Fatalf("first run: %s", first)
	}
	noCanaries(t, "the first run's output", first.stdout+first.stderr)
	if _, err := os.Stat(db + ".holder-key"); err != nil {
		t.Errorf("the warehouse's holder key was not made: %v", err)
	}
	st := syncer(t, dir, nil, "status", "--db", db, "--format", "csv")
	if st.code != exitOK || !strings.Contains(st.stdout, "investments:succeeded banking:failed") || !strings.Contains(st.stdout, "investments:failed banking:succeeded") {
		t.Errorf("status does not show each product's outcome: %s", st)
	}
	w := openWarehouseRO(t, db)
	status := func(login, product string) string {
		var s string
		if err := w.QueryRow(`SELECT p.status FROM sync_login_products p JOIN sync_runs r USING (run_id)
			WHERE p.login_id = ? AND p.product = ? ORDER BY r.started_at DESC LIMIT 1`, login, product).Scan(&s); err != nil {
			t.Fatalf("status of %s: %v", product, err)
		}
		return s
	}
	for _, c := range []struct{ login, inv, bank string }{
		{healthy, "succeeded", "succeeded"}, {noBank, "succeeded", "failed"}, {noInv, "failed", "succeeded"},
	} {
		if got := [2]string{status(c.login, "investments"), status(c.login, "banking")}; got != [2]string{c.inv, c.bank} {
			t.Errorf("products %v, want %s %s", got, c.inv, c.bank)
		}
	}
	if n := queryInt(t, w, `SELECT count(*) FROM bank_accounts WHERE login_id = ?`, noBank); n != 0 {
		t.Errorf("%d bank accounts for the login whose banking failed", n)
	}
	if n := queryInt(t, w, `SELECT count(*) FROM bank_accounts WHERE login_id = ?`, noInv); n == 0 {
		t.Error("the login whose investments failed lost its bank accounts")
	}
	if n := queryInt(t, w, `SELECT count(*) FROM accounts WHERE login_id = ?`, noBank); n == 0 {
		t.Error("the login whose banking failed lost its investment accounts")
	}
	checkNoHolderPII(t, w)
	w.Close()

	// Retry: Flinks is healthy again; only the failed products are asked.
	broken.Store(false)
	before := map[string]int{}
	for _, e := range []string{flinkstest.EndpointInvestments, flinkstest.EndpointAccountsDetail} {
		for _, l := range []string{noBank, noInv, healthy} {
			before[e+l] = srv.Count(e, l)
		}
	}
	args := append([]string{"retry"}, bankingFlags(srv, db)...)
	second := syncer(t, dir, nil, args...)
	if second.code != exitOK {
		t.Fatalf("retry: %s", second)
	}
	asked := func(e, l string) int { return srv.Count(e, l) - before[e+l] }
	if asked(flinkstest.EndpointInvestments, noBank) != 0 || asked(flinkstest.EndpointAccountsDetail, noBank) != 1 {
		t.Errorf("retry of the failed banking: investments %d, banking %d calls; want 0, 1",
			asked(flinkstest.EndpointInvestments, noBank), asked(flinkstest.EndpointAccountsDetail, noBank))
	}
	if asked(flinkstest.EndpointInvestments, noInv) == 0 || asked(flinkstest.EndpointAccountsDetail, noInv) != 0 {
		t.Errorf("retry of the failed investments: investments %d, banking %d calls; want >0, 0",
			asked(flinkstest.EndpointInvestments, noInv), asked(flinkstest.EndpointAccountsDetail, noInv))
	}
	if asked(flinkstest.EndpointInvestments, healthy)+asked(flinkstest.EndpointAccountsDetail, healthy) != 0 {
		t.Error("retry asked again for a login that had synced")
	}
	w = openWarehouseRO(t, db)
	if status(noBank, "banking") != "succeeded" || status(noInv, "investments") != "succeeded" {
		t.Error("retry did not record the products as succeeded")
	}
	accountsDay1 := queryInt(t, w, `SELECT count(*) FROM bank_accounts`)
	tx1 := queryInt(t, w, `SELECT count(*) FROM bank_transactions`)
	w.Close()

	// A later as-of date: one more balance snapshot per account, no
	// transaction twice.
	later := cfg
	later.AsOf, later.DataFault = e2eAsOf.AddDate(0, 0, 1), nil
	srv2 := flinkstest.New(later)
	t.Cleanup(srv2.Close)
	third := syncer(t, dir, nil, append(append([]string{"sync"}, bankingFlags(srv2, db)...), "--logins", list)...)
	if third.code != exitOK {
		t.Fatalf("later date: %s", third)
	}
	w = openWarehouseRO(t, db)
	if n := queryInt(t, w, `SELECT count(DISTINCT as_of_date) FROM bank_balances`); n != 2 {
		t.Errorf("%d as-of dates in bank_balances, want 2", n)
	}
	if n := queryInt(t, w, `SELECT count(*) FROM bank_balances`); n != 2*accountsDay1 {
		t.Errorf("%d balance rows, want %d (two dates of %d accounts)", n, 2*accountsDay1, accountsDay1)
	}
	if n, d := queryInt(t, w, `SELECT count(*) FROM bank_transactions`), queryInt(t, w, `SELECT count(DISTINCT (login_id, account_id, transaction_id)) FROM bank_transactions`); n != d || n < tx1 {
		t.Errorf("%d transactions, %d distinct, %d after the first date", n, d, tx1)
	}
	checkNoHolderPII(t, w)
	noCanaries(t, "the later run's output", third.stdout+third.stderr)
}

// checkNoHolderPII checks that no table holds a holder's personal value
// and that account_holders keeps a holder_key for every holder but no clear
// details (no --keep-holder-pii).
func checkNoHolderPII(t *testing.T, w *sql.DB) {
	t.Helper()
	for _, tbl := range schema.Tables {
		for _, row := range stringsOf(t, w, fmt.Sprintf(`SELECT CAST(x AS VARCHAR) FROM %q x`, tbl.Name)) {
			noCanaries(t, "table "+tbl.Name, row)
		}
	}
	if n := queryInt(t, w, `SELECT count(*) FROM account_holders`); n == 0 {
		t.Fatal("no account holders")
	}
	if n := queryInt(t, w, `SELECT count(*) FROM account_holders WHERE holder_key IS NULL OR name IS NOT NULL OR email IS NOT NULL
		OR phone IS NOT NULL OR civic_address IS NOT NULL`); n != 0 {
		t.Errorf("%d holders without a holder_key or with clear details", n)
	}
}

// Investments retired: the run says so once, points to --products banking,
// does not retry, exits 1; banking rows of the same run are kept. Bad
// --products and --transaction-days are usage errors.
func TestRetiredInvestmentsExplainsItself(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 42, AsOf: e2eAsOf, RetiredInvestments: true})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	list := writeLogins(t, dir, flinkstest.DemoLogins(42, 6))
	r := syncer(t, dir, nil, append(append([]string{"sync"}, bankingFlags(srv, db)...), "--logins", list, "--concurrency", "1")...)
	if r.code != exitFailed {
		t.Fatalf("retired run: %s", r)
	}
	out := r.stdout + r.stderr
	if n := strings.Count(out, "Flinks retired the Investments product on 2026-04-30"); n != 1 || !strings.Contains(out, "--products banking") {
		t.Errorf("the retirement is said %d times (want once, pointing to --products banking):\n%s", n, out)
	}
	if n := srv.Count(flinkstest.EndpointInvestments, ""); n != 1 {
		t.Errorf("%d /Investments requests, want 1", n)
	}
	w := openWarehouseRO(t, db)
	if n := queryInt(t, w, `SELECT count(DISTINCT login_id) FROM bank_accounts`); n != 6 {
		t.Errorf("bank accounts of %d logins, want 6", n)
	}
	if n := queryInt(t, w, `SELECT count(*) FROM sync_runs WHERE status = 'failed'`); n != 1 {
		t.Errorf("%d failed runs", n)
	}
	w.Close()
	for _, bad := range [][]string{{"--transaction-days", "30"}, {"--products", "loans"}, {"--products", ""}} {
		r := syncer(t, dir, nil, append(append([]string{"sync"}, bankingFlags(srv, db)...), bad...)...)
		if r.code != exitUsage {
			t.Errorf("%v: %s", bad, r)
		}
	}
	r = syncer(t, dir, []string{"SYNCER_PRODUCTS=banking"}, append([]string{"sync"}, append(fastFlags(srv, db), "--logins", list)...)...)
	if r.code != exitOK || srv.Count(flinkstest.EndpointInvestments, "") != 1 {
		t.Errorf("SYNCER_PRODUCTS=banking: %s", r)
	}
	// --keep-holder-pii stores the holders' details, and still logs none.
	r = syncer(t, dir, nil, append([]string{"sync"}, append(fastFlags(srv, db), "--logins", list, "--products", "banking", "--keep-holder-pii")...)...)
	if r.code != exitOK {
		t.Fatalf("--keep-holder-pii: %s", r)
	}
	noCanaries(t, "the --keep-holder-pii run's output", r.stdout+r.stderr)
	w = openWarehouseRO(t, db)
	if n := queryInt(t, w, `SELECT count(*) FROM account_holders WHERE name IS NULL OR email IS NULL OR holder_key IS NULL`); n != 0 {
		t.Errorf("%d holders without their details under --keep-holder-pii", n)
	}
}

// SYNCER_HOLDER_KEY_FILE gives two warehouses the same holder_keys and
// makes no key of their own; a bad key file stops the run (exit 1) without
// quoting it.
func TestHolderKeyFile(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 9, AsOf: e2eAsOf})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	list := writeLogins(t, dir, flinkstest.DemoLogins(9, 3))
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"SYNCER_HOLDER_KEY_FILE=" + keyFile}
	var keys [2][]string
	for i := range keys {
		db := filepath.Join(dir, fmt.Sprintf("w%d.duckdb", i))
		r := syncer(t, dir, env, append([]string{"sync"}, append(fastFlags(srv, db), "--logins", list, "--products", "banking")...)...)
		if r.code != exitOK {
			t.Fatalf("sync: %s", r)
		}
		if _, err := os.Stat(db + ".holder-key"); !os.IsNotExist(err) {
			t.Errorf("a warehouse key was made beside %s despite SYNCER_HOLDER_KEY_FILE", db)
		}
		w := openWarehouseRO(t, db)
		keys[i] = stringsOf(t, w, `SELECT holder_key FROM account_holders ORDER BY login_id, account_id`)
		w.Close()
	}
	if len(keys[0]) == 0 || strings.Join(keys[0], ",") != strings.Join(keys[1], ",") {
		t.Errorf("holder keys differ between warehouses sharing a key file:\n%v\n%v", keys[0], keys[1])
	}
	if err := os.WriteFile(keyFile, []byte("canary-not-a-key"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := syncer(t, dir, env, append([]string{"sync"}, append(fastFlags(srv, filepath.Join(dir, "w0.duckdb")), "--logins", list, "--products", "banking")...)...)
	if r.code != exitFailed || strings.Contains(r.stdout+r.stderr, "canary") || !strings.Contains(r.stderr, "SYNCER_HOLDER_KEY_FILE") {
		t.Errorf("bad key file: %s", r)
	}
}
