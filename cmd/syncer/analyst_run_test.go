package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/pipeline"
)

// gatedPoll is the poll interval of a run behind a parkGate: the gate holds
// waits this long (polls of pending logins), not the shorter ones (a slot of
// the shared rate).
const gatedPoll = time.Hour

// parkGate holds every pending login of a run, parked until its next poll,
// until the gate opens: a clock for pipeline.Options (real but for the
// timers that park logins) that makes "the run has committed what it could
// and now waits for pending logins" a state a test controls, without
// sleeping.
type parkGate struct {
	clock.Real
	mu      sync.Mutex
	open    bool
	waiting []*gateTimer
}

type gateTimer struct {
	gate    *parkGate
	f       func()
	stopped bool
	fired   bool
}

func (g *parkGate) AfterFunc(d time.Duration, f func()) clock.Timer {
	if d < gatedPoll {
		return time.AfterFunc(d, f)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t := &gateTimer{gate: g, f: f}
	if g.open {
		t.fired = true
		go f()
		return t
	}
	g.waiting = append(g.waiting, t)
	return t
}

func (t *gateTimer) Stop() bool {
	t.gate.mu.Lock()
	defer t.gate.mu.Unlock()
	if t.fired || t.stopped {
		return false
	}
	t.stopped = true
	return true
}

// release opens the gate: every parked login takes its next step.
func (g *parkGate) release() {
	g.mu.Lock()
	g.open = true
	var due []func()
	for _, t := range g.waiting {
		if !t.stopped {
			t.fired = true
			due = append(due, t.f)
		}
	}
	g.waiting = nil
	g.mu.Unlock()
	for _, f := range due {
		go f()
	}
}

// pendingRun is a sync running in this process, as syncOnce runs it (the
// warehouse opened by openWarehouse), over quick logins, which Flinks
// answers at once, and slow ones, which it answers 202 once and which stay
// parked until the gate opens.
type pendingRun struct {
	db       string
	quick    []string
	slow     []string
	gate     *parkGate
	finished chan pipeline.Finished
	done     chan struct{}
	sum      *pipeline.Summary
	err      error
}

// startPendingRun starts the run; logs (if not nil) receives its log.
func startPendingRun(t *testing.T, dir string, logs slog.Handler) *pendingRun {
	t.Helper()
	logins := flinkstest.DemoLogins(21, 8)
	r := &pendingRun{db: filepath.Join(dir, "w.duckdb"), quick: logins[:5], slow: logins[5:], gate: &parkGate{},
		finished: make(chan pipeline.Finished, len(logins)), done: make(chan struct{})}
	slow := map[string]bool{}
	for _, id := range r.slow {
		slow[id] = true
	}
	srv := flinkstest.New(flinkstest.Config{Seed: 21, AsOf: proofAsOf, Pending: flinkstest.PendingDist{Func: func(id string) int {
		if slow[id] {
			return 1
		}
		return 0
	}}})
	t.Cleanup(srv.Close)
	if logs == nil {
		logs = slog.DiscardHandler
	}
	log := slog.New(logs)
	w, err := openWarehouse(context.Background(), warehouseFlagsOf(t, "--db", r.db, "--lock-wait", "1m"), log)
	if err != nil {
		t.Fatal(err)
	}
	client, err := extract.New(extract.Config{BankingURL: srv.URL, WealthURL: srv.URL, CustomerID: flinkstest.DefaultCustomerID,
		Rate: 1000, PollInterval: gatedPoll, PollTimeout: 24 * gatedPoll, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	opts := pipeline.Options{RunID: "analyst-run", Command: "sync", Logger: log, Clock: r.gate,
		Products: extract.Products, OnFinished: func(f pipeline.Finished) { r.finished <- f }}
	go func() {
		defer close(r.done)
		r.sum, r.err = pipeline.Run(context.Background(), client, w.sink, logins, opts)
		if cerr := w.Close(); r.err == nil {
			r.err = cerr
		}
	}()
	t.Cleanup(func() { r.gate.release(); <-r.done })
	return r
}

// waitFinished waits for n logins' outcomes to be committed.
func (r *pendingRun) waitFinished(t *testing.T, n int) []pipeline.Finished {
	t.Helper()
	var got []pipeline.Finished
	for len(got) < n {
		select {
		case f := <-r.finished:
			got = append(got, f)
		case <-r.done:
			t.Fatalf("the run ended after %d of %d commits: %v", len(got), n, r.err)
		}
	}
	return got
}

// finish opens the gate and waits for the run to end, successfully.
func (r *pendingRun) finish(t *testing.T) {
	t.Helper()
	r.gate.release()
	<-r.done
	if r.err != nil {
		t.Fatalf("the run: %v", r.err)
	}
	if got, want := r.sum.ByStatus[pipeline.StatusSucceeded], len(r.quick)+len(r.slow); got != want {
		t.Errorf("%d logins succeeded, want %d: %v", got, want, r.sum.ByStatus)
	}
}

// TestAnalystQueriesDuringARun: while a sync waits for pending logins,
// having committed the others, a read-only open of the warehouse, `syncer
// sql` and `syncer status` (in this process, through run(), and as another
// process) all answer within their default lock wait, and see the logins
// committed so far and the run as running.
func TestAnalystQueriesDuringARun(t *testing.T) {
	dir := t.TempDir()
	r := startPendingRun(t, dir, nil)
	r.waitFinished(t, len(r.quick)) // the slow logins are parked behind the gate

	db, err := duckdb.OpenReadOnly(context.Background(), r.db, 0)
	if err != nil {
		t.Fatalf("a read-only open during the run: %v", err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM sync_logins WHERE run_id = 'analyst-run' AND status = 'succeeded'`); n != len(r.quick) {
		t.Errorf("the reader sees %d committed logins of the run, want %d", n, len(r.quick))
	}
	if n := queryInt(t, db, `SELECT count(DISTINCT login_id) FROM bank_accounts`); n != len(r.quick) {
		t.Errorf("the reader sees bank accounts of %d logins, want %d", n, len(r.quick))
	}
	if n := queryInt(t, db, `SELECT count(*) FROM sync_runs WHERE run_id = 'analyst-run' AND status = 'running' AND finished_at IS NULL`); n != 1 {
		t.Errorf("the reader does not see the run as running")
	}
	db.Close()

	q := "SELECT count(*) AS n FROM sync_logins WHERE run_id = 'analyst-run' AND status = 'succeeded'"
	want := fmt.Sprintf("n\n%d\n", len(r.quick))
	if res := runInProcess(t, "sql", "--db", r.db, "--format", "csv", q); res.code != exitOK || res.stdout != want {
		t.Errorf("syncer sql during the run, in process: want exit 0 and %q\n%s", want, res)
	}
	if res := syncer(t, dir, nil, "sql", "--db", r.db, "--format", "csv", q); res.code != exitOK || res.stdout != want {
		t.Errorf("syncer sql during the run, another process: want exit 0 and %q\n%s", want, res)
	}
	res := runInProcess(t, "status", "--db", r.db)
	if res.code != exitOK || !strings.Contains(res.stdout, "analyst-run") {
		t.Errorf("syncer status during the run: want exit 0 listing the run\n%s", res)
	}
	for _, line := range strings.Split(res.stdout, "\n") {
		if strings.HasPrefix(line, "analyst-run") && !strings.Contains(line, "running") {
			t.Errorf("syncer status shows the run as %q, want running", line)
		}
	}

	r.finish(t)
	db = openWarehouseRO(t, r.db)
	if n := queryInt(t, db, `SELECT count(*) FROM sync_logins WHERE run_id = 'analyst-run' AND status = 'succeeded'`); n != len(r.quick)+len(r.slow) {
		t.Errorf("%d logins committed after the run, want %d", n, len(r.quick)+len(r.slow))
	}
}

// holdReadOnlyEnv makes TestHoldWarehouseReadOnly, run as a subprocess,
// hold the named warehouse open read-only until its stdin closes: an
// analyst's long query.
const holdReadOnlyEnv = "SYNCER_TEST_HOLD_READ_ONLY"

func TestHoldWarehouseReadOnly(t *testing.T) {
	path := os.Getenv(holdReadOnlyEnv)
	if path == "" {
		t.Skip("helper process for TestAnalystReaderDelaysACommit")
	}
	db, err := duckdb.OpenReadOnly(context.Background(), path, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("holding")
	_, _ = io.Copy(io.Discard, os.Stdin)
	db.Close()
}

// signalHandler signals on seen (once) when a record whose message
// contains substr is logged.
type signalHandler struct {
	substr string
	seen   chan struct{}
	once   *sync.Once
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.substr) {
		h.once.Do(func() { close(h.seen) })
	}
	return nil
}
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

// TestAnalystReaderDelaysACommit: an analyst's process holding the
// warehouse while the run wants to commit delays the commit, however long
// (past --lock-wait too), and the run then commits every login: nothing is
// lost or failed for it.
func TestAnalystReaderDelaysACommit(t *testing.T) {
	dir := t.TempDir()
	waiting := signalHandler{substr: "a reader holds the warehouse", seen: make(chan struct{}), once: &sync.Once{}}
	r := startPendingRun(t, dir, waiting)
	r.waitFinished(t, len(r.quick))

	reader := exec.Command(os.Args[0], "-test.run=^TestHoldWarehouseReadOnly$", "-test.count=1")
	reader.Env = append(os.Environ(), holdReadOnlyEnv+"="+r.db)
	stdin, err := reader.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := reader.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := reader.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = reader.Wait() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "holding" {
	}
	if lines.Text() != "holding" {
		t.Fatal("the reader could not open the warehouse during the run")
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	// The slow logins finish and the run wants to commit them: it waits.
	r.gate.release()
	select {
	case <-waiting.seen:
	case <-r.done:
		t.Fatalf("the run ended while a reader held the warehouse: %v", r.err)
	}
	select {
	case f := <-r.finished:
		t.Fatalf("a login (%s) was committed while the reader held the warehouse", f.Status)
	default:
	}
	stdin.Close()
	if err := reader.Wait(); err != nil {
		t.Fatalf("reader: %v", err)
	}
	r.waitFinished(t, len(r.slow))
	r.finish(t)
	db := openWarehouseRO(t, r.db)
	if n := queryInt(t, db, `SELECT count(*) FROM sync_logins WHERE run_id = 'analyst-run' AND status = 'succeeded'`); n != len(r.quick)+len(r.slow) {
		t.Errorf("%d logins committed, want %d", n, len(r.quick)+len(r.slow))
	}
	if n := queryInt(t, db, `SELECT count(*) FROM sync_runs WHERE run_id = 'analyst-run' AND status = 'succeeded'`); n != 1 {
		t.Error("the run is not recorded as succeeded")
	}
}
