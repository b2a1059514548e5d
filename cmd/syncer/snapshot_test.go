package main

import (
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

// TestTourTwoSnapshots runs the README tour's two syncs: the sandbox as of
// today, then as of an earlier day. positions then holds both snapshot
// dates: a sync replaces only the date it fetched, never today's.
func TestTourTwoSnapshots(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	earlier := time.Now().UTC().AddDate(0, 0, -5).Format(time.DateOnly)
	for _, args := range [][]string{
		{"sync", "--sandbox", "--db", db, "--poll-interval", "1ms"},
		{"sync", "--sandbox", "--sandbox-as-of", earlier, "--db", db, "--poll-interval", "1ms"},
	} {
		if r := syncer(t, dir, nil, args...); r.code != exitOK {
			t.Fatalf("%v: want exit 0\n%s", args, r)
		}
	}
	w := openWarehouseRO(t, db)
	dates := stringsOf(t, w, "SELECT DISTINCT CAST(as_of_date AS VARCHAR) FROM positions ORDER BY 1")
	if len(dates) != 2 || dates[0] != earlier {
		t.Errorf("snapshot dates %v, want %s and today's", dates, earlier)
	}
}

// TestStatusAgesByLastRefresh: `status` ages a login by when Flinks last
// refreshed its data, so a login synced a moment ago from data refreshed
// three days earlier is STALE, and shows when that was; a fresh one is not.
func TestStatusAgesByLastRefresh(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	stale, fresh := flinkstest.StaleLogin(3, 1), flinkstest.DemoLogins(1, 1)[0]
	if r := syncer(t, dir, nil, "sync", "--sandbox", "--login", stale, "--login", fresh, "--db", db, "--poll-interval", "1ms"); r.code != exitOK {
		t.Fatalf("sync: want exit 0\n%s", r)
	}
	r := syncer(t, dir, nil, "status", "--db", db, "--format", "csv")
	if r.code != exitOK {
		t.Fatalf("status: want exit 0\n%s", r)
	}
	records, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(records) != 3 {
		t.Fatalf("status --format csv: %d records (%v):\n%s", len(records), err, r.stdout)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	rows := map[string][]string{}
	for _, rec := range records[1:] {
		rows[rec[col["login_id"]]] = rec
	}
	threeDaysAgo := time.Now().UTC().AddDate(0, 0, -3).Format(time.DateOnly)
	if got := rows[stale]; got[col["stale"]] != "STALE" || !strings.HasPrefix(got[col["last_refresh"]], threeDaysAgo) {
		t.Errorf("stale login: stale %q, last_refresh %q; want STALE and %s", got[col["stale"]], got[col["last_refresh"]], threeDaysAgo)
	}
	if got := rows[fresh]; got[col["stale"]] != "" || got[col["last_refresh"]] == "" {
		t.Errorf("fresh login: stale %q, last_refresh %q; want not stale, with a last refresh", got[col["stale"]], got[col["last_refresh"]])
	}
}
