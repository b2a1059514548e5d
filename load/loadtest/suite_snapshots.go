package loadtest

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// The snapshot tests feed the sink what the transform makes of small
// payloads, so they check the whole snapshot rule (transform's one scope per
// sync, the sink's replacement of exactly that scope) in every sink.

const snapLogin = "login-snapshots"

// at is a UTC instant on the given date ("2006-01-02") and hour.
func at(date string, hour int) time.Time {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	return d.Add(time.Duration(hour) * time.Hour)
}

// holding is one position of a test payload; date "" leaves AsOfDate out.
type holding struct{ security, date string }

// payloadJSON is an /Investments body with one account per element of
// accounts, holding the given positions (quantity 1, market value 10).
func payloadJSON(accounts ...[]holding) []byte {
	var accts []string
	for i, hs := range accounts {
		var ps []string
		for _, h := range hs {
			date := ""
			if h.date != "" {
				date = fmt.Sprintf(`"AsOfDate":%q,`, h.date)
			}
			ps = append(ps, fmt.Sprintf(`{"Quantity":1,"Price":10,"MarketValue":10,"Currency":"cad",%s"Security":{"Id":%q,"Symbol":%q}}`,
				date, h.security, strings.ToUpper(h.security)))
		}
		accts = append(accts, fmt.Sprintf(`{"Id":"acct-%d","Currency":"cad","Cash":0,"Positions":[%s]}`, i, strings.Join(ps, ",")))
	}
	return []byte(`{"Investments":[{"Name":"Test Bank","Id":"1","Accounts":[` + strings.Join(accts, ",") + `]}]}`)
}

// synced is the batch a succeeded sync of body commits: the transform's rows
// with Context{SyncedAt: syncedAt, LastRefresh: lastRefresh} and the
// login's sync_logins row.
func synced(t testing.TB, body []byte, syncedAt, lastRefresh time.Time) schema.Batch {
	t.Helper()
	runID := "run-" + syncedAt.Format("20060102T15")
	b, st, err := transform.FromJSON(body, transform.Context{RunID: runID, LoginID: snapLogin, SyncedAt: syncedAt, LastRefresh: lastRefresh})
	if err != nil {
		t.Fatal(err)
	}
	b.Rows[schema.SyncLogins.Name] = []schema.Row{transform.LoginRow(transform.LoginOutcome{
		RunID: runID, LoginID: snapLogin, Status: "succeeded", Attempts: 1, StartedAt: syncedAt, FinishedAt: syncedAt, Stats: st})}
	return b
}

// snapshots returns the login's positions as "as_of_date security price_date"
// lines, in order; table may be a view of positions.
func snapshots(t testing.TB, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT strftime(as_of_date, '%Y-%m-%d') || ' ' || security_key || ' ' || coalesce(strftime(price_date, '%Y-%m-%d'), '-')
		FROM `+table+` WHERE login_id = ? ORDER BY 1`, snapLogin)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameLines(t testing.TB, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// testSnapshotHistory is the two-run case: run 1 has XIC priced Jan 31 and a
// fund priced a day behind (Jan 30); run 2 has XIC Feb 1 and the fund Jan
// 31. Each run is one snapshot, and run 2 deletes nothing of run 1's. The
// snapshot date is LastRefresh's date, or the sync's when Flinks gives none.
func (s *suite) testSnapshotHistory(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		refresh1, refresh2   time.Time
		synced1, synced2     time.Time
		snapshot1, snapshot2 string
	}{
		{"dated by LastRefresh", at("2026-01-31", 17), at("2026-02-01", 17), at("2026-02-01", 2), at("2026-02-02", 2), "2026-01-31", "2026-02-01"},
		{"dated by the sync without LastRefresh", time.Time{}, time.Time{}, at("2026-01-31", 22), at("2026-02-01", 22), "2026-01-31", "2026-02-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s.load(t, dir, []schema.Batch{synced(t, payloadJSON([]holding{{"xic", "2026-01-31"}, {"fund", "2026-01-30"}}), tc.synced1, tc.refresh1)})
			s.load(t, dir, []schema.Batch{synced(t, payloadJSON([]holding{{"xic", "2026-02-01"}, {"fund", "2026-01-31"}}), tc.synced2, tc.refresh2)})
			s.read(t, dir, func(db *sql.DB) {
				sameLines(t, "positions after two syncs", snapshots(t, db, "positions"), []string{
					tc.snapshot1 + " id:fund 2026-01-30",
					tc.snapshot1 + " id:xic 2026-01-31",
					tc.snapshot2 + " id:fund 2026-01-31",
					tc.snapshot2 + " id:xic 2026-02-01",
				})
			})
		})
	}
}

// testLaggingAccount: one account's positions lag the other's by a day; both
// accounts are in each sync's snapshot, so latest_positions shows both.
func (s *suite) testLaggingAccount(t *testing.T) {
	dir := t.TempDir()
	s.load(t, dir, []schema.Batch{synced(t, payloadJSON([]holding{{"xic", "2026-01-31"}}, []holding{{"fund", "2026-01-30"}}), at("2026-01-31", 22), at("2026-01-31", 20))})
	s.load(t, dir, []schema.Batch{synced(t, payloadJSON([]holding{{"xic", "2026-02-01"}}, []holding{{"fund", "2026-01-31"}}), at("2026-02-01", 22), at("2026-02-01", 20))})
	s.read(t, dir, func(db *sql.DB) {
		sameLines(t, "latest_positions", snapshots(t, db, "latest_positions"), []string{
			"2026-02-01 id:fund 2026-01-31",
			"2026-02-01 id:xic 2026-02-01",
		})
		if got := queryInt(t, db, "SELECT count(*) FROM positions WHERE login_id = ? AND as_of_date = ?", snapLogin, at("2026-01-31", 0)); got != 2 {
			t.Errorf("the first snapshot has %d rows, want 2 (both accounts)", got)
		}
	})
}

// testEarlierSnapshot: a sync of an earlier snapshot (a sandbox as-of date
// before today's) adds that date and keeps today's, whatever the wall clock.
func (s *suite) testEarlierSnapshot(t *testing.T) {
	dir := t.TempDir()
	today := at("2026-11-30", 11)
	s.load(t, dir, []schema.Batch{synced(t, payloadJSON([]holding{{"xic", "2026-11-30"}}), today, at("2026-11-30", 4))})
	s.load(t, dir, []schema.Batch{synced(t, payloadJSON([]holding{{"xic", "2026-11-25"}}), today.Add(time.Minute), at("2026-11-25", 4))})
	s.read(t, dir, func(db *sql.DB) {
		sameLines(t, "positions", snapshots(t, db, "positions"), []string{
			"2026-11-25 id:xic 2026-11-25",
			"2026-11-30 id:xic 2026-11-30",
		})
	})
}

// testUnrefreshedData: data Flinks last refreshed on Jan 10, synced on Feb 1
// and again on Feb 2, is one snapshot dated Jan 10, and the registry says
// when it was refreshed.
func (s *suite) testUnrefreshedData(t *testing.T) {
	dir := t.TempDir()
	refreshed := at("2026-01-10", 3).Add(123456700 * time.Nanosecond)
	body := payloadJSON([]holding{{"xic", ""}, {"fund", ""}})
	s.load(t, dir, []schema.Batch{synced(t, body, at("2026-02-01", 2), refreshed)})
	s.load(t, dir, []schema.Batch{synced(t, body, at("2026-02-02", 2), refreshed)})
	s.read(t, dir, func(db *sql.DB) {
		sameLines(t, "positions", snapshots(t, db, "positions"), []string{
			"2026-01-10 id:fund -",
			"2026-01-10 id:xic -",
		})
		if got := queryString(t, db, "SELECT strftime(last_refresh_at, '%Y-%m-%d %H:%M:%S.%f') FROM logins WHERE login_id = ?", snapLogin); got != "2026-01-10 03:00:00.123456" {
			t.Errorf("logins.last_refresh_at = %s, want 2026-01-10 03:00:00.123456", got)
		}
	})
}

// testLoginsGreatest: logins is insert-if-new except last_refresh_at, which
// keeps the newest refresh any sync gave; registered_at never moves, and a
// registration (NULL last_refresh_at) or a failed sync keeps the stored
// refresh. Within one commit, as across commits, in any order.
func (s *suite) testLoginsGreatest(t *testing.T) {
	registered := at("2026-01-01", 1)
	register := func(login string, when time.Time) schema.Batch {
		return transform.RegistrationBatch("run-reg-"+when.Format("0102"), "backfill", when, []string{login})
	}
	refresh := func(login string, when, refreshed time.Time) schema.Batch {
		runID := "run-" + when.Format("010215")
		values := map[string]any{"login_id": login, "registered_at": when, "run_id": runID}
		if !refreshed.IsZero() {
			values["last_refresh_at"] = refreshed
		}
		return schema.Batch{RunID: runID, LoginID: login, Rows: map[string][]schema.Row{schema.Logins.Name: {fill(schema.Logins, values)}}}
	}
	state := func(db *sql.DB, login string) string {
		return queryString(t, db, `SELECT strftime(registered_at, '%Y-%m-%d %H') || ' ' || registered_by || ' ' ||
			coalesce(strftime(last_refresh_at, '%Y-%m-%d %H'), 'never') FROM logins WHERE login_id = ?`, login)
	}
	dir := t.TempDir()
	s.load(t, dir, []schema.Batch{register("L1", registered)})
	s.read(t, dir, func(db *sql.DB) {
		if got := state(db, "L1"); got != "2026-01-01 01 backfill never" {
			t.Errorf("registered: %s", got)
		}
	})
	s.load(t, dir, []schema.Batch{refresh("L1", at("2026-01-02", 2), at("2026-01-01", 20))})
	s.load(t, dir, []schema.Batch{register("L1", at("2026-01-03", 1)), Failed(refresh("L1", at("2026-01-03", 2), time.Time{}), "failed")})
	s.read(t, dir, func(db *sql.DB) {
		if got := state(db, "L1"); got != "2026-01-01 01 backfill 2026-01-01 20" {
			t.Errorf("after a refresh, a registration and a failed sync: %s", got)
		}
	})
	// One commit: a new login registered then refreshed twice, the newer
	// refresh first, and L1 given an older refresh than the one it holds.
	s.load(t, dir, []schema.Batch{
		register("L2", at("2026-01-04", 1)),
		refresh("L2", at("2026-01-04", 2), at("2026-01-04", 0)),
		refresh("L1", at("2026-01-04", 2), at("2025-12-30", 5)),
		refresh("L2", at("2026-01-04", 3), at("2026-01-03", 5)),
		register("L2", at("2026-01-04", 4)),
	})
	s.read(t, dir, func(db *sql.DB) {
		if got := state(db, "L1"); got != "2026-01-01 01 backfill 2026-01-01 20" {
			t.Errorf("L1 after an older refresh: %s", got)
		}
		if got := state(db, "L2"); got != "2026-01-04 01 backfill 2026-01-04 00" {
			t.Errorf("L2 after the group: %s", got)
		}
	})
	s.load(t, dir, []schema.Batch{refresh("L1", at("2026-01-05", 2), at("2026-01-05", 1))})
	s.read(t, dir, func(db *sql.DB) {
		if got := state(db, "L1"); got != "2026-01-01 01 backfill 2026-01-05 01" {
			t.Errorf("L1 after a newer refresh: %s", got)
		}
	})
}
