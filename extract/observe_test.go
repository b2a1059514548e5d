package extract

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/syncer/syncer/extract/flinkstest"
)

// answerCounts is a Config.OnAnswer that counts "endpoint outcome" pairs.
type answerCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *answerCounts) observe(endpoint, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[endpoint+" "+outcome]++
}

func (c *answerCounts) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.n {
		n += v
	}
	return n
}

// OnAnswer hears every HTTP exchange once, named by its API call (never a
// URL, which holds the customer id and the RequestId) and a small fixed
// outcome. Against the sandbox, with a secret key (so tokens are asked for):
// a login pending twice on Investments, one on banking, a disabled login,
// one throttled once and one answered 503 once, each counted exactly.
func TestOnAnswerCountsEveryExchange(t *testing.T) {
	var got answerCounts
	s, c, clock := fakeTimeSandbox(t, flinkstest.Config{SecretKey: "sk", Pending: flinkstest.FixedPending(2)},
		Config{SecretKey: "sk", OnAnswer: got.observe})
	logins := flinkstest.DemoLogins(7, 2)
	runProducts(t, c, clock, logins[0], Investments)
	runProducts(t, c, clock, logins[1], Banking)
	runProducts(t, c, clock, flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 1), Investments)
	runProducts(t, c, clock, flinkstest.TransientFaultLogin(flinkstest.FaultTooManyRequests, 1, 1), Investments)
	runProducts(t, c, clock, flinkstest.TransientFaultLogin(flinkstest.FaultHTTP503, 1, 2), Investments)

	want := map[string]int{
		"GenerateAuthorizeToken ok": 5,
		"Authorize ok":              4,
		"Authorize client_error":    1, // DISABLED_LOGIN
		// logins[0], the throttled and the 503 login: two 202s each, then a 200
		"Investments pending":            6,
		"Investments ok":                 3,
		"Investments throttled":          1,
		"Investments server_error":       1,
		"GetAccountsDetail pending":      1,
		"GetAccountsDetailAsync pending": 1,
		"GetAccountsDetailAsync ok":      1,
	}
	if fmt.Sprint(got.n) != fmt.Sprint(want) {
		t.Errorf("answers heard:\n%v\nwant\n%v\nsandbox saw: %v", got.n, want, sandboxLog(s))
	}
	if got.total() != len(s.Requests()) {
		t.Errorf("%d answers heard, the sandbox answered %d requests", got.total(), len(s.Requests()))
	}
	for k := range got.n {
		if strings.Contains(k, "/") || strings.Contains(k, flinkstest.DefaultCustomerID) {
			t.Errorf("endpoint %q is a URL", k)
		}
	}
}

// No answer at all is a network_error, one per attempt; an exchange the
// caller's context ends is canceled, not a network error.
func TestOnAnswerNetworkErrorAndCanceled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused

	var got answerCounts
	clock := NewFakeClock(start)
	c, err := New(Config{BankingURL: closed, WealthURL: closed, CustomerID: "c", MaxAttempts: 3, OnAnswer: got.observe, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	runProducts(t, c, clock, healthyLogin, Investments)
	if want := map[string]int{"Authorize network_error": 3}; fmt.Sprint(got.n) != fmt.Sprint(want) {
		t.Errorf("unreachable Flinks: %v, want %v", got.n, want)
	}

	// The data call is cancelled as it leaves: the run stopped, Flinks did not fail.
	var canceled answerCounts
	s := sandbox(t, flinkstest.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := NewTransport()
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, "/Investments") {
			cancel()
			<-r.Context().Done()
		}
		return tr.RoundTrip(r)
	})}
	c2 := sandboxClient(t, s, Config{HTTP: hc, OnAnswer: canceled.observe})
	l, err := c2.Begin(healthyLogin, Investments)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for st := l.Step(ctx); !st.Done; st = l.Step(ctx) {
	}
	if want := map[string]int{"Authorize ok": 1, "Investments canceled": 1}; fmt.Sprint(canceled.n) != fmt.Sprint(want) {
		t.Errorf("cancelled run: %v, want %v", canceled.n, want)
	}
}

// Every outcome OnAnswer can report is in AnswerOutcomes and every endpoint
// in Endpoints, so a metric can start each series at 0.
func TestAnswerOutcomeIsFromTheFixedSet(t *testing.T) {
	for _, tc := range []struct {
		a    answer
		want string
	}{
		{answer{status: 200}, AnswerOK},
		{answer{status: 202}, AnswerPending},
		{answer{status: 200, code: "OPERATION_PENDING"}, AnswerPending},
		{answer{status: 429}, AnswerThrottled},
		{answer{status: 401, code: "TOO_MANY_REQUESTS"}, AnswerThrottled},
		{answer{status: 200, code: "DISABLED_LOGIN"}, AnswerClientError},
		{answer{status: 203}, AnswerClientError},
		{answer{status: 400, code: "INVALID_REQUEST"}, AnswerClientError},
		{answer{status: 302}, AnswerClientError},
		{answer{status: 500, code: "AGGREGATION_ERROR"}, AnswerServerError},
		{answer{status: 503}, AnswerServerError},
		{answer{err: net.ErrClosed}, AnswerNetworkError},
		{answer{status: 200, err: fmt.Errorf("unexpected EOF")}, AnswerNetworkError},
		{answer{status: 200, err: fmt.Errorf("%w", ErrBodyTooLarge)}, AnswerOK},
	} {
		got := answerOutcome(context.Background(), tc.a)
		if got != tc.want {
			t.Errorf("answerOutcome(%+v) = %q, want %q", tc.a, got, tc.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := answerOutcome(ctx, answer{err: context.Canceled}); got != AnswerCanceled {
		t.Errorf("cancelled exchange: %q", got)
	}
	if len(Endpoints) != 5 || len(AnswerOutcomes) != 7 {
		t.Errorf("Endpoints %v, AnswerOutcomes %v", Endpoints, AnswerOutcomes)
	}
}

func sandboxLog(s *flinkstest.Server) []string {
	var out []string
	for _, r := range s.Requests() {
		out = append(out, fmt.Sprintf("%s:%d:%s", r.Endpoint, r.Status, r.FlinksCode))
	}
	return out
}
