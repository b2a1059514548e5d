package archive

import (
	"context"
	"testing"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/internal/clock"
)

// TestForgetRemovesOnlyThatLogin: Forget deletes every answer of one login
// from every run, leaves the other logins' answers readable, and a second
// call finds nothing left.
func TestForgetRemovesOnlyThatLogin(t *testing.T) { eachStore(t, testForgetRemovesOnlyThatLogin) }

func testForgetRemovesOnlyThatLogin(t *testing.T, a *Archive) {
	ctx := context.Background()
	gone, kept := "11111111-2222-4333-8444-555555555555", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	for _, run := range []string{"run-1", "run-2"} {
		archiveRun(t, a, run, clock.NewFake(t0),
			answer(gone, extract.Investments, `{"Accounts":[]}`), answer(gone, extract.Banking, `{"Accounts":[]}`),
			answer(kept, extract.Investments, `{"Accounts":[]}`))
	}
	n, err := a.Forget(ctx, extract.HashLogin(gone))
	if err != nil || n != 4 {
		t.Fatalf("Forget removed %d answers (%v), want 4", n, err)
	}
	for _, run := range []string{"run-1", "run-2"} {
		entries, err := a.Entries(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].LoginID != kept {
			t.Fatalf("%s keeps %+v, want only the other login's answer", run, entries)
		}
		if _, err := a.Read(ctx, entries[0]); err != nil {
			t.Errorf("the other login's answer: %v", err)
		}
	}
	if n, err := a.Forget(ctx, extract.HashLogin(gone)); err != nil || n != 0 {
		t.Errorf("a second Forget removed %d (%v), want 0", n, err)
	}
	if _, err := a.Forget(ctx, "not-a-hash"); err == nil {
		t.Error("Forget accepted a malformed hash")
	}
}
