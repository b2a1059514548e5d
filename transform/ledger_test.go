package transform

import (
	"testing"
	"time"

	"github.com/syncer/syncer/schema"
)

// TestRowLayouts pins the column order the transform writes: a column added
// to schema must be added here and to the row builder, in the same commit.
func TestRowLayouts(t *testing.T) {
	for tbl, want := range map[*schema.Table]string{
		schema.Accounts:        "login_id account_id institution institution_id name type registered currency cash account_value currency_value account_number full_account_label run_id synced_at extra last_seen_at closed_at",
		schema.Positions:       "login_id account_id security_key as_of_date quantity price market_value book_value average_cost currency run_id synced_at extra price_date",
		schema.Securities:      "security_key flinks_security_id symbol isin cusip name type currency run_id extra",
		schema.Transactions:    "login_id account_id transaction_id date settlement_date type type_raw description security_key quantity price fees net_amount currency run_id synced_at extra first_seen_at updated_at removed_at",
		schema.RejectedRecords: "run_id login_id path table_name reason fragment",
		schema.DataQuality:     "run_id login_id account_id check_name expected actual difference passed",
		schema.SyncLogins:      "run_id login_id status flinks_code attempts polls error started_at finished_at accounts positions transactions rejected",
		schema.SyncRuns:        "run_id started_at finished_at status command logins_total logins_succeeded logins_failed requests error",
		schema.Logins:          "login_id registered_at registered_by run_id last_refresh_at",
	} {
		got := ""
		for i, c := range tbl.ColumnNames() {
			if i > 0 {
				got += " "
			}
			got += c
		}
		if got != want {
			t.Errorf("%s columns changed:\n got %s\nwant %s", tbl.Name, got, want)
		}
	}
}

func TestLedgerRows(t *testing.T) {
	start := time.Date(2025, 2, 1, 6, 0, 0, 0, time.FixedZone("EST", -5*3600))
	o := LoginOutcome{RunID: "r", LoginID: "l", Status: "failed", FlinksCode: "RETRY_LATER", Error: "gave up",
		Attempts: 3, Polls: 2, StartedAt: start, Stats: Stats{Accounts: 1, Positions: 2, Transactions: 3, Rejected: 4}}
	row := LoginRow(o)
	if err := checkRow(schema.SyncLogins, row); err != nil {
		t.Fatal(err)
	}
	if row[7] != start.UTC() || row[8] != nil || row[4] != int64(3) || row[12] != int64(4) {
		t.Errorf("row %v", row)
	}
	if r := LoginRow(LoginOutcome{RunID: "r", LoginID: "l", Status: "succeeded"}); r[3] != nil || r[6] != nil {
		t.Errorf("empty code and error should be NULL: %v", r)
	}
	b := OutcomeBatch(o)
	if len(b.Rows) != 1 || len(b.Rows[schema.SyncLogins.Name]) != 1 || b.Scopes != nil || b.LoginID != "l" {
		t.Errorf("outcome batch %+v", b)
	}

	run := RunRow(RunRecord{RunID: "r", Status: "running", StartedAt: start, Total: 5})
	if err := checkRow(schema.SyncRuns, run); err != nil {
		t.Fatal(err)
	}
	if run[2] != nil || run[4] != nil || run[5] != int64(5) {
		t.Errorf("run row %v", run)
	}
	done := RunRow(RunRecord{RunID: "r", Status: "succeeded", Command: "sync", StartedAt: start, FinishedAt: start.Add(time.Minute)})
	if done[2] != start.Add(time.Minute).UTC() || done[4] != "sync" {
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
