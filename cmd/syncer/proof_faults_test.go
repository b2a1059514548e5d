package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

// runStoppers are the faults that reject our own credentials: they stop the
// whole run (TestProofCredentialsRejected).
var runStoppers = map[flinkstest.Fault]bool{flinkstest.FaultUnauthorized: true, flinkstest.FaultAccessDenied: true,
	flinkstest.FaultUnauthorized200: true}

// transientOutcome is what a login showing fault f twice, then behaving,
// must end as: retryable faults recover (max-attempts 3), the others are
// decided at once, as if persistent.
func transientOutcome(f flinkstest.Fault) struct{ status, code string } {
	o := faultOutcomes[f]
	switch o.status {
	case "failed", "timed_out", "succeeded":
		return struct{ status, code string }{"succeeded", ""}
	}
	return o
}

// TestProofTransientFaultsRecover runs, through the binary, one login per
// fault kind showing the fault on its first two opportunities, among
// healthy logins: every retryable fault ends succeeded with its data
// loaded, every other keeps the status and FlinksCode of its persistent
// form, and the healthy logins all commit.
func TestProofTransientFaultsRecover(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 16, AsOf: proofAsOf, Delay: 20 * time.Millisecond, Pending: flinkstest.FixedPending(2)})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	want := map[string]struct{ status, code string }{}
	for _, f := range flinkstest.Faults() {
		if !runStoppers[f] {
			want[flinkstest.TransientFaultLogin(f, 2, 1)] = transientOutcome(f)
		}
	}
	for _, id := range flinkstest.DemoLogins(16, 10) {
		want[id] = struct{ status, code string }{"succeeded", ""}
	}
	var logins []string
	for id := range want {
		logins = append(logins, id)
	}
	// A login throttled twice waits out two Retry-After: 1 before its polls:
	// give the deadline room for that on a busy machine (this test is about
	// recovery, the poll cap has tests of its own).
	flags := append(fastFlags(srv, db), "--poll-timeout", "30s")
	r := syncer(t, dir, nil, append([]string{"sync", "--logins", writeLogins(t, dir, logins)}, flags...)...)
	if r.code != exitPartial {
		t.Fatalf("want exit 3 (some faults are not retryable)\n%s", r)
	}
	w := openWarehouseRO(t, db)
	checkOutcomes(t, w, want)
	if n := queryInt(t, w, `SELECT count(DISTINCT login_id) FROM accounts WHERE login_id LIKE 'fa11%'`); n == 0 {
		t.Error("no recovered fault login has accounts")
	}
	if n := queryInt(t, w, `SELECT count(*) FROM accounts WHERE login_id NOT IN (SELECT login_id FROM sync_logins WHERE status = 'succeeded')`); n != 0 {
		t.Errorf("%d accounts belong to logins that did not succeed", n)
	}
}

// TestProofThrottlingStorm points a run that believes it may make 3,000
// requests/s at a sandbox that allows 40 (in both of Flinks' throttling
// styles): the run is throttled many times and still syncs every login.
func TestProofThrottlingStorm(t *testing.T) {
	styles := []flinkstest.ThrottleStyle{flinkstest.Throttle401}
	if fullProof {
		styles = append(styles, flinkstest.Throttle429) // each 429 pauses the run 1 s: slow
	}
	for _, style := range styles {
		t.Run(fmt.Sprintf("style %d", style), func(t *testing.T) {
			srv := flinkstest.New(flinkstest.Config{Seed: 17, AsOf: proofAsOf, Rate: 40, Burst: 4, Throttle: style,
				Pending: flinkstest.PendingDist{Min: 0, Max: 1}})
			t.Cleanup(srv.Close)
			dir := t.TempDir()
			db := filepath.Join(dir, "w.duckdb")
			logins := flinkstest.DemoLogins(17, 12)
			args := append([]string{"sync", "--logins", writeLogins(t, dir, logins)}, fastFlags(srv, db)...)
			// Each 429 pauses the whole run for its Retry-After (1 s): give
			// the pending logins a poll timeout that outlasts the storm.
			r := syncer(t, dir, nil, append(args, "--poll-timeout", "1m")...)
			if r.code != exitOK {
				t.Fatalf("want exit 0: throttling is never a login's failure\n%s", r)
			}
			throttled := 0
			for _, req := range srv.Requests() {
				if req.FlinksCode == "TOO_MANY_REQUESTS" {
					throttled++
				}
			}
			if throttled == 0 {
				t.Fatal("the sandbox never throttled: no storm")
			}
			w := openWarehouseRO(t, db)
			if n := queryInt(t, w, `SELECT count(*) FROM sync_logins WHERE status = 'succeeded'`); n != len(logins) {
				t.Errorf("%d of %d logins succeeded", n, len(logins))
			}
			t.Logf("%d requests, %d throttled", srv.Count("", ""), throttled)
		})
	}
}

// TestProofSessionExpiry gives sessions a 150 ms life and polls every
// 600 ms: logins that answer at once sync, logins that must be polled find
// their session gone at every poll and end failed with SESSION_NONEXISTENT,
// and the run goes on (exit 3).
func TestProofSessionExpiry(t *testing.T) {
	if !fullProof {
		t.Skip("outlives sessions in real time: run with -tags proof")
	}
	logins := flinkstest.DemoLogins(18, 12)
	polled := map[string]bool{}
	for i, id := range logins {
		polled[id] = i%3 == 0
	}
	srv := flinkstest.New(flinkstest.Config{Seed: 18, AsOf: proofAsOf, SessionTTL: 150 * time.Millisecond,
		Pending: flinkstest.PendingDist{Func: func(id string) int {
			if polled[strings.ToLower(id)] {
				return 1
			}
			return 0
		}}})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	args := append([]string{"sync", "--logins", writeLogins(t, dir, logins)}, fastFlags(srv, db)...)
	r := syncer(t, dir, nil, append(args, "--poll-interval", "600ms", "--max-attempts", "2")...)
	if r.code != exitPartial {
		t.Fatalf("want exit 3\n%s", r)
	}
	want := map[string]struct{ status, code string }{}
	for id, p := range polled {
		want[id] = struct{ status, code string }{"succeeded", ""}
		if p {
			want[id] = struct{ status, code string }{"failed", "SESSION_NONEXISTENT"}
		}
	}
	checkOutcomes(t, openWarehouseRO(t, db), want)
}

// TestProofCredentialsRejected: a run that meets UNAUTHORIZED or
// ACCESS_DENIED (under 401, or UNAUTHORIZED under 200) stops with exit 1 naming the code, records the run as
// failed, and keeps every login committed by earlier runs as it was.
func TestProofCredentialsRejected(t *testing.T) {
	faults := []flinkstest.Fault{flinkstest.FaultUnauthorized}
	if fullProof {
		faults = append(faults, flinkstest.FaultAccessDenied, flinkstest.FaultUnauthorized200)
	}
	for _, f := range faults {
		t.Run(f.FlinksCode(), func(t *testing.T) {
			srv := flinkstest.New(flinkstest.Config{Seed: 19, AsOf: proofAsOf})
			t.Cleanup(srv.Close)
			dir := t.TempDir()
			db := filepath.Join(dir, "w.duckdb")
			healthy := flinkstest.DemoLogins(19, 10)
			if r := syncer(t, dir, nil, append([]string{"sync", "--logins", writeLogins(t, dir, healthy)}, fastFlags(srv, db)...)...); r.code != exitOK {
				t.Fatalf("first run: want exit 0\n%s", r)
			}
			w := openWarehouseRO(t, db)
			before := dataChecksums(t, w)
			w.Close()

			logins := append([]string{flinkstest.FaultLogin(f, 1)}, healthy...)
			r := syncer(t, dir, nil, append([]string{"sync", "--logins", writeLogins(t, dir, logins)}, fastFlags(srv, db)...)...)
			if r.code != exitFailed || !strings.Contains(r.stderr, f.FlinksCode()) {
				t.Fatalf("want exit 1 naming %s\n%s", f.FlinksCode(), r)
			}
			if strings.Contains(r.stderr, "panic") {
				t.Errorf("panic:\n%s", r)
			}
			w = openWarehouseRO(t, db)
			after := dataChecksums(t, w)
			delete(before, "logins") // the second run registers the new LoginId
			compareSums(t, "after the rejected run", before, after)
			if n := queryInt(t, w, `SELECT count(*) FROM sync_runs WHERE status = 'failed' AND error LIKE '%`+f.FlinksCode()+`%'`); n != 1 {
				t.Errorf("%d failed runs naming %s, want 1", n, f.FlinksCode())
			}
		})
	}
}
