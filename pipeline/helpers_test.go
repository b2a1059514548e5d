package pipeline

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/schema"
)

// memSink is a hand-written Sink that keeps what it is given, so pipeline
// tests need no warehouse; the sinks have their own conformance suite.
// commit, when set, decides each call's error before the batches are kept.
type memSink struct {
	mu      sync.Mutex
	calls   int
	batches []schema.Batch
	commit  func(call int, batches []schema.Batch) error
	closed  bool
}

func (m *memSink) Commit(_ context.Context, batches []schema.Batch) error {
	m.mu.Lock()
	m.calls++
	call := m.calls
	f := m.commit
	m.mu.Unlock()
	if f != nil {
		if err := f(call, batches); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches = append(m.batches, batches...)
	return nil
}

func (m *memSink) Close() error { m.closed = true; return nil }

// loginRows returns every sync_logins row committed, by LoginId.
func (m *memSink) loginRows(t *testing.T) map[string][]schema.Row {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]schema.Row{}
	for _, b := range m.batches {
		for _, r := range b.Rows[schema.SyncLogins.Name] {
			id := r[schema.SyncLogins.Index("login_id")].(string)
			out[id] = append(out[id], r)
		}
	}
	return out
}

// runRows returns the sync_runs rows committed, in order.
func (m *memSink) runRows() []schema.Row {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []schema.Row
	for _, b := range m.batches {
		out = append(out, b.Rows[schema.SyncRuns.Name]...)
	}
	return out
}

// dataRows counts the rows of table committed for login.
func (m *memSink) dataRows(table, login string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, b := range m.batches {
		if b.LoginID == login {
			n += len(b.Rows[table])
		}
	}
	return n
}

func col(t *schema.Table, r schema.Row, name string) any { return r[t.Index(name)] }

// fastClient is a client for tests: real HTTP to the sandbox, tiny intervals.
func fastClient(t testing.TB, srv *flinkstest.Server, tweak func(*extract.Config)) *extract.Client {
	t.Helper()
	cfg := extract.Config{
		BankingURL: srv.URL, WealthURL: srv.URL, CustomerID: flinkstest.DefaultCustomerID,
		Rate: 100000, Burst: 1000, PollInterval: time.Millisecond, PollTimeout: time.Minute,
		MaxAttempts: 3, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := extract.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newSandbox(t testing.TB, cfg flinkstest.Config) *flinkstest.Server {
	t.Helper()
	s := flinkstest.New(cfg)
	t.Cleanup(s.Close)
	return s
}

func runID(t testing.TB) string { return fmt.Sprintf("test-%s", t.Name()) }

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
