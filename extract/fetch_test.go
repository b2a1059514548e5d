package extract

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

const healthyLogin = "5e115eac-1209-4f19-641c-08d6d484e2fe"

func TestFetchPendingThenReady(t *testing.T) {
	for _, pending := range []int{0, 1, 4} {
		t.Run("", func(t *testing.T) {
			const interval = 10 * time.Second
			s, c, _ := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(pending)}, Config{PollInterval: interval})
			inv, rep, err := c.Fetch(context.Background(), healthyLogin)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if inv == nil || len(inv.Institutions) == 0 {
				t.Fatalf("no payload: %+v", inv)
			}
			data := requestsOf(s, flinkstest.EndpointInvestments, healthyLogin)
			if len(data) != pending+1 {
				t.Fatalf("%d data calls, want %d", len(data), pending+1)
			}
			for i, r := range data {
				if r.RequestID != data[0].RequestID || r.RequestID == "" {
					t.Errorf("data call %d used RequestId %q, first used %q", i, r.RequestID, data[0].RequestID)
				}
				if i > 0 && r.Time.Sub(data[i-1].Time) < interval {
					t.Errorf("data calls %d and %d are %v apart, want >= %v", i-1, i, r.Time.Sub(data[i-1].Time), interval)
				}
			}
			if got := s.Count(flinkstest.EndpointAuthorize, healthyLogin); got != 1 {
				t.Errorf("%d Authorize calls, want 1", got)
			}
			want := Report{Attempts: 1, Polls: pending, Requests: pending + 2, Sessions: 1, FirstDataCall: data[0].Time}
			if pending > 0 {
				want.LastFlinksCode = "OPERATION_PENDING"
			}
			if rep != want {
				t.Errorf("report = %+v, want %+v", rep, want)
			}
		})
	}
}

// A login still pending is given up only on a 202 answered at or after the
// deadline: its polls run every interval, the last one at the deadline.
func TestFetchGivesUpAtPollTimeout(t *testing.T) {
	const interval, timeout = 10 * time.Second, 30 * time.Minute
	login := flinkstest.FaultLogin(flinkstest.FaultNeverReady, 1)
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{}, Config{PollInterval: interval, PollTimeout: timeout})
	_, rep, err := c.Fetch(context.Background(), login)
	var e *Error
	if !errors.As(err, &e) || e.Class != TimedOut || !errors.Is(err, ErrDeadline) || e.FlinksCode != "OPERATION_PENDING" {
		t.Fatalf("err = %v, want TimedOut with OPERATION_PENDING", err)
	}
	deadline := rep.FirstDataCall.Add(timeout)
	data := requestsOf(s, flinkstest.EndpointInvestments, login)
	if want := int(timeout/interval) + 1; len(data) != want {
		t.Errorf("%d data calls, want %d", len(data), want)
	}
	if last := data[len(data)-1]; !last.Time.Equal(deadline) || last.Status != 202 {
		t.Errorf("last poll at %v answered %d, want a 202 at the deadline %v", last.Time, last.Status, deadline)
	}
	for _, r := range s.Requests() {
		if r.Time.After(deadline) {
			t.Errorf("a %s request at %v, after the deadline %v", r.Endpoint, r.Time, deadline)
		}
	}
	if clock.Now().Before(deadline) {
		t.Errorf("gave up at %v, before the deadline %v", clock.Now(), deadline)
	}
	if rep.Polls != len(data) || rep.LastFlinksCode != "OPERATION_PENDING" {
		t.Errorf("report = %+v", rep)
	}
}

// A login whose next poll the run held back past its deadline (a pause, a
// queue for the rate) gets one last poll: it is timed out only if Flinks
// still answers 202 then, and it makes no other request after the deadline.
func TestPollHeldPastTheDeadlineGetsOneLastPoll(t *testing.T) {
	for _, tt := range []struct {
		name  string
		login string
		want  Class
	}{
		{"ready by then", healthyLogin, Ready},
		{"still pending", flinkstest.FaultLogin(flinkstest.FaultNeverReady, 2), TimedOut},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, c, clock := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(1)}, Config{PollTimeout: time.Minute})
			const held = 5 * time.Minute // past the deadline, within the session's life
			l, err := c.Begin(tt.login)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for l.Report().Polls == 0 {
				st := l.Step(context.Background())
				if st.Done {
					t.Fatalf("done early: %v", st.Err)
				}
				clock.Advance(st.Wait)
			}
			before := s.Count("", tt.login)
			clock.Advance(held) // the run held it back far too long
			st := l.Step(context.Background())
			if !st.Done || ClassOf(st.Err) != tt.want {
				t.Fatalf("step = %+v, want Done %v", st, tt.want)
			}
			if got := s.Count("", tt.login) - before; got != 1 {
				t.Errorf("%d requests after the deadline, want the one last poll", got)
			}
			if again := l.Step(context.Background()); again.Err != st.Err {
				t.Error("a Done login's next Step differs")
			}
		})
	}
}

func TestSessionNonexistentMidPollOpensOneNewSession(t *testing.T) {
	login := flinkstest.TransientFaultLogin(flinkstest.FaultSessionNonexistent, 1, 1)
	s, c, _ := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(2)}, Config{})
	inv, rep, err := c.Fetch(context.Background(), login)
	if err != nil || inv == nil {
		t.Fatalf("Fetch: %v", err)
	}
	if got := s.Count(flinkstest.EndpointAuthorize, login); got != 2 {
		t.Errorf("%d Authorize calls, want 2", got)
	}
	if rep.Sessions != 2 {
		t.Errorf("report.Sessions = %d, want 2", rep.Sessions)
	}
	data := requestsOf(s, flinkstest.EndpointInvestments, login)
	if data[0].RequestID == data[len(data)-1].RequestID {
		t.Error("the last data call still used the expired RequestId")
	}
}

func TestSessionNonexistentEveryTimeIsBounded(t *testing.T) {
	login := flinkstest.FaultLogin(flinkstest.FaultSessionNonexistent, 1)
	s, c, _ := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(1)}, Config{MaxReauth: 3})
	_, rep, err := c.Fetch(context.Background(), login)
	if ClassOf(err) != Reauth {
		t.Fatalf("err = %v, want Reauth", err)
	}
	if got := s.Count(flinkstest.EndpointAuthorize, login); got != 4 || rep.Sessions != 4 {
		t.Errorf("%d Authorize calls, %d sessions; want 4 (1 + MaxReauth)", got, rep.Sessions)
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	tests := []struct {
		fault    flinkstest.Fault
		endpoint string
	}{
		{flinkstest.FaultRetryLater, flinkstest.EndpointAuthorize},
		{flinkstest.FaultCardInUse, flinkstest.EndpointAuthorize},
		{flinkstest.FaultConcurrentSession, flinkstest.EndpointAuthorize},
		{flinkstest.FaultDisabledInstitution, flinkstest.EndpointAuthorize},
		{flinkstest.FaultAggregationError, flinkstest.EndpointInvestments},
		{flinkstest.FaultHTTP500, flinkstest.EndpointInvestments},
		{flinkstest.FaultHTTP503, flinkstest.EndpointInvestments},
		{flinkstest.FaultCutMidBody, flinkstest.EndpointInvestments},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			t.Run("then succeeds", func(t *testing.T) {
				login := flinkstest.TransientFaultLogin(tt.fault, 2, 1)
				s, c, _ := fakeTimeSandbox(t, flinkstest.Config{}, Config{MaxAttempts: 5})
				inv, rep, err := c.Fetch(context.Background(), login)
				if err != nil || inv == nil {
					t.Fatalf("Fetch: %v", err)
				}
				if rep.Attempts != 3 {
					t.Errorf("report.Attempts = %d, want 3", rep.Attempts)
				}
				if got := s.Count(tt.endpoint, login); got != 3 {
					t.Errorf("%d %s calls, want 3", got, tt.endpoint)
				}
			})
			t.Run("exhausts", func(t *testing.T) {
				login := flinkstest.FaultLogin(tt.fault, 2)
				s, c, _ := fakeTimeSandbox(t, flinkstest.Config{}, Config{MaxAttempts: 4})
				_, rep, err := c.Fetch(context.Background(), login)
				var e *Error
				if !errors.As(err, &e) || e.Class != Retry {
					t.Fatalf("err = %v, want a Retry *Error", err)
				}
				if tt.fault.FlinksCode() != "" && (e.FlinksCode != tt.fault.FlinksCode() || rep.LastFlinksCode != tt.fault.FlinksCode()) {
					t.Errorf("FlinksCode = %q, report %q; want %q", e.FlinksCode, rep.LastFlinksCode, tt.fault.FlinksCode())
				}
				if got := s.Count(tt.endpoint, login); got != 4 || rep.Attempts != 4 {
					t.Errorf("%d %s calls, %d attempts; want 4 (MaxAttempts)", got, tt.endpoint, rep.Attempts)
				}
			})
		})
	}
}

func TestTerminalOutcomes(t *testing.T) {
	tests := []struct {
		fault flinkstest.Fault
		want  Class
	}{
		{flinkstest.FaultInvalidLogin, Rejected},
		{flinkstest.FaultInvalidRequest, Rejected},
		{flinkstest.FaultDisabledLogin, NeedsUser},
		{flinkstest.FaultNewAccount, NeedsUser},
		{flinkstest.FaultInvalidUsername, NeedsUser},
		{flinkstest.FaultInvalidPassword, NeedsUser},
		{flinkstest.FaultQuestionNotFound, NeedsUser},
		{flinkstest.FaultInvalidSecurityResponse, NeedsUser},
		{flinkstest.FaultMFA, NeedsUser},
		{flinkstest.FaultUnauthorized, Fatal},
		{flinkstest.FaultAccessDenied, Fatal},
		{flinkstest.FaultInvalidLogin200, Rejected},
		{flinkstest.FaultDisabledLogin200, NeedsUser},
		{flinkstest.FaultUnauthorized200, Fatal},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			login := flinkstest.FaultLogin(tt.fault, 1)
			s, c, _ := fakeTimeSandbox(t, flinkstest.Config{}, Config{})
			_, _, err := c.Fetch(context.Background(), login)
			if got := ClassOf(err); got != tt.want {
				t.Fatalf("err = %v: class %v, want %v", err, got, tt.want)
			}
			if got := s.Count("", login); got > 2 {
				t.Errorf("%d requests for a terminal answer, want at most 2", got)
			}
			var e *Error
			if errors.As(err, &e) && e.FlinksCode != tt.fault.FlinksCode() {
				t.Errorf("FlinksCode %q, want the deciding answer's %q", e.FlinksCode, tt.fault.FlinksCode())
			}
		})
	}
}

// MFA has no FlinksCode; its error names it.
func TestMFAIsNamed(t *testing.T) {
	_, c, _ := fakeTimeSandbox(t, flinkstest.Config{}, Config{})
	_, _, err := c.Fetch(context.Background(), flinkstest.FaultLogin(flinkstest.FaultMFA, 1))
	if ClassOf(err) != NeedsUser || !strings.Contains(err.Error(), "MFA required (HTTP 203)") {
		t.Errorf("err = %v, want NeedsUser naming \"MFA required (HTTP 203)\"", err)
	}
}

// A body cut short with a matching Content-Length is retried once; cut
// short again, the login is rejected rather than fetched until the attempts
// run out.
func TestTruncatedBodyIsRetriedOnce(t *testing.T) {
	t.Run("then whole", func(t *testing.T) {
		login := flinkstest.TransientFaultLogin(flinkstest.FaultTruncatedJSON, 1, 1)
		s, c, _ := fakeTimeSandbox(t, flinkstest.Config{}, Config{MaxAttempts: 5})
		inv, rep, err := c.Fetch(context.Background(), login)
		if err != nil || inv == nil {
			t.Fatalf("Fetch: %v", err)
		}
		if got := s.Count(flinkstest.EndpointInvestments, login); got != 2 || rep.Attempts != 2 {
			t.Errorf("%d data calls, %d attempts; want 2", got, rep.Attempts)
		}
	})
	t.Run("every time", func(t *testing.T) {
		login := flinkstest.FaultLogin(flinkstest.FaultTruncatedJSON, 1)
		s, c, _ := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(1)}, Config{MaxAttempts: 5})
		_, _, err := c.Fetch(context.Background(), login)
		var e *Error
		if !errors.As(err, &e) || e.Class != Rejected || e.FlinksCode != "" {
			t.Fatalf("err = %v, want Rejected with no FlinksCode", err)
		}
		if got := s.Count(flinkstest.EndpointInvestments, login); got != 3 { // a 202, then two cut bodies
			t.Errorf("%d data calls, want 3", got)
		}
	})
}

// Authorize answering 200 with UNAUTHORIZED stops every login of the client.
func TestUnauthorizedUnder200StopsTheClient(t *testing.T) {
	s, c, _ := fakeTimeSandbox(t, flinkstest.Config{}, Config{})
	if _, _, err := c.Fetch(context.Background(), flinkstest.FaultLogin(flinkstest.FaultUnauthorized200, 1)); ClassOf(err) != Fatal {
		t.Fatalf("err = %v, want Fatal", err)
	}
	before := s.Count("", "")
	if _, _, err := c.Fetch(context.Background(), healthyLogin); !errors.Is(err, ErrRunStopped) {
		t.Errorf("healthy login after UNAUTHORIZED: %v, want ErrRunStopped", err)
	}
	if got := s.Count("", ""); got != before {
		t.Errorf("%d requests after the fatal answer", got-before)
	}
}

// After a Fatal answer, no login of the client calls Flinks again.
func TestFatalStopsTheWholeClient(t *testing.T) {
	s, c, _ := fakeTimeSandbox(t, flinkstest.Config{}, Config{})
	if _, _, err := c.Fetch(context.Background(), flinkstest.FaultLogin(flinkstest.FaultUnauthorized, 1)); ClassOf(err) != Fatal {
		t.Fatalf("err = %v, want Fatal", err)
	}
	before := s.Count("", "")
	_, _, err := c.Fetch(context.Background(), healthyLogin)
	if ClassOf(err) != Fatal || !errors.Is(err, ErrRunStopped) {
		t.Errorf("healthy login after a fatal answer: %v, want Fatal ErrRunStopped", err)
	}
	if got := s.Count("", ""); got != before {
		t.Errorf("%d requests after the fatal answer", got-before)
	}
}

func TestWrongCustomerIsFatal(t *testing.T) {
	s := sandbox(t, flinkstest.Config{})
	c := sandboxClient(t, s, Config{CustomerID: "00000000-0000-4000-8000-000000000000", Clock: NewFakeClock(start)})
	if _, _, err := c.Fetch(context.Background(), healthyLogin); ClassOf(err) != Fatal {
		t.Errorf("err = %v, want Fatal", err)
	}
}

func TestMalformedPayloadStillDecodes(t *testing.T) {
	_, c, _ := fakeTimeSandbox(t, flinkstest.Config{}, Config{})
	inv, _, err := c.Fetch(context.Background(), flinkstest.FaultLogin(flinkstest.FaultMalformed, 1))
	if err != nil || inv == nil {
		t.Fatalf("Fetch: %v (the lenient decoder keeps a malformed payload)", err)
	}
}

func TestBeginRefusesASecondSessionForOneLogin(t *testing.T) {
	_, c, _ := fakeTimeSandbox(t, flinkstest.Config{}, Config{})
	l, err := c.Begin(healthyLogin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Begin(healthyLogin); !errors.Is(err, ErrBusy) {
		t.Errorf("second Begin: %v, want ErrBusy", err)
	}
	if _, _, err := c.Fetch(context.Background(), healthyLogin); !errors.Is(err, ErrBusy) {
		t.Errorf("Fetch while open: %v, want ErrBusy", err)
	}
	l.Close()
	l.Close()
	l2, err := c.Begin(healthyLogin)
	if err != nil {
		t.Fatalf("Begin after Close: %v", err)
	}
	l2.Close()
}
