package main

import (
	"bytes"
	"context"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load/parquet"
	"github.com/syncer/syncer/pipeline"
)

// listing is every path under dir, sorted.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		out = append(out, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestSQLIsReadOnly: `syncer sql` refuses every statement that writes,
// attaches, installs, loads or changes a setting, on the DuckDB warehouse
// and on the Parquet dataset; the warehouse keeps its bytes and no file
// appears. Queries, `status`, and reading the dataset through --parquet
// keep working.
func TestSQLIsReadOnly(t *testing.T) {
	dir := t.TempDir()
	db, pq := filepath.Join(dir, "flinks.duckdb"), filepath.Join(dir, "dataset")
	if r := syncer(t, dir, nil, "sync", "--sandbox", "--db", db, "--parquet", pq, "--poll-interval", "1ms"); r.code != exitOK {
		t.Fatalf("seeding the warehouse:\n%s", r)
	}
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	files := listing(t, dir)
	writes := []string{
		"COPY (SELECT 1) TO 'flinks.duckdb' (FORMAT csv)",
		"COPY accounts TO 'out.csv'",
		"COPY accounts TO '" + filepath.Join(pq, "out.csv") + "'",
		"ATTACH 'other.duckdb' AS other",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET threads = 1",
		"SET enable_external_access = true",
		"CREATE TABLE x AS SELECT 1 AS a",
		"CREATE TEMP TABLE x AS SELECT 1 AS a",
		"SELECT 1; COPY accounts TO 'two.csv'",
		"SELECT * FROM read_csv('/etc/passwd')",
	}
	for _, where := range [][]string{{"--db", db, "--parquet", pq}, {"--no-db", "--parquet", pq}} {
		for _, q := range writes {
			r := syncer(t, dir, nil, append(append([]string{"sql"}, where...), q)...)
			if r.code == exitOK || r.stdout != "" {
				t.Errorf("sql %v %q was not refused\n%s", where, q, r)
			}
		}
	}
	if after, err := os.ReadFile(db); err != nil || !bytes.Equal(before, after) {
		t.Errorf("the warehouse changed: %d bytes, was %d (%v)", len(after), len(before), err)
	}
	if got := listing(t, dir); !slices.Equal(got, files) {
		t.Errorf("files changed:\n%v\nwas\n%v", got, files)
	}
	glob := "'" + filepath.ToSlash(pq) + "/accounts/**/*.parquet'"
	for _, args := range [][]string{
		{"sql", "--db", db, "--format", "csv", "SELECT count(*) AS n FROM accounts"},
		{"sql", "--db", db, "--parquet", pq, "--format", "csv", "SELECT count(*) AS n FROM read_parquet(" + glob + ", hive_partitioning = true)"},
		{"sql", "--no-db", "--parquet", pq, "--format", "csv", "SELECT count(*) AS n FROM accounts"},
		{"status", "--db", db},
	} {
		if r := syncer(t, dir, nil, args...); r.code != exitOK || strings.Contains(r.stdout, "n\n0\n") {
			t.Errorf("%v:\n%s", args, r)
		}
	}
}

// closedPort is a loopback URL where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}

// TestUnreachableFlinksExits1: a run in which no login synced because
// Flinks could not be reached (connection refused) or served nobody (every
// answer 503) exits 1 with one line naming the cause and how many logins it
// hit, and is recorded as failed. A run where every login needs the user is
// a completed run: exit 3.
func TestUnreachableFlinksExits1(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 2})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	logins := flinkstest.DemoLogins(2, 3)
	for _, c := range []struct {
		name, url string
		logins    []string
		code      int
		says      string
		status    string
	}{
		{"connection refused", closedPort(t), logins, exitFailed, "connection refused for 3 of 3 logins", "failed"},
		{"every answer 503", srv.URL, []string{flinkstest.FaultLogin(flinkstest.FaultHTTP503, 1), flinkstest.FaultLogin(flinkstest.FaultHTTP503, 2)},
			exitFailed, "HTTP 503 for 2 of 2 logins", "failed"},
		{"every login needs the user", srv.URL, []string{flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 1), flinkstest.FaultLogin(flinkstest.FaultInvalidLogin, 1)},
			exitPartial, "", "partial"},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".duckdb")
			r := syncer(t, dir, nil, "sync", "--db", db, "--base-url", c.url, "--logins", writeLogins(t, dir, c.logins),
				"--max-attempts", "2", "--backoff", "1ms", "--log-format", "json")
			if r.code != c.code {
				t.Fatalf("want exit %d\n%s", c.code, r)
			}
			if c.says != "" {
				var lines []string
				for _, l := range strings.Split(r.stderr, "\n") {
					if strings.HasPrefix(l, "syncer sync: ") {
						lines = append(lines, l)
					}
				}
				if len(lines) != 1 || !strings.Contains(lines[0], c.says) {
					t.Errorf("want one line saying %q\n%s", c.says, r)
				}
			}
			w := openWarehouseRO(t, db)
			if n := queryInt(t, w, "SELECT count(*) FROM sync_runs WHERE status = ?", c.status); n != 1 {
				t.Errorf("%d runs recorded as %s, want 1", n, c.status)
			}
		})
	}
}

// TestInputIsRefusedNotGuessed: input the syncer cannot sync as given is
// an error naming the mistake, before any request and without creating
// anything; `sync --sandbox` alone still syncs the demo logins.
func TestInputIsRefusedNotGuessed(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 3})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	id := flinkstest.DemoLogins(3, 1)[0]
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte("# nothing yet\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "w.duckdb")
	base := []string{"--base-url", srv.URL}
	for _, c := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"a LoginId as an argument", append([]string{"sync", "--db", db, id}, base...), exitUsage, "unexpected argument"},
		{"an argument to retry", append([]string{"retry", "--db", db, "now"}, base...), exitUsage, `unexpected argument "now"`},
		{"an argument to status", []string{"status", "--db", db, "all"}, exitUsage, "unexpected argument"},
		{"nothing given, none known", append([]string{"sync", "--db", db}, base...), exitUsage, "nothing to sync"},
		{"an empty LoginId file", append([]string{"sync", "--db", db, "--logins", empty}, base...), exitUsage, "nothing to sync: " + empty},
		{"an empty stdin", append([]string{"sync", "--db", db, "--logins", "-"}, base...), exitUsage, "nothing to sync: standard input"},
		{"backfill of an empty file", append([]string{"backfill", "--db", db, "--logins", empty}, base...), exitUsage, "nothing to sync"},
		{"--db in a missing directory", append([]string{"sync", "--db", filepath.Join(dir, "typo", "w.duckdb"), "--login", id}, base...),
			exitFailed, filepath.Join(dir, "typo") + " does not exist"},
		{"--parquet in a missing directory", append([]string{"sync", "--db", db, "--parquet", filepath.Join(dir, "typo", "ds"), "--login", id}, base...),
			exitFailed, filepath.Join(dir, "typo") + " does not exist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := syncer(t, dir, nil, c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.says) {
				t.Errorf("want exit %d saying %q\n%s", c.code, c.says, r)
			}
			if strings.Contains(r.stderr+r.stdout, id) {
				t.Errorf("the output repeats the LoginId\n%s", r)
			}
			if n := srv.Count("", ""); n != 0 {
				t.Fatalf("%d requests reached Flinks", n)
			}
			for _, p := range []string{db, filepath.Join(dir, "typo")} {
				if _, err := os.Stat(p); err == nil {
					t.Fatalf("%s was created", p)
				}
			}
		})
	}
	// The README's first command: no list, no warehouse, the demo logins.
	r := syncer(t, dir, nil, "sync", "--sandbox", "--db", db, "--poll-interval", "1ms")
	if r.code != exitOK || !strings.Contains(r.stdout, "succeeded") {
		t.Fatalf("sync --sandbox:\n%s", r)
	}
	w := openWarehouseRO(t, db)
	if n := queryInt(t, w, "SELECT count(*) FROM sync_logins WHERE status = 'succeeded'"); n != len(sandboxDemoLogins(1)) {
		t.Errorf("sync --sandbox synced %d logins, want the %d demo logins", n, len(sandboxDemoLogins(1)))
	}
}

// TestRetryWithNothingRetryable syncs nothing, says so and exits 0, with
// --sandbox too (which must not fall back to the demo logins).
func TestRetryWithNothingRetryable(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 5})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	if r := syncer(t, dir, nil, "sync", "--db", db, "--base-url", srv.URL, "--poll-interval", "1ms",
		"--logins", writeLogins(t, dir, flinkstest.DemoLogins(5, 3))); r.code != exitOK {
		t.Fatalf("first run:\n%s", r)
	}
	requests := srv.Count("", "")
	for _, args := range [][]string{
		{"retry", "--db", db, "--base-url", srv.URL},
		{"retry", "--db", db, "--sandbox"},
		{"retry", "--db", filepath.Join(dir, "fresh.duckdb"), "--sandbox"},
	} {
		r := syncer(t, dir, nil, args...)
		if r.code != exitOK || !strings.Contains(r.stdout, "nothing to retry") || strings.Contains(r.stdout, "run ") {
			t.Errorf("%v: want exit 0 saying nothing to retry, and no run\n%s", args, r)
		}
	}
	if n := srv.Count("", "") - requests; n != 0 {
		t.Errorf("retry made %d requests", n)
	}
	w := openWarehouseRO(t, db)
	if n := queryInt(t, w, "SELECT count(*) FROM sync_runs"); n != 1 {
		t.Errorf("%d runs recorded, want only the first", n)
	}
	w = openWarehouseRO(t, filepath.Join(dir, "fresh.duckdb"))
	if n := queryInt(t, w, "SELECT count(*) FROM sync_logins"); n != 0 {
		t.Errorf("retry --sandbox on a fresh warehouse synced %d logins", n)
	}
}

// TestReusedRunIDIsRefused: a --run-id already in sync_runs is refused
// before any request, and that run's ledger is untouched.
func TestReusedRunIDIsRefused(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 6})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	file := writeLogins(t, dir, flinkstest.DemoLogins(6, 3))
	args := []string{"sync", "--db", db, "--base-url", srv.URL, "--poll-interval", "1ms", "--logins", file, "--run-id", "shard-1"}
	if r := syncer(t, dir, nil, args...); r.code != exitOK {
		t.Fatalf("first run:\n%s", r)
	}
	ledger := func() string {
		w := openWarehouseRO(t, db)
		defer w.Close()
		var s string
		if err := w.QueryRow(`SELECT string_agg(concat_ws('|', l.login_id, l.status, l.finished_at, r.finished_at), ',' ORDER BY l.login_id)
			FROM sync_logins l JOIN sync_runs r USING (run_id) WHERE run_id = 'shard-1'`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before, requests := ledger(), srv.Count("", "")
	r := syncer(t, dir, nil, args...)
	if r.code != exitUsage || !strings.Contains(r.stderr, `--run-id "shard-1" is already in sync_runs`) {
		t.Errorf("a reused run id: want exit 2 saying it is taken\n%s", r)
	}
	if n := srv.Count("", "") - requests; n != 0 {
		t.Errorf("%d requests made with a reused run id", n)
	}
	if after := ledger(); after != before {
		t.Errorf("the run's ledger changed:\n%s\nwas\n%s", after, before)
	}
}

// TestParquetLockWaitIsHonoured: a run whose Parquet dataset another writer
// holds waits for it up to --lock-wait, then exits 1 saying it is busy.
func TestParquetLockWaitIsHonoured(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 7})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	pq := filepath.Join(dir, "dataset")
	held, err := parquet.Open(context.Background(), parquet.Options{Dir: pq})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	r := syncer(t, dir, nil, "sync", "--no-db", "--parquet", pq, "--base-url", srv.URL, "--lock-wait", "300ms",
		"--login", flinkstest.DemoLogins(7, 1)[0], "--log-format", "json")
	if r.code != exitFailed || !strings.Contains(r.stderr, "is busy") || !strings.Contains(r.stderr, "--lock-wait") ||
		!strings.Contains(r.stderr, "waiting for it") {
		t.Errorf("want exit 1 after waiting, saying the dataset is busy\n%s", r)
	}
}

// TestSummaryCountsWhatChanged: a re-run's summary says how many rows the
// run received and how many it inserted, updated and deleted, and those
// figures match the warehouse (rows carrying the run's id).
func TestSummaryCountsWhatChanged(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	for _, day := range []string{"2025-01-30", "2025-01-31"} {
		r := syncer(t, dir, nil, "sync", "--sandbox", "--sandbox-as-of", day, "--db", db, "--poll-interval", "1ms", "--run-id", "day-"+day)
		if r.code != exitOK {
			t.Fatalf("%s:\n%s", day, r)
		}
		if day != "2025-01-31" {
			continue
		}
		w := openWarehouseRO(t, db)
		rows := summaryRows(t, r.stdout)
		for table, want := range map[string]int{
			"transactions": queryInt(t, w, "SELECT count(*) FROM transactions WHERE run_id = 'day-2025-01-31'"),
			"positions":    queryInt(t, w, "SELECT count(*) FROM positions WHERE run_id = 'day-2025-01-31'"),
		} {
			if got := rows[table]["inserted"]; got != want {
				t.Errorf("%s: the summary says %d inserted, the warehouse holds %d rows of the run\n%s", table, got, want, r.stdout)
			}
		}
		if got, want := rows["accounts"]["updated"], queryInt(t, w, "SELECT count(*) FROM accounts WHERE run_id = 'day-2025-01-31'"); got != want || rows["accounts"]["inserted"] != 0 {
			t.Errorf("accounts: the summary says %v, want %d updated and none inserted\n%s", rows["accounts"], want, r.stdout)
		}
		if got, want := rows["transactions"]["rows received"], rows["transactions"]["inserted"]; got <= want {
			t.Errorf("transactions: %d received, %d inserted: a re-run should receive rows it already has", got, want)
		}
		w.Close()
	}
}

// summaryRows parses the summary's table of rows: table -> column -> value.
func summaryRows(t *testing.T, stdout string) map[string]map[string]int {
	t.Helper()
	lines := strings.Split(stdout, "\n")
	out := map[string]map[string]int{}
	var header []string
	for _, l := range lines {
		if strings.HasPrefix(l, "table ") {
			header = strings.Split(strings.Join(strings.Fields(strings.ReplaceAll(l, "rows received", "rows_received")), " "), " ")
			for i := range header {
				header[i] = strings.ReplaceAll(header[i], "_", " ")
			}
			continue
		}
		f := strings.Fields(l)
		if header == nil || len(f) != len(header) || strings.HasPrefix(l, "---") {
			continue
		}
		out[f[0]] = map[string]int{}
		for i := 1; i < len(f); i++ {
			n, err := strconv.Atoi(f[i])
			if err != nil {
				t.Fatalf("summary line %q: %v", l, err)
			}
			out[f[0]][header[i]] = n
		}
	}
	if len(out) == 0 {
		t.Fatalf("no rows table in the summary:\n%s", stdout)
	}
	return out
}

// TestMetricsLastSuccessNeedsASyncedLogin: the last-success timestamp
// moves only on a run that synced at least one login, whatever its status.
func TestMetricsLastSuccessNeedsASyncedLogin(t *testing.T) {
	m := newMetrics()
	at := time.Date(2026, 3, 2, 2, 30, 0, 0, time.UTC)
	m.runFinished(runRecord{Status: pipeline.RunPartial, Finished: at,
		ByStatus: map[string]int{pipeline.StatusSucceeded: 1, pipeline.StatusFailed: 1}})
	for _, r := range []runRecord{
		{Status: pipeline.RunPartial, ByStatus: map[string]int{pipeline.StatusNeedsUserAction: 3}},
		{Status: pipeline.RunFailed, ByStatus: map[string]int{pipeline.StatusFailed: 3}},
	} {
		r.Finished = at.AddDate(0, 0, 1)
		m.runFinished(r)
		rec := httptest.NewRecorder()
		m.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if v, _ := metricValue(rec.Body.String(), "syncer_last_success_timestamp_seconds"); v != float64(at.Unix()) {
			t.Errorf("a %s run that synced nobody moved the last success to %v", r.Status, v)
		}
	}
}
