package pipeline

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
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

	// LoginHash is extract.HashLogin(LoginID): how logs name the login.
	LoginHash string
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
	Products []ProductStatus
}

// ProductStatus is one product's outcome in a login's attempt
// (sync_login_products).
type ProductStatus struct {
	Product    string
	Status     string
	FlinksCode sql.NullString
	Error      sql.NullString
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

// Stale reports whether the login's data is older than after at now; a
// login that never synced is stale.
func (s LoginStatus) Stale(now time.Time, after time.Duration) bool {
	age := s.Age(now)
	return age < 0 || age > after
}

// Failed reports whether the login's last attempt did not succeed, or it
// never synced.
func (s LoginStatus) Failed() bool { return s.LastStatus != StatusSucceeded }

// LoginFilter selects logins of a status report. Each criterion set must
// hold: Failed, Stale, and, when Logins or HashPrefixes are given, being one
// of the Logins or having a hash that starts with one of the HashPrefixes.
type LoginFilter struct {
	Failed bool // only logins whose last attempt did not succeed (LoginStatus.Failed)
	Stale  bool // only logins whose data is older than StaleAfter (LoginStatus.Stale)
	// StaleAfter is the data age past which a login is stale
	// (DefaultStaleAfter if zero).
	StaleAfter time.Duration
	// Logins are LoginIds.
	Logins []string
	// HashPrefixes are lower-case hex prefixes of the SHA-256 of a LoginId,
	// whose first 12 digits are the hash logs name a login by
	// (extract.HashLogin).
	HashPrefixes []string
}

// Match reports whether s passes the filter at now.
func (f LoginFilter) Match(s LoginStatus, now time.Time) bool {
	after := f.StaleAfter
	if after == 0 {
		after = DefaultStaleAfter
	}
	if f.Failed && !s.Failed() || f.Stale && !s.Stale(now, after) {
		return false
	}
	if len(f.Logins) == 0 && len(f.HashPrefixes) == 0 {
		return true
	}
	if slices.Contains(f.Logins, s.LoginID) {
		return true
	}
	if len(f.HashPrefixes) == 0 {
		return false
	}
	sum := sha256.Sum256([]byte(s.LoginID))
	full := hex.EncodeToString(sum[:])
	return slices.ContainsFunc(f.HashPrefixes, func(p string) bool { return strings.HasPrefix(full, p) })
}

// LoginStatuses reports every registered login, stalest data first.
func LoginStatuses(ctx context.Context, db *sql.DB) ([]LoginStatus, error) {
	const q = `
WITH attempts AS (
	SELECT l.login_id, l.run_id, l.status, l.flinks_code, l.error, coalesce(l.finished_at, r.started_at) AS attempted_at,
	       row_number() OVER (PARTITION BY l.login_id ORDER BY r.started_at DESC, l.finished_at DESC NULLS LAST) AS n
	FROM sync_logins l JOIN sync_runs r USING (run_id)
), streak AS (
	SELECT login_id, min(n) FILTER (WHERE status = 'succeeded') AS first_ok,
	       max(attempted_at) FILTER (WHERE status = 'succeeded') AS last_success,
	       arg_min(run_id, n) FILTER (WHERE status = 'succeeded') AS last_ok_run
	FROM attempts GROUP BY login_id
), quality AS (
	SELECT run_id, login_id, count(*) AS failed FROM data_quality WHERE NOT passed GROUP BY run_id, login_id
)
SELECT g.login_id, s.last_success, g.last_refresh_at,
       a.attempted_at, coalesce(a.status, 'never synced'), a.flinks_code,
       coalesce(s.first_ok - 1, (SELECT count(*) FROM attempts c WHERE c.login_id = g.login_id)) AS failures,
       (SELECT string_agg(p.product || ':' || p.status, ' ' ORDER BY p.product DESC) FROM sync_login_products p
         WHERE p.run_id = a.run_id AND p.login_id = g.login_id) AS products,
       a.run_id, a.error, coalesce(dq.failed, 0)
FROM logins g
LEFT JOIN attempts a ON a.login_id = g.login_id AND a.n = 1
LEFT JOIN streak s ON s.login_id = g.login_id
LEFT JOIN quality dq ON dq.login_id = g.login_id AND dq.run_id = s.last_ok_run
ORDER BY coalesce(g.last_refresh_at, s.last_success) ASC NULLS FIRST, g.login_id`
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LoginStatus
	for rows.Next() {
		var s LoginStatus
		if err := rows.Scan(&s.LoginID, &s.LastSuccess, &s.LastRefresh, &s.LastAttempt, &s.LastStatus, &s.LastFlinksCode,
			&s.ConsecutiveFailures, &s.LastProducts, &s.LastRunID, &s.LastError, &s.QualityFailures); err != nil {
			return nil, err
		}
		s.LoginHash = extract.HashLogin(s.LoginID)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, lastProducts(ctx, db, out)
}

// lastProducts fills the Products of each status from its last attempt.
func lastProducts(ctx context.Context, db *sql.DB, statuses []LoginStatus) error {
	q := fmt.Sprintf(`SELECT p.login_id, p.product, p.status, p.flinks_code, p.error FROM sync_login_products p
		JOIN (%s) a ON a.login_id = p.login_id AND a.run_id = p.run_id ORDER BY p.login_id, p.product DESC`, latestAttempt)
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	index := make(map[string]int, len(statuses))
	for i, s := range statuses {
		index[s.LoginID] = i
	}
	for rows.Next() {
		var login string
		var p ProductStatus
		if err := rows.Scan(&login, &p.Product, &p.Status, &p.FlinksCode, &p.Error); err != nil {
			return err
		}
		if i, ok := index[login]; ok {
			statuses[i].Products = append(statuses[i].Products, p)
		}
	}
	return rows.Err()
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
	Requests   sql.NullInt64
	// Error is why the run could not proceed, if it could not.
	Error sql.NullString
}

// Elapsed is how long the run took, or, while it is running, how long it
// has been running at now; ok is false when the ledger cannot tell (a run
// with no finished_at that is not running).
func (r RunInfo) Elapsed(now time.Time) (d time.Duration, ok bool) {
	switch {
	case r.FinishedAt.Valid:
		return r.FinishedAt.Time.Sub(r.StartedAt), true
	case r.Status == RunRunning:
		return max(now.Sub(r.StartedAt), 0), true
	}
	return 0, false
}

// RecentRuns returns the last n runs, newest first.
func RecentRuns(ctx context.Context, db *sql.DB, n int) ([]RunInfo, error) {
	rows, err := db.QueryContext(ctx, `SELECT run_id, command, status, started_at, finished_at, logins_total, logins_succeeded, logins_failed,
		requests, error FROM sync_runs ORDER BY started_at DESC LIMIT ?`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RunInfo
	for rows.Next() {
		var r RunInfo
		if err := rows.Scan(&r.RunID, &r.Command, &r.Status, &r.StartedAt, &r.FinishedAt, &r.Total, &r.Succeeded, &r.Failed,
			&r.Requests, &r.Error); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
