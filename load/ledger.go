package load

import (
	"context"
	"database/sql"
	"time"

	"github.com/syncer/syncer/schema"
)

// Ledger reads a warehouse's run ledger (LedgerTables, which each run
// commits through its Sink): which logins exist and how their last attempts ended,
// for a run to decide what to sync and for `syncer status` to show. Every
// method reads what was committed when it is called; none writes.
type Ledger interface {
	// KnownLogins returns every LoginId in the logins registry, in order.
	KnownLogins(ctx context.Context) ([]string, error)
	// RunExists reports whether sync_runs holds a run with this id.
	RunExists(ctx context.Context, runID string) (bool, error)
	// RetryCandidates returns the LoginIds whose latest attempt (that of
	// their most recently started run) ended in one of the retryable
	// statuses, in order.
	RetryCandidates(ctx context.Context, retryable []string) ([]string, error)
	// RetryProducts returns, for each retry candidate whose latest attempt
	// recorded its products (sync_login_products), the products of that
	// attempt that ended in one of the retryable statuses, in order. A
	// candidate whose attempt predates those records is not in the map.
	RetryProducts(ctx context.Context, retryable []string) (map[string][]string, error)
	// LoginStatuses reports every registered login, stalest data first (by
	// its last refresh, else its last success; never synced first), then
	// by LoginId.
	LoginStatuses(ctx context.Context) ([]LoginRecord, error)
	// RecentRuns returns the last n runs, newest first.
	RecentRuns(ctx context.Context, n int) ([]RunRecord, error)
	// Registry returns every registered login with its registration and
	// whether it is enabled (login_controls), by LoginId.
	Registry(ctx context.Context) ([]RegistryRecord, error)
	// ErasedHashes returns the login hashes of erasures, each once, in order.
	ErasedHashes(ctx context.Context) ([]string, error)
	// RejectedStreaks returns, for each login whose latest attempts ended
	// rejected, how many of its latest attempts in a row did (logins
	// whose latest attempt did not end rejected are not in the map).
	RejectedStreaks(ctx context.Context) (map[string]int, error)
}

// LoginRecord is what the ledger holds of one login: its freshness and its
// last attempt.
type LoginRecord struct {
	LoginID     string
	LastSuccess sql.NullTime
	// LastRefresh is when Flinks last refreshed the data of the login's
	// latest succeeded sync (logins.last_refresh_at); NULL in a warehouse
	// whose succeeded syncs all predate the column.
	LastRefresh sql.NullTime
	LastAttempt sql.NullTime
	// LastStatus is the status of the last attempt ("never synced" if none).
	LastStatus          string
	LastFlinksCode      sql.NullString
	ConsecutiveFailures int
	// LastProducts is each product's outcome in the last attempt, e.g.
	// "investments:failed banking:succeeded"; NULL for an attempt that
	// predates sync_login_products.
	LastProducts sql.NullString
	// LastRunID is the run of the last attempt; NULL if the login never synced.
	LastRunID sql.NullString
	// LastError is why the last attempt did not succeed (sync_logins.error,
	// which never carries secrets or payload values); NULL on success.
	LastError sql.NullString
	// QualityFailures counts the failed data_quality checks of the login's
	// latest succeeded run (0 if it never succeeded).
	QualityFailures int
	// Products is each product's outcome in the last attempt, by product
	// name descending as LastProducts (investments first); empty for an
	// attempt that predates sync_login_products.
	Products []ProductRecord
}

// ProductRecord is one product's outcome in a login's attempt
// (sync_login_products).
type ProductRecord struct {
	Product    string
	Status     string
	FlinksCode sql.NullString
	Error      sql.NullString
}

// RunRecord is one row of sync_runs.
type RunRecord struct {
	RunID      string
	Command    sql.NullString
	Status     string
	StartedAt  time.Time
	FinishedAt sql.NullTime
	Total      sql.NullInt64
	Succeeded  sql.NullInt64
	Failed     sql.NullInt64
	Requests   sql.NullInt64
	// Error is why the run could not proceed, if it could not.
	Error sql.NullString
}

// LedgerTables are the tables a Ledger reads: a reader opened only for its
// Ledger (ReadOptions.LedgerOnly) needs no other.
var LedgerTables = []*schema.Table{schema.Logins, schema.SyncLogins, schema.SyncLoginProducts, schema.SyncRuns, schema.DataQuality,
	schema.LoginControls, schema.Erasures}
