package extract

import (
	"math"
	"sync"
	"time"
)

// governor is the one rate limiter of a Client, shared by every Login.
//
// Pacing. Requests are granted at the moment they are sent, never booked
// ahead, so no grant can go stale: a pause or a new rate applies to every
// login at its next ask, and a login that goes away leaves no debt behind.
// Grants follow the generic cell rate algorithm (a token bucket): requests
// are spaced by a gap, and one may come up to a tolerance early (burstWindow,
// so that a login woken a little late does not cost the run its slot; never
// more than Config.Burst back to back). The gap is (1s + tolerance) / rate,
// so no window of one second ever holds more than the rate (rounded up); it
// costs the run 0.2% of its rate. Bursts this small leave a server that
// allows the rate room for the jitter of the network.
//
// Queue. A login refused is told when to ask again: a place behind the
// logins already waiting, spaced by the rate, never further than their
// number allows. Logins under way (that have sent a request before) go first:
// a login's first request waits while a login under way is due, so admitting
// new logins never starves the polls of admitted ones.
// While the rate is lowered, nobody is told to wait past the moment it may
// rise, so waiting logins move up with it.
//
// Throttling (TOO_MANY_REQUESTS, or HTTP 429) is judged on the answers to
// requests sent since the rate last changed:
//   - a throttling answer among answers served without complaint is that
//     login's own: the login waits out its Retry-After, the others go on;
//   - when throttleQuorum of the last throttleWindow answers are throttling
//     ones, the run is throttled: every login pauses until the answer's
//     Retry-After (BackoffBase when it has none) and the rate is halved, not
//     below Rate/32;
//   - after ThrottleRecovery without the run being throttled, the rate rises
//     by Rate/8, and so on until it is back at Rate.
//
// This is AIMD, as TCP does it: the client settles at or under the server's
// limit without being told what it is.
type governor struct {
	mu       sync.Mutex
	full     float64 // Config.Rate, requests per second (may be +Inf)
	floor    float64
	step     float64
	cur      float64 // the rate now
	maxBurst int
	recovery time.Duration

	tat         time.Time    // theoretical arrival time: the bucket is empty then
	pausedUntil time.Time    // no grant before this
	queues      [2]queue     // logins refused and still waiting, by priority
	next        [2]time.Time // the next place in line, by priority

	lastChange time.Time // the rate last changed, either way
	answers    int       // answers to requests sent since lastChange
	marks      []int     // numbers of the latest (at most throttleQuorum) throttling answers among them
	throttles  int64     // every throttling answer
}

const (
	// throttleQuorum throttling answers among the last throttleWindow
	// answers mean the run, not one login, is throttled.
	throttleQuorum = 4
	throttleWindow = 64
	// burstWindow is how early a request may come on its spacing.
	burstWindow = 2 * time.Millisecond
)

// priority orders the logins waiting for the rate.
type priority int

const (
	firstRequest priority = iota // a login that has not sent a request yet
	underWay                     // a login that has
)

func newGovernor(r float64, burst int, recovery time.Duration) *governor {
	return &governor{
		full:     r,
		floor:    r / 32,
		step:     r / 8,
		cur:      r,
		maxBurst: max(burst, 1),
		recovery: recovery,
	}
}

// take asks, at now, to send n requests (GenerateAuthorizeToken and
// Authorize are asked for together) for the login holding tk, which is under
// way or not. It grants them (true: send them now) or says how long to wait
// before asking again; a refused login keeps its place until it is granted
// or leaves.
func (g *governor) take(now time.Time, n int, under bool, tk *ticket) (time.Duration, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.recover(now)
	p := firstRequest
	if under {
		p = underWay
	}
	if tk.waiting {
		p = tk.p
	}
	at := g.earliest(n)
	if !now.Before(at) && g.mayGo(now, p) {
		g.grant(now, n)
		g.queues[p].done(tk)
		return 0, true
	}
	due := g.hint(now, at, n, p, tk.waiting)
	g.queues[p].wait(tk, p, due)
	return due.Sub(now), false
}

// leave gives up tk's place (its login is closed).
func (g *governor) leave(tk *ticket) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.queues[tk.p].done(tk)
}

// answered records Flinks' answer, at now, to a request granted at sentAt:
// a throttling one or not (pause is its Retry-After, or BackoffBase). It
// reports whether the run as a whole is throttled, in which case every login
// pauses and the rate has been halved.
func (g *governor) answered(now, sentAt time.Time, throttled bool, pause time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if throttled {
		g.throttles++
	}
	if sentAt.Before(g.lastChange) {
		return false // sent at an older rate: says nothing of this one
	}
	g.answers++
	if !throttled {
		return false
	}
	g.marks = append(g.marks, g.answers)
	if len(g.marks) > throttleQuorum {
		g.marks = append(g.marks[:0], g.marks[1:]...)
	}
	if len(g.marks) < throttleQuorum || g.answers-g.marks[0] >= throttleWindow {
		return false
	}
	if until := now.Add(pause); until.After(g.pausedUntil) {
		g.pausedUntil = until
	}
	g.setRate(now, max(g.cur/2, g.floor))
	return true
}

// limit returns the current rate in requests per second.
func (g *governor) limit() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cur
}

// The methods below are called with g.mu held.

// pace returns the spacing of requests at the current rate, and how early
// one may come: m requests within a second need (m−1) × gap − tol < 1s, and
// gap = (1s + tol) / rate makes that m ≤ ⌈rate⌉.
func (g *governor) pace() (gap, tol time.Duration) {
	if math.IsInf(g.cur, 1) {
		return 0, 0
	}
	exact := float64(time.Second) / g.cur
	tol = min(burstWindow, time.Duration(float64(g.maxBurst-1)*exact))
	return time.Duration(math.Ceil(float64(time.Second+tol) / g.cur)), tol
}

// earliest is when n requests may next be sent: the bucket has them and the
// run is not paused.
func (g *governor) earliest(n int) time.Time {
	gap, tol := g.pace()
	at := g.tat.Add(time.Duration(n-1)*gap - tol)
	if at.Before(g.pausedUntil) {
		at = g.pausedUntil
	}
	return at
}

// mayGo reports whether a login of priority p may have a grant at now: no
// login of a higher priority is due (one more than lateGrace late for its
// turn holds nobody back). Within a priority, whoever asks first once the
// bucket has room goes: the queue's places keep them in order.
func (g *governor) mayGo(now time.Time, p priority) bool {
	for q := p + 1; q <= underWay; q++ {
		if first := g.queues[q].first(now); first != nil && !first.due.After(now) {
			return false
		}
	}
	return true
}

// grant spends n requests of the bucket at now.
func (g *governor) grant(now time.Time, n int) {
	gap, _ := g.pace()
	if g.tat.Before(now) {
		g.tat = now
	}
	g.tat = g.tat.Add(time.Duration(n) * gap)
}

// hint says when a refused login of priority p should ask again, after now.
// A login that waited for its turn and finds the next slot less than a gap
// away waits for that slot. Others get the next place in their group's
// line, which starts where the group's turn comes (at, and behind the logins
// under way for a first request) and holds one slot per login waiting in
// it; past its end, places go around it again, so no place is ever further
// than the line is long and logins sent back do not pile up at its end.
func (g *governor) hint(now, at time.Time, n int, p priority, waited bool) time.Time {
	gap, _ := g.pace()
	if waited && at.After(now) && !at.After(now.Add(gap)) {
		return at
	}
	start := at
	if p == firstRequest {
		start = start.Add(time.Duration(g.queues[underWay].waiting) * gap)
	}
	inLine := g.queues[p].waiting
	if !waited {
		inLine++ // itself
	}
	h := g.next[p]
	if h.Before(start) {
		h = start
	}
	if span := time.Duration(inLine) * gap; span > 0 && !h.Before(start.Add(span)) {
		h = start.Add(h.Sub(start) % span) // past the end of the line: around again
	}
	g.next[p] = h.Add(time.Duration(n) * gap)
	if rise := g.lastChange.Add(g.recovery); g.cur < g.full && rise.After(now) && rise.Before(h) {
		h = rise // the rate may rise then: ask again at the new rate
	}
	if !h.After(now) { // never "ask again now": that would spin
		h = now.Add(max(gap, time.Millisecond))
	}
	return h
}

// recover raises a lowered rate one step per ThrottleRecovery without the
// run being throttled.
func (g *governor) recover(now time.Time) {
	if g.cur >= g.full || now.Sub(g.lastChange) < g.recovery {
		return
	}
	g.setRate(now, min(g.cur+g.step, g.full))
}

// setRate changes the rate at now and starts judging answers afresh.
func (g *governor) setRate(now time.Time, r float64) {
	g.cur = r
	g.lastChange = now
	g.answers = 0
	g.marks = g.marks[:0]
}
