package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/pipeline"
)

// runInProcess runs the syncer's run() with args, as main would but with
// captured streams and an empty environment, off a terminal.
func runInProcess(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := &environment{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := run(context.Background(), env, args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// oneJSONObject decodes stdout, which must be exactly one JSON object.
func oneJSONObject(t testing.TB, r result) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, r)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("stdout has more than one JSON value\n%s", r)
	}
	return obj
}

// integer returns v as an integer, failing unless it is a JSON integer.
func integer(t testing.TB, what string, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s = %#v: not a JSON number", what, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%s = %s: not an integer", what, n)
	}
	return i
}

func number(t *testing.T, what string, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s = %#v: not a JSON number", what, v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func instant(t *testing.T, what string, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339, s)
	if err != nil || !strings.HasSuffix(s, "Z") {
		t.Fatalf("%s = %#v: not an RFC 3339 UTC instant", what, v)
	}
	return at
}

// sqlRows runs `syncer sql --format csv` and returns the rows after the header.
func sqlRows(t *testing.T, db, query string) [][]string {
	t.Helper()
	r := runInProcess(t, "sql", "--db", db, "--format", "csv", query)
	if r.code != 0 {
		t.Fatalf("sql %s\n%s", query, r)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("sql %s: %v\n%s", query, err, r)
	}
	return rows[1:]
}

// TestSyncFormatJSON syncs healthy and failing logins with --format json
// and --log-format json: stdout is one JSON object whose figures are typed
// and equal the ledger's; the logs on stderr carry typed progress and a
// typed "run finished"; a retry reports in the same shape.
func TestSyncFormatJSON(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	disabled := []string{flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 1), flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 2)}
	args := []string{"sync", "--sandbox", "--db", db, "--format", "json", "--log-format", "json",
		"--max-attempts", "1", "--poll-interval", "100ms", "--poll-timeout", "2s"}
	logins := append(flinkstest.DemoLogins(1, 12), disabled...)
	logins = append(logins, flinkstest.FaultLogin(flinkstest.FaultRetryLater, 1), flinkstest.FaultLogin(flinkstest.FaultNeverReady, 1),
		flinkstest.FaultLogin(flinkstest.FaultInvalidLogin, 1))
	for _, id := range logins {
		args = append(args, "--login", id)
	}
	r := runInProcess(t, args...)
	if r.code != exitPartial {
		t.Fatalf("want exit 3\n%s", r)
	}
	obj := oneJSONObject(t, r)
	runID, _ := obj["run_id"].(string)
	if runID == "" || obj["status"] != pipeline.RunPartial || obj["command"] != "sync" || obj["error"] != nil {
		t.Errorf("run_id %v status %v command %v error %v", obj["run_id"], obj["status"], obj["command"], obj["error"])
	}
	if code := integer(t, "exit_code", obj["exit_code"]); code != int64(r.code) {
		t.Errorf("exit_code %d, process exited %d", code, r.code)
	}
	started, finished := instant(t, "started_at", obj["started_at"]), instant(t, "finished_at", obj["finished_at"])
	if d := number(t, "duration_seconds", obj["duration_seconds"]); d <= 0 || math.Abs(d-finished.Sub(started).Seconds()) > 1 {
		t.Errorf("duration_seconds %v for %s..%s", d, started, finished)
	}
	if integer(t, "requests", obj["requests"]) <= 0 {
		t.Error("no requests counted")
	}

	ledger := map[string]int64{}
	for _, row := range sqlRows(t, db, "SELECT status, count(*) FROM sync_logins WHERE run_id = '"+runID+"' GROUP BY status") {
		n, _ := strconv.ParseInt(row[1], 10, 64)
		ledger[row[0]] = n
	}
	counts, _ := obj["logins"].(map[string]any)
	for _, status := range pipeline.Statuses {
		if got := integer(t, "logins."+status, counts[status]); got != ledger[status] {
			t.Errorf("logins.%s = %d, ledger %d", status, got, ledger[status])
		}
	}
	if integer(t, "logins.total", counts["total"]) != int64(len(logins)) || ledger[pipeline.StatusNeedsUserAction] != 2 || ledger[pipeline.StatusTimedOut] != 1 {
		t.Errorf("logins %v, ledger %v", counts, ledger)
	}

	rows, _ := obj["rows"].(map[string]any)
	accounts, _ := rows["accounts"].(map[string]any)
	inLedger, _ := strconv.ParseInt(sqlRows(t, db, "SELECT count(*) FROM accounts")[0][0], 10, 64)
	if integer(t, "rows.accounts.received", accounts["received"]) == 0 || integer(t, "rows.accounts.inserted", accounts["inserted"]) != inLedger {
		t.Errorf("rows.accounts %v; the table has %d rows", accounts, inLedger)
	}

	failures, _ := obj["failures"].([]any)
	first, _ := failures[0].(map[string]any)
	if first["status"] != pipeline.StatusNeedsUserAction || first["cause"] != "DISABLED_LOGIN" || integer(t, "failures[0].logins", first["logins"]) != 2 {
		t.Errorf("first failure group %v", first)
	}
	examples, _ := first["examples"].([]any)
	for _, ex := range examples {
		if ex != extract.HashLogin(disabled[0]) && ex != extract.HashLogin(disabled[1]) {
			t.Errorf("example %v is not a DISABLED_LOGIN login's hash", ex)
		}
	}
	quality := map[string]int64{}
	for _, row := range sqlRows(t, db, "SELECT split_part(check_name, ':', 1), count(*) FROM data_quality WHERE run_id = '"+runID+"' AND NOT passed GROUP BY 1") {
		n, _ := strconv.ParseInt(row[1], 10, 64)
		quality[row[0]] = n
	}
	dq, _ := obj["data_quality"].([]any)
	got := map[string]int64{}
	for _, g := range dq {
		m, _ := g.(map[string]any)
		got[m["check"].(string)] = integer(t, "data_quality.failed", m["failed"])
		integer(t, "data_quality.logins", m["logins"])
	}
	if len(got) != len(quality) {
		t.Errorf("data_quality %v, ledger %v", got, quality)
	}
	for check, n := range quality {
		if got[check] != n {
			t.Errorf("data_quality %s: %d, ledger %d", check, got[check], n)
		}
	}
	var commands []string
	for _, n := range obj["next"].([]any) {
		c, _ := n.(map[string]any)["command"].(string)
		commands = append(commands, c)
	}
	if !slices.Contains(commands, "syncer retry --db "+db+" --sandbox") || !slices.Contains(commands, "syncer status --failed --db "+db) {
		t.Errorf("next commands %q", commands)
	}

	t.Run("logs", func(t *testing.T) {
		var progress, finishedLine map[string]any
		sc := bufio.NewScanner(strings.NewReader(r.stderr))
		for sc.Scan() {
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				t.Fatalf("a log line is not JSON: %s", sc.Text())
			}
			switch m["msg"] {
			case "progress":
				progress = m
			case "run finished":
				finishedLine = m
			}
		}
		if progress == nil || finishedLine == nil {
			t.Fatalf("no progress or run finished line\n%s", r.stderr)
		}
		for _, key := range []string{"done", "total", "succeeded", "failed", "timed_out", "needs_user_action", "rejected",
			"queued", "waiting", "working", "pending", "committing", "requests"} {
			integer(t, "progress."+key, progress[key])
		}
		for _, key := range []string{"req_per_s", "elapsed_s"} {
			number(t, "progress."+key, progress[key])
		}
		for _, status := range pipeline.Statuses {
			if a, b := integer(t, status, progress[status]), integer(t, status, counts[status]); a != b {
				t.Errorf("last progress line: %s %d, summary %d", status, a, b)
			}
		}
		if d := number(t, "duration_s", finishedLine["duration_s"]); d <= 0 {
			t.Errorf("run finished: duration_s %v", d)
		}
		if _, ok := finishedLine["wall"]; ok {
			t.Error("run finished still logs wall (nanoseconds in JSON)")
		}
	})

	t.Run("retry", func(t *testing.T) {
		r := runInProcess(t, "retry", "--sandbox", "--db", db, "--format", "json", "--max-attempts", "1", "--poll-interval", "100ms", "--poll-timeout", "2s")
		obj := oneJSONObject(t, r)
		if obj["command"] != "retry" || integer(t, "exit_code", obj["exit_code"]) != int64(r.code) || r.code != exitPartial {
			t.Errorf("retry: %v\n%s", obj, r)
		}
		counts, _ := obj["logins"].(map[string]any)
		if integer(t, "logins.total", counts["total"]) != 2 { // RETRY_LATER and never-ready
			t.Errorf("retry logins %v", counts)
		}
	})
}

// TestFormatJSONWithoutSummary: a run that cannot start still prints one
// JSON object saying so, with exit_code equal to the process's; a retry
// with nothing to retry says nothing_to_retry; a usage error prints nothing
// on stdout.
func TestFormatJSONWithoutSummary(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		status string
	}{
		{"missing directory", []string{"sync", "--sandbox", "--db", filepath.Join(dir, "no", "w.duckdb")}, exitFailed, "failed"},
		{"missing secret file", []string{"backfill", "--sandbox", "--login", flinkstest.DemoLogins(1, 1)[0], "--db", filepath.Join(dir, "w.duckdb"),
			"--secret-key-file", filepath.Join(dir, "absent")}, exitFailed, "failed"},
		{"nothing to retry", []string{"retry", "--sandbox", "--db", filepath.Join(dir, "empty.duckdb")}, exitOK, "nothing_to_retry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runInProcess(t, append(tc.args, "--format", "json")...)
			if r.code != tc.code {
				t.Fatalf("want exit %d\n%s", tc.code, r)
			}
			obj := oneJSONObject(t, r)
			if obj["status"] != tc.status || integer(t, "exit_code", obj["exit_code"]) != int64(r.code) {
				t.Errorf("status %v exit_code %v", obj["status"], obj["exit_code"])
			}
			msg, _ := obj["error"].(string)
			if (tc.code == exitFailed) != (msg != "") {
				t.Errorf("error %#v", obj["error"])
			}
			instant(t, "started_at", obj["started_at"])
			instant(t, "finished_at", obj["finished_at"])
			number(t, "duration_seconds", obj["duration_seconds"])
			counts, _ := obj["logins"].(map[string]any)
			for _, status := range pipeline.Statuses {
				integer(t, "logins."+status, counts[status])
			}
			rows, _ := obj["rows"].(map[string]any)
			accounts, _ := rows["accounts"].(map[string]any)
			integer(t, "rows.accounts.received", accounts["received"])
		})
	}
	r := runInProcess(t, "sync", "--format", "yaml", "--login", "x")
	if r.code != exitUsage || r.stdout != "" {
		t.Errorf("--format yaml: want exit 2 and nothing on stdout\n%s", r)
	}
}

// TestTextSummaryGroupsFailures: the text summary lists the failure groups
// with their examples, the failed data-quality checks, and the commands to
// run next.
func TestTextSummaryGroupsFailures(t *testing.T) {
	s := &pipeline.Summary{RunID: "r1", Status: pipeline.RunPartial, Total: 10, Committed: 10,
		ByStatus: map[string]int{pipeline.StatusSucceeded: 6, pipeline.StatusFailed: 2, pipeline.StatusNeedsUserAction: 1, pipeline.StatusTimedOut: 1},
		Rows:     map[string]int64{"accounts": 12},
		Failures: []pipeline.FailureGroup{
			{Status: pipeline.StatusFailed, Cause: "RETRY_LATER", Logins: 2, Examples: []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}},
			{Status: pipeline.StatusNeedsUserAction, Cause: "DISABLED_LOGIN", Logins: 1, Examples: []string{"cccccccccccc"}},
			{Status: pipeline.StatusTimedOut, Cause: "timed_out", Logins: 1, Examples: []string{"dddddddddddd"}}},
		Quality:   []pipeline.QualityGroup{{Check: "value_reconciles", Failed: 3, Logins: 2}},
		StartedAt: time.Date(2025, 3, 14, 2, 0, 0, 0, time.UTC), FinishedAt: time.Date(2025, 3, 14, 2, 0, 5, 0, time.UTC)}
	var b bytes.Buffer
	var f syncFlags
	fs := pflag.NewFlagSet("sync", pflag.ContinueOnError)
	f.addFlags(fs, &environment{getenv: func(string) string { return "" }}, false)
	if err := fs.Parse([]string{"--db", "w.duckdb"}); err != nil {
		t.Fatal(err)
	}
	printSummary(&b, s, map[string]load.TableCounts{"accounts": {Inserted: 12}}, &f, nextSteps(s, rerun{warehouse: []string{"--db", "w.duckdb"}}))
	out := b.String()
	for _, want := range []string{
		"failed             RETRY_LATER          2  aaaaaaaaaaaa, bbbbbbbbbbbb",
		"needs_user_action  DISABLED_LOGIN       1  cccccccccccc",
		"data quality: 3 value_reconciles checks failed in 2 logins",
		"syncer retry --db w.duckdb",
		"syncer status --failed --db w.duckdb",
		"1 login needs the person to reconnect",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}
