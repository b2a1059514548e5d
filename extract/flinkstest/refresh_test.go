package flinkstest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// lastRefreshOf returns the raw Login.LastRefresh of an Authorize answer,
// "" when the member is absent.
func lastRefreshOf(t *testing.T, r reply) string {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("Authorize: %d %s", r.status, r.body)
	}
	var a struct{ Login map[string]json.RawMessage }
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatal(err)
	}
	return string(a.Login["LastRefresh"])
}

func parseRefresh(t *testing.T, raw string) time.Time {
	t.Helper()
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatalf("LastRefresh %s is not a string", raw)
	}
	if len(s) != len("2006-01-02T15:04:05.0000000") {
		t.Errorf("LastRefresh %q is not zone-less with 7 fractional digits", s)
	}
	v, err := time.Parse("2006-01-02T15:04:05", s)
	if err != nil {
		t.Fatalf("LastRefresh %q: %v", s, err)
	}
	return v
}

// TestLastRefreshFollowsTheAsOfDate: a login's LastRefresh is a time on the
// as-of date, the same for a (seed, LoginId) on every request, another for
// another seed; a StaleLogin's is days earlier, and its payload is that
// earlier day's data.
func TestLastRefreshFollowsTheAsOfDate(t *testing.T) {
	login := DemoLogins(1, 1)[0]
	s1, s2 := start(t, Config{Seed: 1}), start(t, Config{Seed: 2})
	first := lastRefreshOf(t, authorize(t, s1, login, nil))
	got := parseRefresh(t, first)
	if !got.Truncate(24 * time.Hour).Equal(testAsOf) {
		t.Errorf("LastRefresh %s is not on the as-of date %s", got, testAsOf.Format(time.DateOnly))
	}
	if again := lastRefreshOf(t, authorize(t, start(t, Config{Seed: 1}), login, nil)); again != first {
		t.Errorf("LastRefresh differs between two sandboxes of one seed: %s, then %s", first, again)
	}
	if other := lastRefreshOf(t, authorize(t, s2, login, nil)); other == first {
		t.Errorf("seeds 1 and 2 give the same LastRefresh %s", first)
	}

	stale := StaleLogin(3, 1)
	a := authorize(t, s1, stale, nil)
	if day := parseRefresh(t, lastRefreshOf(t, a)).Truncate(24 * time.Hour); !day.Equal(testAsOf.AddDate(0, 0, -3)) {
		t.Errorf("stale login's LastRefresh is on %s, want 3 days before the as-of date", day.Format(time.DateOnly))
	}
	body := investments(t, s1, plainClient, stale, a.field("RequestId"), nil).body
	if want := `"AsOfDate":"` + testAsOf.AddDate(0, 0, -3).Format(time.DateOnly) + `"`; !strings.Contains(string(body), want) {
		t.Errorf("stale login's payload is not its refresh day's data (no %s)", want)
	}
	if string(body) != string(Payload(1, stale, testAsOf)) {
		t.Error("stale login's payload differs from Payload")
	}
}

// TestLastRefreshForms: RefreshLogin chooses how LastRefresh is sent, and
// Config.LastRefresh overrides it for every login.
func TestLastRefreshForms(t *testing.T) {
	s := start(t, Config{Seed: 1})
	for form, want := range map[RefreshForm]string{RefreshAbsent: "", RefreshNull: "null", RefreshGarbage: `"not refreshed yet"`} {
		if got := lastRefreshOf(t, authorize(t, s, RefreshLogin(0, form, 1), nil)); got != want {
			t.Errorf("form %d: LastRefresh %q, want %q", form, got, want)
		}
	}
	var asked time.Time
	custom := start(t, Config{Seed: 1, LastRefresh: func(_ string, asOf time.Time) string {
		asked = asOf
		return `"2026-01-10T08:00:00.123456"`
	}})
	if got := lastRefreshOf(t, authorize(t, custom, DemoLogins(1, 1)[0], nil)); got != `"2026-01-10T08:00:00.123456"` || !asked.Equal(testAsOf) {
		t.Errorf("Config.LastRefresh: sent %s, asked for %s", got, asked)
	}
	for _, id := range DemoLogins(1, 2000) {
		if _, aged := parseRefreshLogin(id); aged {
			t.Fatalf("demo login %s has the stale pattern", id)
		}
	}
}

// TestLastRefreshNotInTheFuture: with the as-of date left to the clock
// (today), LastRefresh is never later than the sandbox's now.
func TestLastRefreshNotInTheFuture(t *testing.T) {
	now := time.Date(2025, 1, 31, 0, 0, 1, 0, time.UTC)
	s := New(Config{Seed: 1, Clock: func() time.Time { return now }})
	t.Cleanup(s.Close)
	for _, login := range DemoLogins(1, 20) {
		if got := parseRefresh(t, lastRefreshOf(t, authorize(t, s, login, nil))); got.After(now) {
			t.Errorf("LastRefresh %s is after the clock's %s", got, now)
		}
	}
}
