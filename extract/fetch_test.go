package extract

import (
	"context"
	"errors"
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

func TestFetchGivesUpAtPollTimeout(t *testing.T) {
	const interval, timeout = 10 * time.Second, 30 * time.Minute
	login := flinkstest.FaultLogin(flinkstest.FaultNeverReady, 1)
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{}, Config{PollInterval: interval, PollTimeout: timeout})
	_, rep, err := c.Fetch(context.Background(), login)
	if ClassOf(err) != TimedOut || !errors.Is(err, ErrDeadline) {
		t.Fatalf("err = %v, want TimedOut", err)
	}
	deadline := rep.FirstDataCall.Add(timeout)
	data := requestsOf(s, flinkstest.EndpointInvestments, login)
	if want := int(timeout / interval); len(data) != want {
		t.Errorf("%d data calls, want %d", len(data), want)
	}
	for _, r := range s.Requests() {
		if !r.Time.Before(deadline) {
			t.Errorf("a %s request at %v, not before the deadline %v", r.Endpoint, r.Time, deadline)
		}
	}
	if clock.Now().Before(deadline) {
		t.Errorf("gave up at %v, before the deadline %v", clock.Now(), deadline)
	}
	if rep.Polls != len(data) || rep.LastFlinksCode != "OPERATION_PENDING" {
		t.Errorf("report = %+v", rep)
	}
}

// A Step after the deadline makes no request, however late the caller comes back.
func TestStepAfterDeadlineMakesNoRequest(t *testing.T) {
	login := flinkstest.FaultLogin(flinkstest.FaultNeverReady, 2)
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{}, Config{PollTimeout: time.Minute})
	l, err := c.Begin(login)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for l.Report().Polls == 0 {
		if st := l.Step(context.Background()); st.Done {
			t.Fatalf("done early: %v", st.Err)
		}
	}
	before := s.Count("", login)
	clock.Advance(2 * time.Hour) // the pipeline parked it too long
	st := l.Step(context.Background())
	if !st.Done || ClassOf(st.Err) != TimedOut {
		t.Fatalf("step = %+v, want Done TimedOut", st)
	}
	if got := s.Count("", login); got != before {
		t.Errorf("%d requests after the deadline", got-before)
	}
	if again := l.Step(context.Background()); again.Err != st.Err {
		t.Error("a Done login's next Step differs")
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
		{flinkstest.FaultTruncatedJSON, flinkstest.EndpointInvestments},
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
		})
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
