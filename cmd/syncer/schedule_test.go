package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/pipeline"
)

// TestScheduleRunsSkipsAndStops runs `schedule` every second over the
// sandbox, with one slow login so each run outlasts a tick. It waits (by
// reading the JSON log, not by sleeping) for runs to finish and a tick to be
// skipped, reads the metrics, sends SIGTERM, and checks that the process
// exits 0 and leaves the warehouse closed: another process opens it at once.
func TestScheduleRunsSkipsAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the scheduler for a few seconds")
	}
	srv := flinkstest.New(flinkstest.Config{Seed: 4, Delay: 1500 * time.Millisecond})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	logins := append(flinkstest.DemoLogins(4, 5), flinkstest.FaultLogin(flinkstest.FaultSlow, 1))
	cmd := exec.Command(os.Args[0], "schedule", "--cron", "* * * * * *", "--db", db, "--base-url", srv.URL,
		"--logins", writeLogins(t, dir, logins), "--poll-interval", "1ms", "--log-format", "json", "--metrics-addr", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SYNCER_TEST_MAIN=1")
	stderr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout // logs and summaries, in order
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := make(chan map[string]any)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
	}()
	deadline := time.After(2 * time.Minute)
	finished, skipped, metricsAddr := 0, 0, ""
	for finished < 2 || skipped < 1 {
		select {
		case m, ok := <-lines:
			if !ok {
				t.Fatal("schedule exited early")
			}
			switch m["msg"] {
			case "run finished":
				finished++
			case "tick skipped: the previous run is still running":
				skipped++
			case "serving metrics":
				metricsAddr, _ = m["addr"].(string)
			}
		case <-deadline:
			t.Fatalf("after 2 minutes: %d runs finished, %d ticks skipped", finished, skipped)
		}
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`syncer_runs_total{status="succeeded"}`, "syncer_ticks_skipped_total", "syncer_last_success_timestamp_seconds"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s:\n%s", want, body)
		}
	}
	if strings.Contains(string(body), "syncer_ticks_skipped_total 0") {
		t.Error("metrics count no skipped tick")
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range lines { // drain until the process closes its output
		}
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("schedule did not exit cleanly on SIGTERM: %v", err)
	}
	w, err := duckdb.Open(context.Background(), duckdb.Options{Path: db, LockWait: time.Millisecond})
	if err != nil {
		t.Fatalf("the warehouse is still held after schedule stopped: %v", err)
	}
	defer w.Close()
	cat, err := w.DB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var runs int
	if err := cat.QueryRow(`SELECT count(*) FROM sync_runs WHERE command = 'schedule' AND finished_at IS NOT NULL`).Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if runs < 2 {
		t.Errorf("%d closed runs in sync_runs, want at least 2", runs)
	}
}

// scheduleUnderTest is `syncer schedule` run in this process, its ticks and
// hooks in the test's hands: no cron tick comes (the spec is yearly unless
// the test says otherwise), each tick() starts a run, and runs delivers each
// run's record once the metrics and the status page have it.
type scheduleUnderTest struct {
	t      *testing.T
	url    string // http://ADDR of the metrics and status page
	ticks  chan struct{}
	runs   chan runRecord
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// syncBuffer is a bytes.Buffer safe for the scheduler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// lines returns the JSON log lines whose msg is msg.
func (b *syncBuffer) lines(msg string) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(b.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// startSchedule runs `schedule` with args (after --log-format json,
// --metrics-addr 127.0.0.1:0 and --cron '0 0 1 1 *', which args may
// override) and h's hooks, and waits for its server to listen.
func startSchedule(t *testing.T, h scheduleHooks, args ...string) *scheduleUnderTest {
	t.Helper()
	s := &scheduleUnderTest{t: t, ticks: make(chan struct{}), runs: make(chan runRecord, 16), logs: &syncBuffer{}, done: make(chan error, 1)}
	serving := make(chan string, 1)
	h.tick = s.ticks
	h.serving = func(addr string) { serving <- addr }
	h.runDone = func(r runRecord) { s.runs <- r }
	var ctx context.Context
	ctx, s.cancel = context.WithCancel(context.Background())
	env := &environment{stdin: strings.NewReader(""), stdout: io.Discard, stderr: s.logs,
		getenv: func(string) string { return "" }, schedule: &h}
	args = append([]string{"--log-format", "json", "--metrics-addr", "127.0.0.1:0", "--cron", "0 0 1 1 *"}, args...)
	go func() { s.done <- runSchedule(ctx, env, args) }()
	select {
	case addr := <-serving:
		s.url = "http://" + addr
	case err := <-s.done:
		t.Fatalf("schedule ended before serving: %v\n%s", err, s.logs)
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// tick starts a run and returns its record once it is done.
func (s *scheduleUnderTest) tick() runRecord {
	s.t.Helper()
	s.ticks <- struct{}{}
	return s.wait()
}

// wait returns the record of the next run to finish.
func (s *scheduleUnderTest) wait() runRecord {
	s.t.Helper()
	select {
	case r := <-s.runs:
		return r
	case err := <-s.done:
		s.t.Fatalf("schedule ended: %v\n%s", err, s.logs)
	case <-time.After(2 * time.Minute):
		s.t.Fatalf("no run finished within 2 minutes\n%s", s.logs)
	}
	return runRecord{}
}

// stop cancels the scheduler (as SIGTERM does) and returns what it returned.
func (s *scheduleUnderTest) stop() error {
	s.cancel()
	err, ok := <-s.done
	if ok {
		close(s.done)
	}
	return err
}

// get fetches path and returns the status code and body.
func (s *scheduleUnderTest) get(path string) (int, string) {
	s.t.Helper()
	resp, err := http.Get(s.url + path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// metricValue returns the value of the sample named series (name and
// labels as the text format writes them), and whether it is there.
func metricValue(body, series string) (float64, bool) {
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// sandboxArgs starts a sandbox for the test and returns the flags of a
// schedule over logins against it, with its warehouse in a fresh directory.
func sandboxArgs(t *testing.T, cfg flinkstest.Config, logins []string) []string {
	t.Helper()
	srv := flinkstest.New(cfg)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	return []string{"--db", filepath.Join(dir, "w.duckdb"), "--base-url", srv.URL,
		"--logins", writeLogins(t, dir, logins), "--poll-interval", "1ms", "--commit-latency", "10ms"}
}

// metricsLogins: three healthy logins, a disabled one (never synced, so
// stale) and one whose data Flinks last refreshed five days ago (stale).
func metricsLogins() []string {
	return append(flinkstest.DemoLogins(12, 3), flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 1), flinkstest.StaleLogin(5, 1))
}

// After one run, /metrics has every family an operator alerts on, each
// login status present (0 when none), the failures by cause, the requests
// by endpoint and outcome, the stale logins, and the last run's status.
func TestScheduleMetricsAfterARun(t *testing.T) {
	s := startSchedule(t, scheduleHooks{}, sandboxArgs(t, flinkstest.Config{Seed: 12}, metricsLogins())...)
	_, before := s.get("/metrics")
	for _, st := range pipeline.Statuses {
		if v, ok := metricValue(before, `syncer_logins_total{status="`+st+`"}`); !ok || v != 0 {
			t.Errorf("before any run, syncer_logins_total{status=%q} = %v (present %v), want 0", st, v, ok)
		}
	}
	if r := s.tick(); r.Status != pipeline.RunPartial {
		t.Fatalf("run status %q, want partial", r.Status)
	}
	code, body := s.get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	b := currentBuild()
	want := map[string]float64{
		`syncer_logins_total{status="succeeded"}`:                                        4,
		`syncer_logins_total{status="needs_user_action"}`:                                1,
		`syncer_logins_total{status="failed"}`:                                           0,
		`syncer_logins_total{status="timed_out"}`:                                        0,
		`syncer_logins_total{status="rejected"}`:                                         0,
		`syncer_login_failures_total{cause="DISABLED_LOGIN",status="needs_user_action"}`: 1,
		`syncer_requests_total{endpoint="Authorize",outcome="ok"}`:                       4,
		`syncer_requests_total{endpoint="Authorize",outcome="client_error"}`:             1,
		`syncer_requests_total{endpoint="Investments",outcome="ok"}`:                     4,
		`syncer_requests_total{endpoint="GetAccountsDetail",outcome="server_error"}`:     0,
		`syncer_throttled_answers_total`:                                                 0,
		`syncer_runs_total{status="partial"}`:                                            1,
		`syncer_runs_total{status="failed"}`:                                             0,
		`syncer_run_duration_seconds_count`:                                              1,
		`syncer_last_run_status{status="partial"}`:                                       1,
		`syncer_last_run_status{status="succeeded"}`:                                     0,
		`syncer_last_run_status{status="failed"}`:                                        0,
		`syncer_run_in_progress`:                                                         0,
		`syncer_stale_logins`:                                                            2,
		`syncer_ticks_skipped_total`:                                                     0,
		`syncer_build_info{duckdb="` + b.DuckDB + `",goversion="` + b.GoVersion + `",revision="` + b.Revision + `",version="` + b.Version + `"}`: 1,
	}
	for series, v := range want {
		if got, ok := metricValue(body, series); !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, v)
		}
	}
	if v, ok := metricValue(body, "syncer_last_success_timestamp_seconds"); !ok || v < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("syncer_last_success_timestamp_seconds = %v (present %v)", v, ok)
	}
	for _, family := range []string{"# TYPE syncer_run_duration_seconds histogram", "# TYPE process_cpu_seconds_total counter",
		"# TYPE go_goroutines gauge", `syncer_run_duration_seconds_bucket{le="3600"}`} {
		if !strings.Contains(body, family) {
			t.Errorf("/metrics lacks %q", family)
		}
	}
	for _, id := range metricsLogins() {
		if strings.Contains(body, id) {
			t.Errorf("/metrics shows a LoginId")
		}
	}
}

// promtool (Debian's prometheus package) finds nothing to say about the
// scraped metrics.
func TestScheduleMetricsPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not on PATH (Debian: apt-get install prometheus); .ci/run installs it")
	}
	s := startSchedule(t, scheduleHooks{}, sandboxArgs(t, flinkstest.Config{Seed: 12}, metricsLogins())...)
	s.tick()
	_, body := s.get("/metrics")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// While a run is held after its first committed login, /metrics already
// counts that login and the requests made so far, and says a run is going.
func TestScheduleMetricsMoveDuringARun(t *testing.T) {
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	h := scheduleHooks{finished: func(pipeline.Finished) {
		once.Do(func() {
			close(held)
			<-release
		})
	}}
	s := startSchedule(t, h, sandboxArgs(t, flinkstest.Config{Seed: 13}, flinkstest.DemoLogins(13, 4))...)
	s.ticks <- struct{}{}
	select {
	case <-held:
	case <-time.After(2 * time.Minute):
		t.Fatalf("no login finished\n%s", s.logs)
	}
	_, body := s.get("/metrics")
	close(release)
	for series, least := range map[string]float64{
		`syncer_logins_total{status="succeeded"}`:                  1,
		`syncer_requests_total{endpoint="Authorize",outcome="ok"}`: 1,
		`syncer_run_in_progress`:                                   1,
	} {
		if v, ok := metricValue(body, series); !ok || v < least {
			t.Errorf("mid-run %s = %v (present %v), want at least %v", series, v, ok, least)
		}
	}
	if v, _ := metricValue(body, `syncer_runs_total{status="succeeded"}`); v != 0 {
		t.Errorf("mid-run, %v runs counted as finished", v)
	}
	if r := s.wait(); r.Status != pipeline.RunSucceeded {
		t.Errorf("run ended %q", r.Status)
	}
}

// A run that fails (Flinks unreachable for every login) leaves /healthz at
// 200: it says the scheduler is alive, and the failure is a metric to alert on.
func TestScheduleHealthzIsLivenessAfterAFailedRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	s := startSchedule(t, scheduleHooks{}, "--db", filepath.Join(dir, "w.duckdb"), "--base-url", closed,
		"--logins", writeLogins(t, dir, flinkstest.DemoLogins(14, 2)), "--max-attempts", "1")
	if code, _ := s.get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz before any run: %d", code)
	}
	if r := s.tick(); r.Status != pipeline.RunFailed {
		t.Fatalf("run status %q, want failed", r.Status)
	}
	if code, body := s.get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after a failed run: %d %s", code, body)
	}
	_, body := s.get("/metrics")
	for series, v := range map[string]float64{
		`syncer_last_run_status{status="failed"}`:                             1,
		`syncer_last_run_status{status="succeeded"}`:                          0,
		`syncer_last_success_timestamp_seconds`:                               0,
		`syncer_runs_total{status="failed"}`:                                  1,
		`syncer_logins_total{status="failed"}`:                                2,
		`syncer_requests_total{endpoint="Authorize",outcome="network_error"}`: 2,
	} {
		if got, ok := metricValue(body, series); !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, v)
		}
	}
}

// The "next run" line says when cron will really run next: the entry's
// next tick. With @every 1h that is an hour after the scheduler started,
// not an hour after the run finished (the run is held past a second
// boundary so the two differ).
func TestScheduleLogsTheRealNextRun(t *testing.T) {
	var firstRun time.Time
	h := scheduleHooks{finished: func(pipeline.Finished) {
		// Let the wall clock pass the second the schedule started in.
		<-time.After(time.Until(firstRun.Add(-time.Hour + time.Second)))
	}}
	args := append(sandboxArgs(t, flinkstest.Config{Seed: 15}, flinkstest.DemoLogins(15, 1)), "--cron", "@every 1h")
	s := startSchedule(t, h, args...)
	started := waitLog(t, s.logs, "scheduler started")
	var err error
	if firstRun, err = time.Parse(time.RFC3339, started["first_run"].(string)); err != nil {
		t.Fatal(err)
	}
	s.tick()
	next := s.logs.lines("next run")
	if len(next) != 1 {
		t.Fatalf("%d next-run lines\n%s", len(next), s.logs)
	}
	if next[0]["at"] != started["first_run"] {
		t.Errorf("next run logged at %v; cron's next tick is %v", next[0]["at"], started["first_run"])
	}
}

// waitLog returns the first log line whose msg is msg; the scheduler logs
// "scheduler started" before it serves, so no wait is needed for it.
func waitLog(t *testing.T, logs *syncBuffer, msg string) map[string]any {
	t.Helper()
	lines := logs.lines(msg)
	if len(lines) == 0 {
		t.Fatalf("no %q line\n%s", msg, logs)
	}
	return lines[0]
}

// Stopped while idle, the scheduler says it is idle; stopped during a run,
// that it waits for the run's commits.
func TestScheduleSaysWhatItStops(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		s := startSchedule(t, scheduleHooks{}, sandboxArgs(t, flinkstest.Config{Seed: 16}, flinkstest.DemoLogins(16, 1))...)
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
		if len(s.logs.lines("scheduler idle: stopping")) != 1 || strings.Contains(s.logs.String(), "waiting for the run in progress") {
			t.Errorf("idle stop logged:\n%s", s.logs)
		}
	})
	t.Run("running", func(t *testing.T) {
		held, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		h := scheduleHooks{
			finished: func(pipeline.Finished) { once.Do(func() { close(held); <-release }) },
			stopping: func() { close(release) }, // the stop is said: let the run end
		}
		s := startSchedule(t, h, sandboxArgs(t, flinkstest.Config{Seed: 16}, flinkstest.DemoLogins(16, 2))...)
		s.ticks <- struct{}{}
		<-held
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
		if len(s.logs.lines("scheduler stopping: waiting for the run in progress to finish its commits")) != 1 ||
			strings.Contains(s.logs.String(), "scheduler idle") {
			t.Errorf("a stop during a run logged:\n%s", s.logs)
		}
	})
}

// SIGTERM to an idle `syncer schedule` process: it says the scheduler is
// idle and exits 0, and nothing speaks of commits in progress.
func TestScheduleSIGTERMWhileIdle(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "schedule", "--cron", "0 0 1 1 *", "--db", filepath.Join(dir, "w.duckdb"),
		"--login", flinkstest.DemoLogins(17, 1)[0], "--log-format", "json")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SYNCER_TEST_MAIN=1")
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var all strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		all.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), `"scheduler started"`) {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, all.String())
	}
	if !strings.Contains(all.String(), "scheduler idle: stopping") || strings.Contains(all.String(), "commits in progress") {
		t.Errorf("stderr of an idle stop:\n%s", all.String())
	}
}

// --help documents the @every form.
func TestScheduleHelpDocumentsEvery(t *testing.T) {
	var out strings.Builder
	env := &environment{stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard, getenv: func(string) string { return "" }}
	if err := runSchedule(context.Background(), env, []string{"--help"}); !errors.Is(err, errHelp) {
		t.Fatalf("--help: %v", err)
	}
	if !strings.Contains(out.String(), "@every 1h30m") {
		t.Errorf("schedule --help does not document @every:\n%s", out.String())
	}
}

// The README's example alert rules are valid Prometheus rules.
func TestREADMEAlertRulesPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not on PATH (Debian: apt-get install prometheus); .ci/run installs it")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "# prometheus alert rules"
	_, after, ok := strings.Cut(string(readme), "```yaml\n"+marker)
	rules, _, closed := strings.Cut(marker+after, "```")
	if !ok || !closed {
		t.Fatal("README has no ```yaml block starting '# prometheus alert rules'")
	}
	for _, metric := range []string{"syncer_last_run_status", "syncer_last_success_timestamp_seconds"} {
		if !strings.Contains(rules, metric) {
			t.Errorf("the alert rules do not use %s", metric)
		}
	}
	path := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(path, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}
