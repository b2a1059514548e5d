package extract

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/syncer/syncer/extract/flinkstest"
)

// TestUnreachableOverLoopback fetches a login from endpoints that cannot
// serve it, over real connections: each failure is unreachable, with its
// cause named; answers Flinks did give are not.
func TestUnreachableOverLoopback(t *testing.T) {
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there any more: connections are refused
		return "http://" + addr
	}()
	always503 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(always503.Close)
	notTLS := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(notTLS.Close)
	healthy := sandbox(t, flinkstest.Config{})

	cases := []struct {
		name, url, login, cause string
		unreachable             bool
	}{
		{"connection refused", closed, healthyLogin, "connection refused", true},
		{"every answer 503", always503.URL, healthyLogin, "HTTP 503", true},
		{"TLS to a plain HTTP server", "https://" + notTLS.Listener.Addr().String(), healthyLogin, "TLS handshake failed", true},
		{"unknown LoginId", healthy.URL, flinkstest.FaultLogin(flinkstest.FaultInvalidLogin, 1), "", false},
		{"disabled login", healthy.URL, flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 1), "", false},
		{"RETRY_LATER", healthy.URL, flinkstest.FaultLogin(flinkstest.FaultRetryLater, 1), "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := NewTransport()
			t.Cleanup(tr.CloseIdleConnections)
			client, err := New(Config{BankingURL: c.url, WealthURL: c.url, CustomerID: flinkstest.DefaultCustomerID,
				HTTP: &http.Client{Transport: tr}, MaxAttempts: 2, BackoffBase: 1, BackoffMax: 2})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = client.Fetch(context.Background(), c.login)
			if err == nil {
				t.Fatal("the login succeeded")
			}
			cause, ok := Unreachable(err)
			if ok != c.unreachable || cause != c.cause {
				t.Errorf("Unreachable(%v) = %q, %v; want %q, %v", err, cause, ok, c.cause, c.unreachable)
			}
		})
	}
}

// TestUnreachableClassifies covers the causes loopback cannot produce (a
// DNS failure) and the outcomes that are never unreachable.
func TestUnreachableClassifies(t *testing.T) {
	dns := &net.DNSError{Err: "no such host", Name: "toolbx-api.private.fin.ag", IsNotFound: true}
	cases := []struct {
		name  string
		err   error
		cause string
		ok    bool
	}{
		{"DNS failure", &Error{Class: Retry, Op: "authorize", Err: &net.OpError{Op: "dial", Err: dns}}, "DNS lookup failed", true},
		{"500 with a code", &Error{Class: Retry, Op: "investments", Status: 500, FlinksCode: "AGGREGATION_ERROR"}, "HTTP 500", true},
		{"cut mid body", &Error{Class: Retry, Op: "investments", Status: 200, Err: errors.New("unexpected EOF")}, "", false},
		{"throttled for ever", &Error{Class: Throttled, Op: "investments", Status: 429}, "", false},
		{"cancelled", &Error{Class: Canceled, Op: "step", Err: context.Canceled}, "", false},
		{"stopped by another login", &Error{Class: Fatal, Op: "authorize", Err: ErrRunStopped}, "", false},
		{"timed out", &Error{Class: TimedOut, Op: "investments", Status: 202, Err: ErrDeadline}, "", false},
		{"not a Flinks error", errors.New("disk full"), "", false},
		{"nil", nil, "", false},
	}
	for _, c := range cases {
		if cause, ok := Unreachable(c.err); ok != c.ok || cause != c.cause {
			t.Errorf("%s: Unreachable = %q, %v; want %q, %v", c.name, cause, ok, c.cause, c.ok)
		}
	}
}
