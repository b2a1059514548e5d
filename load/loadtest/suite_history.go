package loadtest

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// The suite's tests of the tables that follow the source (schema.Latest):
// accounts closed and reopened, transactions corrected and withdrawn.

// syncedOf is the instant the sync of a generated login batch fetched its
// data: the instant of its accounts scope.
func syncedOf(b schema.Batch) time.Time { return b.Scopes[schema.Accounts.Name][0][1].(time.Time) }

// txID is the transaction_id the generator gives account's n-th transaction of day.
func txID(account string, day time.Time, n int) string {
	return fmt.Sprintf("tx-%s-%d-%d", account, dayNumber(day), n)
}

// editable returns a copy of b whose row and scope lists, and rows, a test
// may change without touching b's.
func editable(b schema.Batch) schema.Batch {
	copyRows := func(in map[string][]schema.Row) map[string][]schema.Row {
		out := map[string][]schema.Row{}
		for name, rows := range in {
			for _, r := range rows {
				out[name] = append(out[name], slices.Clone(r))
			}
		}
		return out
	}
	b.Rows, b.Scopes = copyRows(b.Rows), copyRows(b.Scopes)
	return b
}

// without drops from b's rows (and scopes) of table the ones keep refuses.
func without(b schema.Batch, t *schema.Table, rows bool, keep func(schema.Row) bool) {
	m := b.Scopes
	if rows {
		m = b.Rows
	}
	m[t.Name] = slices.DeleteFunc(m[t.Name], func(r schema.Row) bool { return !keep(r) })
}

// closeAccount returns b without account gone, whose cash and value moved to
// account to: the source no longer carries gone.
func closeAccount(b schema.Batch, gone, to string) schema.Batch {
	b = editable(b)
	acct := schema.Accounts
	var moved schema.Row
	for _, r := range b.Rows[acct.Name] {
		if r[acct.Index("account_id")] == gone {
			moved = r
		}
	}
	for _, r := range b.Rows[acct.Name] {
		if r[acct.Index("account_id")] == to {
			for _, c := range []string{"cash", "account_value", "currency_value"} {
				i := acct.Index(c)
				r[i] = r[i].(schema.Decimal).Add(moved[i].(schema.Decimal))
			}
		}
	}
	for _, t := range []*schema.Table{schema.Accounts, schema.Positions, schema.Transactions} {
		ai := t.Index("account_id")
		without(b, t, true, func(r schema.Row) bool { return r[ai] != gone })
	}
	without(b, schema.Transactions, false, func(r schema.Row) bool { return r[1] != gone })
	return b
}

// snapshotOn returns b with its positions snapshot dated day instead: a sync
// of data as of another date.
func snapshotOn(b schema.Batch, day time.Time) schema.Batch {
	b = editable(b)
	at := schema.Positions.Index("as_of_date")
	for _, r := range b.Rows[schema.Positions.Name] {
		r[at] = day
	}
	b.Scopes[schema.Positions.Name] = []schema.Row{{b.LoginID, day}}
	return b
}

// setTransaction returns b with the named columns of transaction id set.
func setTransaction(b schema.Batch, id string, values map[string]any) schema.Batch {
	b = editable(b)
	t := schema.Transactions
	for _, r := range b.Rows[t.Name] {
		if r[t.Index("transaction_id")] == id {
			for name, v := range values {
				r[t.Index(name)] = v
			}
			return b
		}
	}
	panic("loadtest: no transaction " + id)
}

// dropTransaction returns b without transaction id.
func dropTransaction(b schema.Batch, id string) schema.Batch {
	b = editable(b)
	i := schema.Transactions.Index("transaction_id")
	without(b, schema.Transactions, true, func(r schema.Row) bool { return r[i] != id })
	return b
}

// rowText renders the row of t whose key is key, every column but those
// excluded, as text; "" if there is no such row.
func rowText(tb testing.TB, db *sql.DB, t *schema.Table, exclude []string, key ...any) string {
	tb.Helper()
	var fields, conds []string
	for _, c := range t.Columns {
		if !slices.Contains(exclude, c.Name) {
			fields = append(fields, fmt.Sprintf(`coalesce(CAST(%s AS VARCHAR), '\N')`, duckdb.QuoteIdent(c.Name)))
		}
	}
	for _, k := range t.Key[:len(key)] {
		conds = append(conds, duckdb.QuoteIdent(k)+" = ?")
	}
	q := fmt.Sprintf("SELECT concat_ws('|', %s) FROM %s WHERE %s", strings.Join(fields, ", "), duckdb.QuoteIdent(t.Name), strings.Join(conds, " AND "))
	var s string
	if err := db.QueryRow(q, key...).Scan(&s); err != nil && err != sql.ErrNoRows {
		tb.Fatalf("%s: %v", q, err)
	}
	return s
}

// instant returns the TIMESTAMP column of the row of t with key key, as
// text ("NULL" when NULL).
func instant(tb testing.TB, db *sql.DB, t *schema.Table, column string, key ...any) string {
	tb.Helper()
	var conds []string
	for _, k := range t.Key[:len(key)] {
		conds = append(conds, duckdb.QuoteIdent(k)+" = ?")
	}
	return queryString(tb, db, fmt.Sprintf("SELECT strftime(%s, '%%Y-%%m-%%dT%%H:%%M:%%S.%%fZ') FROM %s WHERE %s",
		duckdb.QuoteIdent(column), duckdb.QuoteIdent(t.Name), strings.Join(conds, " AND ")), key...)
}

// stamp renders an instant as instant does.
func stamp(at time.Time) string { return at.UTC().Format("2006-01-02T15:04:05.000000Z") }

func sumColumn(rows []schema.Row, i int) schema.Decimal {
	sum := schema.Decimal{}
	for _, r := range rows {
		sum = sum.Add(r[i].(schema.Decimal))
	}
	return sum
}

// testClosedAccount: an account a succeeded sync of its login no longer
// carries is marked closed, kept with its last values, and left out of a sum
// over open accounts and of latest_positions; a repeated batch and a failed
// sync change nothing; the account reopens when the source carries it again.
func (s *suite) testClosedAccount(t *testing.T) {
	const i = 2 // login 2 has three accounts and no generated changes
	login, gone, kept := LoginID(i), "acct-2-1", "acct-2-0"
	acct := schema.Accounts
	dir := t.TempDir()
	s.load(t, dir, Batches(seed, 3, Day1))
	var before, other string
	s.read(t, dir, func(db *sql.DB) {
		before = rowText(t, db, acct, []string{"closed_at"}, login, gone)
		other = loginSums(t, db, LoginID(1))[acct.Name]
	})

	// The closing sync's data is as of the day before Day1 (as a sync with
	// --sandbox-as-of an earlier date): Day1's snapshot, which holds the
	// closed account, stays the login's latest.
	b2 := snapshotOn(closeAccount(Batches(seed, 3, Day2)[i], gone, kept), Day1.AddDate(0, 0, -1))
	s.load(t, dir, []schema.Batch{b2})
	var after map[string]string
	s.read(t, dir, func(db *sql.DB) {
		if got := instant(t, db, acct, "closed_at", login, gone); got != stamp(syncedOf(b2)) {
			t.Errorf("closed_at of the account the source no longer carries = %s, want %s", got, stamp(syncedOf(b2)))
		}
		if got := rowText(t, db, acct, []string{"closed_at"}, login, gone); got != before {
			t.Errorf("the closed account's other columns changed:\n got %s\nwant %s", got, before)
		}
		for _, id := range []string{kept, "acct-2-2"} {
			if got := instant(t, db, acct, "closed_at", login, id); got != "NULL" {
				t.Errorf("%s, still carried, has closed_at %s", id, got)
			}
			if got := instant(t, db, acct, "last_seen_at", login, id); got != stamp(syncedOf(b2)) {
				t.Errorf("%s: last_seen_at = %s, want %s", id, got, stamp(syncedOf(b2)))
			}
		}
		want := sumColumn(b2.Rows[acct.Name], acct.Index("account_value"))
		text := queryString(t, db, "SELECT CAST(sum(account_value) AS VARCHAR) FROM accounts WHERE login_id = ? AND closed_at IS NULL", login)
		if got, err := schema.ParseDecimal(text); err != nil || got.Cmp(want) != 0 {
			t.Errorf("sum(account_value) over open accounts = %s, want %s", text, want)
		}
		if got := loginSums(t, db, LoginID(1))[acct.Name]; got != other {
			t.Error("another login's accounts changed")
		}
		if n := queryInt(t, db, "SELECT count(*) FROM latest_positions WHERE login_id = ? AND account_id = ?", login, gone); n != 0 {
			t.Errorf("latest_positions shows %d positions of the closed account", n)
		}
		if n := queryInt(t, db, "SELECT count(*) FROM latest_positions WHERE login_id = ? AND account_id = ? AND as_of_date = ?", login, kept, Day1); n == 0 {
			t.Error("latest_positions lost the open accounts' latest snapshot")
		}
		after = loginSums(t, db, login)
	})

	// The same batch again, then a failed sync of the login (which carries
	// no scope) in the same call: nothing changes.
	s.load(t, dir, []schema.Batch{b2}, []schema.Batch{Failed(Batches(seed, 3, Day3)[i], "failed")})
	s.read(t, dir, func(db *sql.DB) {
		if got := loginSums(t, db, login)[acct.Name]; got != after[acct.Name] {
			t.Errorf("accounts changed by a repeated batch or a failed sync: %s, want %s", got, after[acct.Name])
		}
	})

	b3 := Batches(seed, 3, Day3)[i]
	s.load(t, dir, []schema.Batch{b3})
	s.read(t, dir, func(db *sql.DB) {
		if got := instant(t, db, acct, "closed_at", login, gone); got != "NULL" {
			t.Errorf("the account back in the source has closed_at %s, want NULL", got)
		}
		if n := queryInt(t, db, "SELECT count(*) FROM accounts WHERE login_id = ? AND closed_at IS NULL AND run_id = ?", login, b3.RunID); n != 3 {
			t.Errorf("%d of the login's 3 accounts are open and written by day 3's run", n)
		}
	})
}

// testTransactionCorrected: a corrected transaction takes the latest
// sighting's values and keeps its first sighting; updated_at, run_id and
// synced_at record the sighting that changed a value, and a re-sighting
// with the same values leaves the row as it is.
func (s *suite) testTransactionCorrected(t *testing.T) {
	login, account := LoginID(0), "acct-0-0"
	id, same := txID(account, Day1, 0), txID(account, Day1, 1)
	tx := schema.Transactions
	pending := map[string]any{"net_amount": schema.MustDecimal("-100.00"), "type": "other", "type_raw": "PENDING"}
	corrected := map[string]any{"net_amount": schema.MustDecimal("-101.25"), "type": "withdrawal", "type_raw": "WITHDRAWAL"}
	b1 := setTransaction(Batches(seed, 1, Day1)[0], id, pending)
	b2 := setTransaction(Batches(seed, 1, Day2)[0], id, corrected)
	b3 := setTransaction(Batches(seed, 1, Day3)[0], id, corrected)
	dir := t.TempDir()
	s.load(t, dir, []schema.Batch{b1}, []schema.Batch{b2})
	var after string
	s.read(t, dir, func(db *sql.DB) {
		got := queryString(t, db, "SELECT CAST(net_amount AS VARCHAR) || ' ' || type || ' ' || type_raw || ' ' || run_id FROM transactions WHERE login_id = ? AND transaction_id = ?", login, id)
		if want := "-101.250000000000000000 withdrawal WITHDRAWAL " + b2.RunID; got != want {
			t.Errorf("corrected transaction: %s, want %s", got, want)
		}
		for column, want := range map[string]time.Time{"first_seen_at": syncedOf(b1), "updated_at": syncedOf(b2), "synced_at": syncedOf(b2)} {
			if got := instant(t, db, tx, column, login, account, id); got != stamp(want) {
				t.Errorf("corrected transaction: %s = %s, want %s", column, got, stamp(want))
			}
		}
		if got := instant(t, db, tx, "removed_at", login, account, id); got != "NULL" {
			t.Errorf("corrected transaction: removed_at = %s, want NULL", got)
		}
		if got := instant(t, db, tx, "updated_at", login, account, same); got != "NULL" {
			t.Errorf("a transaction re-sent unchanged has updated_at %s, want NULL", got)
		}
		for column, want := range map[string]time.Time{"first_seen_at": syncedOf(b1), "synced_at": syncedOf(b1)} {
			if got := instant(t, db, tx, column, login, account, same); got != stamp(want) {
				t.Errorf("a transaction re-sent unchanged has %s %s, want %s", column, got, stamp(want))
			}
		}
		after = loginSums(t, db, login)[tx.Name]
	})

	s.load(t, dir, []schema.Batch{b2})
	s.read(t, dir, func(db *sql.DB) {
		if got := loginSums(t, db, login)[tx.Name]; got != after {
			t.Errorf("the same batch again changed transactions: %s, want %s", got, after)
		}
	})

	s.load(t, dir, []schema.Batch{b3})
	s.read(t, dir, func(db *sql.DB) {
		for column, want := range map[string]time.Time{"first_seen_at": syncedOf(b1), "updated_at": syncedOf(b2), "synced_at": syncedOf(b2)} {
			if got := instant(t, db, tx, column, login, account, id); got != stamp(want) {
				t.Errorf("correction re-sent: %s = %s, want %s", column, got, stamp(want))
			}
		}
		if got := queryString(t, db, "SELECT run_id FROM transactions WHERE login_id = ? AND transaction_id = ?", login, id); got != b2.RunID {
			t.Errorf("correction re-sent: run_id %s, want the correcting run's %s", got, b2.RunID)
		}
	})
}

// testTransactionRemoved: a transaction missing from a later payload whose
// covered date range (per account) includes its date is marked removed and
// kept as it was; one outside the range, or of an account with no declared
// range, is untouched; a transaction back in the source is no longer removed.
func (s *suite) testTransactionRemoved(t *testing.T) {
	login, account := LoginID(0), "acct-0-0"
	tx := schema.Transactions
	inside, outside := txID(account, Day1, 1), txID(account, Day1.AddDate(0, 0, -2), 0)
	dir := t.TempDir()
	b1 := Batches(seed, 1, Day1)[0]
	s.load(t, dir, []schema.Batch{b1})
	var insideBefore, outsideBefore string
	s.read(t, dir, func(db *sql.DB) {
		insideBefore = rowText(t, db, tx, []string{"removed_at"}, login, account, inside)
		outsideBefore = rowText(t, db, tx, nil, login, account, outside)
	})

	// Day 2 covers Day1-1 ... Day2. Without its transactions scope, the
	// batch says nothing about what is missing.
	b2 := dropTransaction(Batches(seed, 1, Day2)[0], inside)
	unscoped := editable(b2)
	delete(unscoped.Scopes, tx.Name)
	s.load(t, dir, []schema.Batch{unscoped})
	s.read(t, dir, func(db *sql.DB) {
		if got := instant(t, db, tx, "removed_at", login, account, inside); got != "NULL" {
			t.Errorf("a batch with no transactions scope marked a transaction removed at %s", got)
		}
	})

	s.load(t, dir, []schema.Batch{b2})
	var after string
	s.read(t, dir, func(db *sql.DB) {
		if got := instant(t, db, tx, "removed_at", login, account, inside); got != stamp(syncedOf(b2)) {
			t.Errorf("removed_at of a transaction missing within the covered range = %s, want %s", got, stamp(syncedOf(b2)))
		}
		if got := rowText(t, db, tx, []string{"removed_at"}, login, account, inside); got != insideBefore {
			t.Errorf("the removed transaction's other columns changed:\n got %s\nwant %s", got, insideBefore)
		}
		if got := rowText(t, db, tx, nil, login, account, outside); got != outsideBefore {
			t.Errorf("a transaction outside the covered range changed:\n got %s\nwant %s", got, outsideBefore)
		}
		after = loginSums(t, db, login)[tx.Name]
	})

	s.load(t, dir, []schema.Batch{b2})
	s.read(t, dir, func(db *sql.DB) {
		if got := loginSums(t, db, login)[tx.Name]; got != after {
			t.Errorf("the same batch again changed transactions: %s, want %s", got, after)
		}
	})

	// Day 3 covers Day1 ... Day3 and carries the transaction again; Day1-1's
	// are outside its range and stay as they are.
	b3 := Batches(seed, 1, Day3)[0]
	s.load(t, dir, []schema.Batch{b3})
	s.read(t, dir, func(db *sql.DB) {
		if got := instant(t, db, tx, "removed_at", login, account, inside); got != "NULL" {
			t.Errorf("a transaction back in the source has removed_at %s, want NULL", got)
		}
		if got := instant(t, db, tx, "updated_at", login, account, inside); got != "NULL" {
			t.Errorf("a transaction back unchanged has updated_at %s, want NULL", got)
		}
		if got := queryString(t, db, "SELECT run_id FROM transactions WHERE login_id = ? AND transaction_id = ?", login, inside); got != b3.RunID {
			t.Errorf("a transaction back has run_id %s, want the run that brought it back, %s", got, b3.RunID)
		}
		if n := queryInt(t, db, "SELECT count(*) FROM transactions WHERE login_id = ? AND removed_at IS NOT NULL", login); n != 0 {
			t.Errorf("%d transactions removed after day 3, want 0", n)
		}
	})
}
