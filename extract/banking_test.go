package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

// stepToEnd steps l until it is Done, advancing clock by every Wait.
func stepToEnd(t *testing.T, l *Login, clock *FakeClock) Step {
	t.Helper()
	for range 100000 {
		st := l.Step(context.Background())
		if st.Done {
			return st
		}
		clock.Advance(st.Wait)
	}
	t.Fatal("login never ended")
	return Step{}
}

// runProducts runs one login of c to its end with products.
func runProducts(t *testing.T, c *Client, clock *FakeClock, login string, products ...Product) (Step, Report) {
	t.Helper()
	l, err := c.Begin(login, products...)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	st := stepToEnd(t, l, clock)
	return st, l.Report()
}

// sequence renders the sandbox's requests of login as endpoint:status.
func sequence(s *flinkstest.Server, login string) []string {
	var out []string
	for _, r := range s.Requests() {
		if r.LoginID == login {
			out = append(out, fmt.Sprintf("%s:%d", r.Endpoint, r.Status))
		}
	}
	return out
}

// bodyRecorder wraps a real transport and keeps the bodies sent to
// GetAccountsDetail and the methods used on its Async twin.
type bodyRecorder struct {
	bodies  [][]byte
	methods []string
}

func (b *bodyRecorder) client(t *testing.T) *http.Client {
	tr := NewTransport()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/GetAccountsDetail"):
			body, _ := io.ReadAll(r.Body)
			b.bodies = append(b.bodies, body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		case strings.Contains(r.URL.Path, "/GetAccountsDetailAsync/"):
			b.methods = append(b.methods, r.Method)
		}
		return tr.RoundTrip(r)
	})}
}

// Pending ×3 then ready: one POST GetAccountsDetail with the documented
// members, then GET GetAccountsDetailAsync/{RequestId} every interval with
// the same RequestId until the 200.
func TestBankingPendingThenReadyOnAsync(t *testing.T) {
	const interval = 10 * time.Second
	var rec bodyRecorder
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(3)},
		Config{PollInterval: interval, HTTP: rec.client(t), TransactionDays: 365})
	st, rep := runProducts(t, c, clock, healthyLogin, Banking)
	if !st.Done || st.Err != nil || len(st.Outcomes) != 1 || st.Outcomes[0].Product != Banking || !json.Valid(st.Outcomes[0].Banking) {
		t.Fatalf("step = %+v", st)
	}
	if st.Payload != nil || st.Outcomes[0].LastRefresh.IsZero() {
		t.Errorf("payload %v, last refresh %v", st.Payload, st.Outcomes[0].LastRefresh)
	}
	want := []string{"Authorize:200", "GetAccountsDetail:202", "GetAccountsDetailAsync:202", "GetAccountsDetailAsync:202", "GetAccountsDetailAsync:200"}
	if got := sequence(s, healthyLogin); !slices.Equal(got, want) {
		t.Fatalf("requests %v\nwant %v", got, want)
	}
	var rid string
	var prev time.Time
	for i, r := range s.Requests() {
		if r.Endpoint == flinkstest.EndpointAuthorize {
			rid = r.RequestID
			continue
		}
		if r.RequestID != rid || rid == "" {
			t.Errorf("data call %d used RequestId %q, the session's is %q", i, r.RequestID, rid)
		}
		if !prev.IsZero() && r.Time.Sub(prev) != interval {
			t.Errorf("data calls %v apart, want %v", r.Time.Sub(prev), interval)
		}
		prev = r.Time
	}
	if len(rec.bodies) != 1 {
		t.Fatalf("%d GetAccountsDetail bodies", len(rec.bodies))
	}
	var req map[string]any
	if err := json.Unmarshal(rec.bodies[0], &req); err != nil {
		t.Fatal(err)
	}
	wantReq := map[string]any{"RequestId": rid, "WithAccountIdentity": true, "WithKYC": true, "WithTransactions": true,
		"DaysOfTransactions": "Days365", "MostRecentCached": true}
	if fmt.Sprint(req) != fmt.Sprint(wantReq) {
		t.Errorf("GetAccountsDetail body %v\nwant %v", req, wantReq)
	}
	if !slices.Equal(rec.methods, []string{"GET", "GET", "GET"}) {
		t.Errorf("Async methods %v", rec.methods)
	}
	if rep.Polls != 3 || rep.Sessions != 1 {
		t.Errorf("report %+v", rep)
	}
}

// The banking product gives up on a 202 at or after its poll deadline.
func TestBankingGivesUpAtPollTimeout(t *testing.T) {
	const interval, timeout = 10 * time.Second, 5 * time.Minute
	login := flinkstest.FaultLogin(flinkstest.FaultNeverReady, 1)
	s, c, _ := fakeTimeSandbox(t, flinkstest.Config{}, Config{PollInterval: interval, PollTimeout: timeout})
	clock := c.cfg.Clock.(*FakeClock)
	st, rep := runProducts(t, c, clock, login, Banking)
	var e *Error
	if !errors.As(st.Err, &e) || e.Class != TimedOut || e.Op != "banking" || !errors.Is(st.Err, ErrDeadline) {
		t.Fatalf("err = %v, want banking TimedOut", st.Err)
	}
	polls := requestsOf(s, flinkstest.EndpointAccountsDetailAsync, login)
	if want := int(timeout / interval); len(polls) != want {
		t.Errorf("%d Async polls, want %d", len(polls), want)
	}
	deadline := rep.FirstDataCall.Add(timeout)
	if last := polls[len(polls)-1]; !last.Time.Equal(deadline) || last.Status != 202 {
		t.Errorf("last poll at %v answered %d, want a 202 at %v", last.Time, last.Status, deadline)
	}
}

// SESSION_NONEXISTENT while polling the Async endpoint opens a new session
// and asks GetAccountsDetail again with the new RequestId.
func TestBankingSessionExpiryMidPoll(t *testing.T) {
	login := flinkstest.TransientFaultLogin(flinkstest.FaultSessionNonexistent, 1, 1)
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(2)}, Config{})
	st, rep := runProducts(t, c, clock, login, Banking)
	if st.Err != nil || len(st.Outcomes[0].Banking) == 0 {
		t.Fatalf("step %+v", st)
	}
	want := []string{"Authorize:200", "GetAccountsDetail:202", "GetAccountsDetailAsync:400",
		"Authorize:200", "GetAccountsDetail:202", "GetAccountsDetailAsync:202", "GetAccountsDetailAsync:200"}
	if got := sequence(s, login); !slices.Equal(got, want) {
		t.Fatalf("requests %v\nwant %v", got, want)
	}
	data := requestsOf(s, flinkstest.EndpointAccountsDetail, login)
	if data[0].RequestID == data[1].RequestID || rep.Sessions != 2 {
		t.Errorf("GetAccountsDetail reused the expired RequestId, or %d sessions", rep.Sessions)
	}
}

// Both products come from one Authorize session.
func TestBothProductsFromOneSession(t *testing.T) {
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(1)}, Config{})
	st, rep := runProducts(t, c, clock, healthyLogin, Banking, Investments)
	if st.Err != nil || st.Payload == nil || len(st.Outcomes) != 2 {
		t.Fatalf("step %+v", st)
	}
	if st.Outcomes[0].Product != Investments || st.Outcomes[1].Product != Banking || st.Outcomes[1].Banking == nil {
		t.Errorf("outcomes %+v", st.Outcomes)
	}
	want := []string{"Authorize:200", "Investments:202", "Investments:200", "GetAccountsDetail:202", "GetAccountsDetailAsync:200"}
	if got := sequence(s, healthyLogin); !slices.Equal(got, want) {
		t.Fatalf("requests %v\nwant %v", got, want)
	}
	if rep.Sessions != 1 || s.Count(flinkstest.EndpointAuthorize, "") != 1 {
		t.Errorf("%d sessions", rep.Sessions)
	}
}

// One product failing leaves the other's outcome alone.
func TestProductsFailSeparately(t *testing.T) {
	login := flinkstest.TransientFaultLogin(flinkstest.FaultInvalidRequest, 1, 1) // the first data call: investments
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{}, Config{})
	st, _ := runProducts(t, c, clock, login, Investments, Banking)
	if len(st.Outcomes) != 2 || st.Outcomes[0].Err == nil || st.Outcomes[1].Err != nil || st.Outcomes[1].Banking == nil {
		t.Fatalf("outcomes %+v; requests %v", st.Outcomes, sequence(s, login))
	}
	if st.Err != st.Outcomes[0].Err {
		t.Errorf("Step.Err %v, want the failed product's", st.Err)
	}
}

// /Investments answering as a retired product: the run says so once, no
// login retries it, the next logins do not even ask, and banking goes on.
func TestRetiredInvestmentsSaidOnce(t *testing.T) {
	var logs logBuffer
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{RetiredInvestments: true}, Config{Logger: debugLogger(&logs)})
	logins := flinkstest.DemoLogins(7, 3)
	for _, login := range logins {
		st, _ := runProducts(t, c, clock, login, Investments, Banking)
		if ClassOf(st.Outcomes[0].Err) != Retired || !errors.Is(st.Outcomes[0].Err, ErrRetired) {
			t.Errorf("investments outcome %v, want Retired", st.Outcomes[0].Err)
		}
		if st.Outcomes[1].Err != nil {
			t.Errorf("banking outcome %v", st.Outcomes[1].Err)
		}
	}
	if got := s.Count(flinkstest.EndpointInvestments, ""); got != 1 {
		t.Errorf("%d /Investments requests, want 1", got)
	}
	if got := strings.Count(logs.String(), retiredLog); got != 1 {
		t.Errorf("retired message logged %d times, want once:\n%s", got, logs.String())
	}
	if !strings.Contains(RetiredMessage, "--products banking") || !c.Retired() {
		t.Error("the message does not point to --products banking, or the client does not know")
	}
}

// 404 and an error body that says so also mean retired; a 404 elsewhere
// (Authorize) still means a wrong base URL.
func TestRetiredAnswers(t *testing.T) {
	for _, tt := range []struct {
		a    answer
		want bool
	}{
		{answer{status: 404}, true},
		{answer{status: 410}, true},
		{answer{status: 400, body: []byte(`{"Message":"This endpoint has been removed","FlinksCode":"INVALID_REQUEST"}`)}, true},
		{answer{status: 400, body: []byte(`{"FlinksCode":"PRODUCT_RETIRED"}`)}, true},
		{answer{status: 400, body: []byte(`{"FlinksCode":"SESSION_NONEXISTENT"}`)}, false},
		{answer{status: 500}, false},
		{answer{status: 200, body: []byte(`{"Message":"retired"}`)}, false},
	} {
		if got := isRetired(tt.a); got != tt.want {
			t.Errorf("isRetired(%d %s) = %v", tt.a.status, tt.a.body, got)
		}
	}
}

func TestTransactionDaysMustBe90Or365(t *testing.T) {
	for _, d := range []int{30, -1, 91} {
		if _, err := New(Config{BankingURL: "http://x", WealthURL: "http://x", CustomerID: "c", TransactionDays: d}); err == nil {
			t.Errorf("TransactionDays %d accepted", d)
		}
	}
	for _, ps := range []string{"", "loans", "investments,,bank"} {
		if _, err := ParseProducts(ps); err == nil {
			t.Errorf("ParseProducts(%q) accepted", ps)
		}
	}
	if got, _ := ParseProducts(" Banking, investments,banking"); !slices.Equal(got, []Product{Investments, Banking}) {
		t.Errorf("ParseProducts = %v", got)
	}
}

// Every sandbox fault kind applies to the banking flow, and is read as it
// is for investments.
func TestBankingFaultsAreClassified(t *testing.T) {
	for _, tt := range []struct {
		login string
		want  Class
	}{
		{flinkstest.FaultLogin(flinkstest.FaultAggregationError, 1), Retry},
		{flinkstest.FaultLogin(flinkstest.FaultHTTP500, 1), Retry},
		{flinkstest.FaultLogin(flinkstest.FaultHTTP503, 1), Retry},
		{flinkstest.FaultLogin(flinkstest.FaultCutMidBody, 1), Retry},
		{flinkstest.FaultLogin(flinkstest.FaultTruncatedJSON, 1), Rejected},
		{flinkstest.FaultLogin(flinkstest.FaultOversize, 1), Rejected},
		{flinkstest.FaultLogin(flinkstest.FaultNeverReady, 1), TimedOut},
		{flinkstest.FaultLogin(flinkstest.FaultSessionNonexistent, 1), Reauth},
		{flinkstest.FaultLogin(flinkstest.FaultInvalidLogin, 1), Rejected},
		{flinkstest.FaultLogin(flinkstest.FaultDisabledLogin200, 1), NeedsUser},
		{flinkstest.FaultLogin(flinkstest.FaultMFA, 1), NeedsUser},
		{flinkstest.FaultLogin(flinkstest.FaultDispatched, 1), Ready},
		{flinkstest.FaultLogin(flinkstest.FaultSlow, 1), Ready},
		{flinkstest.TransientFaultLogin(flinkstest.FaultTooManyRequests429, 1, 1), Ready},
		{flinkstest.TransientFaultLogin(flinkstest.FaultTruncatedJSON, 1, 1), Ready},
	} {
		t.Run(tt.login[:13], func(t *testing.T) {
			// The cap is above every banking body and below the oversize one.
			s, c, clock := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(1), Delay: time.Millisecond, OversizeBytes: 8 << 20},
				Config{PollTimeout: time.Minute, MaxAttempts: 3, MaxBodyBytes: 4 << 20})
			st, _ := runProducts(t, c, clock, tt.login, Banking)
			if got := ClassOf(st.Err); got != tt.want {
				t.Errorf("class %v (%v), want %v; requests %v", got, st.Err, tt.want, sequence(s, tt.login))
			}
			if tt.want == Ready && len(st.Outcomes[0].Banking) == 0 {
				t.Error("no banking body")
			}
		})
	}
}
