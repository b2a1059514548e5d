package pipeline

import (
	"context"
	"errors"
	"testing"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/schema"
)

// productRows returns every sync_login_products row committed, by LoginId
// and product.
func (m *memSink) productRows() map[string]map[string]schema.Row {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]map[string]schema.Row{}
	for _, b := range m.batches {
		for _, r := range b.Rows[schema.SyncLoginProducts.Name] {
			id := r[schema.SyncLoginProducts.Index("login_id")].(string)
			if out[id] == nil {
				out[id] = map[string]schema.Row{}
			}
			out[id][r[schema.SyncLoginProducts.Index("product")].(string)] = r
		}
	}
	return out
}

// A retired /Investments fails the run with one message, asked once, never
// retried, and every login's investments product is recorded as rejected.
func TestRetiredInvestmentsFailTheRun(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 3, RetiredInvestments: true})
	client := fastClient(t, srv, nil)
	logins := flinkstest.DemoLogins(3, 5)
	sink := &memSink{}
	sum, err := Run(context.Background(), client, sink, logins, Options{RunID: runID(t), Concurrency: 1})
	if !errors.Is(err, extract.ErrRetired) || sum.Status != RunFailed {
		t.Fatalf("Run: %v, status %s; want ErrRetired, failed", err, sum.Status)
	}
	if got := srv.Count(flinkstest.EndpointInvestments, ""); got != 1 {
		t.Errorf("%d /Investments requests, want 1", got)
	}
	products := sink.productRows()
	for _, id := range logins {
		r := products[id][string(extract.Investments)]
		if r == nil || col(schema.SyncLoginProducts, r, "status") != StatusRejected {
			t.Errorf("login %s: investments row %v, want rejected", extract.HashLogin(id), r)
		}
		if len(products[id]) != 1 {
			t.Errorf("login %s: %d product rows, want 1", extract.HashLogin(id), len(products[id]))
		}
	}
}

// A login's sync_logins row: succeeded only when every product did; else
// the first retryable failure, so that retry finds it; else the first one.
func TestLoginErrorPrefersRetryable(t *testing.T) {
	rejected := &extract.Error{Class: extract.Rejected, Op: "investments"}
	failed := &extract.Error{Class: extract.Retry, Op: "banking"}
	for _, tt := range []struct {
		errs []error
		want error
	}{
		{[]error{nil, nil}, nil},
		{[]error{rejected, nil}, rejected},
		{[]error{rejected, failed}, failed},
		{[]error{nil, failed}, failed},
	} {
		if got := loginError(tt.errs); got != tt.want {
			t.Errorf("loginError(%v) = %v, want %v", tt.errs, got, tt.want)
		}
	}
}
