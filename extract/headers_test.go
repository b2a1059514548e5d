package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/syncer/syncer/extract/flinkstest"
)

// sentRequest is what the client put on the wire for one call.
type sentRequest struct {
	endpoint string
	header   http.Header
	body     map[string]any
}

// recordingClient wraps a real transport and keeps every request it sends.
func recordingClient(t *testing.T) (*http.Client, func() []sentRequest) {
	tr := NewTransport()
	t.Cleanup(tr.CloseIdleConnections)
	var mu sync.Mutex
	var sent []sentRequest
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("request body is not JSON: %v", err)
		}
		mu.Lock()
		sent = append(sent, sentRequest{path.Base(r.URL.Path), r.Header.Clone(), body})
		mu.Unlock()
		return tr.RoundTrip(r)
	})}
	return hc, func() []sentRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]sentRequest(nil), sent...)
	}
}

// Each secret goes only where it belongs, and bodies are as Flinks documents them.
func TestRequestsCarryTheRightHeadersAndBodies(t *testing.T) {
	hc, sent := recordingClient(t)
	s := sandbox(t, flinkstest.Config{SecretKey: canarySecret, APIKey: canaryAPIKey, Pending: flinkstest.FixedPending(1)})
	c := sandboxClient(t, s, Config{SecretKey: canarySecret, APIKey: canaryAPIKey, Tag: "run-7", HTTP: hc, Clock: NewFakeClock(start)})
	if _, _, err := c.Fetch(context.Background(), healthyLogin); err != nil {
		t.Fatal(err)
	}
	reqs := sent()
	var order []string
	for _, r := range reqs {
		order = append(order, r.endpoint)
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", r.endpoint, ct)
		}
		auth, api := r.header.Get("flinks-auth-key"), r.header.Get("x-api-key")
		switch r.endpoint {
		case "GenerateAuthorizeToken":
			if auth != canarySecret || api != "" {
				t.Errorf("token call: flinks-auth-key secret=%v, x-api-key set=%v", auth == canarySecret, api != "")
			}
		case "Authorize":
			if auth == "" || auth == canarySecret || api != "" {
				t.Errorf("Authorize: want the token (not the secret) in flinks-auth-key and no x-api-key")
			}
			if r.body["LoginId"] != healthyLogin || r.body["MostRecentCached"] != true || r.body["Tag"] != "run-7" {
				t.Errorf("Authorize body = %v", r.body)
			}
		case "Investments":
			if auth != "" || api != canaryAPIKey {
				t.Errorf("Investments: want x-api-key and no flinks-auth-key")
			}
			if r.body["LoginId"] != healthyLogin || r.body["RequestId"] == "" || r.body["MostRecentCached"] != true {
				t.Errorf("Investments body = %v", r.body)
			}
		}
	}
	want := []string{"GenerateAuthorizeToken", "Authorize", "Investments", "Investments"}
	if len(order) != len(want) {
		t.Fatalf("calls %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("calls %v, want %v", order, want)
		}
	}
}

// A redirect is never followed: it would carry our secret headers to wherever
// it points. A redirecting API root is a configuration error for the run.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	c, err := New(Config{BankingURL: api.URL, WealthURL: api.URL, CustomerID: "c", SecretKey: canarySecret, Clock: NewFakeClock(start)})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Fetch(context.Background(), healthyLogin)
	if ClassOf(err) != Fatal {
		t.Errorf("err = %v, want Fatal", err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}
