package extract

import (
	"bytes"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

// start is where every fake clock begins.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// sandbox starts a Flinks imitation on loopback for the test.
func sandbox(t testing.TB, cfg flinkstest.Config) *flinkstest.Server {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 7
	}
	s := flinkstest.New(cfg)
	t.Cleanup(s.Close)
	return s
}

// sandboxClient returns a client of s: cfg with the sandbox's URLs, and its
// own transport, closed with the test so no connection outlives it.
func sandboxClient(t testing.TB, s *flinkstest.Server, cfg Config) *Client {
	t.Helper()
	cfg.BankingURL, cfg.WealthURL = s.URL, s.URL
	if cfg.CustomerID == "" {
		cfg.CustomerID = flinkstest.DefaultCustomerID
	}
	if cfg.HTTP == nil {
		tr := NewTransport()
		t.Cleanup(tr.CloseIdleConnections)
		cfg.HTTP = &http.Client{Transport: tr}
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeTimeSandbox is a sandbox and a client sharing one FakeClock.
func fakeTimeSandbox(t testing.TB, scfg flinkstest.Config, ccfg Config) (*flinkstest.Server, *Client, *FakeClock) {
	t.Helper()
	clock := NewFakeClock(start)
	scfg.Clock = clock.Now
	ccfg.Clock = clock
	s := sandbox(t, scfg)
	return s, sandboxClient(t, s, ccfg), clock
}

// requestsOf returns the sandbox's log of one login's requests to endpoint.
func requestsOf(s *flinkstest.Server, endpoint, loginID string) []flinkstest.Request {
	var out []flinkstest.Request
	for _, r := range s.Requests() {
		if r.Endpoint == endpoint && r.LoginID == loginID {
			out = append(out, r)
		}
	}
	return out
}

// logBuffer is a concurrency-safe sink for a text slog handler.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func debugLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// roundTripFunc is a hand-written seam around a real transport.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
