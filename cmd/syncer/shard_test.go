package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/internal/shard"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// runWithEnv runs the syncer's run() in this process with args and the
// environment variables of vars (no others), off a terminal.
func runWithEnv(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := &environment{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), env, args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// inShard returns the LoginIds of ids in shard i of n.
func inShard(ids []string, i, n int) []string {
	return shard.Spec{Index: i, Count: n}.Filter(ids)
}

// TestShardFlagErrorsFailBeforeAnyRequest: every mistake in --shard,
// --shards or JOB_COMPLETION_INDEX, on every command that takes them, is a
// usage error (exit 2) that says what to fix, before any request and
// before a warehouse is created.
func TestShardFlagErrorsFailBeforeAnyRequest(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 1})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	good := flinkstest.DemoLogins(1, 1)[0]
	file := writeLogins(t, dir, []string{good})
	base := []string{"--base-url", srv.URL, "--db", db}
	sync := append([]string{"sync", "--login", good}, base...)
	index := func(v string) map[string]string { return map[string]string{shard.IndexEnv: v} }

	cases := []struct {
		name string
		args []string
		env  map[string]string
		msg  string
	}{
		{"malformed", append(sync, "--shard", "3"), nil, "want I/N"},
		{"not numbers", append(sync, "--shard", "a/b"), nil, "want I/N"},
		{"negative", append(sync, "--shard", "-1/4"), nil, "want I/N"},
		{"N zero", append(sync, "--shard", "0/0"), nil, "at least 1"},
		{"I = N", append(sync, "--shard", "4/4"), nil, "I must be less than N"},
		{"--shards 0", append(sync, "--shards", "0"), index("0"), "at least 1"},
		{"--shards without the index", append(sync, "--shards", "4"), nil, "JOB_COMPLETION_INDEX is not set"},
		{"index not an integer", append(sync, "--shards", "4"), index("two"), "not an integer from 0 to 3"},
		{"index negative", append(sync, "--shards", "4"), index("-1"), "not an integer from 0 to 3"},
		{"index out of range", append(sync, "--shards", "4"), index("4"), "out of range"},
		{"--shard and --shards disagree", append(sync, "--shard", "1/4", "--shards", "8"), index("1"), "disagree"},
		{"--run-id of another shard", append(sync, "--shard", "1/4", "--run-id", "nightly-s2of4"), nil, "names shard 2/4"},
		{"backfill", append([]string{"backfill", "--logins", file, "--shard", "1/x"}, base...), nil, "want I/N"},
		{"retry", append([]string{"retry", "--shard", "5/4"}, base...), nil, "I must be less than N"},
		{"schedule", append([]string{"schedule", "--cron", "@daily", "--shards", "3"}, base...), index("3"), "out of range"},
		{"status", []string{"status", "--db", db, "--shard", "2/1"}, nil, "I must be less than N"},
		{"status --shards", []string{"status", "--db", db, "--shards", "2"}, nil, "JOB_COMPLETION_INDEX is not set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runWithEnv(t, c.env, c.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, c.msg) {
				t.Errorf("want exit 2 and %q on stderr\n%s", c.msg, r)
			}
			if n := srv.Count("", ""); n != 0 {
				t.Fatalf("%d requests reached Flinks", n)
			}
			if _, err := os.Stat(db); err == nil {
				t.Fatalf("%s was created", db)
			}
		})
	}
}

// shardedArgs are the flags of a quick sync of file against srv into db,
// with both products and JSON logs.
func shardedArgs(srv *flinkstest.Server, db, file string) []string {
	return append([]string{"--db", db}, quickSyncArgs(srv.URL, file)...)
}

// quickSyncArgs are the flags of a quick sync of file against the sandbox
// at url, with both products and JSON logs, into no warehouse yet.
func quickSyncArgs(url, file string) []string {
	return []string{"--base-url", url, "--logins", file, "--products", "investments,banking",
		"--poll-interval", "5ms", "--commit-latency", "1s", "--rate", "3000", "--log-format", "json"}
}

// logLine returns the first JSON log line of stderr whose msg is msg.
func logLine(t testing.TB, stderr, msg string) map[string]any {
	t.Helper()
	for _, l := range strings.Split(stderr, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg {
			return m
		}
	}
	t.Fatalf("no log line %q in:\n%s", msg, tail(stderr, 3000))
	return nil
}

// decimalSums are the exact sums, as text, of every DECIMAL column of every
// data table of db. A table keyed by run (rejected_records, data_quality)
// is summed over its distinct facts, as dataChecksum reads it: the rows of
// its columns other than runColumns, each once however many runs saw it.
func decimalSums(t testing.TB, db *sql.DB) map[string]string {
	t.Helper()
	sums := map[string]string{}
	for _, table := range dataTables {
		from := duckdb.QuoteIdent(table.Name)
		if slices.Contains(table.Key, "run_id") {
			var cols []string
			for _, c := range table.Columns {
				if !slices.Contains(runColumns, c.Name) {
					cols = append(cols, duckdb.QuoteIdent(c.Name))
				}
			}
			from = fmt.Sprintf("(SELECT DISTINCT %s FROM %s)", strings.Join(cols, ", "), from)
		}
		for _, c := range table.Columns {
			if c.Type.Kind != schema.KindDecimal {
				continue
			}
			var s sql.NullString
			q := fmt.Sprintf("SELECT CAST(sum(%s) AS VARCHAR) FROM %s", duckdb.QuoteIdent(c.Name), from)
			if err := db.QueryRow(q).Scan(&s); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			sums[table.Name+"."+c.Name] = s.String
		}
	}
	return sums
}

// TestShardedSyncsEqualOneSync syncs a list as one run into one warehouse,
// and as 2 shards into others: one shard after the other (the second
// taking its index from JOB_COMPLETION_INDEX), and both at once, as two
// processes, into one file. Each sharded warehouse must hold exactly what
// the single run wrote (rows and exact sums of every data table), each
// login synced once, by the run of its shard, whose id names the shard.
func TestShardedSyncsEqualOneSync(t *testing.T) {
	if testing.Short() {
		t.Skip("five syncs of 40 logins")
	}
	srv := flinkstest.New(flinkstest.Config{Seed: 7, AsOf: proofAsOf})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ids := flinkstest.DemoLogins(7, 40)
	file := writeLogins(t, dir, ids)
	shard0, shard1 := inShard(ids, 0, 2), inShard(ids, 1, 2)
	// One holder key for every warehouse, so holder_keys compare.
	keyFile := filepath.Join(dir, "holder.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("5a", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"SYNCER_HOLDER_KEY_FILE=" + keyFile}
	if len(shard0) == 0 || len(shard1) == 0 {
		t.Fatalf("the shards of the list hold %d and %d logins: the test needs both", len(shard0), len(shard1))
	}

	one := filepath.Join(dir, "one.duckdb")
	if r := syncer(t, dir, env, append([]string{"sync"}, shardedArgs(srv, one, file)...)...); r.code != exitOK {
		t.Fatalf("unsharded sync:\n%s", r)
	}

	// One shard after the other: 0/2 by --shard, 1/2 by --shards and the
	// Indexed Job's variable.
	two := filepath.Join(dir, "two.duckdb")
	r := syncer(t, dir, env, append([]string{"sync", "--shard", "0/2", "--format", "json"}, shardedArgs(srv, two, file)...)...)
	if r.code != exitOK {
		t.Fatalf("shard 0/2:\n%s", r)
	}
	obj := oneJSONObject(t, r)
	logins, _ := obj["logins"].(map[string]any)
	if obj["shard"] != "0/2" || !strings.HasSuffix(fmt.Sprint(obj["run_id"]), "-s0of2") || integer(t, "logins.total", logins["total"]) != int64(len(shard0)) {
		t.Errorf("shard 0/2's summary: shard %v, run_id %v, logins %v; want 0/2, -s0of2, %d", obj["shard"], obj["run_id"], logins, len(shard0))
	}
	line := logLine(t, r.stderr, "shard selected its logins")
	if line["shard"] != "0/2" || integer(t, "selected", json.Number(fmt.Sprint(line["selected"]))) != int64(len(shard0)) ||
		integer(t, "of", json.Number(fmt.Sprint(line["of"]))) != int64(len(ids)) {
		t.Errorf("shard 0/2's log line %v: want %d selected of %d", line, len(shard0), len(ids))
	}
	r = syncer(t, dir, append(env, shard.IndexEnv+"=1"), append([]string{"sync", "--shards", "2"}, shardedArgs(srv, two, file)...)...)
	if r.code != exitOK || !strings.Contains(r.stdout, "(shard 1/2)") {
		t.Fatalf("shard 1/2 by JOB_COMPLETION_INDEX: want exit 0 and a summary naming the shard\n%s", r)
	}

	// Both shards at once into one file: the second waits for the writer.
	both := filepath.Join(dir, "both.duckdb")
	var procs []*process
	for _, s := range []string{"0/2", "1/2"} {
		procs = append(procs, startSyncer(t, dir, env, append([]string{"sync", "--shard", s, "--lock-wait", "5m"}, shardedArgs(srv, both, file)...)...))
	}
	for i, p := range procs {
		if r := p.wait(); r.code != exitOK {
			t.Fatalf("concurrent shard %d/2:\n%s", i, r)
		}
	}

	w := openWarehouseRO(t, one)
	want, wantSums := dataChecksums(t, w), decimalSums(t, w)
	if n := queryInt(t, w, "SELECT count(*) FROM positions"); n == 0 {
		t.Fatalf("the unsharded run wrote no positions")
	}
	for _, path := range []string{two, both} {
		w := openWarehouseRO(t, path)
		compareSums(t, filepath.Base(path), want, dataChecksums(t, w))
		got := decimalSums(t, w)
		for col, sum := range wantSums {
			if got[col] != sum {
				t.Errorf("%s: sum(%s) = %s, want %s", filepath.Base(path), col, got[col], sum)
			}
		}
		checkShardLedger(t, w, ids, 2)
	}
}

// checkShardLedger checks that each of ids was synced once, succeeded, by
// a run whose id names the shard that holds it, and that there were as
// many runs as shards, one per shard.
func checkShardLedger(t *testing.T, w *sql.DB, ids []string, shards int) {
	t.Helper()
	rows, err := w.Query("SELECT run_id, login_id, status FROM sync_logins")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]int{}
	runs := map[string]bool{}
	for rows.Next() {
		var run, login, status string
		if err := rows.Scan(&run, &login, &status); err != nil {
			t.Fatal(err)
		}
		seen[login]++
		runs[run] = true
		s, ok := shard.OfRunID(run)
		if !ok || s.Count != shards || !s.Has(login) || status != "succeeded" {
			t.Errorf("run %s synced login %s (%s), which is not in its shard", run, extract.HashLogin(login), status)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(runs) != shards {
		t.Errorf("%d runs synced logins, want %d", len(runs), shards)
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("login %s synced %d times, want once", extract.HashLogin(id), seen[id])
		}
	}
	if len(seen) != len(ids) {
		t.Errorf("%d logins synced, want %d", len(seen), len(ids))
	}
}

// TestEmptyShardIsASuccessfulEmptyRun: a shard that selects none of a
// non-empty list runs, records an empty run named after it and exits 0;
// an empty list stays "nothing to sync" (exit 2), sharded or not. The run
// id names the shard: a generated one, or --run-id with the suffix added
// unless it has it.
func TestEmptyShardIsASuccessfulEmptyRun(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 8})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	id := flinkstest.DemoLogins(8, 1)[0]
	holder := shard.Bucket(id, 2)
	empty := fmt.Sprintf("%d/2", 1-holder)
	args := []string{"--db", db, "--base-url", srv.URL, "--poll-interval", "1ms", "--commit-latency", "1s", "--log-format", "json"}

	r := runWithEnv(t, nil, append([]string{"sync", "--login", id, "--shard", empty, "--format", "json"}, args...)...)
	obj := oneJSONObject(t, r)
	logins, _ := obj["logins"].(map[string]any)
	if r.code != exitOK || obj["status"] != "succeeded" || obj["shard"] != empty || integer(t, "total", logins["total"]) != 0 {
		t.Fatalf("empty shard: want exit 0, an empty succeeded run of shard %s\n%s", empty, r)
	}
	line := logLine(t, r.stderr, "shard selected its logins")
	if fmt.Sprint(line["selected"], " ", line["of"]) != "0 1" {
		t.Errorf("empty shard's log line %v: want 0 selected of 1", line)
	}
	if n := srv.Count("", ""); n != 0 {
		t.Errorf("an empty shard made %d requests", n)
	}

	// Generated and explicit run ids name the shard.
	runID := func(r result) string {
		t.Helper()
		if r.code != exitOK {
			t.Fatalf("sync:\n%s", r)
		}
		return fmt.Sprint(oneJSONObject(t, r)["run_id"])
	}
	mine := fmt.Sprintf("%d/2", holder)
	suffix := fmt.Sprintf("-s%dof2", holder)
	sync := append([]string{"sync", "--login", id, "--shard", mine, "--format", "json"}, args...)
	if got := runID(runWithEnv(t, nil, sync...)); !strings.HasSuffix(got, suffix) || len(got) != len("20060102T150405Z-0a1b2c3d")+len(suffix) {
		t.Errorf("generated run id %q: want a generated id ending %s", got, suffix)
	}
	if got := runID(runWithEnv(t, nil, append(sync, "--run-id", "nightly")...)); got != "nightly"+suffix {
		t.Errorf("--run-id nightly: run id %q, want nightly%s", got, suffix)
	}
	if got := runID(runWithEnv(t, nil, append(sync, "--run-id", "again"+suffix)...)); got != "again"+suffix {
		t.Errorf("--run-id again%s: run id %q, want it as given", suffix, got)
	}

	// An empty list is still nothing to sync.
	for _, extra := range [][]string{{"--shard", empty}, nil} {
		r := runWithEnv(t, nil, append([]string{"sync", "--db", filepath.Join(dir, "fresh.duckdb"), "--base-url", srv.URL}, extra...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "nothing to sync") {
			t.Errorf("sync %v with no LoginId and none known: want exit 2, nothing to sync\n%s", extra, r)
		}
	}
}

// shardStatus is what the shard tests read of `status --format json`.
type shardStatus struct {
	Shard  *string `json:"shard"`
	Total  int     `json:"logins_total"`
	Logins []struct {
		LoginID string `json:"login_id"`
	} `json:"logins"`
	Runs []struct {
		RunID string `json:"run_id"`
	} `json:"runs"`
}

func statusJSONOf(t *testing.T, dir string, env []string, args ...string) shardStatus {
	t.Helper()
	r := syncer(t, dir, env, append([]string{"status", "--format", "json"}, args...)...)
	if r.code != exitOK {
		t.Fatalf("status %v:\n%s", args, r)
	}
	var s shardStatus
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("status %v: %v\n%s", args, err, r)
	}
	return s
}

func (s shardStatus) ids() []string {
	var out []string
	for _, l := range s.Logins {
		out = append(out, l.LoginID)
	}
	slices.Sort(out)
	return out
}

// TestBackfillAndStatusPerShard: backfill registers and syncs only its
// shard's LoginIds; status with a shard shows that shard's logins (and
// every run), without one every login.
func TestBackfillAndStatusPerShard(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 9})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	ids := append(flinkstest.DemoLogins(9, 10), flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 1), flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 2))
	file := writeLogins(t, dir, ids)
	shard0, shard1 := sorted(inShard(ids, 0, 2)...), sorted(inShard(ids, 1, 2)...)
	args := []string{"--db", db, "--base-url", srv.URL, "--logins", file, "--poll-interval", "1ms", "--commit-latency", "1s"}

	if r := syncer(t, dir, nil, append([]string{"backfill", "--shard", "1/2"}, args...)...); r.code != exitOK && r.code != exitPartial {
		t.Fatalf("backfill --shard 1/2:\n%s", r)
	}
	var registered []string
	for _, row := range sqlRows(t, db, "SELECT login_id FROM logins ORDER BY login_id") {
		registered = append(registered, row[0])
	}
	if !slices.Equal(registered, shard1) {
		t.Fatalf("backfill --shard 1/2 registered %d logins, want its shard's %d", len(registered), len(shard1))
	}

	if r := syncer(t, dir, nil, append([]string{"sync", "--shard", "0/2"}, args...)...); r.code != exitOK && r.code != exitPartial {
		t.Fatalf("sync --shard 0/2:\n%s", r)
	}
	all := statusJSONOf(t, dir, nil, "--db", db)
	if all.Shard != nil || !slices.Equal(all.ids(), sorted(ids...)) || all.Total != len(ids) || len(all.Runs) != 2 {
		t.Errorf("status: shard %v, %d logins (total %d), %d runs; want no shard, all %d logins, 2 runs", all.Shard, len(all.Logins), all.Total, len(all.Runs), len(ids))
	}
	s0 := statusJSONOf(t, dir, nil, "--db", db, "--shard", "0/2")
	if s0.Shard == nil || *s0.Shard != "0/2" || !slices.Equal(s0.ids(), shard0) || s0.Total != len(shard0) || len(s0.Runs) != 2 {
		t.Errorf("status --shard 0/2: shard %v, %d logins (total %d), %d runs; want 0/2, its %d logins, both runs", s0.Shard, len(s0.Logins), s0.Total, len(s0.Runs), len(shard0))
	}
	s1 := statusJSONOf(t, dir, []string{shard.IndexEnv + "=1"}, "--db", db, "--shards", "2")
	if !slices.Equal(s1.ids(), shard1) {
		t.Errorf("status --shards 2 with index 1: %d logins, want shard 1's %d", len(s1.Logins), len(shard1))
	}
	failed := statusJSONOf(t, dir, nil, "--db", db, "--shard", "1/2", "--failed")
	var wantFailed []string
	for _, id := range shard1 {
		if strings.HasPrefix(id, "fa11") {
			wantFailed = append(wantFailed, id)
		}
	}
	if !slices.Equal(failed.ids(), wantFailed) {
		t.Errorf("status --shard 1/2 --failed: %v, want %v", failed.ids(), wantFailed)
	}
	r := syncer(t, dir, nil, "status", "--db", db, "--shard", "0/2")
	if want := fmt.Sprintf("shard 0/2: %d of %d logins", len(shard0), len(ids)); r.code != exitOK || !strings.Contains(r.stdout, want) {
		t.Errorf("status --shard 0/2: want %q\n%s", want, r)
	}
}

// TestRetryPerShard: retry with a shard re-syncs only that shard's retry
// candidates, and a shard with none has nothing to retry (exit 0).
func TestRetryPerShard(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 10})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	var failing []string
	for n := 1; len(inShard(failing, 0, 2)) < 3 || len(inShard(failing, 1, 2)) < 3; n++ {
		failing = append(failing, flinkstest.FaultLogin(flinkstest.FaultRetryLater, n))
	}
	ids := append(flinkstest.DemoLogins(10, 6), failing...)
	args := []string{"--db", db, "--base-url", srv.URL, "--poll-interval", "1ms", "--commit-latency", "1s",
		"--max-attempts", "1", "--log-format", "json"}
	if r := syncer(t, dir, nil, append([]string{"sync", "--logins", writeLogins(t, dir, ids)}, args...)...); r.code != exitPartial {
		t.Fatalf("first sync: want exit 3\n%s", r)
	}
	for i := range 2 {
		before := map[string]int{}
		for _, id := range failing {
			before[id] = srv.Count("", id)
		}
		// Shard 0 by --shard, shard 1 by --shards and the Indexed Job's variable.
		s := fmt.Sprintf("%d/2", i)
		flags, env := []string{"--shard", s}, []string(nil)
		if i == 1 {
			flags, env = []string{"--shards", "2"}, []string{shard.IndexEnv + "=1"}
		}
		r := syncer(t, dir, env, append(append([]string{"retry", "--format", "json"}, flags...), args...)...)
		if r.code != exitPartial {
			t.Fatalf("retry %v: want exit 3 (its logins fail again)\n%s", flags, r)
		}
		obj := oneJSONObject(t, r)
		runID := fmt.Sprint(obj["run_id"])
		// The next retry the summary suggests is of the same shard, named
		// outright (whoever reads it has no JOB_COMPLETION_INDEX).
		if next := fmt.Sprint(obj["next"]); !strings.Contains(next, "syncer retry --db "+db) || !strings.Contains(next, "--shard "+s) {
			t.Errorf("retry %v: next steps %s do not retry shard %s", flags, next, s)
		}
		var retried []string
		for _, row := range sqlRows(t, db, fmt.Sprintf("SELECT login_id FROM sync_logins WHERE run_id = '%s' ORDER BY login_id", runID)) {
			retried = append(retried, row[0])
		}
		if want := sorted(inShard(failing, i, 2)...); !slices.Equal(retried, want) {
			t.Errorf("retry %v retried %d logins, want its shard's %d", flags, len(retried), len(want))
		}
		for _, id := range failing {
			asked := srv.Count("", id) > before[id]
			if asked != (shard.Bucket(id, 2) == i) {
				t.Errorf("retry %v: login %s asked of Flinks: %v", flags, extract.HashLogin(id), asked)
			}
		}
	}
	// A shard of 8 that holds none of the failing logins.
	none := -1
	for i := range 8 {
		if len(inShard(failing, i, 8)) == 0 {
			none = i
			break
		}
	}
	requests := srv.Count("", "")
	r := syncer(t, dir, nil, append([]string{"retry", "--shard", fmt.Sprintf("%d/8", none)}, args...)...)
	if r.code != exitOK || !strings.Contains(r.stdout, fmt.Sprintf("nothing to retry in shard %d/8", none)) {
		t.Errorf("retry of a shard without candidates: want exit 0, nothing to retry in shard %d/8\n%s", none, r)
	}
	if n := srv.Count("", "") - requests; n != 0 {
		t.Errorf("it made %d requests", n)
	}
}

// TestScheduleSyncsItsShard: each run of a sharded schedule syncs its
// shard's logins, names the shard in its id, and counts only its shard's
// stale logins in syncer_stale_logins.
func TestScheduleSyncsItsShard(t *testing.T) {
	ids := flinkstest.DemoLogins(11, 6)
	for n := 1; n <= 6; n++ {
		ids = append(ids, flinkstest.StaleLogin(5, n))
	}
	mine := inShard(ids, 1, 2)
	stale := 0
	for _, id := range mine {
		if strings.HasPrefix(id, "a9ed") {
			stale++
		}
	}
	s := startSchedule(t, scheduleHooks{}, append(sandboxArgs(t, flinkstest.Config{Seed: 11}, ids), "--shard", "1/2")...)
	rec := s.tick()
	total := 0
	for _, n := range rec.ByStatus {
		total += n
	}
	if !strings.HasSuffix(rec.RunID, "-s1of2") || total != len(mine) {
		t.Errorf("run %s synced %d logins, want a run of shard 1/2 (-s1of2) over its %d", rec.RunID, total, len(mine))
	}
	_, body := s.get("/metrics")
	if got, ok := metricValue(body, "syncer_stale_logins"); !ok || int(got) != stale {
		t.Errorf("syncer_stale_logins = %v, want shard 1/2's %d stale logins", got, stale)
	}
}
