package pipeline

import (
	"maps"
	"sync"
	"sync/atomic"
	"time"
)

// RateWindow is the span over which Progress measures the request rate and
// the finish rate: recent enough to follow the run (an idle minute shows
// 0 req/s), long enough to smooth out commit groups.
const RateWindow = 10 * time.Second

// Progress is a snapshot of a run, for a progress line or log. Every login
// is in exactly one state: Queued + Waiting + Working + Pending +
// Committing + Done = Total.
type Progress struct {
	Total int
	Done  int // outcome committed, any status
	// ByStatus counts the committed logins by sync_logins.status; it adds up
	// to Done, and the last snapshot's equals Summary.ByStatus.
	ByStatus map[string]int

	Queued     int // not admitted yet
	Waiting    int // admitted, waiting for a worker, a rate-limit slot or a retry's backoff
	Working    int // in a worker, making a request or transforming an answer: at most Concurrency
	Pending    int // parked until its next poll: Flinks answered 202
	Committing int // finished, waiting for the loader to commit its outcome

	Requests  int64
	Elapsed   time.Duration
	ReqPerSec float64 // requests per second over the last RateWindow
	// ETA is the estimated time left, when ETAKnown: the logins left at the
	// recent finish rate, never less than the parked logins' wait for their
	// next poll. It is unknown before the first login finishes, and 0 only
	// once every login has.
	ETA      time.Duration
	ETAKnown bool
}

// phase is where a login is in the run; each login is in exactly one.
type phase int

const (
	phaseQueued phase = iota
	phaseWaiting
	phaseWorking
	phasePending
	phaseCommitting
	phaseDone
	numPhases
)

// phaseCounts are the logins in each phase at one instant.
type phaseCounts struct {
	Total, Queued, Waiting, Working, Pending, Committing, Done int
}

// counters are the run's live figures. The phases and everything counted at
// commit are kept under one mutex, so a snapshot is consistent: its states
// add up to the total and its statuses to the logins done.
type counters struct {
	total   int
	retired atomic.Bool // Flinks answered a product as retired

	mu      sync.Mutex
	phases  [numPhases]int
	outcome outcomes
	ends    endings
}

func newCounters(total int) *counters {
	c := &counters{total: total, outcome: newOutcomes()}
	c.phases[phaseQueued] = total
	return c
}

// move moves t from its phase to the next one.
func (c *counters) move(t *task, to phase) {
	c.mu.Lock()
	c.phases[t.phase]--
	c.phases[to]++
	t.phase = to
	c.mu.Unlock()
}

// shift moves a login that has no task (never admitted) between phases.
func (c *counters) shift(from, to phase) {
	c.mu.Lock()
	c.phases[from]--
	c.phases[to]++
	c.mu.Unlock()
}

// committed counts a login whose outcome the sink has committed: it leaves
// the committing phase with its status, cause and rows.
func (c *counters) committed(res result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.phases[phaseCommitting]--
	c.phases[phaseDone]++
	c.outcome.add(res)
	c.ends.add(res.ending)
}

// counts returns the phases and a copy of the statuses, consistently.
func (c *counters) counts() (phaseCounts, map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.phases
	return phaseCounts{Total: c.total, Queued: p[phaseQueued], Waiting: p[phaseWaiting], Working: p[phaseWorking],
		Pending: p[phasePending], Committing: p[phaseCommitting], Done: p[phaseDone]}, maps.Clone(c.outcome.byStatus)
}

// meter turns counts sampled over a run into a Progress: rates over the
// last window and an ETA. Only the progress goroutine uses it.
type meter struct {
	window time.Duration
	// samples, oldest first; the first is the newest one at least window
	// old, so rates span [window, window + sampling interval).
	samples []sample
}

type sample struct {
	at       time.Duration // since the run started
	requests int64
	done     int
}

func newMeter(window time.Duration) *meter {
	return &meter{window: window, samples: []sample{{}}}
}

// progress records a sample at elapsed time at and returns the snapshot.
// parkedFor is the longest any parked login still waits for its next step.
func (m *meter) progress(at time.Duration, c phaseCounts, byStatus map[string]int, requests int64, parkedFor time.Duration) Progress {
	m.add(sample{at: at, requests: requests, done: c.Done})
	p := Progress{Total: c.Total, Done: c.Done, ByStatus: byStatus, Queued: c.Queued, Waiting: c.Waiting,
		Working: c.Working, Pending: c.Pending, Committing: c.Committing, Requests: requests, Elapsed: at}
	if p.ByStatus == nil {
		p.ByStatus = map[string]int{}
	}
	base := m.samples[0]
	span := (at - base.at).Seconds()
	finishRate := 0.0
	if span > 0 {
		p.ReqPerSec = float64(requests-base.requests) / span
		finishRate = float64(c.Done-base.done) / span
	}
	p.ETA, p.ETAKnown = estimate(c.Total-c.Done, c.Done, at, finishRate, parkedFor)
	return p
}

func (m *meter) add(s sample) {
	m.samples = append(m.samples, s)
	// Drop the samples older than the newest one at least a window old.
	keep := 0
	for i, x := range m.samples {
		if s.at-x.at >= m.window {
			keep = i
		}
	}
	m.samples = m.samples[keep:]
}

// estimate is the time left for remaining logins: at the recent finish rate
// or, when none finished within the window, at the run's average; never
// less than parkedFor. Unknown (false) before the first login finished.
func estimate(remaining, done int, elapsed time.Duration, recentRate float64, parkedFor time.Duration) (time.Duration, bool) {
	switch {
	case remaining <= 0:
		return 0, true
	case done == 0 || elapsed <= 0:
		return 0, false
	}
	rate := recentRate
	if rate <= 0 {
		rate = float64(done) / elapsed.Seconds()
	}
	eta := time.Duration(float64(remaining) / rate * float64(time.Second))
	return max(eta, parkedFor, time.Millisecond), true
}

// snapshot is the run's Progress at elapsed time at.
func (r *runner) snapshot(m *meter, at time.Duration) Progress {
	c, byStatus := r.stats.counts()
	return m.progress(at, c, byStatus, r.client.Requests(), r.parkedFor())
}

// parkedFor is the longest any parked login still waits for its next step.
func (r *runner) parkedFor() time.Duration {
	now := r.o.Clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var longest time.Duration
	for t := range r.parked {
		longest = max(longest, t.due.Sub(now))
	}
	return longest
}

// startProgress reports a snapshot every ProgressEvery until the returned
// function is called, which reports a last one.
func (r *runner) startProgress() (stop func()) {
	if r.o.Progress == nil {
		return func() {}
	}
	start := r.o.Clock.Now()
	m := newMeter(RateWindow)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(r.o.ProgressEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				r.o.Progress(r.snapshot(m, r.o.Clock.Now().Sub(start)))
			case <-quit:
				r.o.Progress(r.snapshot(m, r.o.Clock.Now().Sub(start)))
				return
			}
		}
	}()
	return func() { close(quit); <-done }
}
