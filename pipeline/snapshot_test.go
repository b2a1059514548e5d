package pipeline

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/load/duckdb"
)

// warehouse is a DuckDB warehouse in a temporary directory, for the tests
// whose subject is what the tables hold after runs.
type warehouse struct {
	t    *testing.T
	path string
}

func newWarehouse(t *testing.T) *warehouse {
	return &warehouse{t: t, path: filepath.Join(t.TempDir(), "w.duckdb")}
}

// run syncs logins from srv into the warehouse, the run's clock reading now.
func (w *warehouse) run(srv *flinkstest.Server, now time.Time, log *slog.Logger, logins ...string) {
	w.t.Helper()
	sink, err := duckdb.Open(context.Background(), duckdb.Options{Path: w.path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		w.t.Fatal(err)
	}
	defer sink.Close()
	opts := Options{RunID: "run-" + now.Format("20060102T150405"), Concurrency: 2, Clock: stoppedClock{now: now}, Logger: log}
	sum, err := Run(context.Background(), fastClient(w.t, srv, nil), sink, logins, opts)
	if err != nil {
		w.t.Fatal(err)
	}
	if sum.ByStatus[StatusSucceeded] != len(logins) {
		w.t.Fatalf("%d of %d logins succeeded", sum.ByStatus[StatusSucceeded], len(logins))
	}
}

// read calls fn with the warehouse opened read-only.
func (w *warehouse) read(fn func(db *sql.DB)) {
	w.t.Helper()
	db, err := duckdb.OpenReadOnly(context.Background(), w.path, time.Second)
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	fn(db)
}

func (w *warehouse) strings(db *sql.DB, q string, args ...any) []string {
	w.t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

const snapshotDates = `SELECT DISTINCT strftime(as_of_date, '%Y-%m-%d') FROM positions WHERE login_id = ? ORDER BY 1`

// TestSnapshotDatedByLastRefresh: the session's Login.LastRefresh dates the
// snapshot, whatever the positions' own AsOfDate (kept as price_date) and
// the run's clock, and logins.last_refresh_at records it.
func TestSnapshotDatedByLastRefresh(t *testing.T) {
	login := flinkstest.DemoLogins(5, 1)[0]
	srv := newSandbox(t, flinkstest.Config{Seed: 5, AsOf: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		LastRefresh: func(string, time.Time) string { return `"2026-01-31T22:15:00.1234567"` }})
	w := newWarehouse(t)
	w.run(srv, time.Date(2026, 2, 2, 2, 30, 0, 0, time.UTC), nil, login)
	w.read(func(db *sql.DB) {
		if got := w.strings(db, snapshotDates, login); strings.Join(got, ",") != "2026-01-31" {
			t.Errorf("snapshot dates %v, want [2026-01-31] (LastRefresh's date)", got)
		}
		if got := w.strings(db, `SELECT DISTINCT strftime(price_date, '%Y-%m-%d') FROM positions WHERE login_id = ?`, login); strings.Join(got, ",") != "2026-02-01" {
			t.Errorf("price dates %v, want [2026-02-01] (the positions' AsOfDate)", got)
		}
		if got := w.strings(db, `SELECT CAST(last_refresh_at AS VARCHAR) FROM logins WHERE login_id = ?`, login); strings.Join(got, ",") != "2026-01-31 22:15:00.123456" {
			t.Errorf("logins.last_refresh_at %v, want 2026-01-31 22:15:00.123456", got)
		}
	})
}

// TestEarlierAsOfKeepsToday is the README tour with injected clocks: a sync
// on Nov 30 of the sandbox as of today, then one as of Nov 25, leave two
// snapshots; the wall-clock date is never replaced by a sync of another date,
// and the logins keep the newest refresh, so status ages them by Nov 30.
func TestEarlierAsOfKeepsToday(t *testing.T) {
	now := time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)
	logins := flinkstest.DemoLogins(1, 3)
	w := newWarehouse(t)
	w.run(newSandbox(t, flinkstest.Config{Seed: 1, Clock: func() time.Time { return now }}), now, nil, logins...)
	w.run(newSandbox(t, flinkstest.Config{Seed: 1, Clock: func() time.Time { return now }, AsOf: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}),
		now.Add(5*time.Minute), nil, logins...)
	w.read(func(db *sql.DB) {
		for _, login := range logins {
			if got := w.strings(db, snapshotDates, login); strings.Join(got, ",") != "2026-11-25,2026-11-30" {
				t.Errorf("login %s: snapshot dates %v, want 2026-11-25 and 2026-11-30", extract.HashLogin(login), got)
			}
			if got := w.strings(db, `SELECT strftime(last_refresh_at, '%Y-%m-%d') FROM logins WHERE login_id = ?`, login); strings.Join(got, ",") != "2026-11-30" {
				t.Errorf("login %s: last refresh on %v, want the newest, 2026-11-30", extract.HashLogin(login), got)
			}
		}
	})
}

// TestMissingLastRefreshDatesBySync: an Authorize answer without a usable
// LastRefresh dates the snapshot by the run's UTC date and logs a warning
// that names the login only by its hash.
func TestMissingLastRefreshDatesBySync(t *testing.T) {
	logins := []string{flinkstest.RefreshLogin(0, flinkstest.RefreshAbsent, 1), flinkstest.RefreshLogin(0, flinkstest.RefreshGarbage, 2)}
	srv := newSandbox(t, flinkstest.Config{Seed: 5, AsOf: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)})
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	w := newWarehouse(t)
	now := time.Date(2026, 2, 2, 23, 30, 0, 0, time.FixedZone("EST", -5*3600)) // Feb 3 in UTC
	w.run(srv, now, log, logins...)
	w.read(func(db *sql.DB) {
		for _, login := range logins {
			if got := w.strings(db, snapshotDates, login); strings.Join(got, ",") != "2026-02-03" {
				t.Errorf("snapshot dates %v, want [2026-02-03] (the sync's UTC date)", got)
			}
		}
	})
	text := logs.String()
	for _, login := range logins {
		if !strings.Contains(text, "login="+extract.HashLogin(login)) || !strings.Contains(text, "level=WARN") || !strings.Contains(text, "LastRefresh") {
			t.Errorf("no warning naming login %s by its hash:\n%s", extract.HashLogin(login), text)
		}
		if strings.Contains(text, login) {
			t.Errorf("the log holds a LoginId:\n%s", text)
		}
	}
}

// TestStatusAgesByRefresh: data Flinks last refreshed on Jan 10, synced
// successfully on Feb 1 and Feb 2, is one snapshot dated Jan 10, and its
// login is 23 days old on Feb 2, not fresh.
func TestStatusAgesByRefresh(t *testing.T) {
	stale, fresh := flinkstest.DemoLogins(5, 2)[0], flinkstest.DemoLogins(5, 2)[1]
	refreshed := map[string]string{stale: `"2026-01-10T03:00:00.0000000"`, fresh: `"2026-02-02T01:00:00.0000000"`}
	srv := newSandbox(t, flinkstest.Config{Seed: 5, AsOf: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC),
		LastRefresh: func(login string, _ time.Time) string { return refreshed[login] }})
	w := newWarehouse(t)
	w.run(srv, time.Date(2026, 2, 1, 2, 30, 0, 0, time.UTC), nil, stale)
	now := time.Date(2026, 2, 2, 2, 30, 0, 0, time.UTC)
	w.run(srv, now, nil, stale, fresh)
	w.read(func(db *sql.DB) {
		if got := w.strings(db, snapshotDates, stale); strings.Join(got, ",") != "2026-01-10" {
			t.Errorf("snapshot dates %v, want one, 2026-01-10", got)
		}
		statuses, err := LoginStatuses(context.Background(), duckdb.LedgerOf(db))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]time.Duration{stale: 23*24*time.Hour - 30*time.Minute, fresh: 90 * time.Minute}
		for i, s := range statuses {
			if s.Age(now) != want[s.LoginID] {
				t.Errorf("login %s: age %s, want %s", extract.HashLogin(s.LoginID), s.Age(now), want[s.LoginID])
			}
			if i == 0 && s.LoginID != stale {
				t.Error("the stale login is not listed first")
			}
		}
	})
}

// syncWriter serialises writes from the run's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// stoppedClock is the real clock, but for the time, which stays at now.
type stoppedClock struct {
	clock.Real
	now time.Time
}

func (c stoppedClock) Now() time.Time { return c.now }
