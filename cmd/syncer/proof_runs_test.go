package main

import (
	"database/sql"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/schema"
)

// runsLogins are healthy logins plus one whose payload has malformed
// fragments, so rejected_records has rows to keep stable too.
func runsLogins() []string {
	n := 10
	if fullProof {
		n = 50
	}
	return append(flinkstest.DemoLogins(12, n), flinkstest.FaultLogin(flinkstest.FaultMalformed, 1))
}

func runsArgs(srv *flinkstest.Server, sink crashSink, dir, logins, runID string) []string {
	return append([]string{"sync", "--logins", logins, "--base-url", srv.URL, "--run-id", runID, "--products", "investments,banking",
		"--poll-interval", "1ms", "--rate", "5000", "--log-format", "json"}, sink.args(dir)...)
}

// TestProofIdempotentRuns syncs the same data three times into each sink:
// the data tables are identical after every run (except the columns naming
// the run), transactions and the login registry are identical to the byte
// (a sighting that changes no value leaves a transaction as it is; the
// registry keeps the first), and only the ledger grows.
// The default suite checks DuckDB; the proof build tag adds Parquet.
func TestProofIdempotentRuns(t *testing.T) { eachSink(t, checkIdempotent) }

func checkIdempotent(t *testing.T, sink crashSink) {
	srv := flinkstest.New(flinkstest.Config{Seed: 12, AsOf: proofAsOf, Pending: flinkstest.FixedPending(1)})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	logins := runsLogins()
	file := writeLogins(t, dir, logins)
	var first map[string]string
	var firstExact map[string]string
	for i, runID := range []string{"run-1", "run-2", "run-3"} {
		if r := syncer(t, dir, nil, runsArgs(srv, sink, dir, file, runID)...); r.code != exitOK {
			t.Fatalf("%s: want exit 0\n%s", runID, r)
		}
		db := sink.open(t, dir)
		sums := dataChecksums(t, db)
		exact := exactChecksums(t, db, schema.Transactions, schema.BankTransactions, schema.Logins)
		if i == 0 {
			first, firstExact = sums, exact
			if queryInt(t, db, "SELECT count(*) FROM rejected_records") == 0 {
				t.Error("no rejected fragments: the malformed login was not exercised")
			}
		} else {
			compareSums(t, runID, first, sums)
			compareSums(t, runID+" (every column)", firstExact, exact)
		}
		if n := queryInt(t, db, "SELECT count(*) FROM sync_runs"); n != i+1 {
			t.Errorf("after %s: %d runs in the ledger", runID, n)
		}
		if n := queryInt(t, db, "SELECT count(*) FROM sync_logins"); n != (i+1)*len(logins) {
			t.Errorf("after %s: %d sync_logins rows, want %d", runID, n, (i+1)*len(logins))
		}
		if n := queryInt(t, db, "SELECT count(*) FROM accounts WHERE run_id <> ?", runID); n != 0 {
			t.Errorf("after %s: %d accounts not rewritten by the latest run", runID, n)
		}
		_ = db.Close()
	}
}

// exactChecksums is loadtest.Checksum (every column) of tables, by name.
func exactChecksums(t *testing.T, db *sql.DB, tables ...*schema.Table) map[string]string {
	t.Helper()
	sums := map[string]string{}
	for _, table := range tables {
		sum, err := loadtest.Checksum(db, table.Name)
		if err != nil {
			t.Fatal(err)
		}
		sums[table.Name] = sum
	}
	return sums
}

// TestProofADayLater syncs the same logins at two as-of dates: positions
// hold two snapshots and the first is untouched, transactions are never
// duplicated and the first day's are kept as first seen, and accounts are
// updated in place (same rows, rewritten by the second run).
// The default suite checks DuckDB; the proof build tag adds Parquet.
func TestProofADayLater(t *testing.T) { eachSink(t, checkADayLater) }

func checkADayLater(t *testing.T, sink crashSink) {
	day1 := proofAsOf
	day2 := day1.AddDate(0, 0, 1)
	dir := t.TempDir()
	logins := flinkstest.DemoLogins(13, 20)
	file := writeLogins(t, dir, logins)
	sync := func(asOf time.Time, runID string) *sql.DB {
		srv := flinkstest.New(flinkstest.Config{Seed: 13, AsOf: asOf})
		defer srv.Close()
		if r := syncer(t, dir, nil, runsArgs(srv, sink, dir, file, runID)...); r.code != exitOK {
			t.Fatalf("%s: want exit 0\n%s", runID, r)
		}
		return sink.open(t, dir)
	}

	db := sync(day1, "day-1")
	accounts := queryInt(t, db, "SELECT count(*) FROM accounts")
	snapshot1 := scalarString(t, db, positionsDigest, day1)
	transactions1 := scalarString(t, db, transactionsDigest)
	seen1 := scalarString(t, db, "SELECT CAST(max(first_seen_at) AS VARCHAR) FROM transactions")
	bankAccounts := queryInt(t, db, "SELECT count(*) FROM bank_accounts")
	balances1 := scalarString(t, db, bankBalancesDigest, day1)
	bankTx1 := queryInt(t, db, "SELECT count(*) FROM bank_transactions")
	_ = db.Close()
	if bankAccounts == 0 || bankTx1 == 0 {
		t.Fatal("day 1 wrote no bank accounts or transactions")
	}
	if accounts == 0 || snapshot1 == "0:" {
		t.Fatal("day 1 wrote no accounts or positions")
	}

	db = sync(day2, "day-2")
	defer db.Close()
	if got := queryInt(t, db, "SELECT count(DISTINCT as_of_date) FROM positions"); got != 2 {
		t.Errorf("%d positions snapshots, want 2", got)
	}
	if got := scalarString(t, db, positionsDigest, day1); got != snapshot1 {
		t.Errorf("day 1's positions snapshot changed: %s, was %s", got, snapshot1)
	}
	if queryInt(t, db, "SELECT count(*) FROM positions WHERE as_of_date = ?", day2) == 0 {
		t.Error("no day 2 snapshot")
	}
	if got := queryInt(t, db, "SELECT count(*) FROM accounts"); got != accounts {
		t.Errorf("%d accounts after day 2, want the same %d updated in place", got, accounts)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM accounts WHERE run_id <> 'day-2'"); n != 0 {
		t.Errorf("%d accounts not updated by day 2", n)
	}
	if dups := queryInt(t, db, `SELECT count(*) - count(DISTINCT (login_id, account_id, transaction_id)) FROM transactions`); dups != 0 {
		t.Errorf("%d duplicated transactions", dups)
	}
	// The sandbox re-sends day 1's transactions unchanged (those that left
	// its window lie outside the dates day 2 covers): they keep their values
	// and first sighting, none is updated or removed.
	if got := scalarString(t, db, transactionsDigest+" WHERE first_seen_at <= CAST(? AS TIMESTAMP)", seen1); got != transactions1 {
		t.Errorf("day 1's transactions changed: %s, were %s", got, transactions1)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM transactions WHERE updated_at IS NOT NULL OR removed_at IS NOT NULL"); n != 0 {
		t.Errorf("%d transactions updated or removed by a re-sync of unchanged data", n)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM accounts WHERE closed_at IS NOT NULL"); n != 0 {
		t.Errorf("%d accounts closed by a re-sync of the same accounts", n)
	}
	// Banking: a second balance snapshot per account, the first kept; no
	// transaction twice, none changed or removed, and the bank accounts
	// updated in place.
	if got := queryInt(t, db, "SELECT count(DISTINCT as_of_date) FROM bank_balances"); got != 2 {
		t.Errorf("%d bank balance dates, want 2", got)
	}
	if got := scalarString(t, db, bankBalancesDigest, day1); got != balances1 {
		t.Errorf("day 1's bank balances changed: %s, were %s", got, balances1)
	}
	if got := queryInt(t, db, "SELECT count(*) FROM bank_accounts"); got != bankAccounts {
		t.Errorf("%d bank accounts after day 2, want %d", got, bankAccounts)
	}
	if dups := queryInt(t, db, `SELECT count(*) - count(DISTINCT (login_id, account_id, transaction_id)) FROM bank_transactions`); dups != 0 {
		t.Errorf("%d duplicated bank transactions", dups)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM bank_transactions WHERE updated_at IS NOT NULL OR removed_at IS NOT NULL"); n != 0 {
		t.Errorf("%d bank transactions updated or removed by a re-sync of unchanged data", n)
	}
	if got := queryInt(t, db, "SELECT count(*) FROM bank_transactions"); got <= bankTx1 {
		t.Errorf("%d bank transactions after day 2, %d after day 1: day 2 added none", got, bankTx1)
	}
}

const (
	positionsDigest = `SELECT count(*) || ':' || coalesce(md5(string_agg(concat_ws('|', login_id, account_id, security_key,
		quantity, price, market_value, run_id), ',' ORDER BY login_id, account_id, security_key)), '')
		FROM positions WHERE as_of_date = ?`
	bankBalancesDigest = `SELECT count(*) || ':' || coalesce(md5(string_agg(concat_ws('|', login_id, account_id,
		available, current, limit_amount, currency, run_id), ',' ORDER BY login_id, account_id)), '')
		FROM bank_balances WHERE as_of_date = ?`
	transactionsDigest = `SELECT count(*) || ':' || coalesce(md5(string_agg(concat_ws('|', login_id, account_id, transaction_id,
		date, net_amount, first_seen_at), ',' ORDER BY login_id, account_id, transaction_id)), '') FROM transactions`
)

func scalarString(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var s string
	if err := db.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}
