package pipeline

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/schema"
)

// closedURL is a loopback address where nothing listens: every connection
// is refused.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}

// lastRunStatus is the status of the last sync_runs row committed.
func lastRunStatus(sink *memSink) any {
	runs := sink.runRows()
	return col(schema.SyncRuns, runs[len(runs)-1], "status")
}

// TestUnreachableFlinksFailsTheRun: when no login synced and every failure
// says Flinks could not be reached (refused connections) or served nobody
// (5xx), the run is failed, and Run's error names the cause and how many
// logins it hit.
func TestUnreachableFlinksFailsTheRun(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 4})
	refused := closedURL(t)
	cases := []struct {
		name   string
		url    string
		logins []string
		cause  string
	}{
		{"connection refused", refused, flinkstest.DemoLogins(4, 5), "connection refused for 5 of 5 logins"},
		{"every answer 503", srv.URL, []string{flinkstest.FaultLogin(flinkstest.FaultHTTP503, 1), flinkstest.FaultLogin(flinkstest.FaultHTTP503, 2)},
			"HTTP 503 for 2 of 2 logins"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := fastClient(t, srv, func(cfg *extract.Config) { cfg.BankingURL, cfg.WealthURL = c.url, c.url })
			sink := &memSink{}
			sum, err := Run(context.Background(), client, sink, c.logins, Options{RunID: runID(t), Concurrency: 2})
			if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), c.cause) {
				t.Fatalf("Run error %v, want ErrUnreachable saying %q", err, c.cause)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the error is more than one line: %q", err)
			}
			if sum.Status != RunFailed || lastRunStatus(sink) != RunFailed {
				t.Errorf("run status %q, recorded %v; want failed", sum.Status, lastRunStatus(sink))
			}
			if len(sink.loginRows(t)) != len(c.logins) {
				t.Errorf("%d logins recorded, want %d", len(sink.loginRows(t)), len(c.logins))
			}
		})
	}
}

// TestCompletedRunsWithoutSuccessArePartial: a run whose logins all ended
// needs_user_action or rejected completed (Flinks answered every one), and
// so did a run where one unreachable failure sits beside a success.
func TestCompletedRunsWithoutSuccessArePartial(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 6})
	client := fastClient(t, srv, nil)
	for name, logins := range map[string][]string{
		"needs user and rejected": {flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 1), flinkstest.FaultLogin(flinkstest.FaultInvalidLogin, 1)},
		"503 beside a needs user": {flinkstest.FaultLogin(flinkstest.FaultHTTP503, 3), flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 2)},
		"503 beside a success":    {flinkstest.FaultLogin(flinkstest.FaultHTTP503, 4), flinkstest.DemoLogins(6, 1)[0]},
	} {
		t.Run(name, func(t *testing.T) {
			sink := &memSink{}
			sum, err := Run(context.Background(), client, sink, logins, Options{RunID: runID(t), Concurrency: 2})
			if err != nil || sum.Status != RunPartial || lastRunStatus(sink) != RunPartial {
				t.Errorf("Run: %v, status %q; want partial and no error", err, sum.Status)
			}
		})
	}
}

// TestInterruptAfterEveryCommitSucceeds: a cancellation that arrives once
// every login is committed interrupts nothing: the run is succeeded.
func TestInterruptAfterEveryCommitSucceeds(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 8})
	client := fastClient(t, srv, nil)
	logins := flinkstest.DemoLogins(8, 12)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var recorded atomic.Int64
	sink := &memSink{commit: func(_ int, batches []schema.Batch) error {
		for _, b := range batches {
			recorded.Add(int64(len(b.Rows[schema.SyncLogins.Name])))
		}
		return nil
	}}
	// Cancel right after the commit that records the last login, before
	// the run is closed: what a SIGINT at that moment does.
	wrapped := &afterCommit{Sink: sink, after: func() {
		if recorded.Load() == int64(len(logins)) {
			cancel()
		}
	}}
	sum, err := Run(ctx, client, wrapped, logins, Options{RunID: runID(t), Concurrency: 3, CommitEvery: 5})
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() == nil {
		t.Fatal("the test did not cancel the run")
	}
	if sum.Status != RunSucceeded || sum.Interrupted || lastRunStatus(sink) != RunSucceeded {
		t.Errorf("status %q (interrupted %v), recorded %v; want succeeded", sum.Status, sum.Interrupted, lastRunStatus(sink))
	}
}

// TestUnwritableWarehouseStopsPromptly: once the warehouse refuses
// commits, the run stops fetching: only the requests already in flight
// reach Flinks after the failure, not the rest of the list.
func TestUnwritableWarehouseStopsPromptly(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 10})
	client := fastClient(t, srv, nil)
	logins := flinkstest.DemoLogins(10, 400)
	var atFailure atomic.Int64
	atFailure.Store(-1)
	sink := &memSink{commit: func(call int, _ []schema.Batch) error {
		if call < 4 { // the run row, the registry, the first group
			return nil
		}
		atFailure.CompareAndSwap(-1, int64(srv.Count("", "")))
		return errors.New("disk full")
	}}
	const concurrency = 4
	_, err := Run(context.Background(), client, sink, logins, Options{RunID: runID(t), Concurrency: concurrency, CommitEvery: 5, CommitLatency: time.Hour})
	if !errors.Is(err, ErrFatal) {
		t.Fatalf("Run error %v, want ErrFatal", err)
	}
	if atFailure.Load() < 0 {
		t.Fatal("the sink never failed")
	}
	after := int64(srv.Count("", "")) - atFailure.Load()
	t.Logf("%d requests before the first failed commit, %d after", atFailure.Load(), after)
	if after > 4*concurrency {
		t.Errorf("%d requests reached Flinks after the warehouse failed, want at most the %d in flight", after, 4*concurrency)
	}
}

// afterCommit is a sink that calls after once each commit has returned.
type afterCommit struct {
	Sink  *memSink
	after func()
}

func (a *afterCommit) Commit(ctx context.Context, batches []schema.Batch) error {
	err := a.Sink.Commit(ctx, batches)
	a.after()
	return err
}

func (a *afterCommit) Close() error { return a.Sink.Close() }
