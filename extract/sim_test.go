package extract

import (
	"container/heap"
	"context"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

// simRun is the outcome of simulate: each login's last Step and Report, and
// the fake time the run took.
type simRun struct {
	steps   map[string]Step
	reports map[string]Report
	took    time.Duration
}

// statuses counts the run's outcomes by Class (Ready for a payload).
func (r simRun) statuses() map[Class]int {
	out := map[Class]int{}
	for _, s := range r.steps {
		out[ClassOf(s.Err)]++
	}
	return out
}

// simulate runs logins through c the way the pipeline does, on one
// goroutine and on the fake clock that c and the sandbox share: at most
// admit logins are open at once (the next one begins when one ends); each
// Step's Wait schedules that login's next Step, and the earliest due Step
// runs next. late(i), when set, delays the i-th Step past its due time, as a
// busy machine wakes a parked login late. Everything is deterministic.
func simulate(t *testing.T, c *Client, clock *FakeClock, logins []string, admit int, late func(i int) time.Duration) simRun {
	t.Helper()
	began := clock.Now()
	run := simRun{steps: map[string]Step{}, reports: map[string]Report{}}
	q := &simQueue{}
	open := map[string]*Login{}
	next := 0
	admitOne := func() {
		id := logins[next]
		next++
		l, err := c.Begin(id)
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		open[id] = l
		heap.Push(q, simEvent{at: clock.Now(), seq: q.seq(), login: id})
	}
	for next < len(logins) && next < admit {
		admitOne()
	}
	for i := 0; q.Len() > 0; i++ {
		ev := heap.Pop(q).(simEvent)
		if d := ev.at.Sub(clock.Now()); d > 0 {
			clock.Advance(d)
		}
		l := open[ev.login]
		st := l.Step(context.Background())
		if st.Done {
			run.steps[ev.login], run.reports[ev.login] = st, l.Report()
			l.Close()
			delete(open, ev.login)
			if next < len(logins) {
				admitOne()
			}
			continue
		}
		wait := st.Wait
		if late != nil {
			wait += late(i)
		}
		heap.Push(q, simEvent{at: clock.Now().Add(wait), seq: q.seq(), login: ev.login})
	}
	run.took = clock.Now().Sub(began)
	return run
}

type simEvent struct {
	at    time.Time
	seq   int
	login string
}

// simQueue is a min-heap of events by time, then by order of scheduling.
type simQueue struct {
	events []simEvent
	n      int
}

func (q *simQueue) seq() int { q.n++; return q.n }
func (q *simQueue) Len() int { return len(q.events) }
func (q *simQueue) Less(i, j int) bool {
	a, b := q.events[i], q.events[j]
	return a.at.Before(b.at) || (a.at.Equal(b.at) && a.seq < b.seq)
}
func (q *simQueue) Swap(i, j int) { q.events[i], q.events[j] = q.events[j], q.events[i] }
func (q *simQueue) Push(x any)    { q.events = append(q.events, x.(simEvent)) }
func (q *simQueue) Pop() any {
	e := q.events[len(q.events)-1]
	q.events = q.events[:len(q.events)-1]
	return e
}

// maxInWindow returns the most requests of reqs within any half-open window
// [t, t+w) of the sandbox's clock.
func maxInWindow(reqs []flinkstest.Request, w time.Duration) int {
	best, lo := 0, 0
	for hi := range reqs {
		for !reqs[hi].Time.Before(reqs[lo].Time.Add(w)) {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// longestGap returns the longest time between two consecutive requests.
func longestGap(reqs []flinkstest.Request) time.Duration {
	var gap time.Duration
	for i := 1; i < len(reqs); i++ {
		gap = max(gap, reqs[i].Time.Sub(reqs[i-1].Time))
	}
	return gap
}

// lcg is a tiny deterministic generator for lateness draws.
type lcg uint64

func (g *lcg) next() uint64 {
	*g = *g*6364136223846793005 + 1442695040888963407
	return uint64(*g >> 33)
}

// busyMachine returns late(i) for simulate: most wake-ups a little late (up
// to 2 ms), one in 50 late by 20 to 60 ms, as a loaded machine (GC, a
// commit, two cores shared with the sandbox) wakes parked logins.
func busyMachine(seed uint64) func(int) time.Duration {
	g := lcg(seed)
	return func(int) time.Duration {
		if g.next()%50 == 0 {
			return 20*time.Millisecond + time.Duration(g.next()%40)*time.Millisecond
		}
		return time.Duration(g.next()%2000) * time.Microsecond
	}
}

// Polls of logins already under way go before the first request of logins
// not yet started: with far more logins admitted than the rate serves in a
// poll timeout, none is held back into timing out, and none even needs its
// last-chance poll.
func TestAdmittedLoginsPollBeforeNewOnesStart(t *testing.T) {
	const rate, timeout = 10.0, time.Second
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(2)},
		Config{Rate: rate, PollInterval: 100 * time.Millisecond, PollTimeout: timeout})
	logins := flinkstest.DemoLogins(21, 60)
	run := simulate(t, c, clock, logins, len(logins), nil)
	if got := run.statuses(); got[Ready] != len(logins) {
		t.Fatalf("outcomes %v, want all %d ready", got, len(logins))
	}
	for _, id := range logins {
		data := requestsOf(s, flinkstest.EndpointInvestments, id)
		if span := data[len(data)-1].Time.Sub(data[0].Time); span >= timeout {
			t.Errorf("login %s: polls spread over %v, past the poll timeout: its polls were held back", HashLogin(id), span)
		}
	}
}

// The repro of issue 10: a few logins answered 429 (Retry-After: 1) once
// among 400, at --rate 1000 --poll-interval 20ms --poll-timeout 2s. Each
// throttled login waits out its Retry-After; the others are served without
// complaint, so the run keeps its rate and every login succeeds.
func TestLoneThrottlesDoNotSlowTheRun(t *testing.T) {
	_, c, clock := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.PendingDist{Min: 0, Max: 3}},
		Config{Rate: 1000, PollInterval: 20 * time.Millisecond, PollTimeout: 2 * time.Second})
	logins := flinkstest.DemoLogins(22, 392)
	for i := range 8 { // 2%, spread through the list
		at := (i*len(logins))/8 + 3
		logins = append(logins[:at], append([]string{flinkstest.TransientFaultLogin(flinkstest.FaultTooManyRequests429, 1, i)}, logins[at:]...)...)
	}
	run := simulate(t, c, clock, logins, 128, busyMachine(1))
	if got := run.statuses(); got[Ready] != len(logins) {
		t.Errorf("outcomes %v, want all %d ready", got, len(logins))
	}
	if c.Throttles() != 8 {
		t.Errorf("%d throttling answers, want 8", c.Throttles())
	}
	if got := c.Rate(); got != 1000 {
		t.Errorf("rate at the end %v, want 1000: lone throttles slowed the whole run", got)
	}
	// The throttled logins wait about a second; the run is not paused for it.
	if run.took > 3*time.Second {
		t.Errorf("the run took %v of fake time, want under 3s", run.took)
	}
}

// --rate 5% under the server's limit: the client alone never sends more
// than the rate in any second, however late the machine wakes its parked
// logins, and still uses the rate it has.
func TestNoSecondHoldsMoreThanTheRate(t *testing.T) {
	const rate = 950
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.PendingDist{Min: 0, Max: 2}, RequestLog: 20000},
		Config{Rate: rate, PollInterval: 10 * time.Millisecond, PollTimeout: time.Minute})
	logins := flinkstest.DemoLogins(23, 2000)
	run := simulate(t, c, clock, logins, 256*8, busyMachine(2))
	if got := run.statuses(); got[Ready] != len(logins) {
		t.Fatalf("outcomes %v, want all ready", got)
	}
	reqs := s.Requests()
	if len(reqs) != s.Count("", "") {
		t.Fatalf("request log kept %d of %d", len(reqs), s.Count("", ""))
	}
	if most := maxInWindow(reqs, time.Second); most > rate {
		t.Errorf("%d requests within one second, over the rate %d", most, rate)
	}
	bound := time.Duration(float64(len(reqs)) / rate * float64(time.Second))
	t.Logf("%d requests in %v of fake time: %.3f × their bound at the rate", len(reqs), run.took, run.took.Seconds()/bound.Seconds())
	if run.took > bound*11/10 {
		t.Errorf("%d requests took %v of fake time, more than 1.1 × their bound %v at the rate", len(reqs), run.took, bound)
	}
}

// A storm of throttling answers (the first 14 logins of 100 answered 429
// once, at --rate 10) slows the run down, but it never stops sending while
// the rate allows it: no queued login is left waiting on debt from earlier
// pauses, and logins waiting at a lowered rate move up when it recovers.
func TestThrottlingStormDoesNotStall(t *testing.T) {
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(1)},
		Config{Rate: 10, PollInterval: time.Second, PollTimeout: 30 * time.Minute})
	var logins []string
	for i := range 14 {
		logins = append(logins, flinkstest.TransientFaultLogin(flinkstest.FaultTooManyRequests429, 1, i))
	}
	logins = append(logins, flinkstest.DemoLogins(24, 86)...)
	run := simulate(t, c, clock, logins, 128, busyMachine(3))
	if got := run.statuses(); got[Ready] != len(logins) {
		t.Errorf("outcomes %v, want all ready", got)
	}
	reqs := s.Requests()
	// At worst the run is paused for a Retry-After (1s) and then at its
	// floor rate (10/32 per second): one request every 3.2s.
	if gap := longestGap(reqs); gap > 4500*time.Millisecond {
		t.Errorf("%v without a request", gap)
	}
	t.Logf("%d requests, %d throttled, %v of fake time, rate at the end %v", len(reqs), c.Throttles(), run.took, c.Rate())
	if run.took > time.Minute {
		t.Errorf("the run took %v of fake time", run.took)
	}
}
