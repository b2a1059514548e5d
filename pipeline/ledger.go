package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/load"
)

// RetryCandidates returns the LoginIds whose latest attempt ended in a
// retryable status (RetryableStatuses): what `syncer retry` syncs.
func RetryCandidates(ctx context.Context, l load.Ledger) ([]string, error) {
	return l.RetryCandidates(ctx, RetryableStatuses)
}

// RetryProducts returns, for each retry candidate whose latest attempt
// recorded its products, the products that ended in a retryable status: what
// `syncer retry` syncs again. A candidate not in the map (its attempt
// predates sync_login_products) syncs the run's products.
func RetryProducts(ctx context.Context, l load.Ledger) (map[string][]extract.Product, error) {
	names, err := l.RetryProducts(ctx, RetryableStatuses)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]extract.Product, len(names))
	for login, products := range names {
		for _, p := range products {
			out[login] = append(out[login], extract.Product(p))
		}
	}
	return out, nil
}

// LoginStatus is one login's freshness and last outcome: what the ledger
// holds of it, and how logs name it.
type LoginStatus struct {
	load.LoginRecord
	// LoginHash is extract.HashLogin(LoginID): how logs name the login.
	LoginHash string
}

// ProductStatus is one product's outcome in a login's attempt
// (sync_login_products).
type ProductStatus = load.ProductRecord

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

// LoginStatuses reports every registered login, stalest data first (see
// load.Ledger.LoginStatuses).
func LoginStatuses(ctx context.Context, l load.Ledger) ([]LoginStatus, error) {
	records, err := l.LoginStatuses(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]LoginStatus, len(records))
	for i, r := range records {
		out[i] = LoginStatus{LoginRecord: r, LoginHash: extract.HashLogin(r.LoginID)}
	}
	return out, nil
}

// RunInfo is one row of sync_runs.
type RunInfo struct{ load.RunRecord }

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
func RecentRuns(ctx context.Context, l load.Ledger, n int) ([]RunInfo, error) {
	records, err := l.RecentRuns(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]RunInfo, len(records))
	for i, r := range records {
		out[i] = RunInfo{r}
	}
	return out, nil
}
