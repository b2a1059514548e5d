package pipeline

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/schema"
)

// TestRunRecordsEveryOutcome runs healthy logins mixed with one login per
// terminal fault and checks that each ends with exactly one sync_logins row
// of the right status, and that only the healthy ones carry data.
func TestRunRecordsEveryOutcome(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 7, Pending: flinkstest.PendingDist{Min: 0, Max: 3}})
	client := fastClient(t, srv, func(c *extract.Config) { c.PollInterval, c.PollTimeout = 5*time.Millisecond, time.Second })
	healthy := flinkstest.DemoLogins(7, 40)
	want := map[string]string{}
	for _, id := range healthy {
		want[id] = StatusSucceeded
	}
	faulty := map[flinkstest.Fault]string{
		flinkstest.FaultDisabledLogin:       StatusNeedsUserAction,
		flinkstest.FaultMFA:                 StatusNeedsUserAction,
		flinkstest.FaultInvalidLogin:        StatusRejected,
		flinkstest.FaultInvalidRequest:      StatusRejected,
		flinkstest.FaultRetryLater:          StatusFailed,
		flinkstest.FaultHTTP503:             StatusFailed,
		flinkstest.FaultDisabledInstitution: StatusFailed,
		flinkstest.FaultNeverReady:          StatusTimedOut,
	}
	logins := append([]string{}, healthy...)
	for f, status := range faulty {
		id := flinkstest.FaultLogin(f, 1)
		want[id] = status
		logins = append(logins, id)
	}
	sink := &memSink{}
	sum, err := Run(context.Background(), client, sink, logins, Options{RunID: runID(t), Concurrency: 4, CommitEvery: 7})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := sink.loginRows(t)
	for _, id := range sortedKeys(want) {
		rows := got[id]
		if len(rows) != 1 {
			t.Errorf("login %s: %d sync_logins rows, want 1", extract.HashLogin(id), len(rows))
			continue
		}
		if status := col(schema.SyncLogins, rows[0], "status"); status != want[id] {
			t.Errorf("login %s: status %v, want %s (error %v)", extract.HashLogin(id), status, want[id], col(schema.SyncLogins, rows[0], "error"))
		}
		hasData := sink.dataRows(schema.Accounts.Name, id)+sink.dataRows(schema.Transactions.Name, id) > 0
		if want[id] != StatusSucceeded && hasData {
			t.Errorf("failed login %s wrote data rows", extract.HashLogin(id))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d logins recorded, want %d", len(got), len(want))
	}
	if sum.Committed != len(logins) || sum.ByStatus[StatusSucceeded] != len(healthy) {
		t.Errorf("summary: committed %d (want %d), succeeded %d (want %d)", sum.Committed, len(logins), sum.ByStatus[StatusSucceeded], len(healthy))
	}
	if sum.Status != RunPartial {
		t.Errorf("run status %q, want %q", sum.Status, RunPartial)
	}
	runs := sink.runRows()
	if len(runs) != 2 || col(schema.SyncRuns, runs[0], "status") != RunRunning || col(schema.SyncRuns, runs[1], "status") != RunPartial {
		t.Errorf("sync_runs rows: %v", runs)
	}
	if n := sink.dataRows(schema.Accounts.Name, healthy[0]); n == 0 {
		// DemoLogins may give a login with no accounts; make sure some do.
		total := 0
		for _, id := range healthy {
			total += sink.dataRows(schema.Accounts.Name, id)
		}
		if total == 0 {
			t.Error("no account rows written for 40 healthy logins")
		}
	}
}

// TestPendingLoginsDoNotHoldWorkers gives one worker many logins that each
// stay pending for several polls. If a pending login held its worker, the
// sandbox would see each login's requests in one unbroken run; parked logins
// let the worker serve the others in between.
func TestPendingLoginsDoNotHoldWorkers(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 3, Pending: flinkstest.FixedPending(4)})
	client := fastClient(t, srv, nil)
	logins := flinkstest.DemoLogins(3, 12)
	var maxParked atomic.Int64
	opts := Options{RunID: runID(t), Concurrency: 1, MaxActive: 12, ProgressEvery: time.Millisecond,
		Progress: func(p Progress) {
			if int64(p.Pending) > maxParked.Load() {
				maxParked.Store(int64(p.Pending))
			}
		}}
	sink := &memSink{}
	sum, err := Run(context.Background(), client, sink, logins, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.ByStatus[StatusSucceeded] != len(logins) {
		t.Fatalf("succeeded %d of %d", sum.ByStatus[StatusSucceeded], len(logins))
	}
	// Every login was admitted before the first finished: with one worker
	// and slot-holding logins, at most one login could have started.
	started := map[string]bool{}
	interleaved := false
	var last string
	for _, r := range srv.Requests() {
		if r.LoginID == "" {
			continue
		}
		if r.LoginID != last && started[r.LoginID] {
			interleaved = true // came back to a login after serving another
		}
		started[r.LoginID] = true
		last = r.LoginID
	}
	if !interleaved {
		t.Error("each login's requests ran back to back: pending logins held the only worker")
	}
	for _, id := range logins {
		// 1 authorize + 4 pending + 1 ready, exactly.
		if n := srv.Count("", id); n != 6 {
			t.Errorf("login %s: %d requests, want 6", extract.HashLogin(id), n)
		}
	}
}

// TestInterruptRecordsUnfinishedLogins cancels a run once the first logins
// are parked: Run returns, the run is closed as interrupted, and every
// listed login, admitted or never started, is recorded as failed
// ("interrupted"), so that a retry finishes the list.
func TestInterruptRecordsUnfinishedLogins(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 5, Pending: flinkstest.FixedPending(1000)})
	client := fastClient(t, srv, func(c *extract.Config) { c.PollInterval = time.Hour })
	logins := flinkstest.DemoLogins(6, 30)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := &memSink{}
	var parkedOnce atomic.Bool
	opts := Options{RunID: runID(t), Concurrency: 4, MaxActive: 10, ProgressEvery: time.Millisecond,
		Progress: func(p Progress) {
			// Once logins are parked for an hour, interrupt.
			if p.Pending >= 5 && parkedOnce.CompareAndSwap(false, true) {
				cancel()
			}
		}}
	done := make(chan struct{})
	var sum *Summary
	var err error
	go func() { defer close(done); sum, err = Run(ctx, client, sink, logins, opts) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return within a minute of being interrupted")
	}
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !sum.Interrupted || sum.Status != RunInterrupted {
		t.Errorf("summary: interrupted %v status %q", sum.Interrupted, sum.Status)
	}
	rows := sink.loginRows(t)
	if len(rows) != len(logins) {
		t.Errorf("%d logins recorded, want all %d listed", len(rows), len(logins))
	}
	for id, rs := range rows {
		if len(rs) != 1 {
			t.Errorf("login %s recorded %d times", extract.HashLogin(id), len(rs))
		}
		status := col(schema.SyncLogins, rs[0], "status")
		msg, _ := col(schema.SyncLogins, rs[0], "error").(string)
		if status != StatusFailed || !strings.Contains(msg, "interrupted") {
			t.Errorf("login %s: status %v error %q, want failed/interrupted", extract.HashLogin(id), status, msg)
		}
	}
	started := 0
	for _, id := range logins {
		if srv.Count("", id) > 0 {
			started++
		}
	}
	if started > opts.MaxActive {
		t.Errorf("%d logins reached Flinks: MaxActive %d did not bound admission", started, opts.MaxActive)
	}
	runs := sink.runRows()
	if last := runs[len(runs)-1]; col(schema.SyncRuns, last, "status") != RunInterrupted {
		t.Errorf("last sync_runs status %v", col(schema.SyncRuns, last, "status"))
	}
}

// TestFatalCredentialsStopTheRun: UNAUTHORIZED on our own credentials ends
// the run with ErrFatal; the run is closed as failed.
func TestFatalCredentialsStopTheRun(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 9})
	client := fastClient(t, srv, nil)
	logins := append([]string{flinkstest.FaultLogin(flinkstest.FaultUnauthorized, 1)}, flinkstest.DemoLogins(9, 50)...)
	sink := &memSink{}
	sum, err := Run(context.Background(), client, sink, logins, Options{RunID: runID(t), Concurrency: 1, MaxActive: 1})
	if !errors.Is(err, ErrFatal) {
		t.Fatalf("Run error %v, want ErrFatal", err)
	}
	if sum == nil || sum.Status != RunFailed {
		t.Fatalf("summary %+v", sum)
	}
	if sum.ByStatus[StatusSucceeded] == len(logins)-1 {
		t.Error("every other login still ran after credentials were rejected")
	}
	runs := sink.runRows()
	if last := runs[len(runs)-1]; col(schema.SyncRuns, last, "status") != RunFailed {
		t.Errorf("last sync_runs status %v", col(schema.SyncRuns, last, "status"))
	}
}

// TestBadBatchIsIsolated: a group commit that fails because of one login is
// retried login by login; that login is recorded failed, the others commit.
func TestBadBatchIsIsolated(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 11})
	client := fastClient(t, srv, nil)
	logins := flinkstest.DemoLogins(11, 20)
	bad := logins[7]
	sink := &memSink{commit: func(_ int, batches []schema.Batch) error {
		for _, b := range batches {
			if b.LoginID == bad && len(b.Rows[schema.Accounts.Name]) > 0 {
				return errors.New("constraint violated")
			}
		}
		return nil
	}}
	sum, err := Run(context.Background(), client, sink, logins, Options{RunID: runID(t), Concurrency: 4, CommitEvery: 50, CommitLatency: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	rows := sink.loginRows(t)
	for _, id := range logins {
		status := col(schema.SyncLogins, rows[id][0], "status")
		want := StatusSucceeded
		if id == bad {
			want = StatusFailed
		}
		if len(rows[id]) != 1 || status != want {
			t.Errorf("login %s: %d rows, status %v, want %s", extract.HashLogin(id), len(rows[id]), status, want)
		}
	}
	if sink.dataRows(schema.Accounts.Name, bad) != 0 {
		t.Error("the refused login's rows were committed")
	}
	if p := sink.productRows()[bad][string(extract.Investments)]; p == nil || col(schema.SyncLoginProducts, p, "status") != StatusFailed {
		t.Errorf("the refused login's product row %v, want failed", p)
	}
	if sum.ByStatus[StatusFailed] != 1 {
		t.Errorf("summary failed = %d", sum.ByStatus[StatusFailed])
	}
}

// TestUnwritableWarehouseIsFatal: when nothing can be committed, Run
// returns ErrFatal instead of hanging or spinning.
func TestUnwritableWarehouseIsFatal(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 13})
	client := fastClient(t, srv, nil)
	sink := &memSink{commit: func(call int, _ []schema.Batch) error {
		if call <= 2 { // the run row and the registry go through
			return nil
		}
		return errors.New("disk full")
	}}
	_, err := Run(context.Background(), client, sink, flinkstest.DemoLogins(13, 30), Options{RunID: runID(t), Concurrency: 4})
	if !errors.Is(err, ErrFatal) {
		t.Fatalf("Run error %v, want ErrFatal", err)
	}
}
