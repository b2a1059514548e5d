package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/syncer/syncer/load"
)

// ledger is the load.Ledger of a DuckDB database: a warehouse file, or a
// Parquet dataset's catalog, whose views have the tables' names.
type ledger struct {
	// db returns the database to query, valid until the method returns.
	db func(ctx context.Context) (*sql.DB, error)
}

var _ load.Ledger = ledger{}

// LedgerOf returns the load.Ledger of db, a DuckDB warehouse or a Parquet
// dataset's catalog, opened for reading.
func LedgerOf(db *sql.DB) load.Ledger {
	return ledger{db: func(context.Context) (*sql.DB, error) { return db, nil }}
}

// load.Ledger returns the ledger of the warehouse the sink writes, read through
// its own database (DB, which takes the file back if a Commit released it).
// Like DB, do not use it concurrently with Commit or Close.
func (d *Sink) Ledger() load.Ledger { return ledger{db: d.DB} }

func (l ledger) KnownLogins(ctx context.Context) ([]string, error) {
	return l.strings(ctx, `SELECT login_id FROM logins ORDER BY login_id`)
}

func (l ledger) RunExists(ctx context.Context, runID string) (bool, error) {
	db, err := l.db(ctx)
	if err != nil {
		return false, err
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sync_runs WHERE run_id = ?`, runID).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

func (l ledger) RetryCandidates(ctx context.Context, retryable []string) ([]string, error) {
	return l.strings(ctx, fmt.Sprintf(`SELECT login_id FROM (%s) WHERE status IN (%s) ORDER BY login_id`,
		latestAttempt, literals(retryable)))
}

func (l ledger) RetryProducts(ctx context.Context, retryable []string) (map[string][]string, error) {
	db, err := l.db(ctx)
	if err != nil {
		return nil, err
	}
	statuses := literals(retryable)
	q := fmt.Sprintf(`SELECT p.login_id, p.product FROM sync_login_products p
		JOIN (%s) a ON a.login_id = p.login_id AND a.run_id = p.run_id
		WHERE a.status IN (%s) AND p.status IN (%s) ORDER BY p.login_id, p.product`, latestAttempt, statuses, statuses)
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var login, product string
		if err := rows.Scan(&login, &product); err != nil {
			return nil, err
		}
		out[login] = append(out[login], product)
	}
	return out, rows.Err()
}

// latestAttempt selects each login's most recent sync_logins row.
const latestAttempt = `SELECT l.login_id, l.run_id, l.status, l.flinks_code, l.error, l.finished_at
	FROM sync_logins l JOIN sync_runs r USING (run_id)
	QUALIFY row_number() OVER (PARTITION BY l.login_id ORDER BY r.started_at DESC, l.finished_at DESC NULLS LAST) = 1`

// literals is the comma-separated list of the quoted strings.
func literals(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = QuoteLiteral(v)
	}
	return strings.Join(quoted, ", ")
}

// strings runs q and returns its one text column.
func (l ledger) strings(ctx context.Context, q string) ([]string, error) {
	db, err := l.db(ctx)
	if err != nil {
		return nil, err
	}
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

func (l ledger) LoginStatuses(ctx context.Context) ([]load.LoginRecord, error) {
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
	db, err := l.db(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []load.LoginRecord
	for rows.Next() {
		var s load.LoginRecord
		if err := rows.Scan(&s.LoginID, &s.LastSuccess, &s.LastRefresh, &s.LastAttempt, &s.LastStatus, &s.LastFlinksCode,
			&s.ConsecutiveFailures, &s.LastProducts, &s.LastRunID, &s.LastError, &s.QualityFailures); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, lastProducts(ctx, db, out)
}

// lastProducts fills the Products of each record from its last attempt.
func lastProducts(ctx context.Context, db *sql.DB, records []load.LoginRecord) error {
	q := fmt.Sprintf(`SELECT p.login_id, p.product, p.status, p.flinks_code, p.error FROM sync_login_products p
		JOIN (%s) a ON a.login_id = p.login_id AND a.run_id = p.run_id ORDER BY p.login_id, p.product DESC`, latestAttempt)
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	index := make(map[string]int, len(records))
	for i, s := range records {
		index[s.LoginID] = i
	}
	for rows.Next() {
		var login string
		var p load.ProductRecord
		if err := rows.Scan(&login, &p.Product, &p.Status, &p.FlinksCode, &p.Error); err != nil {
			return err
		}
		if i, ok := index[login]; ok {
			records[i].Products = append(records[i].Products, p)
		}
	}
	return rows.Err()
}

func (l ledger) RecentRuns(ctx context.Context, n int) ([]load.RunRecord, error) {
	db, err := l.db(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT run_id, command, status, started_at, finished_at, logins_total, logins_succeeded, logins_failed,
		requests, error FROM sync_runs ORDER BY started_at DESC LIMIT ?`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []load.RunRecord
	for rows.Next() {
		var r load.RunRecord
		if err := rows.Scan(&r.RunID, &r.Command, &r.Status, &r.StartedAt, &r.FinishedAt, &r.Total, &r.Succeeded, &r.Failed,
			&r.Requests, &r.Error); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (l ledger) Registry(ctx context.Context) ([]load.RegistryRecord, error) {
	db, err := l.db(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT g.login_id, g.registered_at, g.registered_by, coalesce(c.enabled, true),
		c.changed_at, c.changed_by, c.reason
		FROM logins g LEFT JOIN login_controls c USING (login_id) ORDER BY g.login_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []load.RegistryRecord
	for rows.Next() {
		var r load.RegistryRecord
		if err := rows.Scan(&r.LoginID, &r.RegisteredAt, &r.RegisteredBy, &r.Enabled, &r.ChangedAt, &r.ChangedBy, &r.Reason); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (l ledger) ErasedHashes(ctx context.Context) ([]string, error) {
	return l.strings(ctx, `SELECT DISTINCT login_hash FROM erasures ORDER BY login_hash`)
}

func (l ledger) RejectedStreaks(ctx context.Context) (map[string]int, error) {
	db, err := l.db(ctx)
	if err != nil {
		return nil, err
	}
	// Each login's attempts, newest first; the streak is the attempts
	// before the first one that did not end rejected.
	rows, err := db.QueryContext(ctx, `WITH attempts AS (
		SELECT l.login_id, l.status,
		       row_number() OVER (PARTITION BY l.login_id ORDER BY r.started_at DESC, l.finished_at DESC NULLS LAST) AS n
		FROM sync_logins l JOIN sync_runs r USING (run_id))
	SELECT login_id, coalesce(min(n) FILTER (WHERE status <> 'rejected') - 1, count(*)) AS streak
	FROM attempts GROUP BY login_id HAVING streak > 0 ORDER BY login_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var login string
		var n int
		if err := rows.Scan(&login, &n); err != nil {
			return nil, err
		}
		out[login] = n
	}
	return out, rows.Err()
}
