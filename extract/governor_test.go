package extract

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// greedy asks for one request at a time, as soon as it is allowed, for d
// from start, and returns the grant times.
func greedy(g *governor, start time.Time, d time.Duration) []time.Time {
	var grants []time.Time
	var tk ticket
	for now := start; now.Before(start.Add(d)); {
		wait, ok := g.take(now, 1, true, &tk)
		if ok {
			grants = append(grants, now)
			continue
		}
		now = now.Add(wait)
	}
	return grants
}

// mostInASecond returns the most times within any half-open second.
func mostInASecond(times []time.Time) int {
	best, lo := 0, 0
	for hi := range times {
		for !times[hi].Before(times[lo].Add(time.Second)) {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func TestGovernorSpacesRequestsAtRate(t *testing.T) {
	for _, tt := range []struct {
		rate     float64
		burst    int
		min, max int // grants in 10 s
	}{
		{10, 10, 100, 100},
		{950, 10, 9475, 9500}, // spaced by 1.002/950 s: 0.2% under the rate
		{3000, 10, 29930, 30000},
	} {
		g := newGovernor(tt.rate, tt.burst, time.Minute)
		grants := greedy(g, t0, 10*time.Second)
		if n := len(grants); n < tt.min || n > tt.max {
			t.Errorf("rate %v: %d grants in 10s, want %d..%d", tt.rate, n, tt.min, tt.max)
		}
		if most := mostInASecond(grants); float64(most) > tt.rate {
			t.Errorf("rate %v: %d grants within a second", tt.rate, most)
		}
	}
}

// However the logins come (in crowds, late, two requests at a time, new
// ones and ones under way), no second holds more grants than the rate, and
// the rate is used.
func TestGovernorNeverExceedsTheRateInASecond(t *testing.T) {
	for _, rate := range []float64{7, 100, 950, 3000} {
		grants := crowd(newGovernor(rate, 10, time.Minute), 1000, 5*time.Second, uint64(rate))
		if most := mostInASecond(grants); float64(most) > math.Ceil(rate) {
			t.Errorf("rate %v: %d requests within a second", rate, most)
		}
		if n := len(grants); float64(n) < 0.95*rate*5 {
			t.Errorf("rate %v: only %d grants in 5s for 1000 eager logins", rate, n)
		}
	}
}

// crowd runs n eager logins against g for d and returns the grant times (a
// grant of two counts twice). Each login starts within the first second,
// asks again 0-200 ms after each grant (its next poll), wakes up to 3 ms
// late, and after one grant in ten is replaced by a new login, whose first
// ask is for two requests one time in three.
func crowd(g *governor, n int, d time.Duration, seed uint64) []time.Time {
	rnd := lcg(seed)
	type login struct {
		at    time.Time
		tk    ticket
		under bool
		n     int
	}
	fresh := func(at time.Time) login { return login{at: at, n: 1 + int(rnd.next()%3)/2} }
	logins := make([]login, n)
	for i := range logins {
		logins[i] = fresh(t0.Add(time.Duration(rnd.next()%1000) * time.Millisecond))
	}
	var grants []time.Time
	for {
		next := 0 // the login due first
		for i := range logins {
			if logins[i].at.Before(logins[next].at) {
				next = i
			}
		}
		l := &logins[next]
		if !l.at.Before(t0.Add(d)) {
			return grants
		}
		wait, ok := g.take(l.at, l.n, l.under, &l.tk)
		if ok {
			for range l.n {
				grants = append(grants, l.at)
			}
			wait = time.Duration(rnd.next()%200) * time.Millisecond
			l.under, l.n = true, 1
			if rnd.next()%10 == 0 {
				*l = fresh(l.at)
			}
		}
		l.at = l.at.Add(wait + time.Duration(rnd.next()%3000)*time.Microsecond)
	}
}

// A login under way goes before a login's first request when both are due,
// but one late for its turn holds nobody back.
func TestGovernorServesLoginsUnderWayFirst(t *testing.T) {
	g := newGovernor(10, 1, time.Minute)
	var first, under ticket
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	if _, ok := g.take(t0, 1, true, &under); !ok {
		t.Fatal("first ask refused")
	}
	if _, ok := g.take(ms(10), 1, false, &first); ok || !first.waiting {
		t.Fatal("a first request was granted inside the spacing")
	}
	if wait, ok := g.take(ms(10), 1, true, &under); ok || wait != 90*time.Millisecond {
		t.Fatalf("a second request: granted %v, wait %v; want a wait for the next slot", ok, wait)
	}
	if _, ok := g.take(ms(100), 1, false, &first); ok {
		t.Error("a first request went while a login under way was due")
	}
	if _, ok := g.take(ms(100), 1, true, &under); !ok {
		t.Error("the login under way was refused its turn")
	}
	if wait, ok := g.take(ms(150), 1, true, &under); ok || wait != 50*time.Millisecond {
		t.Fatalf("granted %v, wait %v; want a wait for the next slot", ok, wait)
	}
	if _, ok := g.take(ms(200), 1, false, &first); ok {
		t.Error("a first request went while a login under way was due")
	}
	if _, ok := g.take(ms(200).Add(lateGrace+time.Microsecond), 1, false, &first); !ok {
		t.Error("a first request was held back by a login late for its turn")
	}
	if _, ok := g.take(ms(205), 1, true, &under); ok {
		t.Error("the late login under way was granted a slot already taken")
	}
	if _, ok := g.take(ms(303), 1, true, &under); !ok || g.queues[0].waiting+g.queues[1].waiting != 0 {
		t.Errorf("granted %v, waiting %+v; want granted and nobody waiting", ok, g.queues)
	}
}

func TestGovernorThrottling(t *testing.T) {
	g := newGovernor(16, 2, 10*time.Second)
	now := t0.Add(time.Second)
	// A lone throttling answer among answers served without complaint is
	// the login's: no pause, no cut.
	for range 40 {
		g.answered(now, t0, false, 0)
	}
	if g.answered(now, t0, true, 3*time.Second) || g.limit() != 16 {
		t.Fatalf("a lone throttle was taken for the run's (rate %v)", g.limit())
	}
	if _, ok := g.take(now, 1, true, &ticket{}); !ok {
		t.Error("a lone throttle paused everyone")
	}
	// Four in a row: the run is throttled; requests in flight answered
	// afterwards do not cut again.
	run := false
	for range 3 {
		run = g.answered(now, t0, true, 3*time.Second)
	}
	if !run || g.limit() != 8 {
		t.Fatalf("run throttled %v, rate %v; want true, 8", run, g.limit())
	}
	for range 20 {
		g.answered(now, t0, true, 3*time.Second)
	}
	if g.limit() != 8 {
		t.Errorf("rate %v after answers to requests sent before the cut, want 8", g.limit())
	}
	if wait, ok := g.take(now.Add(time.Second), 1, true, &ticket{}); ok || wait < 2*time.Second {
		t.Errorf("during the pause: granted %v, wait %v; want a wait until its end", ok, wait)
	}
	// Requests sent after the cut and throttled again cut again; never below Rate/32.
	for i := range 40 {
		at := now.Add(time.Duration(i) * time.Second)
		for range throttleQuorum {
			g.answered(at, at, true, time.Second)
		}
	}
	if got := g.limit(); got != 0.5 {
		t.Errorf("rate floor = %v, want 0.5", got)
	}
	if g.throttles != 184 {
		t.Errorf("%d throttles counted, want 184", g.throttles)
	}
}

func TestGovernorRecoversGradually(t *testing.T) {
	g := newGovernor(16, 2, 10*time.Second)
	for range throttleQuorum {
		g.answered(t0, t0, true, time.Second) // 8/s
	}
	steps := []struct {
		after time.Duration
		want  float64
	}{
		{5 * time.Second, 8},   // not quiet long enough
		{10 * time.Second, 10}, // +Rate/8
		{15 * time.Second, 10},
		{20 * time.Second, 12},
		{30 * time.Second, 14},
		{40 * time.Second, 16},
		{50 * time.Second, 16}, // back at Rate, no higher
	}
	for _, s := range steps {
		var tk ticket
		g.take(t0.Add(s.after), 1, true, &tk)
		g.leave(&tk)
		if got := g.limit(); got != s.want {
			t.Errorf("rate %v after the throttle = %v, want %v", s.after, got, s.want)
		}
	}
}

// Twenty pauses with a hundred logins waiting leave no debt: the longest
// wait is the pause plus the queue at the current rate, and logins waiting
// at a lowered rate ask again when it may rise.
func TestGovernorKeepsNoDebtAcrossPauses(t *testing.T) {
	const recovery = 10 * time.Second
	g := newGovernor(10, 1, recovery)
	now := t0
	tickets := make([]ticket, 100)
	for i := range tickets {
		g.take(now, 1, true, &tickets[i])
	}
	for range 20 {
		for range throttleQuorum {
			g.answered(now, now, true, time.Second) // the run is throttled: a pause of 1 s
		}
		for i := range tickets { // every waiting login asks again, within the pause
			if tickets[i].waiting {
				g.take(now, 1, true, &tickets[i])
			}
		}
		now = now.Add(500 * time.Millisecond)
	}
	gap, _ := g.pace()
	queue := time.Duration(g.queues[underWay].waiting+1) * gap
	for i := range tickets {
		if !tickets[i].waiting {
			continue
		}
		wait, ok := g.take(now, 1, true, &tickets[i])
		if limit := g.pausedUntil.Sub(now) + queue; !ok && wait > limit {
			t.Fatalf("a waiting login told to wait %v, more than the pause and the queue (%v)", wait, limit)
		}
		if rise := g.lastChange.Add(recovery); !ok && now.Add(wait).After(rise) {
			t.Fatalf("a waiting login told to wait past %v, when the rate may rise", rise)
		}
	}
}
