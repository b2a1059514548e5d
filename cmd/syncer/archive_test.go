package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncer/syncer/archive"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/internal/clock"
)

// holderKeyEnv gives every warehouse of a test one holder key, so that
// account_holders.holder_key compares between them.
func holderKeyEnvOf(t *testing.T) []string {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "holder.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("5a", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"SYNCER_HOLDER_KEY_FILE=" + keyFile}
}

// archivedRuns returns the runs archived under dir, oldest first.
func archivedRuns(t *testing.T, dir string) []archive.Manifest {
	t.Helper()
	runs, err := archiveAt(t, dir).Runs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// TestReplayEqualsOriginalRun: a sync with --archive, replayed into an
// empty warehouse, gives the same data tables (checksums); the replay is in
// the ledger as command replay, under a run id that says so; replaying
// again changes nothing; the JSON report is one object with exit code 0.
func TestReplayEqualsOriginalRun(t *testing.T) {
	dir := t.TempDir()
	env := holderKeyEnvOf(t)
	arch := filepath.Join(dir, "archive")
	if r := syncer(t, dir, env, "sync", "--sandbox", "--sandbox-as-of", "2025-03-14", "--db", "orig.duckdb", "--archive", arch); r.code != exitOK {
		t.Fatalf("sync: %s", r)
	}
	runs := archivedRuns(t, arch)
	if len(runs) != 1 || len(runs[0].Entries) == 0 {
		t.Fatalf("archived runs %+v", runs)
	}
	orig := openWarehouseRO(t, filepath.Join(dir, "orig.duckdb"))
	want := dataChecksums(t, orig)
	// The registry says which command registered each login (the replay
	// did, in the replayed warehouse): only its data is compared.
	delete(want, "logins")
	wantRegistry := strings.Join(stringsOf(t, orig, registryQuery), ",")
	_ = orig.Close()

	for i := range 2 { // the second replay must change nothing
		r := syncer(t, dir, env, "replay", "--archive", arch, "--run", runs[0].RunID, "--db", "replayed.duckdb", "--format", "json")
		if r.code != exitOK {
			t.Fatalf("replay %d: %s", i+1, r)
		}
		var rep struct {
			Command  string `json:"command"`
			ExitCode int    `json:"exit_code"`
			Runs     []struct {
				RunID    string `json:"run_id"`
				ReplayOf string `json:"replay_of"`
				Status   string `json:"status"`
				Requests int64  `json:"requests"`
			} `json:"runs"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("replay's JSON: %v\n%s", err, r.stdout)
		}
		if rep.Command != "replay" || len(rep.Runs) != 1 || rep.Runs[0].ReplayOf != runs[0].RunID ||
			!strings.Contains(rep.Runs[0].RunID, "replay") || rep.Runs[0].Status != "succeeded" || rep.Runs[0].Requests != 0 {
			t.Errorf("replay %d report: %+v", i+1, rep)
		}
		db := openWarehouseRO(t, filepath.Join(dir, "replayed.duckdb"))
		compareSums(t, "replay", want, dataChecksums(t, db))
		if got := strings.Join(stringsOf(t, db, registryQuery), ","); got != wantRegistry {
			t.Errorf("replay %d: the logins registry's refresh instants differ", i+1)
		}
		if n := queryInt(t, db, `SELECT count(*) FROM sync_runs WHERE command = 'replay' AND run_id LIKE '%replay%'`); n != i+1 {
			t.Errorf("after replay %d: %d replay runs in the ledger", i+1, n)
		}
		_ = db.Close()
	}
}

// registryQuery reads the data of the logins registry.
const registryQuery = `SELECT login_id || '@' || coalesce(CAST(last_refresh_at AS VARCHAR), '') FROM logins ORDER BY 1`

// TestArchiveObjectsWholeAfterKill: a sync with --archive killed (SIGKILL)
// mid-run leaves only whole objects: every object a .meta.json names reads
// back and matches its SHA-256, no temp file is taken for an object, and
// the run it archived replays. The kill is tied to the run's progress: it
// comes when the sandbox sends the 10th final banking answer (the last
// answer of a login, whose answers the syncer then archives), so that the
// logins finished well before it are archived, and others are mid-way.
func TestArchiveObjectsWholeAfterKill(t *testing.T) {
	dir := t.TempDir()
	arch := filepath.Join(dir, "archive")
	logins := flinkstest.DemoLogins(11, 30)
	env := holderKeyEnvOf(t)
	var killed atomic.Pointer[process] // the syncer, once started
	var finals atomic.Int64
	sandbox := flinkstest.NewHandler(flinkstest.Config{Seed: 11, AsOf: proofAsOf, Pending: flinkstest.PendingDist{Min: 0, Max: 2}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		sandbox.ServeHTTP(sw, r)
		if sw.status == http.StatusOK && strings.Contains(r.URL.Path, "/GetAccountsDetail") && finals.Add(1) == 10 {
			if q := killed.Load(); q != nil { // it is: a 10th login finished
				_ = q.cmd.Process.Kill()
			}
		}
	}))
	t.Cleanup(srv.Close)
	args := []string{"sync", "--logins", writeLogins(t, dir, logins), "--base-url", srv.URL, "--products", "investments,banking",
		"--poll-interval", "1ms", "--backoff", "1ms", "--rate", "5000", "--concurrency", "8", "--db", "w.duckdb", "--archive", arch}
	p := startSyncer(t, dir, env, args...)
	killed.Store(p)
	if r := p.wait(); r.code != -1 {
		t.Fatalf("the run was not killed\n%s", r)
	}
	runs := archivedRuns(t, arch)
	if len(runs) != 1 || runs[0].FinishedAt != nil {
		t.Fatalf("archived runs %+v: want one run, not finished", runs)
	}
	entries, err := archiveAt(t, arch).Entries(context.Background(), runs[0].RunID)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("the killed run archived nothing before its 10th login finished")
	}
	for _, e := range entries {
		if _, err := archiveAt(t, arch).Read(context.Background(), e); err != nil {
			t.Errorf("object %s: %v", e.Object, err)
		}
	}
	files, _ := os.ReadDir(filepath.Join(arch, "runs", runs[0].RunID))
	for _, f := range files {
		name := f.Name()
		// A write the kill cut short leaves its temp file (NAME.tmp-…),
		// which no reader's suffix matches.
		if !strings.Contains(name, ".tmp-") && !strings.HasSuffix(name, ".json.zst") && !strings.HasSuffix(name, ".meta.json") && name != "manifest.json" {
			t.Errorf("unexpected file %s in the run's directory", name)
		}
	}
	r := syncer(t, dir, env, "replay", "--archive", arch, "--db", "replayed.duckdb")
	if r.code != exitOK {
		t.Fatalf("replay of the killed run: %s", r)
	}
	t.Logf("killed at the 10th login's final answer: %d answers archived whole", len(entries))
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// TestArchiveLogsNoPayload: with --archive, neither the logs (text and
// JSON, sync and replay) nor the summaries hold a LoginId or any value of
// the answers archived: account ids, names, amounts.
func TestArchiveLogsNoPayload(t *testing.T) {
	dir := t.TempDir()
	arch := filepath.Join(dir, "archive")
	env := holderKeyEnvOf(t)
	var out strings.Builder
	for _, format := range []string{"text", "json"} {
		r := syncer(t, dir, env, "sync", "--sandbox", "--db", "w.duckdb", "--archive", arch, "--log-format", format)
		if r.code != exitOK {
			t.Fatalf("sync: %s", r)
		}
		out.WriteString(r.stdout + r.stderr)
	}
	r := syncer(t, dir, env, "replay", "--archive", arch, "--db", "replayed.duckdb", "--log-format", "json")
	if r.code != exitOK {
		t.Fatalf("replay: %s", r)
	}
	out.WriteString(r.stdout + r.stderr)
	logs := out.String()
	if !strings.Contains(logs, "archive") {
		t.Fatalf("the logs never mention the archive:\n%s", tail(logs, 2000))
	}

	secrets := map[string]bool{}
	for _, m := range archivedRuns(t, arch) {
		entries, err := archiveAt(t, arch).Entries(context.Background(), m.RunID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			a, err := archiveAt(t, arch).Read(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			secrets[a.LoginID] = true
			for _, v := range payloadValues(t, a.Body) {
				secrets[v] = true
			}
		}
	}
	if len(secrets) < 20 {
		t.Fatalf("only %d payload values to look for", len(secrets))
	}
	for v := range secrets {
		if strings.Contains(logs, v) {
			t.Errorf("the output holds a payload value or LoginId (%d chars)", len(v))
		}
	}
}

// distinctive are the payload values worth looking for in logs: strings
// and numbers of 6 characters or more (shorter ones, 4.02, are as likely
// to be a duration or a count of the run's own).
var distinctive = regexp.MustCompile(`^.{6,}$`)

// payloadValues returns the distinctive values of a JSON answer: account
// ids, names, descriptions, amounts (dates and instants, which logs carry
// for their own reasons, are left out).
func payloadValues(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	date := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		case string:
			if distinctive.MatchString(x) && !date.MatchString(x) && !isWord(x) {
				out = append(out, x)
			}
		case json.Number:
			if distinctive.MatchString(x.String()) {
				out = append(out, x.String())
			}
		}
	}
	walk(v)
	return out
}

// isWord reports a value that is an enumeration's word (a type, a
// currency, a category), which logs may say for their own reasons.
func isWord(s string) bool {
	return regexp.MustCompile(`^[A-Za-z]+$`).MatchString(s)
}

// TestArchiveKeepPrunesOldRuns: --archive-keep 1 keeps the newest run only,
// at the end of each run.
func TestArchiveKeepPrunesOldRuns(t *testing.T) {
	dir := t.TempDir()
	arch := filepath.Join(dir, "archive")
	for range 2 {
		if r := syncer(t, dir, nil, "sync", "--sandbox", "--db", "w.duckdb", "--archive", arch, "--archive-keep", "1"); r.code != exitOK {
			t.Fatalf("sync: %s", r)
		}
	}
	db := openWarehouseRO(t, filepath.Join(dir, "w.duckdb"))
	var last string
	if err := db.QueryRow(`SELECT run_id FROM sync_runs ORDER BY started_at DESC LIMIT 1`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	runs := archivedRuns(t, arch)
	if len(runs) != 1 || runs[0].RunID != last {
		t.Errorf("archived runs %v, want only the last run %s", runs, last)
	}
}

// TestArchiveUsage: the archive's flags refuse what they cannot do.
func TestArchiveUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"sync", "--sandbox", "--archive-keep", "90d"}, // no --archive
		{"sync", "--sandbox", "--archive", "a", "--archive-keep", "soon"},
		{"replay", "--db", "w.duckdb"},                                      // no --archive
		{"replay", "--archive", "a", "--run", "x", "--since", "2025-01-01"}, // both
		{"replay", "--archive", "a", "--since", "yesterday"},
		{"replay", "--archive", "a", "--run", "nope"}, // no such run
		{"replay", "--archive", "a"},                  // nothing to replay
	} {
		if r := syncer(t, dir, nil, args...); r.code != exitUsage {
			t.Errorf("%v: %s; want exit 2", args, r)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "w.duckdb")); !os.IsNotExist(err) {
		t.Errorf("a refused command made a warehouse: %v", err)
	}
}

// TestReplaySelectsRuns: --run picks one archived run, --since the runs
// started on or after a UTC date, and neither every run, oldest first.
func TestReplaySelectsRuns(t *testing.T) {
	dir := t.TempDir()
	c := clock.NewFake(time.Date(2025, 3, 1, 23, 0, 0, 0, time.UTC))
	for _, id := range []string{"a", "b", "c"} {
		r, err := archiveAt(t, dir).Open(context.Background(), id, "sync", c)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		c.Advance(24 * time.Hour)
	}
	for _, tc := range []struct {
		run, since string
		want       []string
	}{
		{"", "", []string{"a", "b", "c"}},
		{"b", "", []string{"b"}},
		{"", "2025-03-02", []string{"b", "c"}},
		{"", "2025-03-03", []string{"c"}},
	} {
		f := replayFlags{archive: dir, run: tc.run, since: tc.since}
		runs, err := f.selectRuns()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range runs {
			got = append(got, m.RunID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("--run %q --since %q: %v, want %v", tc.run, tc.since, got, tc.want)
		}
	}
	f := replayFlags{archive: dir, since: "2025-03-04"}
	if _, err := f.selectRuns(); codeOf(err) != exitUsage {
		t.Errorf("--since after every run: %v, want a usage error", err)
	}
}

// TestForgetErasesTheArchive: forget --archive deletes the login's answers
// from every archived run, and a replay of that run loads the other logins
// but never the erased one, even from an archive forget was not given.
func TestForgetErasesTheArchive(t *testing.T) {
	dir := t.TempDir()
	env := holderKeyEnvOf(t)
	arch, copyArch := filepath.Join(dir, "archive"), filepath.Join(dir, "archive-copy")
	for _, a := range []string{arch, copyArch} {
		if r := syncer(t, dir, env, "sync", "--sandbox", "--sandbox-as-of", "2025-03-14", "--db", "w.duckdb", "--archive", a); r.code != exitOK {
			t.Fatalf("sync: %s", r)
		}
	}
	gone := forgetFirstArchivedLogin(t, dir, env, "w.duckdb", arch)
	// The copy still holds the erased login's answers: replay skips them.
	copyRuns := archivedRuns(t, copyArch)
	if r := syncer(t, dir, env, "replay", "--archive", copyArch, "--run", copyRuns[0].RunID, "--db", "w.duckdb"); r.code != exitOK {
		t.Fatalf("replay: %s", r)
	}
	db := openWarehouseRO(t, filepath.Join(dir, "w.duckdb"))
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM accounts WHERE login_id = ?) + (SELECT count(*) FROM bank_accounts WHERE login_id = ?) + (SELECT count(*) FROM logins WHERE login_id = ?)`, gone, gone, gone).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the replay loaded %d rows of the erased login", n)
	}
	if err := db.QueryRow(`SELECT count(*) FROM logins`).Scan(&n); err != nil || n == 0 {
		t.Errorf("the replay loaded no other login (%d, %v)", n, err)
	}
}

// archiveAt is the archive at location.
func archiveAt(t testing.TB, location string) *archive.Archive {
	t.Helper()
	a, err := archive.At(context.Background(), location)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestArchiveInS3ReplaysIntoTheLake: --archive s3://bucket/prefix keeps the
// answers in the bucket (the test S3 server, through the AWS SDK's
// environment, as --iceberg does); replaying them into an empty Iceberg
// lake (S3 and a PostgreSQL catalog) gives the data tables the sync wrote
// to its DuckDB file; forget --archive then deletes the login's answers
// from the bucket.
func TestArchiveInS3ReplaysIntoTheLake(t *testing.T) {
	dir := t.TempDir()
	env := holderKeyEnvOf(t)
	lake := newTestLake(t) // sets the AWS_* environment the syncers inherit
	arch := "s3://" + lake.bucket + "/archive"
	if r := syncer(t, dir, env, "sync", "--sandbox", "--sandbox-as-of", "2025-03-14", "--db", "orig.duckdb", "--archive", arch); r.code != exitOK {
		t.Fatalf("sync: %s", r)
	}
	runs := archivedRuns(t, arch)
	if len(runs) != 1 || len(runs[0].Entries) == 0 {
		t.Fatalf("archived runs in the bucket: %+v", runs)
	}
	if r := syncer(t, dir, env, append([]string{"replay", "--archive", arch}, lake.flags()...)...); r.code != exitOK {
		t.Fatalf("replay into the lake: %s", r)
	}
	orig := openWarehouseRO(t, filepath.Join(dir, "orig.duckdb"))
	want, got := dataChecksums(t, orig), dataChecksums(t, lake.open(t))
	// The registry says which command registered each login: the replay
	// did, in the lake.
	delete(want, "logins")
	delete(got, "logins")
	compareSums(t, "the lake replayed from the S3 archive", want, got)
	_ = orig.Close()

	forgetFirstArchivedLogin(t, dir, env, "orig.duckdb", arch)
}

// forgetFirstArchivedLogin runs forget --archive on the first login the
// archive's first run holds, fails t unless the archive then holds none of
// its answers and still holds the others', and returns the LoginId.
func forgetFirstArchivedLogin(t *testing.T, dir string, env []string, db, arch string) string {
	t.Helper()
	runID := archivedRuns(t, arch)[0].RunID
	entries, err := archiveAt(t, arch).Entries(context.Background(), runID)
	if err != nil || len(entries) < 2 {
		t.Fatalf("entries %d, %v", len(entries), err)
	}
	gone := entries[0].LoginID
	if r := syncer(t, dir, env, "forget", gone, "--yes", "--db", db, "--archive", arch); r.code != exitOK {
		t.Fatalf("forget: %s", r)
	}
	left, err := archiveAt(t, arch).Entries(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		if e.LoginID == gone {
			t.Fatalf("the archive still holds an answer of the erased login (%s)", e.Object)
		}
	}
	if len(left) == 0 {
		t.Fatal("forget emptied the archive: the other logins' answers are gone too")
	}
	return gone
}
