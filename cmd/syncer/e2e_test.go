package main

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// faultOutcomes is what each persistent sandbox fault must end as: the
// sync_logins status and FlinksCode (the code of the answer that decided,
// none for a success). UNAUTHORIZED and ACCESS_DENIED stop the whole run and
// have their own test.
var faultOutcomes = map[flinkstest.Fault]struct{ status, code string }{
	flinkstest.FaultSessionNonexistent:      {"failed", "SESSION_NONEXISTENT"},
	flinkstest.FaultCardInUse:               {"failed", "CARD_IN_USE"},
	flinkstest.FaultConcurrentSession:       {"failed", "CONCURRENT_SESSION"},
	flinkstest.FaultRetryLater:              {"failed", "RETRY_LATER"},
	flinkstest.FaultTooManyRequests:         {"succeeded", ""}, // transient: see faultLogin
	flinkstest.FaultAggregationError:        {"failed", "AGGREGATION_ERROR"},
	flinkstest.FaultInvalidLogin:            {"rejected", "INVALID_LOGIN"},
	flinkstest.FaultDisabledLogin:           {"needs_user_action", "DISABLED_LOGIN"},
	flinkstest.FaultNewAccount:              {"needs_user_action", "NEW_ACCOUNT"},
	flinkstest.FaultInvalidUsername:         {"needs_user_action", "INVALID_USERNAME"},
	flinkstest.FaultInvalidPassword:         {"needs_user_action", "INVALID_PASSWORD"},
	flinkstest.FaultQuestionNotFound:        {"needs_user_action", "QUESTION_NOT_FOUND"},
	flinkstest.FaultInvalidSecurityResponse: {"needs_user_action", "INVALID_SECURITY_RESPONSE"},
	flinkstest.FaultInvalidRequest:          {"rejected", "INVALID_REQUEST"},
	flinkstest.FaultDisabledInstitution:     {"failed", "DISABLED_INSTITUTION"},
	flinkstest.FaultMFA:                     {"needs_user_action", ""},
	flinkstest.FaultHTTP500:                 {"failed", ""},
	flinkstest.FaultHTTP503:                 {"failed", ""},
	flinkstest.FaultSlow:                    {"succeeded", ""},
	flinkstest.FaultCutMidBody:              {"failed", ""},
	flinkstest.FaultTruncatedJSON:           {"rejected", ""},
	flinkstest.FaultOversize:                {"rejected", ""},
	flinkstest.FaultNeverReady:              {"timed_out", "OPERATION_PENDING"},
	flinkstest.FaultDispatched:              {"succeeded", ""},
	flinkstest.FaultMalformed:               {"succeeded", ""},
	flinkstest.FaultTooManyRequests429:      {"succeeded", ""}, // transient: see faultLogin
	flinkstest.FaultInvalidLogin200:         {"rejected", "INVALID_LOGIN"},
	flinkstest.FaultDisabledLogin200:        {"needs_user_action", "DISABLED_LOGIN"},
}

// faultLogin returns the n-th LoginId showing fault f. Throttling is
// transient (twice, or a 429 with Retry-After once, then healthy): a login
// throttled for ever cuts the whole client's rate to its floor, which is the
// governor's job but would make this test about patience; extract's tests
// cover the persistent case.
func faultLogin(f flinkstest.Fault, n int) string {
	switch f {
	case flinkstest.FaultTooManyRequests:
		return flinkstest.TransientFaultLogin(f, 2, n)
	case flinkstest.FaultTooManyRequests429:
		return flinkstest.TransientFaultLogin(f, 1, n)
	}
	return flinkstest.FaultLogin(f, n)
}

// throttledOnce is how many logins of the fault mix are answered 429
// (Retry-After: 1) once: 2% of the run.
const throttledOnce = 10

var e2eAsOf = time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)

// e2eSandbox serves the fault mix: fault logins poll twice (so the faults
// that answer polls get their chance), healthy ones 0 to 3 times.
func e2eSandbox(t *testing.T) *flinkstest.Server {
	srv := flinkstest.New(flinkstest.Config{Seed: 42, AsOf: e2eAsOf, Delay: 20 * time.Millisecond,
		Pending: flinkstest.PendingDist{Func: func(id string) int {
			if strings.HasPrefix(id, "fa11") {
				return 2
			}
			return int(id[0]) % 4
		}}})
	t.Cleanup(srv.Close)
	return srv
}

// fastFlags make a run against the loopback sandbox quick: short polls and
// backoffs, a generous rate, and a small body cap.
func fastFlags(srv *flinkstest.Server, db string) []string {
	return []string{"--db", db, "--base-url", srv.URL, "--poll-interval", "5ms", "--poll-timeout", "5s",
		"--backoff", "2ms", "--max-attempts", "3", "--rate", "3000", "--concurrency", "32", "--log-format", "json"}
}

// faultMixFlags are fastFlags with polls every 20 ms, given up after 3 s.
// A login held back by throttling (a 429 with Retry-After: 1 takes a third
// of that) must still end succeeded; ten such logins serialising the run
// behind their Retry-After would take 10 s and fail it. Issue 10's report
// gave up after 2 s; since the DuckDB file is released between commits,
// each commit's checkpoint takes a core for a moment, and on a shared
// 2-core machine one throttled-once login in 500 met 2 s still pending.
//
// Time here runs some 500 times faster than in production (20 ms for 10 s),
// but the number of logins open at once (8 × --concurrency) does not scale
// with it: at 32 workers, 256 open logins queue for the CPU long enough on a
// busy 2-core machine for a healthy login to meet its deadline still
// pending (measured: 28 of 500 in one CI run beside other heavy packages).
// 8 workers keep 64 open, which keeps the queue well inside the deadline
// without hiding what the test is for: a lone throttle must not hold back
// anyone else's polls.
func faultMixFlags(srv *flinkstest.Server, db string) []string {
	return append(fastFlags(srv, db), "--poll-interval", "20ms", "--poll-timeout", "3s", "--concurrency", "8")
}

// TestEndToEndFaultMix is the whole product over loopback: 500 logins, one
// per fault kind twice, ten answered 429 once, and the rest healthy, through
// the built binary. The warehouse must hold exactly the expected rows for the
// good logins, the right status and FlinksCode for every other, exit 3; a
// second run adds no duplicates; retry re-syncs only the retryable failures.
func TestEndToEndFaultMix(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run of 500 logins")
	}
	srv := e2eSandbox(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")

	want := map[string]struct{ status, code string }{}
	var logins, throttled []string
	for f, o := range faultOutcomes {
		for n := 1; n <= 2; n++ {
			id := faultLogin(f, n)
			want[id] = o
			logins = append(logins, id)
		}
	}
	for n := 3; n <= throttledOnce; n++ {
		id := faultLogin(flinkstest.FaultTooManyRequests429, n)
		want[id] = faultOutcomes[flinkstest.FaultTooManyRequests429]
		throttled = append(throttled, id)
	}
	healthy := flinkstest.DemoLogins(42, 500-len(logins)-len(throttled))
	for _, id := range healthy {
		want[id] = struct{ status, code string }{"succeeded", ""}
		logins = append(logins, id)
	}
	slices.Sort(logins)
	// The logins answered 429 once come here and there in the run, as
	// throttling of single logins would, not all at once.
	for i, id := range throttled {
		at := (i + 1) * len(logins) / (len(throttled) + 1)
		logins = slices.Insert(logins, at, id)
	}
	file := writeLogins(t, dir, logins)

	run1 := syncer(t, dir, nil, append([]string{"sync", "--logins", file}, faultMixFlags(srv, db)...)...)
	if run1.code != exitPartial {
		t.Fatalf("first run: want exit 3\n%s", run1)
	}
	for _, line := range strings.Split(run1.stderr, "\n") {
		for _, id := range logins[:50] {
			if strings.Contains(line, id) {
				t.Fatalf("a LoginId appears in the log: %s", line)
			}
		}
	}

	// The poll deadline runs across a login's sessions: on a loaded machine
	// the four sessions of a SESSION_NONEXISTENT login may outlast 3 s, and
	// it then honestly ends timed_out on a 202 past its deadline.
	outlasted := map[string]struct{ status, code string }{}
	// Likewise the two throttled-once logins that run beside the logins
	// throttled for ever (all fault logins sort together): those make the
	// run pause for their Retry-After, on top of the second the login's own
	// 429 took of its 3 s. The throttled-once logins spread among healthy
	// ones (n >= 3), the case of issue 10, must succeed.
	for n := 1; n <= 2; n++ {
		outlasted[faultLogin(flinkstest.FaultSessionNonexistent, n)] = struct{ status, code string }{"timed_out", "OPERATION_PENDING"}
		outlasted[faultLogin(flinkstest.FaultTooManyRequests429, n)] = struct{ status, code string }{"timed_out", "OPERATION_PENDING"}
	}
	w := openWarehouseRO(t, db)
	checkOutcomesOr(t, w, want, outlasted)
	expected := expectedRows(t, w)
	for table, n := range expected {
		if got := queryInt(t, w, "SELECT count(*) FROM "+table); got != n {
			t.Errorf("%s: %d rows, want %d", table, got, n)
		}
	}
	if n := queryInt(t, w, `SELECT count(*) FROM rejected_records r JOIN sync_logins l USING (run_id, login_id) WHERE l.login_id LIKE 'fa110027%'`); n == 0 {
		t.Error("the malformed fragments were not quarantined")
	}
	if n := queryInt(t, w, `SELECT count(*) FROM accounts WHERE login_id NOT IN (SELECT login_id FROM sync_logins WHERE status = 'succeeded')`); n != 0 {
		t.Errorf("%d account rows belong to logins that never succeeded", n)
	}
	w.Close()

	// A second run over the same data: same tables, one more ledger entry per login.
	run2 := syncer(t, dir, nil, append([]string{"sync"}, faultMixFlags(srv, db)...)...) // every known login
	if run2.code != exitPartial {
		t.Fatalf("second run: want exit 3\n%s", run2)
	}
	w = openWarehouseRO(t, db)
	for table, n := range expected {
		if got := queryInt(t, w, "SELECT count(*) FROM "+table); got != n {
			t.Errorf("after the second run, %s: %d rows, want %d", table, got, n)
		}
	}
	if got := queryInt(t, w, "SELECT count(*) FROM sync_logins"); got != 2*len(logins) {
		t.Errorf("sync_logins: %d rows after two runs of %d logins", got, len(logins))
	}
	retryable := stringsOf(t, w, `SELECT login_id FROM sync_logins WHERE status IN ('failed', 'timed_out')
		AND run_id = (SELECT max(run_id) FROM sync_runs) ORDER BY login_id`)
	if len(retryable) == 0 {
		t.Fatal("no retryable failures to retry")
	}
	w.Close()

	run3 := syncer(t, dir, nil, append([]string{"retry"}, faultMixFlags(srv, db)...)...)
	if run3.code != exitPartial {
		t.Fatalf("retry: want exit 3 (the faults persist)\n%s", run3)
	}
	w = openWarehouseRO(t, db)
	got := stringsOf(t, w, `SELECT login_id FROM sync_logins WHERE run_id = (SELECT run_id FROM sync_runs WHERE command = 'retry') ORDER BY login_id`)
	if !slices.Equal(got, retryable) {
		t.Errorf("retry synced %d logins, want the %d retryable ones", len(got), len(retryable))
	}
}

// checkOutcomes compares each login's latest sync_logins row with want.
func checkOutcomes(t *testing.T, w *sql.DB, want map[string]struct{ status, code string }) {
	t.Helper()
	checkOutcomesOr(t, w, want, nil)
}

// checkOutcomesOr is checkOutcomes where the logins in or may also end as
// or says.
func checkOutcomesOr(t *testing.T, w *sql.DB, want, or map[string]struct{ status, code string }) {
	t.Helper()
	rows, err := w.Query(`SELECT login_id, status, coalesce(flinks_code, ''), coalesce(error, '') FROM sync_logins`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id, status, code, msg string
		if err := rows.Scan(&id, &status, &code, &msg); err != nil {
			t.Fatal(err)
		}
		seen++
		o, ok := want[id]
		if alt, has := or[id]; has && status == alt.status {
			o = alt
		}
		switch {
		case !ok:
			t.Errorf("unexpected login in sync_logins")
		case status != o.status:
			t.Errorf("login %s: status %s, want %s (%s)", id[:13], status, o.status, msg)
		case code != o.code:
			t.Errorf("login %s: flinks_code %q, want %q", id[:13], code, o.code)
		}
	}
	if seen != len(want) {
		t.Errorf("%d sync_logins rows, want %d", seen, len(want))
	}
}

// expectedRows computes, from the sandbox's payloads through the transform,
// how many rows each data table must hold for the logins that succeeded.
func expectedRows(t *testing.T, w *sql.DB) map[string]int {
	t.Helper()
	ok := stringsOf(t, w, `SELECT login_id FROM sync_logins WHERE status = 'succeeded'`)
	counts := map[string]int{}
	securities := map[string]bool{}
	for _, id := range ok {
		body := flinkstest.Payload(42, id, e2eAsOf)
		if strings.HasPrefix(id, fmt.Sprintf("fa11%04d", int(flinkstest.FaultMalformed))) {
			continue // its body differs from Payload on purpose; counted by its rejects
		}
		b, _, err := transform.FromJSON(body, transform.Context{RunID: "expected", LoginID: id, SyncedAt: e2eAsOf})
		if err != nil {
			t.Fatalf("transforming the sandbox's payload: %v", err)
		}
		for _, table := range []string{"accounts", "positions", "transactions"} {
			counts[table] += len(b.Rows[table])
		}
		for _, r := range b.Rows[schema.Securities.Name] {
			securities[r[schema.Securities.Index("security_key")].(string)] = true
		}
	}
	// The malformed logins' rows are not predictable from Payload: leave
	// them out of the comparison by subtracting what the warehouse has.
	for _, table := range []string{"accounts", "positions", "transactions"} {
		counts[table] += queryInt(t, w, "SELECT count(*) FROM "+table+" WHERE login_id LIKE 'fa110027%'")
	}
	if n := len(securities); n > 0 {
		counts["securities"] = queryInt(t, w, "SELECT count(*) FROM securities")
		if counts["securities"] < n {
			t.Errorf("securities: %d rows, want at least the %d the good logins reference", counts["securities"], n)
		}
	}
	return counts
}

func stringsOf(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
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
	return out
}
