package loadtest

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// The days the suite's runs are for.
var (
	Day1 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	Day2 = Day1.AddDate(0, 0, 1)
	Day3 = Day2.AddDate(0, 0, 1)
)

const seed = 7

// Run runs the conformance suite against the sink h opens: the semantics of
// load.Sink and of every schema.Merge, exact decimals, all-or-nothing
// commits, and a crash test that SIGKILLs a loading subprocess.
func Run(t *testing.T, h Harness) {
	s := &suite{h: h}
	t.Run("load_twice_identical", s.testLoadTwice)
	t.Run("group_commit_equals_one_by_one", s.testGroupCommit)
	t.Run("failed_login_keeps_last_good_data", s.testFailedLogin)
	t.Run("two_dates_two_snapshots", s.testSnapshots)
	t.Run("snapshot_history_kept", s.testSnapshotHistory)
	t.Run("lagging_account_in_latest_positions", s.testLaggingAccount)
	t.Run("earlier_snapshot_keeps_later_one", s.testEarlierSnapshot)
	t.Run("unrefreshed_data_one_snapshot", s.testUnrefreshedData)
	t.Run("logins_last_refresh_newest_kept", s.testLoginsGreatest)
	t.Run("transaction_once_across_runs", s.testTransactionsOnce)
	t.Run("closed_account_marked_not_summed", s.testClosedAccount)
	t.Run("transaction_latest_sighting_wins", s.testTransactionCorrected)
	t.Run("transaction_missing_in_range_marked_removed", s.testTransactionRemoved)
	t.Run("security_of_50_logins_one_row", s.testSharedSecurity)
	t.Run("exact_decimals", s.testDecimals)
	t.Run("failed_commit_commits_nothing", s.testFailedCommit)
	t.Run("cancelled_commit_commits_nothing", s.testCancelled)
	t.Run("run_opened_then_closed", s.testRuns)
	t.Run("forget_erases_one_login", s.testForget)
	t.Run("crash", s.testCrash)
}

type suite struct{ h Harness }

// load opens a sink on dir, makes one Commit per call, and closes it.
func (s *suite) load(t testing.TB, dir string, calls ...[]schema.Batch) {
	t.Helper()
	sink := s.h.Open(t, dir)
	for i, batches := range calls {
		if err := sink.Commit(context.Background(), batches); err != nil {
			sink.Close()
			t.Fatalf("Commit #%d (%d batches): %v", i, len(batches), err)
		}
	}
	if err := sink.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// read calls fn with a read view of dir, and closes the view.
func (s *suite) read(t testing.TB, dir string, fn func(db *sql.DB)) {
	t.Helper()
	db := s.h.Read(t, dir)
	defer db.Close()
	fn(db)
}

// checksums returns the checksums of every table of dir, after checking that
// no table holds a key twice.
func (s *suite) checksums(t testing.TB, dir string) (sums map[string]string) {
	t.Helper()
	s.read(t, dir, func(db *sql.DB) {
		for _, tbl := range schema.Tables {
			keys := ""
			for i, k := range tbl.Key {
				if i > 0 {
					keys += ", "
				}
				keys += duckdb.QuoteIdent(k)
			}
			dup := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM (SELECT %s FROM %s GROUP BY %s HAVING count(*) > 1)", keys, duckdb.QuoteIdent(tbl.Name), keys))
			if dup != 0 {
				t.Errorf("%s holds %d keys more than once", tbl.Name, dup)
			}
		}
		sums = Checksums(t, db)
	})
	return sums
}

func queryInt(t testing.TB, db *sql.DB, query string, args ...any) int64 {
	t.Helper()
	var n sql.NullInt64
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n.Int64
}

func queryString(t testing.TB, db *sql.DB, query string, args ...any) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow(query, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if !s.Valid {
		return "NULL"
	}
	return s.String
}

func compareSums(t testing.TB, what string, got, want map[string]string) {
	t.Helper()
	if maps.Equal(got, want) {
		return
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: table %s: checksum %s, want %s", what, name, got[name], w)
		}
	}
}

// distinct counts the distinct keys of table t among the batches' rows.
func distinct(batches []schema.Batch, t *schema.Table) int {
	seen := map[string]bool{}
	for _, b := range batches {
		for _, row := range b.Rows[t.Name] {
			key := ""
			for _, k := range t.Key {
				key += "\x00" + toString(row[t.Index(k)])
			}
			seen[key] = true
		}
	}
	return len(seen)
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return "?"
}

func (s *suite) testLoadTwice(t *testing.T) {
	dir := t.TempDir()
	b1 := Batches(seed, 12, Day1)
	s.load(t, dir, b1)
	first := s.checksums(t, dir)
	s.read(t, dir, func(db *sql.DB) {
		for _, tbl := range []*schema.Table{schema.Accounts, schema.Positions, schema.Securities, schema.Transactions, schema.SyncLogins, schema.Logins} {
			want := distinct(b1, tbl)
			if got := queryInt(t, db, "SELECT count(*) FROM "+tbl.Name); got != int64(want) || want == 0 {
				t.Errorf("%s has %d rows, want %d", tbl.Name, got, want)
			}
		}
	})
	s.load(t, dir, b1)
	compareSums(t, "after loading the same batches again", s.checksums(t, dir), first)
}

func (s *suite) testGroupCommit(t *testing.T) {
	b1, b2 := Batches(seed, 20, Day1), Batches(seed, 20, Day2)
	fewer := b1[4]
	fewer.Rows = maps.Clone(fewer.Rows)
	fewer.Rows["positions"] = fewer.Rows["positions"][:1]
	// Within one call: the same login twice; a login's snapshot replaced
	// by a later batch with fewer rows, and the other way round; a login
	// that succeeded and then failed.
	var call1 []schema.Batch
	call1 = append(call1, b1[:4]...)
	call1 = append(call1, fewer) // fewer, then full
	call1 = append(call1, b1[4:]...)
	call1 = append(call1, b1[3], fewer, Failed(b1[7], "failed")) // twice; full, then fewer; succeeded, then failed
	// The source changing within one call: login 5's third account closed
	// by its Day2 batch, back with Day1's, closed again; login 3's
	// corrected and withdrawn transactions, then their Day1 state again.
	call1 = append(call1, b2[5], b1[5], b2[5], b2[3], b1[3])
	call2 := append(append([]schema.Batch{}, b2...), b2[2])
	grouped := t.TempDir()
	s.load(t, grouped, call1, call2)
	single := t.TempDir()
	var calls [][]schema.Batch
	for _, b := range append(append([]schema.Batch{}, call1...), call2...) {
		calls = append(calls, []schema.Batch{b})
	}
	s.load(t, single, calls...)
	compareSums(t, "grouped vs one by one", s.checksums(t, grouped), s.checksums(t, single))
}

// loginTables are the tables that hold a login's data.
var loginTables = []*schema.Table{schema.Accounts, schema.Positions, schema.Transactions, schema.SyncLogins, schema.Logins}

func loginSums(t testing.TB, db *sql.DB, login string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	for _, tbl := range loginTables {
		sum, err := LoginChecksum(db, tbl.Name, login)
		if err != nil {
			t.Fatal(err)
		}
		sums[tbl.Name] = sum
	}
	return sums
}

func (s *suite) testFailedLogin(t *testing.T) {
	dir := t.TempDir()
	b1, b2 := Batches(seed, 4, Day1), Batches(seed, 4, Day2)
	s.load(t, dir, b1)
	var before map[string]string
	s.read(t, dir, func(db *sql.DB) { before = loginSums(t, db, LoginID(0)) })

	failed := Failed(b2[0], "failed")
	s.load(t, dir, append([]schema.Batch{failed}, b2[1:]...))
	s.read(t, dir, func(db *sql.DB) {
		after := loginSums(t, db, LoginID(0))
		for _, tbl := range []string{"accounts", "positions", "transactions"} {
			if after[tbl] != before[tbl] {
				t.Errorf("%s of the failed login changed: %s, want %s", tbl, after[tbl], before[tbl])
			}
		}
		if got := queryString(t, db, "SELECT status FROM sync_logins WHERE run_id = ? AND login_id = ?", b2[0].RunID, LoginID(0)); got != "failed" {
			t.Errorf("sync_logins status of the failed login = %s, want failed", got)
		}
		if got := queryInt(t, db, "SELECT count(*) FROM positions WHERE login_id = ? AND as_of_date = ?", LoginID(1), Day2); got == 0 {
			t.Errorf("the other logins of the run have no positions for %s", Day2.Format(time.DateOnly))
		}
	})
}

func (s *suite) testSnapshots(t *testing.T) {
	dir := t.TempDir()
	b1, b2 := Batches(seed, 3, Day1), Batches(seed, 3, Day2)
	s.load(t, dir, b1, b2)
	login := LoginID(2)
	count := func(db *sql.DB, day time.Time) int64 {
		return queryInt(t, db, "SELECT count(*) FROM positions WHERE login_id = ? AND as_of_date = ?", login, day)
	}
	want1, want2 := len(b1[2].Rows["positions"]), len(b2[2].Rows["positions"])
	s.read(t, dir, func(db *sql.DB) {
		if got1, got2 := count(db, Day1), count(db, Day2); got1 != int64(want1) || got2 != int64(want2) {
			t.Errorf("positions on the two dates: %d and %d, want %d and %d", got1, got2, want1, want2)
		}
	})

	// Syncing Day2 again with fewer holdings replaces that snapshot only.
	again := b2[2]
	again.Rows = maps.Clone(again.Rows)
	again.Rows["positions"] = again.Rows["positions"][:1]
	s.load(t, dir, []schema.Batch{again})
	s.read(t, dir, func(db *sql.DB) {
		if got1, got2 := count(db, Day1), count(db, Day2); got1 != int64(want1) || got2 != 1 {
			t.Errorf("after re-syncing %s with one holding: %d and %d rows, want %d and 1", Day2.Format(time.DateOnly), got1, got2, want1)
		}
	})

	// A declared scope without rows empties that snapshot.
	empty := again
	empty.Rows = maps.Clone(again.Rows)
	delete(empty.Rows, "positions")
	s.load(t, dir, []schema.Batch{empty})
	s.read(t, dir, func(db *sql.DB) {
		if got1, got2 := count(db, Day1), count(db, Day2); got1 != int64(want1) || got2 != 0 {
			t.Errorf("after re-syncing %s with no holdings: %d and %d rows, want %d and 0", Day2.Format(time.DateOnly), got1, got2, want1)
		}
		if got := queryInt(t, db, "SELECT count(*) FROM positions WHERE login_id <> ? AND as_of_date = ?", login, Day2); got == 0 {
			t.Error("other logins' snapshots of the same date were removed")
		}
	})
}

func (s *suite) testTransactionsOnce(t *testing.T) {
	dir := t.TempDir()
	b1, b2 := Batches(seed, 5, Day1), Batches(seed, 5, Day2)
	s.load(t, dir, b1, b2, b2)
	all := append(append([]schema.Batch{}, b1...), b2...)
	s.read(t, dir, func(db *sql.DB) {
		want := distinct(all, schema.Transactions)
		if want >= distinct(b1, schema.Transactions)+distinct(b2, schema.Transactions) {
			t.Fatal("generator bug: the two runs share no transaction")
		}
		if got := queryInt(t, db, "SELECT count(*) FROM transactions"); got != int64(want) {
			t.Errorf("transactions has %d rows, want %d (one per transaction)", got, want)
		}
		// A transaction both runs saw keeps when it was first seen, and
		// names the run that wrote its values: the first, unless the
		// second corrected them (as it does for some logins).
		if got := queryInt(t, db, "SELECT count(*) FROM transactions WHERE date = ? AND NOT (first_seen_at >= ? AND first_seen_at < ?)", Day1, Day1, Day2); got != 0 {
			t.Errorf("%d transactions of %s seen by both runs lost their first sighting", got, Day1.Format(time.DateOnly))
		}
		if got := queryInt(t, db, "SELECT count(*) FROM transactions WHERE date = ? AND run_id <> CASE WHEN updated_at IS NULL THEN ? ELSE ? END", Day1, RunID(seed, Day1), RunID(seed, Day2)); got != 0 {
			t.Errorf("%d transactions seen by both runs do not name the run that wrote their values", got)
		}
		if got := queryInt(t, db, "SELECT count(*) FROM transactions WHERE date = ? AND updated_at IS NOT NULL", Day1); got == 0 {
			t.Error("generator bug: the second run corrects no transaction")
		}
	})
}

func (s *suite) testSharedSecurity(t *testing.T) {
	dir := t.TempDir()
	b := Batches(seed, 50, Day1)
	s.load(t, dir, b[:25], b[25:])
	// Login 1 references the security without isin and name: NULL keeps them.
	s.load(t, dir, []schema.Batch{b[1]})
	s.read(t, dir, func(db *sql.DB) {
		if got := queryInt(t, db, "SELECT count(*) FROM securities WHERE security_key = ?", SharedSecurity); got != 1 {
			t.Errorf("%d rows for the security all 50 logins hold, want 1", got)
		}
		if got := queryInt(t, db, "SELECT count(*) - count(DISTINCT security_key) FROM securities"); got != 0 {
			t.Errorf("%d duplicated security rows", got)
		}
		if got := queryString(t, db, "SELECT isin || ' / ' || name FROM securities WHERE security_key = ?", SharedSecurity); got != "CA"+SharedSecurity+" / Security "+SharedSecurity {
			t.Errorf("shared security's isin / name = %s: a partial reference erased them", got)
		}
		if got := queryInt(t, db, "SELECT count(DISTINCT login_id) FROM positions WHERE security_key = ?", SharedSecurity); got != 50 {
			t.Errorf("%d logins hold the shared security, want 50", got)
		}
	})
}

func (s *suite) testRuns(t *testing.T) {
	dir := t.TempDir()
	runID := RunID(seed, Day1)
	started := Day1.Add(5 * time.Hour)
	s.load(t, dir, []schema.Batch{RunOpened(runID, started)})
	s.read(t, dir, func(db *sql.DB) {
		if got := queryString(t, db, "SELECT status || ' ' || coalesce(CAST(finished_at AS VARCHAR), 'open') FROM sync_runs WHERE run_id = ?", runID); got != "running open" {
			t.Errorf("opened run: %s, want running open", got)
		}
	})
	b := Batches(seed, 3, Day1)
	s.load(t, dir, b, []schema.Batch{RunClosed(runID, started, started.Add(time.Minute), "succeeded", 3, 0)})
	s.read(t, dir, func(db *sql.DB) {
		if got := queryInt(t, db, "SELECT count(*) FROM sync_runs"); got != 1 {
			t.Errorf("sync_runs has %d rows, want 1", got)
		}
		if got := queryString(t, db, "SELECT status || ' ' || CAST(finished_at AS VARCHAR) || ' ' || logins_succeeded FROM sync_runs WHERE run_id = ?", runID); got != "succeeded 2026-03-02 05:01:00 3" {
			t.Errorf("closed run: %s", got)
		}
	})
}
