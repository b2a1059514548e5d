package load_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/parquet"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// ledgerBatches are two runs' ledgers: in r1, login A succeeds for
// investments but fails for banking (so its attempt fails) and B succeeds
// with one failed data-quality check; in r2, B times out; C is registered and
// never synced.
func ledgerBatches() [][]schema.Batch {
	at := func(h int) time.Time { return time.Date(2026, 3, 2, h, 0, 0, 0, time.UTC) }
	registered := func(login, run string) schema.Row {
		return schema.Logins.Layout("login_id", "registered_at", "registered_by", "run_id", "last_refresh_at").
			Row(login, at(9), "backfill", run, nil)
	}
	login := func(run, id, status string, h int, products ...transform.ProductOutcome) schema.Batch {
		b := transform.OutcomeBatch(transform.LoginOutcome{RunID: run, LoginID: id, Status: status, Attempts: 1,
			StartedAt: at(h), FinishedAt: at(h).Add(time.Minute)})
		for _, p := range products {
			p.RunID, p.LoginID, p.FinishedAt = run, id, at(h).Add(time.Minute)
			b.Rows[schema.SyncLoginProducts.Name] = append(b.Rows[schema.SyncLoginProducts.Name], transform.ProductRow(p))
		}
		return b
	}
	run := func(id, status string, h int) schema.Batch {
		return schema.Batch{RunID: id, Rows: map[string][]schema.Row{schema.SyncRuns.Name: {transform.RunRow(transform.RunRecord{
			RunID: id, Status: status, Command: "sync", StartedAt: at(h), FinishedAt: at(h).Add(10 * time.Minute), Total: 2})}}}
	}
	a := login("r1", "A", "failed", 10, transform.ProductOutcome{Product: "investments", Status: "succeeded"},
		transform.ProductOutcome{Product: "banking", Status: "failed", FlinksCode: "RETRY_LATER", Error: "RETRY_LATER"})
	b := login("r1", "B", "succeeded", 10, transform.ProductOutcome{Product: "investments", Status: "succeeded"})
	b.Rows[schema.DataQuality.Name] = []schema.Row{schema.DataQuality.Layout(
		"run_id", "login_id", "account_id", "check_name", "expected", "actual", "difference", "passed").
		Row("r1", "B", "acct", "value_reconciles", nil, nil, nil, false)}
	c := schema.Batch{RunID: "r1", LoginID: "C", Rows: map[string][]schema.Row{schema.Logins.Name: {registered("C", "r1")}}}
	a.Rows[schema.Logins.Name] = []schema.Row{registered("A", "r1")}
	b.Rows[schema.Logins.Name] = []schema.Row{registered("B", "r1")}
	b2 := login("r2", "B", "timed_out", 11, transform.ProductOutcome{Product: "investments", Status: "timed_out"})
	return [][]schema.Batch{{run("r1", "partial", 10), a, b, c}, {run("r2", "failed", 11), b2}}
}

// ledgerText renders everything a ledger says, times in UTC.
func ledgerText(t *testing.T, l load.Ledger) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	known, err1 := l.KnownLogins(ctx)
	r1, err2 := l.RunExists(ctx, "r1")
	r9, err3 := l.RunExists(ctx, "r9")
	candidates, err4 := l.RetryCandidates(ctx, []string{"failed", "timed_out"})
	products, err5 := l.RetryProducts(ctx, []string{"failed", "timed_out"})
	logins, err6 := l.LoginStatuses(ctx)
	runs, err7 := l.RecentRuns(ctx, 1)
	for _, err := range []error{err1, err2, err3, err4, err5, err6, err7} {
		if err != nil {
			t.Fatal(err)
		}
	}
	fmt.Fprintf(&b, "known %v\nr1 %v r9 %v\nretry %v %v\n", known, r1, r9, candidates, products)
	utc := func(v any) any {
		if tm, ok := v.(time.Time); ok {
			return tm.UTC().Format(time.RFC3339)
		}
		return v
	}
	for _, s := range logins {
		fmt.Fprintf(&b, "%s %v %v %v %s %v %d %v %v %v %d %v\n", s.LoginID, utc(s.LastSuccess.Time), utc(s.LastRefresh.Time),
			utc(s.LastAttempt.Time), s.LastStatus, s.LastFlinksCode, s.ConsecutiveFailures, s.LastProducts, s.LastRunID,
			s.LastError, s.QualityFailures, s.Products)
	}
	for _, r := range runs {
		fmt.Fprintf(&b, "run %s %v %s %v %v %v\n", r.RunID, r.Command, r.Status, utc(r.StartedAt), utc(r.FinishedAt.Time), r.Total)
	}
	return b.String()
}

// TestLedgerOfBothWarehouses: the ledger reads the same from a DuckDB file
// and from a Parquet dataset's catalog, and says what the runs recorded.
func TestLedgerOfBothWarehouses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	duck, err := duckdb.Open(ctx, duckdb.Options{Path: warehousePath(dir), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	pq, err := parquet.Open(ctx, parquet.Options{Dir: filepath.Join(dir, "dataset"), Buckets: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, call := range ledgerBatches() {
		for _, s := range []load.Sink{duck, pq} {
			if err := s.Commit(ctx, call); err != nil {
				t.Fatal(err)
			}
		}
	}
	writing := ledgerText(t, duck.Ledger())
	for _, s := range []load.Sink{duck, pq} {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db, err := duckdb.OpenReader(ctx, duckdb.ReaderOptions{Path: warehousePath(dir), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	file := duckdb.NewReader(db)
	defer file.Close()
	cat, err := parquet.OpenCatalog(ctx, filepath.Join(dir, "dataset"))
	if err != nil {
		t.Fatal(err)
	}
	dataset := duckdb.NewReader(cat)
	defer dataset.Close()

	got := ledgerText(t, file)
	if other := ledgerText(t, dataset); other != got {
		t.Errorf("the Parquet dataset's ledger says\n%s\nthe DuckDB file's\n%s", other, got)
	}
	if writing != got {
		t.Errorf("the writing sink's ledger says\n%s\nthe reader's\n%s", writing, got)
	}
	for _, want := range []string{
		"known [A B C]", "r1 true r9 false", "retry [A B] map[A:[banking] B:[investments]]",
		"C 0001-01-01T00:00:00Z 0001-01-01T00:00:00Z 0001-01-01T00:00:00Z never synced",
		"B 2026-03-02T10:01:00Z", "timed_out {", "run r2 {sync true} failed 2026-03-02T11:00:00Z",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the ledger lacks %q:\n%s", want, got)
		}
	}
	lines := strings.Split(got, "\n")
	if i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "B ") }); i < 0 || !strings.Contains(lines[i], " 1 ") {
		t.Errorf("B's line shows no consecutive failure or quality failure:\n%s", got)
	}
}
