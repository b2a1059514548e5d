package pipeline

import (
	"context"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/schema"
)

// TestRateIsWindowed: a run that made 100 requests/s for 10 s and then sat
// idle for 20 s (every login parked on a 202) shows 0 req/s, not the run's
// average of 33, which would drift down slowly while nothing happens.
func TestRateIsWindowed(t *testing.T) {
	m := newMeter(RateWindow)
	var p Progress
	for s := 1; s <= 30; s++ {
		requests := int64(min(s, 10) * 100)
		p = m.progress(time.Duration(s)*time.Second, phaseCounts{Total: 10, Pending: 10}, nil, requests, 0)
		if s == 10 && p.ReqPerSec != 100 {
			t.Errorf("after 10 s at 100 req/s: %v req/s", p.ReqPerSec)
		}
	}
	if p.ReqPerSec != 0 {
		t.Errorf("after 20 idle seconds: %v req/s, want 0 (the run's average is 33.3)", p.ReqPerSec)
	}
	if p.Requests != 1000 || p.Elapsed != 30*time.Second {
		t.Errorf("requests %d elapsed %v", p.Requests, p.Elapsed)
	}
}

// TestETANeverZeroWhileLoginsArePending: 95 of 100 logins finished within
// a second, and the 5 left are parked on 202s for another 8 s. The finish
// rate alone says the run ends in a few milliseconds (the old ETA showed
// 0s for as long as the polls went on); the ETA must not be below the time
// the parked logins still need.
func TestETANeverZeroWhileLoginsArePending(t *testing.T) {
	m := newMeter(RateWindow)
	by := map[string]int{StatusSucceeded: 95}
	p := m.progress(time.Second, phaseCounts{Total: 100, Done: 95, Pending: 5}, by, 200, 8*time.Second)
	if !p.ETAKnown || p.ETA < 8*time.Second {
		t.Errorf("ETA %v (known %v) with logins parked for 8 s more", p.ETA, p.ETAKnown)
	}
	// Nothing finished in the last window: the estimate comes from the run's
	// average, and it is still never 0 while logins remain.
	for s := 2; s <= 40; s++ {
		p = m.progress(time.Duration(s)*time.Second, phaseCounts{Total: 100, Done: 95, Pending: 5}, by, 200, 0)
		if !p.ETAKnown || p.ETA <= 0 {
			t.Fatalf("at %d s: ETA %v (known %v) with 5 logins left", s, p.ETA, p.ETAKnown)
		}
	}
	done := m.progress(41*time.Second, phaseCounts{Total: 100, Done: 100}, map[string]int{StatusSucceeded: 100}, 210, 0)
	if !done.ETAKnown || done.ETA != 0 {
		t.Errorf("finished run: ETA %v known %v, want 0", done.ETA, done.ETAKnown)
	}
}

// TestETAUnknownBeforeAnyLoginFinished: with nothing finished there is no
// rate to estimate from; the ETA is unknown, not 0.
func TestETAUnknownBeforeAnyLoginFinished(t *testing.T) {
	m := newMeter(RateWindow)
	p := m.progress(5*time.Second, phaseCounts{Total: 10, Pending: 10}, nil, 40, 3*time.Second)
	if p.ETAKnown {
		t.Errorf("ETA %v known before any login finished", p.ETA)
	}
}

// TestProgressStatesAreHonest watches every snapshot of a run with faults:
// the states add up to the total, no more logins are working than there are
// workers, the statuses add up to the finished logins, the loader's backlog
// shows as committing (the first data commit is held until a snapshot sees
// it), and the last snapshot's statuses are the summary's.
func TestProgressStatesAreHonest(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 4, Pending: flinkstest.PendingDist{Min: 0, Max: 3}})
	client := fastClient(t, srv, nil)
	logins := flinkstest.DemoLogins(4, 30)
	for i, f := range []flinkstest.Fault{flinkstest.FaultDisabledLogin, flinkstest.FaultInvalidLogin,
		flinkstest.FaultRetryLater, flinkstest.FaultDisabledLogin} {
		logins = append(logins, flinkstest.FaultLogin(f, i))
	}
	const concurrency = 3
	seen := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var problems []string
	var last Progress
	opts := Options{RunID: runID(t), Concurrency: concurrency, MaxActive: 12, CommitEvery: 4, ProgressEvery: time.Millisecond,
		Progress: func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			last = p
			if p.Working > concurrency {
				problems = append(problems, "working above concurrency")
			}
			if n := p.Queued + p.Waiting + p.Working + p.Pending + p.Committing + p.Done; n != p.Total {
				problems = append(problems, "states do not add up to the total")
			}
			sum := 0
			for _, n := range p.ByStatus {
				sum += n
			}
			if sum != p.Done {
				problems = append(problems, "statuses do not add up to the finished logins")
			}
			if p.Committing > 0 {
				once.Do(func() { close(seen) })
			}
		}}
	sink := &memSink{commit: func(call int, batches []schema.Batch) error {
		if batches[0].LoginID == "" {
			return nil // the run's own rows
		}
		select {
		case <-seen:
		case <-time.After(time.Minute):
			t.Error("no snapshot showed a login waiting to be committed")
		}
		return nil
	}}
	sum, err := Run(context.Background(), client, sink, logins, opts)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range compact(problems) {
		t.Error(p)
	}
	if !maps.Equal(last.ByStatus, sum.ByStatus) || last.Done != sum.Committed {
		t.Errorf("last snapshot %v (done %d), summary %v (committed %d)", last.ByStatus, last.Done, sum.ByStatus, sum.Committed)
	}
	if last.ByStatus[StatusNeedsUserAction] != 2 || last.ByStatus[StatusRejected] != 1 || last.ByStatus[StatusFailed] != 1 {
		t.Errorf("last snapshot statuses %v", last.ByStatus)
	}
}

func compact(s []string) []string {
	out := []string{}
	for _, x := range s {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}

// TestRateLimitedLoginsAreNotPending: logins held back by the run's own
// rate limit wait their turn; only a 202 from Flinks makes a login pending.
func TestRateLimitedLoginsAreNotPending(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 2}) // no 202s at all
	client := fastClient(t, srv, func(c *extract.Config) { c.Rate, c.Burst = 20, 1 })
	logins := flinkstest.DemoLogins(2, 4)
	var mu sync.Mutex
	maxPending, maxWaiting := 0, 0
	opts := Options{RunID: runID(t), Concurrency: 4, ProgressEvery: time.Millisecond,
		Progress: func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			maxPending, maxWaiting = max(maxPending, p.Pending), max(maxWaiting, p.Waiting)
		}}
	if _, err := Run(context.Background(), client, &memSink{}, logins, opts); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if maxPending != 0 {
		t.Errorf("%d logins shown pending, but Flinks never answered 202", maxPending)
	}
	if maxWaiting == 0 {
		t.Error("no login was shown waiting for the rate limit")
	}
}

// TestSummaryGroupsFailures: the summary groups the logins that did not
// succeed by status and cause, most logins first, with at most three
// example login hashes each, and counts the failed data-quality checks by
// check, as the data_quality rows committed say.
func TestSummaryGroupsFailures(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 9})
	client := fastClient(t, srv, func(c *extract.Config) { c.MaxAttempts = 1 })
	logins := flinkstest.DemoLogins(9, 60)
	var disabled []string
	for i := range 4 {
		disabled = append(disabled, flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, i))
	}
	logins = append(logins, disabled...)
	logins = append(logins, flinkstest.FaultLogin(flinkstest.FaultRetryLater, 1), flinkstest.FaultLogin(flinkstest.FaultHTTP503, 1))
	sink := &memSink{}
	sum, err := Run(context.Background(), client, sink, logins, Options{RunID: runID(t), Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failures) != 3 {
		t.Fatalf("failures %+v, want 3 groups", sum.Failures)
	}
	first := sum.Failures[0]
	if first.Status != StatusNeedsUserAction || first.Cause != "DISABLED_LOGIN" || first.Logins != 4 || len(first.Examples) != 3 {
		t.Errorf("first group %+v, want needs_user_action DISABLED_LOGIN ×4 with 3 examples", first)
	}
	hashes := map[string]bool{}
	for _, id := range disabled {
		hashes[extract.HashLogin(id)] = true
	}
	for _, ex := range first.Examples {
		if !hashes[ex] {
			t.Errorf("example %q is not the hash of a DISABLED_LOGIN login", ex)
		}
	}
	causes := map[string]bool{}
	for _, g := range sum.Failures[1:] {
		if g.Status != StatusFailed || g.Logins != 1 {
			t.Errorf("group %+v, want one failed login", g)
		}
		causes[g.Cause] = true
	}
	if !causes["RETRY_LATER"] || !causes["HTTP 503"] {
		t.Errorf("causes %v, want RETRY_LATER and HTTP 503", causes)
	}

	want := map[string]QualityGroup{}
	loginsOf := map[string]map[string]bool{}
	for _, b := range sink.batches {
		for _, row := range b.Rows[schema.DataQuality.Name] {
			if col(schema.DataQuality, row, "passed") == true {
				continue
			}
			check, _, _ := strings.Cut(col(schema.DataQuality, row, "check_name").(string), ":")
			g := want[check]
			g.Check = check
			g.Failed++
			if loginsOf[check] == nil {
				loginsOf[check] = map[string]bool{}
			}
			loginsOf[check][b.LoginID] = true
			g.Logins = len(loginsOf[check])
			want[check] = g
		}
	}
	if len(want) == 0 {
		t.Fatal("the sandbox gave no failed data-quality check to count; pick another seed")
	}
	got := map[string]QualityGroup{}
	for _, g := range sum.Quality {
		got[g.Check] = g
	}
	if !maps.Equal(got, want) {
		t.Errorf("quality %+v, want %+v", got, want)
	}
}
