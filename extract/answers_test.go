package extract

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/syncer/syncer/payload"
)

// scripted is a tiny Flinks for answers the sandbox never gives: Authorize
// always opens session "r-1"; the data calls get the scripted answers in
// order, then the last one again.
type scripted struct {
	mu      sync.Mutex
	answers []scriptedAnswer
	calls   int
}

type scriptedAnswer struct {
	status int
	body   string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/Authorize") {
		w.Write([]byte(`{"HttpStatusCode":200,"RequestId":"r-1"}`))
		return
	}
	s.mu.Lock()
	a := s.answers[min(s.calls, len(s.answers)-1)]
	s.calls++
	s.mu.Unlock()
	w.WriteHeader(a.status)
	w.Write([]byte(a.body))
}

const tinyPayload = `{"Investments":[{"Name":"X","Id":"1","Accounts":[]}],"Message":null}`

// Answers whose status and body disagree: the FlinksCode in the body decides.
func TestOddAnswers(t *testing.T) {
	tests := []struct {
		name    string
		answers []scriptedAnswer
		want    Class // Ready for success
		wantErr error
		calls   int
	}{
		{"error body under 200 is retried", []scriptedAnswer{{200, `{"FlinksCode":"RETRY_LATER"}`}, {200, tinyPayload}}, Ready, nil, 2},
		{"pending code beside a payload", []scriptedAnswer{{200, `{"Investments":[],"FlinksCode":"OPERATION_PENDING"}`}, {200, tinyPayload}}, Ready, nil, 2},
		{"needs-user code under 200", []scriptedAnswer{{200, `{"FlinksCode":"DISABLED_LOGIN"}`}}, NeedsUser, nil, 1},
		{"JSON that is not investments", []scriptedAnswer{{200, `{"Accounts":[]}`}}, Rejected, payload.ErrShape, 1},
		{"HTML under 200", []scriptedAnswer{{200, `<html><body>Service</body></html>`}}, Rejected, payload.ErrSyntax, 1},
		{"NaN under 200", []scriptedAnswer{{200, `NaN`}}, Rejected, payload.ErrSyntax, 1},
		{"empty body under 200", []scriptedAnswer{{200, ``}}, Rejected, payload.ErrSyntax, 1},
		{"trailing data after the payload", []scriptedAnswer{{200, tinyPayload + ` x`}}, Rejected, payload.ErrSyntax, 1},
		{"two payloads in one body", []scriptedAnswer{{200, tinyPayload + tinyPayload}}, Rejected, payload.ErrSyntax, 1},
		{"cut short once, then whole", []scriptedAnswer{{200, tinyPayload[:30]}, {200, tinyPayload}}, Ready, nil, 2},
		{"cut short every time", []scriptedAnswer{{200, tinyPayload[:30]}}, Rejected, payload.ErrSyntax, 2},
		{"202 without a code", []scriptedAnswer{{202, ``}, {200, tinyPayload}}, Ready, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &scripted{answers: tt.answers}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			c, err := New(Config{BankingURL: srv.URL, WealthURL: srv.URL, CustomerID: "c", MaxAttempts: 3, Clock: NewFakeClock(start)})
			if err != nil {
				t.Fatal(err)
			}
			inv, _, err := c.Fetch(context.Background(), healthyLogin)
			if tt.want == Ready {
				if err != nil || inv == nil {
					t.Fatalf("Fetch: %v", err)
				}
			} else if ClassOf(err) != tt.want || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("err = %v, want class %v wrapping %v", err, tt.want, tt.wantErr)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if fake.calls != tt.calls {
				t.Errorf("%d data calls, want %d", fake.calls, tt.calls)
			}
		})
	}
}
