package extract

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/syncer/syncer/extract/flinkstest"
)

// A server whose certificate nothing trusts stops the run (Fatal, naming
// the certificate) after one request, and every later login is stopped
// without calling it.
func TestUntrustedCertificateIsFatal(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	t.Cleanup(srv.Close)
	tr := NewTransport()
	t.Cleanup(tr.CloseIdleConnections)
	c, err := New(Config{BankingURL: srv.URL, WealthURL: srv.URL, CustomerID: flinkstest.DefaultCustomerID,
		HTTP: &http.Client{Transport: tr}, MaxAttempts: 3, BackoffBase: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Fetch(context.Background(), healthyLogin)
	if ClassOf(err) != Fatal || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want Fatal naming the certificate", err)
	}
	if _, _, err := c.Fetch(context.Background(), healthyLogin); ClassOf(err) != Fatal {
		t.Errorf("the next login: %v, want Fatal", err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the handler through an unverified TLS handshake", n)
	}
}
