package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/schema"
)

// sync_logins.flinks_code is the code of the answer that decided the
// outcome: none for a success (however many 202s came first) or for a body
// that is not JSON, the failing answer's code otherwise; MFA, which has no
// code, is named in error.
func TestOutcomeCarriesTheDecidingCode(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 12, Pending: flinkstest.FixedPending(2)})
	client := fastClient(t, srv, func(c *extract.Config) { c.PollInterval, c.PollTimeout = time.Millisecond, 500*time.Millisecond })
	healthy := flinkstest.DemoLogins(12, 3)
	type want struct{ status, code, errorHas string }
	wants := map[string]want{
		flinkstest.FaultLogin(flinkstest.FaultMFA, 1):              {StatusNeedsUserAction, "", "MFA required (HTTP 203)"},
		flinkstest.FaultLogin(flinkstest.FaultTruncatedJSON, 1):    {StatusRejected, "", "not valid JSON"},
		flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 1):    {StatusNeedsUserAction, "DISABLED_LOGIN", ""},
		flinkstest.FaultLogin(flinkstest.FaultAggregationError, 1): {StatusFailed, "AGGREGATION_ERROR", ""},
		flinkstest.FaultLogin(flinkstest.FaultNeverReady, 1):       {StatusTimedOut, "OPERATION_PENDING", ""},
		flinkstest.FaultLogin(flinkstest.FaultDispatched, 1):       {StatusSucceeded, "", ""},
	}
	for _, id := range healthy {
		wants[id] = want{StatusSucceeded, "", ""}
	}
	sink := &memSink{}
	if _, err := Run(context.Background(), client, sink, sortedKeys(wants), Options{RunID: runID(t), Concurrency: 4}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	rows := sink.loginRows(t)
	for _, id := range sortedKeys(wants) {
		w := wants[id]
		if len(rows[id]) != 1 {
			t.Fatalf("login %s: %d rows", extract.HashLogin(id), len(rows[id]))
		}
		r := rows[id][0]
		code, _ := col(schema.SyncLogins, r, "flinks_code").(string)
		msg, _ := col(schema.SyncLogins, r, "error").(string)
		if col(schema.SyncLogins, r, "status") != w.status || code != w.code || !strings.Contains(msg, w.errorHas) {
			t.Errorf("login %s: status %v, flinks_code %q, error %q; want %s, %q, containing %q",
				id[:13], col(schema.SyncLogins, r, "status"), code, msg, w.status, w.code, w.errorHas)
		}
	}
}

// Options.OnFinished hears of every login once its outcome is committed,
// with a cause short enough to group failures by: the FlinksCode, else
// what went wrong in a word.
func TestOnFinishedGivesEachLoginsCause(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 12, Pending: flinkstest.FixedPending(2)})
	client := fastClient(t, srv, func(c *extract.Config) { c.PollInterval, c.PollTimeout = time.Millisecond, 500*time.Millisecond })
	type want struct{ status, cause string }
	wants := map[string]want{
		flinkstest.FaultLogin(flinkstest.FaultMFA, 1):              {StatusNeedsUserAction, "MFA"},
		flinkstest.FaultLogin(flinkstest.FaultTruncatedJSON, 1):    {StatusRejected, CausePayload},
		flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 1):    {StatusNeedsUserAction, "DISABLED_LOGIN"},
		flinkstest.FaultLogin(flinkstest.FaultAggregationError, 1): {StatusFailed, "AGGREGATION_ERROR"},
		flinkstest.FaultLogin(flinkstest.FaultNeverReady, 1):       {StatusTimedOut, CauseTimedOut},
		flinkstest.FaultLogin(flinkstest.FaultDispatched, 1):       {StatusSucceeded, ""},
	}
	for _, id := range flinkstest.DemoLogins(12, 3) {
		wants[id] = want{StatusSucceeded, ""}
	}
	got := map[string]Finished{}
	opts := Options{RunID: runID(t), Concurrency: 4, OnFinished: func(f Finished) {
		if _, twice := got[f.LoginID]; twice {
			t.Errorf("login %s finished twice", extract.HashLogin(f.LoginID))
		}
		got[f.LoginID] = f
	}}
	if _, err := Run(context.Background(), client, &memSink{}, sortedKeys(wants), opts); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, id := range sortedKeys(wants) {
		f, ok := got[id]
		if w := wants[id]; !ok || f.Status != w.status || f.Cause != w.cause {
			t.Errorf("login %s: finished %v (%+v); want status %s, cause %q", extract.HashLogin(id), ok, f, w.status, w.cause)
		}
	}
}
