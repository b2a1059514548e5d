package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/schema"
)

// statusLogin is one login of `status --format json`.
type statusLogin struct {
	LoginID         string          `json:"login_id"`
	LoginHash       string          `json:"login_hash"`
	LastStatus      string          `json:"last_status"`
	FlinksCode      *string         `json:"flinks_code"`
	Error           *string         `json:"error"`
	LastSuccess     *string         `json:"last_success"`
	LastRefresh     *string         `json:"last_refresh"`
	Age             json.RawMessage `json:"age_seconds"`
	Stale           bool            `json:"stale"`
	Failures        json.Number     `json:"consecutive_failures"`
	QualityFailures json.Number     `json:"quality_failures"`
	Products        []struct {
		Product string `json:"product"`
		Status  string `json:"status"`
	} `json:"products"`
}

// statusDoc is `status --format json`.
type statusDoc struct {
	StaleAfter json.Number   `json:"stale_after_seconds"`
	Logins     []statusLogin `json:"logins"`
	Runs       []struct {
		RunID      string       `json:"run_id"`
		Status     string       `json:"status"`
		StartedAt  string       `json:"started_at"`
		FinishedAt *string      `json:"finished_at"`
		Duration   *json.Number `json:"duration_seconds"`
		Succeeded  *json.Number `json:"logins_succeeded"`
	} `json:"runs"`
}

func statusOf(t *testing.T, dir string, args ...string) (statusDoc, result) {
	t.Helper()
	r := syncer(t, dir, nil, append([]string{"status", "--format", "json"}, args...)...)
	if r.code != exitOK {
		t.Fatalf("status %v: %s", args, r)
	}
	var doc statusDoc
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("status %v: not JSON (%v):\n%s", args, err, r.stdout)
	}
	if dec.More() {
		t.Fatalf("status %v: more than one JSON value:\n%s", args, r.stdout)
	}
	return doc, r
}

func loginIDs(doc statusDoc) []string {
	var ids []string
	for _, l := range doc.Logins {
		ids = append(ids, l.LoginID)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// TestStatusFiltersAndColumns syncs healthy, stale, disabled and unavailable
// logins from the sandbox, adds data-quality failures to one login's run,
// and checks status's columns (hash, error, quality failures, typed JSON
// with the runs) and its filters --failed, --stale, --login, --login-hash,
// the threshold --stale-after (and the deprecated --stale=D).
func TestStatusFiltersAndColumns(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 21})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	healthy := flinkstest.DemoLogins(21, 2)
	stale := flinkstest.StaleLogin(3, 1)
	disabled := flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 1)
	unavailable := flinkstest.FaultLogin(flinkstest.FaultHTTP503, 1)
	all := []string{healthy[0], healthy[1], stale, disabled, unavailable}
	r := syncer(t, dir, nil, "sync", "--db", db, "--base-url", srv.URL, "--logins", writeLogins(t, dir, all),
		"--poll-interval", "1ms", "--backoff", "1ms", "--max-attempts", "1", "--run-id", "night-1")
	if r.code != exitPartial {
		t.Fatalf("sync: want exit 3\n%s", r)
	}
	// Two failed checks of healthy[0]'s run, and one of a run that is not its latest success.
	dq := func(run, account string) schema.Row {
		row := make(schema.Row, len(schema.DataQuality.Columns))
		for k, v := range map[string]any{"run_id": run, "login_id": healthy[0], "account_id": account,
			"check_name": "value_reconciles", "passed": false} {
			row[schema.DataQuality.Index(k)] = v
		}
		return row
	}
	craftWarehouse(t, db, schema.Batch{RunID: "night-1", LoginID: healthy[0], Rows: map[string][]schema.Row{
		schema.DataQuality.Name: {dq("night-1", "crafted-1"), dq("night-1", "crafted-2"), dq("night-0", "crafted-3")}}})
	w := openWarehouseRO(t, db)
	wantQuality := map[string]int{}
	for _, id := range all {
		wantQuality[id] = queryInt(t, w, `SELECT count(*) FROM data_quality WHERE run_id = 'night-1' AND login_id = ? AND NOT passed
			AND login_id IN (SELECT login_id FROM sync_logins WHERE run_id = 'night-1' AND status = 'succeeded')`, id)
	}
	w.Close()
	if wantQuality[healthy[0]] < 2 {
		t.Fatalf("crafted quality failures not in the warehouse: %v", wantQuality)
	}

	doc, _ := statusOf(t, dir, "--db", db)
	if got := loginIDs(doc); !slices.Equal(got, sorted(all...)) {
		t.Fatalf("status: logins %v, want %v", got, sorted(all...))
	}
	if doc.StaleAfter.String() != "129600" {
		t.Errorf("stale_after_seconds %s, want 129600 (36h)", doc.StaleAfter)
	}
	for _, l := range doc.Logins {
		if l.LoginHash != extract.HashLogin(l.LoginID) {
			t.Errorf("%s: login_hash %q, want %q", l.LoginID, l.LoginHash, extract.HashLogin(l.LoginID))
		}
		if got := l.QualityFailures.String(); got != fmt.Sprint(wantQuality[l.LoginID]) {
			t.Errorf("%s: quality_failures %s, want %d", l.LoginHash, got, wantQuality[l.LoginID])
		}
		switch l.LoginID {
		case disabled:
			if l.LastStatus != "needs_user_action" || l.FlinksCode == nil || *l.FlinksCode != "DISABLED_LOGIN" || l.Error == nil || *l.Error == "" {
				t.Errorf("disabled login: %+v", l)
			}
		case unavailable:
			if l.LastStatus != "failed" || l.Error == nil || !strings.Contains(*l.Error, "503") || l.Failures.String() != "1" {
				t.Errorf("unavailable login: %+v", l)
			}
		case stale:
			var age float64
			if err := json.Unmarshal(l.Age, &age); err != nil || age < 2*86400 || !l.Stale || l.Error != nil {
				t.Errorf("stale login: age_seconds %s, stale %v, error %v", l.Age, l.Stale, l.Error)
			}
		default:
			var age float64
			if err := json.Unmarshal(l.Age, &age); err != nil || age >= 36*3600 || l.Stale || l.LastStatus != "succeeded" ||
				l.FlinksCode != nil || l.Error != nil || len(l.Products) != 1 || l.Products[0] != (struct {
				Product string `json:"product"`
				Status  string `json:"status"`
			}{"investments", "succeeded"}) {
				t.Errorf("healthy login: %+v (age %s)", l, l.Age)
			}
		}
		if (l.LoginID == disabled || l.LoginID == unavailable) && (string(l.Age) != "null" || !l.Stale || l.LastSuccess != nil) {
			t.Errorf("%s never succeeded: age_seconds %s, stale %v, last_success %v; want null, stale, null", l.LoginHash, l.Age, l.Stale, l.LastSuccess)
		}
	}
	if len(doc.Runs) != 1 || doc.Runs[0].RunID != "night-1" || doc.Runs[0].Status != "partial" || doc.Runs[0].FinishedAt == nil ||
		doc.Runs[0].Duration == nil || doc.Runs[0].Succeeded == nil || doc.Runs[0].Succeeded.String() != "3" {
		t.Errorf("status runs: %+v", doc.Runs)
	}

	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--failed"}, []string{disabled, unavailable}},
		{[]string{"--stale"}, []string{stale, disabled, unavailable}},
		{[]string{"--stale", "--failed"}, []string{disabled, unavailable}},
		{[]string{"--login", healthy[1], "--login", stale}, []string{healthy[1], stale}},
		{[]string{"--login-hash", extract.HashLogin(healthy[0])[:7]}, []string{healthy[0]}},
		{[]string{"--login-hash", strings.ToUpper(extract.HashLogin(disabled))}, []string{disabled}},
		{[]string{"--login-hash", extract.HashLogin(disabled), "--login", healthy[0]}, []string{healthy[0], disabled}},
		{[]string{"--failed", "--login", healthy[0]}, nil},
		{[]string{"--stale-after", "100h"}, all},
	} {
		doc, _ := statusOf(t, dir, append([]string{"--db", db}, c.args...)...)
		if got := loginIDs(doc); !slices.Equal(got, sorted(c.want...)) {
			t.Errorf("status %v: logins %v, want %v", c.args, got, sorted(c.want...))
		}
	}
	relaxed, _ := statusOf(t, dir, "--db", db, "--stale-after", "100h", "--login", stale)
	if relaxed.StaleAfter.String() != "360000" || len(relaxed.Logins) != 1 || relaxed.Logins[0].Stale {
		t.Errorf("--stale-after 100h: %+v", relaxed)
	}
	old, r := statusOf(t, dir, "--db", db, "--stale=100h", "--login", stale)
	if old.StaleAfter.String() != "360000" || len(old.Logins) != 1 || old.Logins[0].Stale ||
		!regexp.MustCompile(`(?m)^time=\S+ level=WARN msg=.*--stale-after`).MatchString(r.stderr) {
		t.Errorf("--stale=100h: want the threshold of --stale-after 100h and a deprecation warning: %+v\n%s", old, r)
	}

	text := syncer(t, dir, nil, "status", "--db", db, "--failed")
	for _, want := range []string{"login_hash", "error", "quality_failures", extract.HashLogin(disabled), "DISABLED_LOGIN", "night-1", "partial"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("status --failed does not show %q:\n%s", want, text)
		}
	}
	if strings.Contains(text.stdout, healthy[0]) {
		t.Errorf("status --failed shows a healthy login:\n%s", text)
	}

	c := syncer(t, dir, nil, "status", "--db", db, "--format", "csv", "--login", disabled)
	records, err := csv.NewReader(strings.NewReader(c.stdout)).ReadAll()
	if c.code != exitOK || err != nil || len(records) != 2 {
		t.Fatalf("status --format csv --login: %d records (%v)\n%s", len(records), err, c)
	}
	col := map[string]string{}
	for i, h := range records[0] {
		col[h] = records[1][i]
	}
	if col["login_id"] != disabled || col["login_hash"] != extract.HashLogin(disabled) || col["error"] == "" ||
		col["quality_failures"] != "0" || col["last_status"] != "needs_user_action" {
		t.Errorf("status --format csv: %v", col)
	}

	// The way back from a log line's hash to the login, in SQL.
	q := fmt.Sprintf("SELECT login_id FROM logins WHERE starts_with(sha256(login_id), '%s')", extract.HashLogin(stale))
	back := syncer(t, dir, nil, "sql", "--db", db, "--format", "csv", q)
	if back.code != exitOK || back.stdout != "login_id\n"+stale+"\n" {
		t.Errorf("the documented SQL from a hash to its login: %s", back)
	}

	for _, bad := range [][]string{
		{"--login-hash", "xyz"},
		{"--login-hash", ""},
		{"--stale", "72h"},
		{"--stale-after", "-1h"},
	} {
		r := syncer(t, dir, nil, append([]string{"status", "--db", db}, bad...)...)
		if r.code != exitUsage {
			t.Errorf("status %q: want exit 2\n%s", bad, r)
		}
		if bad[0] == "--stale" && !strings.Contains(r.stderr, "--stale-after") {
			t.Errorf("status --stale 72h does not point to --stale-after:\n%s", r)
		}
	}
}

// TestStatusShowsARunningRun: a run whose sync_runs row says running (no
// finished_at) shows as running with the time elapsed so far, in the table
// and in JSON.
func TestStatusShowsARunningRun(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	started := time.Now().Add(-90 * time.Minute)
	batches := append([]schema.Batch{
		loadtest.RunClosed(loadtest.RunID(1, loadtest.Day1), loadtest.Day1, loadtest.Day1.Add(time.Minute), "succeeded", 2, 0),
		loadtest.RunOpened("live-run", started),
	}, loadtest.Batches(1, 2, loadtest.Day1)...)
	craftWarehouse(t, db, batches...)

	doc, _ := statusOf(t, dir, "--db", db)
	if len(doc.Runs) != 2 {
		t.Fatalf("runs: %+v", doc.Runs)
	}
	live := doc.Runs[0]
	var elapsed float64
	if live.Duration != nil {
		elapsed, _ = live.Duration.Float64()
	}
	if live.RunID != "live-run" || live.Status != "running" || live.FinishedAt != nil || elapsed < 90*60 {
		t.Errorf("the running run: %+v (duration %v), want running, no finished_at, at least 5400 s so far", live, elapsed)
	}
	if done := doc.Runs[1]; done.Duration == nil || done.Duration.String() != "60" {
		t.Errorf("the finished run: %+v, want duration_seconds 60", done)
	}

	text := syncer(t, dir, nil, "status", "--db", db)
	var line string
	for l := range strings.Lines(text.stdout) {
		if strings.HasPrefix(l, "live-run") {
			line = l
		}
	}
	if !strings.Contains(line, "running") || !regexp.MustCompile(`1h3\dm\S* so far`).MatchString(line) {
		t.Errorf("status: the running run's line %q, want running and its elapsed time so far\n%s", line, text)
	}
}
