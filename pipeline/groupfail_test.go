package pipeline

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/schema"
)

// refusedError is a sink's refusal whose message quotes the LoginId, as a
// warehouse's constraint error does, and whose class does not.
type refusedError struct{ login string }

func (e refusedError) Error() string { return "constraint violated by login " + e.login }
func (e refusedError) Class() string { return "constraint violated" }

// A group that fails because of one login is split in halves until the
// login is alone: every other login commits, the bad one is recorded as
// failed, and the calls are a few per halving, not one per login (before,
// a failed group was retried login by login: a 1,000-login group with one
// bad login cost 1,000 commits, each as slow as a whole group in a lake).
// The log says why the group failed, by class only: the sink's message,
// which quotes the login, stays out of it.
func TestFailedGroupIsSplitNotRetriedLoginByLogin(t *testing.T) {
	srv := newSandbox(t, flinkstest.Config{Seed: 17})
	client := fastClient(t, srv, nil)
	logins := flinkstest.DemoLogins(17, 64)
	bad := logins[41]
	var calls atomic.Int64 // calls holding logins' data
	sink := &memSink{commit: func(_ int, batches []schema.Batch) error {
		data := false
		for _, b := range batches {
			data = data || b.LoginID != "" && len(b.Rows[schema.Accounts.Name]) > 0
		}
		if data {
			calls.Add(1)
		}
		for _, b := range batches {
			if b.LoginID == bad && len(b.Rows[schema.Accounts.Name]) > 0 {
				return refusedError{bad}
			}
		}
		return nil
	}}
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	opts := Options{RunID: runID(t), Concurrency: 4, CommitEvery: len(logins), CommitLatency: time.Hour, Logger: log}
	sum, err := Run(context.Background(), client, sink, logins, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.ByStatus[StatusFailed] != 1 || sum.ByStatus[StatusSucceeded] != len(logins)-1 {
		t.Errorf("outcomes %v, want 1 failed and %d succeeded", sum.ByStatus, len(logins)-1)
	}
	rows := sink.loginRows(t)
	if got := col(schema.SyncLogins, rows[bad][len(rows[bad])-1], "status"); got != StatusFailed {
		t.Errorf("the refused login is %v, want failed", got)
	}
	// One group of 64: the group, then two halves per halving down to one
	// login (6 halvings): 13 calls at most.
	if n := calls.Load(); n > 13 {
		t.Errorf("%d commits of login data for one bad login in a group of %d, want at most 13", n, len(logins))
	}
	if !strings.Contains(logs.String(), "constraint violated") {
		t.Errorf("the log does not say why the group failed:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), bad) {
		t.Errorf("the log quotes the LoginId:\n%s", logs.String())
	}
}

// The backlog of finished logins waiting for a commit is bounded by rows
// as well as by logins: a long commit of large logins must not gather
// thousands of them in memory (a 100,000-login lake run held 6,000 logins,
// 3 GB, in each shard while its commits were slow).
func TestBacklogBoundedByRows(t *testing.T) {
	o := Options{CommitEvery: 1000, CommitRows: 5000, MaxActive: 64}
	r := &runner{o: o.withDefaults()}
	small := []result{{rows: 10}, {rows: 10}}
	if r.backlogFull(small, 20) {
		t.Error("a backlog of 2 small logins is full")
	}
	if !r.backlogFull(make([]result, 30), 5000) {
		t.Errorf("a backlog of CommitRows rows is not full")
	}
	if r.backlogFull(make([]result, 30), 4999) {
		t.Errorf("a backlog of less than CommitRows rows is full")
	}
	if !r.backlogFull(make([]result, 2000), 0) {
		t.Error("a backlog of 2 × CommitEvery logins is not full")
	}
	if r.backlogFull(make([]result, 1999), 0) {
		t.Error("a backlog of fewer than 2 × CommitEvery logins (and CommitRows rows) is full")
	}
	r.o.CommitRows = 0
	if r.backlogFull(make([]result, 30), 1_000_000) {
		t.Error("without CommitRows, rows fill the backlog")
	}
}
