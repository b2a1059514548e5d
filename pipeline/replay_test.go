package pipeline

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/syncer/syncer/archive"
	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/schema"
)

// archiveSource reads the answers run runID archived under dir, by LoginId,
// as cmd/syncer's replay does.
func archiveSource(t testing.TB, dir, runID string) ([]string, map[string][]extract.Product, func(string) ([]archive.Answer, error)) {
	t.Helper()
	arch := archiveAt(t, dir)
	entries, err := arch.Entries(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	byLogin := map[string][]archive.Entry{}
	products := map[string][]extract.Product{}
	for _, e := range entries {
		byLogin[e.LoginID] = append(byLogin[e.LoginID], e)
		products[e.LoginID] = append(products[e.LoginID], extract.Product(e.Product))
	}
	read := func(id string) ([]archive.Answer, error) {
		var out []archive.Answer
		for _, e := range byLogin[id] {
			a, err := arch.Read(context.Background(), e)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
		return out, nil
	}
	return sortedKeys(byLogin), products, read
}

// dataRowsByLogin returns, per LoginId, the rows of the data tables
// committed for it, run_id blanked (a replay is its own run), each table's
// rows sorted.
func dataRowsByLogin(m *memSink) map[string]map[string][]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]map[string][]string{}
	for _, b := range m.batches {
		if b.LoginID == "" {
			continue
		}
		for name, rows := range b.Rows {
			table := schema.Lookup(name)
			if table == nil || name == schema.SyncLogins.Name || name == schema.SyncLoginProducts.Name {
				continue
			}
			if out[b.LoginID] == nil {
				out[b.LoginID] = map[string][]string{}
			}
			i := table.Index("run_id")
			for _, r := range rows {
				r = slices.Clone(r)
				if i >= 0 {
					r[i] = nil
				}
				out[b.LoginID][name] = append(out[b.LoginID][name], fmt.Sprint(r))
			}
			slices.Sort(out[b.LoginID][name])
		}
	}
	return out
}

// TestReplayEqualsRun: a run with an archive keeps every answer it used;
// replaying that run, on another day and with no client, gives every
// login the same data rows (snapshot dates from the archived
// Login.LastRefresh, instants from the run), records a run of command
// replay, and makes no request.
func TestReplayEqualsRun(t *testing.T) {
	refreshed := time.Date(2025, 3, 13, 22, 30, 0, 0, time.UTC)
	srv := newSandbox(t, flinkstest.Config{Seed: 7, AsOf: refreshed, Pending: flinkstest.PendingDist{Min: 0, Max: 1}})
	logins := flinkstest.DemoLogins(7, 6)
	dir := t.TempDir()
	runAt := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	arch, err := archiveAt(t, dir).Open(context.Background(), "run-1", "sync", clock.NewFake(runAt))
	if err != nil {
		t.Fatal(err)
	}
	orig := &memSink{}
	opts := Options{RunID: "run-1", Command: "sync", Concurrency: 3, Products: extract.Products, Archive: arch,
		Clock: stoppedClock{now: runAt}}
	sum, err := Run(context.Background(), fastClient(t, srv, nil), orig, logins, opts)
	if err != nil || sum.ByStatus[StatusSucceeded] != len(logins) {
		t.Fatalf("run: %v, %v", err, sum.ByStatus)
	}
	if err := arch.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	ids, products, read := archiveSource(t, dir, "run-1")
	if !reflect.DeepEqual(ids, sortedKeys(loginSet(logins))) {
		t.Fatalf("the archive holds %d logins, want %d", len(ids), len(logins))
	}
	for _, id := range ids {
		if len(products[id]) != 2 {
			t.Errorf("login %s: %d answers archived, want 2", extract.HashLogin(id), len(products[id]))
		}
	}
	replayed := &memSink{}
	later := runAt.Add(40 * 24 * time.Hour)
	rsum, err := Replay(context.Background(), replayed, ids, read,
		Options{RunID: "replay-run-1", Command: "replay", Concurrency: 2, ProductsOf: products, Clock: stoppedClock{now: later}})
	if err != nil || rsum.ByStatus[StatusSucceeded] != len(logins) || rsum.Requests != 0 {
		t.Fatalf("replay: %v, %v, %d requests", err, rsum.ByStatus, rsum.Requests)
	}
	want, got := dataRowsByLogin(orig), dataRowsByLogin(replayed)
	if len(want) != len(logins) {
		t.Fatalf("the run committed data for %d logins", len(want))
	}
	for id, tables := range want {
		for name, rows := range tables {
			if !slices.Equal(got[id][name], rows) {
				t.Errorf("login %s, %s: replay gave %d rows differing from the run's %d", extract.HashLogin(id), name, len(got[id][name]), len(rows))
			}
		}
	}
	runs := replayed.runRows()
	if len(runs) == 0 || col(schema.SyncRuns, runs[len(runs)-1], "command") != "replay" {
		t.Errorf("the replay's sync_runs rows %v do not say replay", runs)
	}
}

// TestReplayRejectsUnreadableAnswers: a login whose archived answers cannot
// be read is recorded rejected, and the others replay.
func TestReplayRejectsUnreadableAnswers(t *testing.T) {
	bad := fmt.Errorf("archive: object of run r does not match its size or SHA-256")
	read := func(id string) ([]archive.Answer, error) {
		if id == "l-bad" {
			return nil, bad
		}
		return []archive.Answer{{LoginID: id, Product: extract.Banking, Body: []byte(`{"Accounts":[]}`), SyncedAt: time.Now()}}, nil
	}
	sink := &memSink{}
	sum, err := Replay(context.Background(), sink, []string{"l-bad", "l-good"}, read,
		Options{RunID: "replay-r", Command: "replay", Products: []extract.Product{extract.Banking}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ByStatus[StatusRejected] != 1 || sum.ByStatus[StatusSucceeded] != 1 {
		t.Errorf("statuses %v, want one rejected and one succeeded", sum.ByStatus)
	}
}

func loginSet(ids []string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// TestReplayInterrupted: cancelling a replay stops it between logins; the
// logins it finished are committed, the others recorded as interrupted,
// and the run says it was interrupted.
func TestReplayInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logins := []string{"l-1", "l-2", "l-3", "l-4", "l-5"}
	read := func(id string) ([]archive.Answer, error) {
		if id == "l-2" {
			cancel()
		}
		return []archive.Answer{{LoginID: id, Product: extract.Banking, Body: []byte(`{"Accounts":[]}`), SyncedAt: time.Unix(1, 0)}}, nil
	}
	sink := &memSink{}
	sum, _ := Replay(ctx, sink, logins, read, Options{RunID: "replay-r", Command: "replay", Concurrency: 1, MaxActive: 1,
		Products: []extract.Product{extract.Banking}})
	if sum == nil || !sum.Interrupted {
		t.Fatalf("summary %+v: want interrupted", sum)
	}
	rows := sink.loginRows(t)
	if len(rows) != len(logins) {
		t.Errorf("%d logins recorded, want %d", len(rows), len(logins))
	}
	if got := col(schema.SyncLogins, rows["l-1"][0], "status"); got != StatusSucceeded {
		t.Errorf("l-1, replayed before the cancel: %v", got)
	}
	if got := col(schema.SyncLogins, rows["l-5"][0], "status"); got == StatusSucceeded {
		t.Errorf("l-5, after the cancel: %v", got)
	}
}

// archiveAt is the archive at location.
func archiveAt(t testing.TB, location string) *archive.Archive {
	t.Helper()
	a, err := archive.At(context.Background(), location)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
