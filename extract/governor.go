package extract

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// governor is the one rate limiter of a Client, shared by every Login.
//
// What it does on throttling (TOO_MANY_REQUESTS, or HTTP 429):
//   - everyone pauses: no Login of the client is given a slot before the
//     answer's Retry-After (or BackoffBase when there is none) has passed;
//   - the rate is halved (not below Rate/32), at most once per request
//     "generation": an answer to a request sent before the last cut does not
//     cut again, so twenty in-flight requests throttled together cut once;
//   - after ThrottleRecovery without a throttling answer, the rate rises by
//     Rate/8, and so on until it is back at Rate.
//
// This is AIMD, as TCP does it: the client settles at or under the server's
// limit without being told what it is.
type governor struct {
	mu          sync.Mutex
	lim         *rate.Limiter
	full        rate.Limit
	floor       rate.Limit
	step        rate.Limit
	recovery    time.Duration
	pausedUntil time.Time
	lastCut     time.Time // last time the rate was lowered
	lastChange  time.Time // last time the rate changed, either way
	throttles   int64
}

func newGovernor(r float64, burst int, recovery time.Duration) *governor {
	full := rate.Limit(r)
	if burst < 2 {
		burst = 2 // token + authorize are reserved together
	}
	return &governor{
		lim:      rate.NewLimiter(full, burst),
		full:     full,
		floor:    full / 32,
		step:     full / 8,
		recovery: recovery,
	}
}

// slot is a granted place in the rate: the holder may send n requests at At.
type slot struct {
	at  time.Time
	res *rate.Reservation
}

// reserve books n requests and says when they may be sent (at or after now).
// During a pause it books nothing and returns the pause's end with a nil res.
func (g *governor) reserve(now time.Time, n int) slot {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Before(g.pausedUntil) {
		return slot{at: g.pausedUntil}
	}
	g.recover(now)
	r := g.lim.ReserveN(now, n)
	if !r.OK() { // cannot happen: burst >= 2 >= n
		return slot{at: now.Add(time.Second)}
	}
	return slot{at: now.Add(r.DelayFrom(now)), res: r}
}

// release gives back a slot that will not be used (its holder was canceled,
// or a pause started while it waited).
func (g *governor) release(now time.Time, s slot) {
	if s.res != nil {
		s.res.CancelAt(now)
	}
}

// paused reports the end of the current pause, if now is inside one.
func (g *governor) paused(now time.Time) (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pausedUntil, now.Before(g.pausedUntil)
}

// throttled records a throttling answer to a request sent at sentAt.
func (g *governor) throttled(now, sentAt time.Time, pause time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.throttles++
	if until := now.Add(pause); until.After(g.pausedUntil) {
		g.pausedUntil = until
	}
	if sentAt.Before(g.lastCut) {
		return // already answered by the last cut
	}
	newLimit := max(g.lim.Limit()/2, g.floor)
	g.lim.SetLimitAt(now, newLimit)
	g.lastCut, g.lastChange = now, now
}

// recover raises a lowered rate one step per quiet ThrottleRecovery. g.mu is held.
func (g *governor) recover(now time.Time) {
	cur := g.lim.Limit()
	if cur >= g.full || now.Sub(g.lastChange) < g.recovery {
		return
	}
	g.lim.SetLimitAt(now, min(cur+g.step, g.full))
	g.lastChange = now
}

// limit returns the current rate in requests per second.
func (g *governor) limit() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return float64(g.lim.Limit())
}
