package pipeline

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
)

// gatedSink is a memSink whose commits of login data wait for open to be
// closed, as a DuckDB file an analyst holds makes a commit wait.
type gatedSink struct {
	memSink
	open chan struct{}
}

func (g *gatedSink) Commit(ctx context.Context, batches []schema.Batch) error {
	for _, b := range batches {
		if b.LoginID != "" {
			<-g.open
			break
		}
	}
	return g.memSink.Commit(ctx, batches)
}

// A commit that waits does not hold up the workers: every login is fetched
// and handed over while the first group is still waiting for the warehouse
// (before, the workers waited as soon as CommitEvery logins were queued, and
// a parked login's polls waited with them), and once the warehouse is free
// every login is committed.
func TestWaitingCommitDoesNotStopTheWorkers(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 5})
	client := fastClient(t, srv, nil)
	// Fewer logins than the backlog holds (maxBacklog: here the 32 logins
	// the run may have open), so every one of them can be handed over.
	logins := flinkstest.DemoLogins(5, 24)
	sink := &gatedSink{open: make(chan struct{})}
	opts := Options{RunID: runID(t), Concurrency: 4, CommitEvery: 2, CommitLatency: time.Millisecond}
	sum := runBehindGate(t, client, sink, sink.open, logins, opts)
	if sum.ByStatus[StatusSucceeded] != len(logins) {
		t.Errorf("succeeded %d of %d: %v", sum.ByStatus[StatusSucceeded], len(logins), sum.ByStatus)
	}
	if got := len(sink.loginRows(t)); got != len(logins) {
		t.Errorf("%d logins committed, want %d", got, len(logins))
	}
}

// runBehindGate runs logins into sink, whose commits of logins wait until
// gate is closed, and closes it once every login has been handed over to
// the loader (so the backlog holds them all behind the first commit); it
// fails the test unless that happens within a minute and the run succeeds.
func runBehindGate(t *testing.T, client *extract.Client, sink load.Sink, gate chan struct{}, logins []string, opts Options) *Summary {
	t.Helper()
	allHanded := make(chan struct{})
	var once sync.Once
	opts.ProgressEvery = time.Millisecond
	opts.Progress = func(p Progress) {
		if p.Committing == len(logins) {
			once.Do(func() { close(allHanded) })
		}
	}
	type outcome struct {
		sum *Summary
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		sum, err := Run(context.Background(), client, sink, logins, opts)
		done <- outcome{sum, err}
	}()
	select {
	case <-allHanded:
	case out := <-done:
		t.Fatalf("the run ended (%v) with its first commit still waiting", out.err)
	case <-time.After(time.Minute):
		t.Fatal("the workers stopped while a commit waited: not every login was handed over within a minute")
	}
	close(gate)
	out := <-done
	if out.err != nil {
		t.Fatalf("Run: %v", out.err)
	}
	return out.sum
}

// callsSink records the rows of each Commit call that holds logins.
type callsSink struct {
	memSink
	mu     sync.Mutex
	rows   []int // per call, the logins' rows
	logins []int // per call, the logins
}

func (c *callsSink) Commit(ctx context.Context, batches []schema.Batch) error {
	total, logins := 0, 0
	for _, b := range batches {
		if b.LoginID != "" {
			total += batchRows(b)
			logins++
		}
	}
	if logins > 0 {
		c.mu.Lock()
		c.rows = append(c.rows, total)
		c.logins = append(c.logins, logins)
		c.mu.Unlock()
	}
	return c.memSink.Commit(ctx, batches)
}

func batchRows(b schema.Batch) int {
	n := 0
	for _, rows := range b.Rows {
		n += len(rows)
	}
	return n
}

// A group stops growing at CommitRows rows (files of a sane size in a lake,
// a bounded commit's memory), whatever CommitEvery allows: every call holds
// at most CommitRows rows, or one login that alone has more, and every
// login is committed.
func TestGroupsBoundedByRows(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 5})
	client := fastClient(t, srv, nil)
	logins := flinkstest.DemoLogins(5, 20)
	sink := &callsSink{}
	const bound = 150
	opts := Options{RunID: runID(t), Concurrency: 4, CommitEvery: 100, CommitRows: bound, CommitLatency: time.Hour}
	if _, err := Run(context.Background(), client, sink, logins, opts); err != nil {
		t.Fatal(err)
	}
	if got := len(sink.loginRows(t)); got != len(logins) {
		t.Fatalf("%d logins committed, want %d", got, len(logins))
	}
	if len(sink.rows) < 2 {
		t.Fatalf("%d calls: the bound of %d rows never split a group (calls' rows: %v)", len(sink.rows), bound, sink.rows)
	}
	for i, n := range sink.rows {
		if n > bound && sink.logins[i] > 1 {
			t.Errorf("call %d: %d logins with %d rows, more than the bound %d", i, sink.logins[i], n, bound)
		}
	}
}

// holdingSink is a gatedSink that is a load.Holder: it records, after each
// commit of login data, what the loader's more said.
type holdingSink struct {
	gatedSink
	mu    sync.Mutex
	more  func() bool
	saids []bool
}

func (h *holdingSink) KeepHeldWhile(more func() bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.more = more
}

func (h *holdingSink) Commit(ctx context.Context, batches []schema.Batch) error {
	err := h.gatedSink.Commit(ctx, batches)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, b := range batches {
		if b.LoginID != "" && h.more != nil {
			h.saids = append(h.saids, h.more())
			break
		}
	}
	return err
}

// While groups queue behind a commit, the loader tells a load.Holder that
// another follows at once (so a DuckDB file is not released and taken back
// between them); the last group's commit is told none follows, and the
// sink is let go of the loader's word when the run's loading ends.
func TestLoaderSaysWhenAnotherGroupFollows(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 5})
	client := fastClient(t, srv, nil)
	logins := flinkstest.DemoLogins(5, 24)
	sink := &holdingSink{gatedSink: gatedSink{open: make(chan struct{})}}
	opts := Options{RunID: runID(t), Concurrency: 4, CommitEvery: 4, CommitLatency: time.Hour}
	runBehindGate(t, client, sink, sink.open, logins, opts)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if want := len(logins) / opts.CommitEvery; len(sink.saids) != want {
		t.Fatalf("%d commits of logins, want %d", len(sink.saids), want)
	}
	for i, more := range sink.saids {
		if last := i == len(sink.saids)-1; more == last {
			t.Errorf("commit %d of %d: told another group follows: %v, want %v", i+1, len(sink.saids), more, !last)
		}
	}
	if sink.more != nil {
		t.Error("the sink still holds the loader's word after the run")
	}
}
