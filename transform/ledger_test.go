package transform

import (
	"testing"
	"time"

	"github.com/syncer/syncer/schema"
)

// at returns the value of the named column of a row of t.
func at(t *schema.Table, row schema.Row, name string) any { return row[t.MustIndex(name)] }

// TestLedgerRows: the ledger's rows hold each outcome field in its column;
// empty strings and zero times are NULL.
func TestLedgerRows(t *testing.T) {
	start := time.Date(2025, 2, 1, 6, 0, 0, 0, time.FixedZone("EST", -5*3600))
	o := LoginOutcome{RunID: "r", LoginID: "l", Status: "failed", FlinksCode: "RETRY_LATER", Error: "gave up",
		Attempts: 3, Polls: 2, StartedAt: start, Stats: Stats{Accounts: 1, Positions: 2, Transactions: 3, Rejected: 4}}
	row := LoginRow(o)
	if err := checkRow(schema.SyncLogins, row); err != nil {
		t.Fatal(err)
	}
	logins := func(r schema.Row, name string) any { return at(schema.SyncLogins, r, name) }
	if logins(row, "started_at") != start.UTC() || logins(row, "finished_at") != nil || logins(row, "attempts") != int64(3) ||
		logins(row, "polls") != int64(2) || logins(row, "transactions") != int64(3) || logins(row, "rejected") != int64(4) ||
		logins(row, "flinks_code") != "RETRY_LATER" || logins(row, "error") != "gave up" {
		t.Errorf("row %v", row)
	}
	if r := LoginRow(LoginOutcome{RunID: "r", LoginID: "l", Status: "succeeded"}); logins(r, "flinks_code") != nil || logins(r, "error") != nil {
		t.Errorf("empty code and error should be NULL: %v", r)
	}
	b := OutcomeBatch(o)
	if len(b.Rows) != 1 || len(b.Rows[schema.SyncLogins.Name]) != 1 || b.Scopes != nil || b.LoginID != "l" {
		t.Errorf("outcome batch %+v", b)
	}

	product := ProductRow(ProductOutcome{RunID: "r", LoginID: "l", Product: "banking", Status: "failed", Error: "gave up", FinishedAt: start})
	if err := checkRow(schema.SyncLoginProducts, product); err != nil {
		t.Fatal(err)
	}
	products := func(name string) any { return at(schema.SyncLoginProducts, product, name) }
	if products("product") != "banking" || products("status") != "failed" || products("flinks_code") != nil ||
		products("error") != "gave up" || products("finished_at") != start.UTC() {
		t.Errorf("product row %v", product)
	}

	run := RunRow(RunRecord{RunID: "r", Status: "running", StartedAt: start, Total: 5})
	if err := checkRow(schema.SyncRuns, run); err != nil {
		t.Fatal(err)
	}
	runs := func(r schema.Row, name string) any { return at(schema.SyncRuns, r, name) }
	if runs(run, "finished_at") != nil || runs(run, "command") != nil || runs(run, "logins_total") != int64(5) || runs(run, "status") != "running" {
		t.Errorf("run row %v", run)
	}
	done := RunRow(RunRecord{RunID: "r", Status: "succeeded", Command: "sync", StartedAt: start, FinishedAt: start.Add(time.Minute)})
	if runs(done, "finished_at") != start.Add(time.Minute).UTC() || runs(done, "command") != "sync" {
		t.Errorf("run row %v", done)
	}
}

// TestEmptyLoginReplacesItsSnapshot: a login with no positions still scopes
// its snapshot date, so its holdings that were all sold are replaced by nothing.
func TestEmptyLoginReplacesItsSnapshot(t *testing.T) {
	c := goldenContext()
	for _, body := range []string{`{"Investments":[]}`, `{"Investments":null}`, `{"Investments":[{"Accounts":[{"Id":"a","Positions":[]}]}]}`} {
		b, s := mustFromJSON(t, []byte(body), c)
		if err := checkBatch(b, c); err != nil {
			t.Errorf("%s: %v", body, err)
		}
		if s.Positions != 0 || len(b.Scopes[schema.Positions.Name]) != 1 {
			t.Errorf("%s: scopes %v", body, b.Scopes)
		}
	}
	b, _ := Transform(nil, c)
	if err := checkBatch(b, c); err != nil {
		t.Errorf("nil payload: %v", err)
	}
}
