package flinkstest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// testAsOf is the as-of date of most tests.
var testAsOf = time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)

// fakeClock is an injectable clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 31, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// start runs a sandbox for the test.
func start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.AsOf.IsZero() {
		cfg.AsOf = testAsOf
	}
	s := New(cfg)
	t.Cleanup(s.Close)
	return s
}

// reply is what a plain net/http client saw.
type reply struct {
	status int
	header http.Header
	body   []byte
	err    error // transport or body read error
}

// errorBody decodes an error body; fields tells which members were present.
func (r reply) errorBody(t testing.TB) (code string, fields []string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("error body is not JSON: %v: %q", err, r.body)
	}
	for k := range m {
		fields = append(fields, k)
	}
	json.Unmarshal(m["FlinksCode"], &code) //nolint:errcheck
	return code, fields
}

func (r reply) code() string {
	var m struct{ FlinksCode string }
	json.Unmarshal(r.body, &m) //nolint:errcheck
	return m.FlinksCode
}

func (r reply) field(name string) string {
	var m map[string]json.RawMessage
	json.Unmarshal(r.body, &m) //nolint:errcheck
	var s string
	json.Unmarshal(m[name], &s) //nolint:errcheck
	return s
}

var plainClient = &http.Client{}

func do(t testing.TB, client *http.Client, method, url string, body any, header map[string]string) reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

func banking(s *Server, endpoint string) string {
	return s.URL + "/v3/" + DefaultCustomerID + "/BankingServices/" + endpoint
}

func investmentsURL(s *Server) string { return s.URL + "/v3/" + DefaultCustomerID + "/Investments" }

func authorize(t testing.TB, s *Server, loginID string, header map[string]string) reply {
	t.Helper()
	return do(t, plainClient, http.MethodPost, banking(s, "Authorize"), map[string]any{"LoginId": loginID, "MostRecentCached": true}, header)
}

func investments(t testing.TB, s *Server, client *http.Client, loginID, requestID string, header map[string]string) reply {
	t.Helper()
	return do(t, client, http.MethodPost, investmentsURL(s), map[string]any{"LoginId": loginID, "RequestId": requestID, "MostRecentCached": "true"}, header)
}

// httpTestServer serves h with the standard library's test server, as a
// program embedding the handler would.
func httpTestServer(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
