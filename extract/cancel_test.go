package extract

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

// parkedClock is a FakeClock whose waits never end on their own: each one is
// reported on waits, so a test can cancel while the client is parked.
type parkedClock struct {
	*FakeClock
	waits chan time.Duration
}

func (p parkedClock) After(d time.Duration) <-chan time.Time {
	p.waits <- d
	return nil // never fires
}

// noClientGoroutinesLeft fails the test if goroutines of this package or of
// the HTTP client side remain once idle connections are closed. It yields
// (no sleep) until they have exited, giving up after a generous bound.
func noClientGoroutinesLeft(t *testing.T, tr *http.Transport) {
	t.Helper()
	tr.CloseIdleConnections()
	var stacks string
	for giveUp := time.Now().Add(10 * time.Second); time.Now().Before(giveUp); runtime.Gosched() {
		stacks = clientGoroutines()
		if stacks == "" {
			return
		}
	}
	t.Errorf("goroutines left behind:\n%s", stacks)
}

func clientGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "flinkstest") || strings.Contains(g, "testing.tRunner") {
			continue // the sandbox's own, or a test's
		}
		if strings.Contains(g, "net/http.(*persistConn)") || strings.Contains(g, "syncer/extract.") {
			left = append(left, g)
		}
	}
	return strings.Join(left, "\n\n")
}

// fetchAsync runs Fetch in a goroutine and returns its error on a channel.
func fetchAsync(ctx context.Context, c *Client, login string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Fetch(ctx, login)
		done <- err
	}()
	return done
}

func TestCancelMidPoll(t *testing.T) {
	s := sandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(100)})
	clock := parkedClock{NewFakeClock(start), make(chan time.Duration)}
	tr := NewTransport()
	// A rate with room for Authorize and the first poll at once.
	c := sandboxClient(t, s, Config{Clock: clock, HTTP: &http.Client{Transport: tr}, Rate: 1000})
	ctx, cancel := context.WithCancel(context.Background())
	done := fetchAsync(ctx, c, healthyLogin)
	<-clock.waits // authorize done, first 202 answered: parked until the next poll
	cancel()
	if err := <-done; ClassOf(err) != Canceled {
		t.Fatalf("err = %v, want Canceled", err)
	}
	if got := s.Count(flinkstest.EndpointInvestments, healthyLogin); got != 1 {
		t.Errorf("%d data calls, want 1", got)
	}
	noClientGoroutinesLeft(t, tr)
}

// A canceled request waiting for its answer (a slow Flinks) returns at once.
func TestCancelMidRequest(t *testing.T) {
	s := sandbox(t, flinkstest.Config{Delay: time.Hour})
	tr := NewTransport()
	sent := make(chan struct{}, 1)
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, "/Investments") {
			sent <- struct{}{}
		}
		return tr.RoundTrip(r)
	})}
	c := sandboxClient(t, s, Config{Clock: NewFakeClock(start), HTTP: hc})
	ctx, cancel := context.WithCancel(context.Background())
	done := fetchAsync(ctx, c, flinkstest.FaultLogin(flinkstest.FaultSlow, 1))
	<-sent
	cancel()
	if err := <-done; ClassOf(err) != Canceled {
		t.Fatalf("err = %v, want Canceled (the sandbox would answer in an hour)", err)
	}
	noClientGoroutinesLeft(t, tr)
}

// A canceled read of a long body stops reading at once.
func TestCancelMidBody(t *testing.T) {
	s := sandbox(t, flinkstest.Config{OversizeBytes: 64 << 20})
	tr := NewTransport()
	ctx, cancel := context.WithCancel(context.Background())
	var read int64
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := tr.RoundTrip(r)
		if err == nil && resp.StatusCode == http.StatusOK && strings.HasSuffix(r.URL.Path, "/Investments") {
			resp.Body = &cancelAfterFirstRead{ReadCloser: resp.Body, cancel: cancel, read: &read}
		}
		return resp, err
	})}
	c := sandboxClient(t, s, Config{Clock: NewFakeClock(start), HTTP: hc, MaxBodyBytes: 1 << 30})
	done := fetchAsync(ctx, c, flinkstest.FaultLogin(flinkstest.FaultOversize, 1))
	if err := <-done; ClassOf(err) != Canceled {
		t.Fatalf("err = %v, want Canceled", err)
	}
	if read >= 64<<20 {
		t.Errorf("read %d bytes after cancel: the whole body", read)
	}
	noClientGoroutinesLeft(t, tr)
}

type cancelAfterFirstRead struct {
	io.ReadCloser
	cancel func()
	read   *int64
}

func (b *cancelAfterFirstRead) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	*b.read += int64(n)
	b.cancel()
	return n, err
}
