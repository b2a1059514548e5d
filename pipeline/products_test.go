package pipeline

import (
	"context"
	"errors"
	"testing"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
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

// Each product's outcome is recorded apart: a login whose banking failed
// keeps its investments rows and the reverse; sync_logins says succeeded
// only for a login whose every product did, and both products come from
// one session per login.
func TestProductsFailApartAndKeepTheirRows(t *testing.T) {
	logins := flinkstest.DemoLogins(5, 3)
	healthy, noBank, noInv := logins[0], logins[1], logins[2]
	srv := newSandbox(t, flinkstest.Config{Seed: 5, Pending: flinkstest.FixedPending(1), DataFault: func(endpoint, login string) flinkstest.Fault {
		switch {
		case login == noBank && endpoint != flinkstest.EndpointInvestments,
			login == noInv && endpoint == flinkstest.EndpointInvestments:
			return flinkstest.FaultAggregationError
		}
		return flinkstest.FaultNone
	}})
	client := fastClient(t, srv, nil)
	sink := &memSink{}
	sum, err := Run(context.Background(), client, sink, logins, Options{RunID: runID(t), Concurrency: 2,
		Products: []extract.Product{extract.Banking, extract.Investments}, HolderSecret: transform.HolderSecret("0123456789abcdef0123456789abcdef")})
	if err != nil || sum.Status != RunPartial {
		t.Fatalf("Run: %v, status %s", err, sum.Status)
	}
	if got := srv.Count(flinkstest.EndpointAuthorize, ""); got != 3 {
		t.Errorf("%d Authorize calls for 3 logins, want 3", got)
	}
	products, rows := sink.productRows(), sink.loginRows(t)
	want := map[string][2]string{ // investments, banking
		healthy: {StatusSucceeded, StatusSucceeded},
		noBank:  {StatusSucceeded, StatusFailed},
		noInv:   {StatusFailed, StatusSucceeded},
	}
	for id, w := range want {
		inv, bank := products[id][string(extract.Investments)], products[id][string(extract.Banking)]
		if col(schema.SyncLoginProducts, inv, "status") != w[0] || col(schema.SyncLoginProducts, bank, "status") != w[1] {
			t.Errorf("login %s: investments %v, banking %v; want %v", extract.HashLogin(id), inv, bank, w)
		}
		overall := StatusSucceeded
		if w[0] != StatusSucceeded || w[1] != StatusSucceeded {
			overall = StatusFailed
		}
		if got := col(schema.SyncLogins, rows[id][0], "status"); got != overall {
			t.Errorf("login %s: sync_logins %v, want %s", extract.HashLogin(id), got, overall)
		}
		if got := sink.dataRows(schema.Accounts.Name, id) > 0; got != (w[0] == StatusSucceeded) {
			t.Errorf("login %s: investment accounts committed %v", extract.HashLogin(id), got)
		}
		if got := sink.dataRows(schema.BankAccounts.Name, id) > 0; got != (w[1] == StatusSucceeded) {
			t.Errorf("login %s: bank accounts committed %v", extract.HashLogin(id), got)
		}
		if n := sink.dataRows(schema.Logins.Name, id); n > 1 {
			t.Errorf("login %s: %d logins rows in its batch", extract.HashLogin(id), n)
		}
	}
	if code := col(schema.SyncLoginProducts, products[noBank][string(extract.Banking)], "flinks_code"); code != "AGGREGATION_ERROR" {
		t.Errorf("banking flinks_code %v", code)
	}
}
