package transform

import (
	"time"

	"github.com/syncer/syncer/schema"
)

// LoginOutcome is how one login's sync ended, for its sync_logins row.
type LoginOutcome struct {
	RunID, LoginID, Status, FlinksCode, Error string
	Attempts, Polls                           int
	StartedAt, FinishedAt                     time.Time
	Stats                                     Stats
}

// loginOutcomeCols, productCols and runCols are the orders in which LoginRow,
// ProductRow and RunRow give the sync_logins, sync_login_products and
// sync_runs columns.
var (
	loginOutcomeCols = schema.SyncLogins.Layout(
		"run_id", "login_id", "status", "flinks_code", "attempts", "polls", "error",
		"started_at", "finished_at",
		"accounts", "positions",
		"transactions", "rejected",
	)
	productCols = schema.SyncLoginProducts.Layout("run_id", "login_id", "product", "status", "flinks_code", "error", "finished_at")
	runCols     = schema.SyncRuns.Layout(
		"run_id", "started_at", "finished_at", "status", "command",
		"logins_total", "logins_succeeded", "logins_failed", "requests", "error",
	)
)

// LoginRow returns the sync_logins row of an outcome. Empty strings and zero
// times are NULL; the counts come from Stats, accounts and transactions
// counting investment and bank ones together.
func LoginRow(o LoginOutcome) schema.Row {
	return loginOutcomeCols.Row(
		o.RunID, o.LoginID, o.Status, nullText(o.FlinksCode), int64(o.Attempts), int64(o.Polls), nullText(o.Error),
		nullTime(o.StartedAt), nullTime(o.FinishedAt),
		int64(o.Stats.Accounts+o.Stats.BankAccounts), int64(o.Stats.Positions),
		int64(o.Stats.Transactions+o.Stats.BankTransactions), int64(o.Stats.Rejected),
	)
}

// OutcomeBatch returns a batch holding only the outcome's sync_logins row:
// what a login that produced no data (failed, rejected) commits. It has no
// positions scope, so the login's last good snapshot stays.
func OutcomeBatch(o LoginOutcome) schema.Batch {
	return schema.Batch{
		RunID:   o.RunID,
		LoginID: o.LoginID,
		Rows:    map[string][]schema.Row{schema.SyncLogins.Name: {LoginRow(o)}},
	}
}

// ProductOutcome is how one product of a login's sync ended.
type ProductOutcome struct {
	RunID, LoginID, Product, Status, FlinksCode, Error string
	FinishedAt                                         time.Time
}

// ProductRow returns the sync_login_products row of a product's outcome.
// Empty strings and zero times are NULL.
func ProductRow(o ProductOutcome) schema.Row {
	return productCols.Row(o.RunID, o.LoginID, o.Product, o.Status, nullText(o.FlinksCode), nullText(o.Error), nullTime(o.FinishedAt))
}

// RunRecord is one run, for its sync_runs row.
type RunRecord struct {
	RunID, Status, Command, Error      string
	StartedAt, FinishedAt              time.Time
	Total, Succeeded, Failed, Requests int64
}

// RunRow returns the sync_runs row of a run; a zero FinishedAt is NULL.
func RunRow(r RunRecord) schema.Row {
	return runCols.Row(
		r.RunID, r.StartedAt.UTC(), nullTime(r.FinishedAt), r.Status, nullText(r.Command),
		r.Total, r.Succeeded, r.Failed, r.Requests, nullText(r.Error),
	)
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}
