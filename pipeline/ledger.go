package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/syncer/syncer/extract"
)

// The queries below read the run ledger of a warehouse (a DuckDB file, or a
// Parquet dataset exposed as views of the same names).

// KnownLogins returns every LoginId in the logins registry.
func KnownLogins(ctx context.Context, db *sql.DB) ([]string, error) {
	return strings1(ctx, db, `SELECT login_id FROM logins ORDER BY login_id`)
}

// RunExists reports whether sync_runs holds a run with this id.
func RunExists(ctx context.Context, db *sql.DB, runID string) (bool, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sync_runs WHERE run_id = ?`, runID).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// RetryCandidates returns the LoginIds whose latest attempt ended in a
// retryable status (failed or timed_out).
func RetryCandidates(ctx context.Context, db *sql.DB) ([]string, error) {
	q := fmt.Sprintf(`SELECT login_id FROM (%s) WHERE status IN ('%s') ORDER BY login_id`,
		latestAttempt, strings.Join(RetryableStatuses, "', '"))
	return strings1(ctx, db, q)
}

// RetryProducts returns, for each retry candidate whose latest attempt
// recorded its products, the products that ended in a retryable status: what
// `syncer retry` syncs again. A candidate not in the map (its attempt
// predates sync_login_products) syncs the run's products.
func RetryProducts(ctx context.Context, db *sql.DB) (map[string][]extract.Product, error) {
	statuses := "'" + strings.Join(RetryableStatuses, "', '") + "'"
	q := fmt.Sprintf(`SELECT p.login_id, p.product FROM sync_login_products p
		JOIN (%s) a ON a.login_id = p.login_id AND a.run_id = p.run_id
		WHERE a.status IN (%s) AND p.status IN (%s) ORDER BY p.login_id, p.product`, latestAttempt, statuses, statuses)
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]extract.Product{}
	for rows.Next() {
		var login, product string
		if err := rows.Scan(&login, &product); err != nil {
			return nil, err
		}
		out[login] = append(out[login], extract.Product(product))
	}
	return out, rows.Err()
}

// latestAttempt selects each login's most recent sync_logins row.
const latestAttempt = `SELECT l.login_id, l.run_id, l.status, l.flinks_code, l.error, l.finished_at
	FROM sync_logins l JOIN sync_runs r USING (run_id)
	QUALIFY row_number() OVER (PARTITION BY l.login_id ORDER BY r.started_at DESC, l.finished_at DESC NULLS LAST) = 1`

func strings1(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// LoginStatus is one login's freshness and last outcome.
type LoginStatus struct {
	LoginID     string
	LastSuccess sql.NullTime
	// LastRefresh is when Flinks last refreshed the data of the login's
	// latest succeeded sync (logins.last_refresh_at); NULL in a warehouse
	// whose succeeded syncs all predate the column.
	LastRefresh         sql.NullTime
	LastAttempt         sql.NullTime
	LastStatus          string
	LastFlinksCode      sql.NullString
	ConsecutiveFailures int
	// LastProducts is each product's outcome in the last attempt, e.g.
	// "investments:failed banking:succeeded"; NULL for an attempt that
	// predates sync_login_products.
	LastProducts sql.NullString
}

// Age is how old the login's data is at now: now minus its LastRefresh (the
// last success when that is unknown), never negative; -1 if the login never
// synced. A login synced every night from stale cached data ages.
func (s LoginStatus) Age(now time.Time) time.Duration {
	var at time.Time
	switch {
	case s.LastRefresh.Valid:
		at = s.LastRefresh.Time
	case s.LastSuccess.Valid:
		at = s.LastSuccess.Time
	default:
		return -1
	}
	return max(now.Sub(at), 0)
}

// LoginStatuses reports every registered login, stalest data first.
func LoginStatuses(ctx context.Context, db *sql.DB) ([]LoginStatus, error) {
	const q = `
WITH attempts AS (
	SELECT l.login_id, l.run_id, l.status, l.flinks_code, coalesce(l.finished_at, r.started_at) AS attempted_at,
	       row_number() OVER (PARTITION BY l.login_id ORDER BY r.started_at DESC, l.finished_at DESC NULLS LAST) AS n
	FROM sync_logins l JOIN sync_runs r USING (run_id)
), streak AS (
	SELECT login_id, min(n) FILTER (WHERE status = 'succeeded') AS first_ok,
	       max(attempted_at) FILTER (WHERE status = 'succeeded') AS last_success
	FROM attempts GROUP BY login_id
)
SELECT g.login_id, s.last_success, g.last_refresh_at,
       a.attempted_at, coalesce(a.status, 'never synced'), a.flinks_code,
       coalesce(s.first_ok - 1, (SELECT count(*) FROM attempts c WHERE c.login_id = g.login_id)) AS failures,
       (SELECT string_agg(p.product || ':' || p.status, ' ' ORDER BY p.product DESC) FROM sync_login_products p
         WHERE p.run_id = a.run_id AND p.login_id = g.login_id) AS products
FROM logins g
LEFT JOIN attempts a ON a.login_id = g.login_id AND a.n = 1
LEFT JOIN streak s ON s.login_id = g.login_id
ORDER BY coalesce(g.last_refresh_at, s.last_success) ASC NULLS FIRST, g.login_id`
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LoginStatus
	for rows.Next() {
		var s LoginStatus
		if err := rows.Scan(&s.LoginID, &s.LastSuccess, &s.LastRefresh, &s.LastAttempt, &s.LastStatus, &s.LastFlinksCode, &s.ConsecutiveFailures, &s.LastProducts); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// RunInfo is one row of sync_runs.
type RunInfo struct {
	RunID      string
	Command    sql.NullString
	Status     string
	StartedAt  time.Time
	FinishedAt sql.NullTime
	Total      sql.NullInt64
	Succeeded  sql.NullInt64
	Failed     sql.NullInt64
}

// RecentRuns returns the last n runs, newest first.
func RecentRuns(ctx context.Context, db *sql.DB, n int) ([]RunInfo, error) {
	rows, err := db.QueryContext(ctx, `SELECT run_id, command, status, started_at, finished_at, logins_total, logins_succeeded, logins_failed
		FROM sync_runs ORDER BY started_at DESC LIMIT ?`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RunInfo
	for rows.Next() {
		var r RunInfo
		if err := rows.Scan(&r.RunID, &r.Command, &r.Status, &r.StartedAt, &r.FinishedAt, &r.Total, &r.Succeeded, &r.Failed); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
