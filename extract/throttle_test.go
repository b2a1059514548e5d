package extract

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

// Twenty logins at once against a sandbox that allows `limit` requests per
// second, from a client configured far above it: every login succeeds, the
// client's own rate settles at or under the limit, and few requests are
// turned away. Real time, since the rate is the point; every bound checked
// is an upper bound, so a slow machine cannot make it fail.
func TestThrottlingSettlesUnderTheLimit(t *testing.T) {
	const limit, logins = 100.0, 20
	s := sandbox(t, flinkstest.Config{Rate: limit, Burst: 4, Pending: flinkstest.FixedPending(2)})
	c := sandboxClient(t, s, Config{
		Rate: 8 * limit, Burst: 4, ThrottleRecovery: 300 * time.Millisecond,
		PollInterval: 20 * time.Millisecond, BackoffBase: 50 * time.Millisecond, BackoffMax: 400 * time.Millisecond,
		MaxAttempts: 10,
	})
	var wg sync.WaitGroup
	errs := make([]error, logins)
	for i, login := range flinkstest.DemoLogins(3, logins) {
		wg.Go(func() { _, _, errs[i] = c.Fetch(context.Background(), login) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("login %d: %v", i, err)
		}
	}

	reqs := s.Requests()
	throttled := countThrottled(reqs)
	t.Logf("%d requests, %d throttled, client's allowed rate at the end %.0f/s", len(reqs), throttled, c.Rate())
	if throttled == 0 || c.Throttles() == 0 {
		t.Fatal("the sandbox never throttled: the test proves nothing")
	}
	// The first wave is turned away (the client cannot know the limit);
	// once it has learnt it, the second half of the run is mostly accepted
	// and its attempted rate is at or under the limit.
	first, last := reqs[0].Time, reqs[len(reqs)-1].Time
	mid := first.Add(last.Sub(first) / 2)
	var late []flinkstest.Request
	for _, r := range reqs {
		if !r.Time.Before(mid) {
			late = append(late, r)
		}
	}
	t.Logf("second half: %d requests, %d throttled, %.0f/s attempted", len(late), countThrottled(late), float64(len(late))/last.Sub(mid).Seconds())
	if n := countThrottled(late); n*4 > len(late) {
		t.Errorf("second half: %d of %d requests throttled: the client did not slow down", n, len(late))
	}
	if secs := last.Sub(mid).Seconds(); secs > 0 && float64(len(late)-4)/secs > limit*1.25 {
		t.Errorf("second half: %d requests in %.2fs = %.0f/s, over the limit %v/s", len(late), secs, float64(len(late))/secs, limit)
	}
}

func countThrottled(reqs []flinkstest.Request) int {
	n := 0
	for _, r := range reqs {
		if r.FlinksCode == "TOO_MANY_REQUESTS" {
			n++
		}
	}
	return n
}

// stepUntil steps l on the fake clock until cond holds after a step,
// failing if l ends.
func stepUntil(t *testing.T, l *Login, clock *FakeClock, cond func() bool) {
	t.Helper()
	for {
		st := l.Step(context.Background())
		if st.Done {
			t.Fatalf("done early: %v", st.Err)
		}
		if cond() {
			return
		}
		clock.Advance(st.Wait)
	}
}

// A login throttled alone waits out its own Retry-After; the other logins
// go on at the full rate.
func TestLoneThrottleWaitsAlone(t *testing.T) {
	throttled := flinkstest.TransientFaultLogin(flinkstest.FaultTooManyRequests429, 1, 1)
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{}, Config{Rate: 1000, BackoffBase: 10 * time.Millisecond})
	a, err := c.Begin(throttled)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var st Step
	for c.Throttles() == 0 {
		if st = a.Step(context.Background()); st.Done {
			t.Fatalf("done early: %v", st.Err)
		}
		if c.Throttles() == 0 {
			clock.Advance(st.Wait)
		}
	}
	if st.Wait < time.Second {
		t.Fatalf("throttled login: %d throttles, step %+v; want a wait of at least Retry-After (1s)", c.Throttles(), st)
	}
	b, err := c.Begin(healthyLogin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	asked := clock.Now()
	stepUntil(t, b, clock, func() bool { return s.Count("", healthyLogin) > 0 })
	if waited := clock.Now().Sub(asked); waited > 5*time.Millisecond {
		t.Errorf("other login sent its Authorize %v after asking, want it in the next slots, not after a pause", waited)
	}
	if c.Rate() != 1000 {
		t.Errorf("rate %v after a lone throttle, want 1000", c.Rate())
	}
}

// When several logins are throttled together the run is: every login of
// the client pauses until the Retry-After, and the rate is halved.
func TestRunThrottlingPausesEveryLogin(t *testing.T) {
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{}, Config{Rate: 1000, BackoffBase: 10 * time.Millisecond})
	for i := range throttleQuorum {
		login := flinkstest.TransientFaultLogin(flinkstest.FaultTooManyRequests429, 1, i)
		l, err := c.Begin(login)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		stepUntil(t, l, clock, func() bool { return s.Count(flinkstest.EndpointInvestments, login) > 0 })
	}
	throttledAt := clock.Now()
	if c.Throttles() != throttleQuorum || c.Rate() != 500 {
		t.Fatalf("%d throttles, rate %v; want %d, 500", c.Throttles(), c.Rate(), throttleQuorum)
	}
	// Another login, never throttled itself, is held back without a request.
	b, err := c.Begin(healthyLogin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	st := b.Step(context.Background())
	if st.Done || st.Wait < 900*time.Millisecond {
		t.Fatalf("other login's step = %+v, want a wait of about Retry-After (1s)", st)
	}
	if got := s.Count("", healthyLogin); got != 0 {
		t.Errorf("other login sent %d requests during the pause", got)
	}
	clock.Advance(st.Wait)
	for !st.Done {
		st = b.Step(context.Background())
		clock.Advance(st.Wait)
	}
	if st.Err != nil {
		t.Fatal(st.Err)
	}
	first := requestsOf(s, flinkstest.EndpointAuthorize, healthyLogin)[0]
	if first.Time.Sub(throttledAt) < time.Second {
		t.Errorf("other login's first request %v after the throttle, want >= 1s (Retry-After)", first.Time.Sub(throttledAt))
	}
}

// Retries are spread out (full jitter), not synchronized across logins.
func TestRetriesAreJittered(t *testing.T) {
	_, c, clock := fakeTimeSandbox(t, flinkstest.Config{}, Config{BackoffBase: time.Second})
	waits := map[time.Duration]bool{}
	for i := range 20 {
		l, err := c.Begin(flinkstest.FaultLogin(flinkstest.FaultRetryLater, i))
		if err != nil {
			t.Fatal(err)
		}
		st := l.Step(context.Background())
		for l.Report().Requests == 0 { // waiting for a rate slot
			clock.Advance(st.Wait)
			st = l.Step(context.Background())
		}
		l.Close()
		if st.Done || st.Wait > time.Second {
			t.Fatalf("first retry step = %+v, want a wait within BackoffBase", st)
		}
		waits[st.Wait] = true
	}
	if len(waits) < 15 {
		t.Errorf("20 logins' first retries waited only %d distinct durations: %v", len(waits), waits)
	}
}
