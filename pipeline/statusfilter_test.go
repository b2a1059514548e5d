package pipeline

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/load"
)

// TestLoginFilter: each criterion given must hold; --login and --login-hash
// values name logins (any of them); a hash prefix may be longer than the
// 12 digits of logs (a prefix of the SHA-256 hex).
func TestLoginFilter(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	at := func(ago time.Duration) sql.NullTime { return sql.NullTime{Time: now.Add(-ago), Valid: true} }
	fresh := LoginStatus{LoginRecord: load.LoginRecord{LoginID: "fresh", LastStatus: StatusSucceeded, LastSuccess: at(time.Hour), LastRefresh: at(2 * time.Hour)}}
	old := LoginStatus{LoginRecord: load.LoginRecord{LoginID: "old", LastStatus: StatusSucceeded, LastSuccess: at(time.Hour), LastRefresh: at(72 * time.Hour)}}
	broken := LoginStatus{LoginRecord: load.LoginRecord{LoginID: "broken", LastStatus: StatusFailed, LastSuccess: at(time.Hour), LastRefresh: at(3 * time.Hour)}}
	never := LoginStatus{LoginRecord: load.LoginRecord{LoginID: "never", LastStatus: StatusNeedsUserAction}}
	all := []LoginStatus{fresh, old, broken, never}
	full := func(id string) string { s := sha256.Sum256([]byte(id)); return hex.EncodeToString(s[:]) }

	for _, c := range []struct {
		name   string
		filter LoginFilter
		want   []string
	}{
		{"none", LoginFilter{}, []string{"fresh", "old", "broken", "never"}},
		{"failed", LoginFilter{Failed: true}, []string{"broken", "never"}},
		{"stale", LoginFilter{Stale: true}, []string{"old", "never"}},
		{"stale after 100h", LoginFilter{Stale: true, StaleAfter: 100 * time.Hour}, []string{"never"}},
		{"failed and stale", LoginFilter{Failed: true, Stale: true}, []string{"never"}},
		{"logins", LoginFilter{Logins: []string{"old", "never", "unknown"}}, []string{"old", "never"}},
		{"log hash", LoginFilter{HashPrefixes: []string{extract.HashLogin("broken")}}, []string{"broken"}},
		{"long hash and a login", LoginFilter{HashPrefixes: []string{full("fresh")[:20]}, Logins: []string{"old"}}, []string{"fresh", "old"}},
		{"failed among logins", LoginFilter{Failed: true, Logins: []string{"fresh", "broken"}}, []string{"broken"}},
	} {
		var got []string
		for _, s := range all {
			if c.filter.Match(s, now) {
				got = append(got, s.LoginID)
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
}

// TestRunElapsed: a finished run's duration; a running one's time so far;
// unknown for a run that neither finished nor runs.
func TestRunElapsed(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	start := now.Add(-time.Hour)
	for _, c := range []struct {
		run  RunInfo
		want time.Duration
		ok   bool
	}{
		{RunInfo{load.RunRecord{Status: RunSucceeded, StartedAt: start, FinishedAt: sql.NullTime{Time: start.Add(time.Minute), Valid: true}}}, time.Minute, true},
		{RunInfo{load.RunRecord{Status: RunRunning, StartedAt: start}}, time.Hour, true},
		{RunInfo{load.RunRecord{Status: RunFailed, StartedAt: start}}, 0, false},
	} {
		if d, ok := c.run.Elapsed(now); d != c.want || ok != c.ok {
			t.Errorf("%s: Elapsed = %v, %v; want %v, %v", c.run.Status, d, ok, c.want, c.ok)
		}
	}
}
