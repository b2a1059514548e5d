package archive

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/internal/lakeenv"
)

func TestMain(m *testing.M) { lakeenv.Main(m) }

// eachStore runs test on an archive in a temporary directory and on one
// under a prefix of a fresh bucket of the test S3 server (versitygw).
func eachStore(t *testing.T, test func(t *testing.T, a *Archive)) {
	t.Run("dir", func(t *testing.T) { test(t, at(t, t.TempDir())) })
	t.Run("s3", func(t *testing.T) {
		env := lakeenv.S3(t)
		bucket := env.NewBucket(t)
		env.Setenv(t)
		test(t, at(t, "s3://"+bucket+"/nightly/archive"))
	})
}

func at(t *testing.T, location string) *Archive {
	t.Helper()
	a, err := At(context.Background(), location)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var t0 = time.Date(2026, 1, 10, 6, 0, 0, 0, time.UTC)

// archiveRun archives answers into a as run id, started at the clock's time.
func archiveRun(t *testing.T, a *Archive, id string, c clock.Clock, answers ...Answer) {
	t.Helper()
	ctx := context.Background()
	r, err := a.Open(ctx, id, "sync", c)
	if err != nil {
		t.Fatal(err)
	}
	for _, ans := range answers {
		if err := r.Keep(ctx, ans); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func answer(login string, p extract.Product, body string) Answer {
	refreshed := time.Date(2026, 1, 9, 23, 59, 58, 123456000, time.UTC)
	return Answer{LoginID: login, Product: p, Body: []byte(body), LastRefresh: refreshed,
		SyncedAt: t0.Add(time.Minute), AsOf: time.Date(2026, 1, 9, 0, 0, 0, 0, time.UTC)}
}

// TestKeepReadRoundTrip: what Keep archives, Entries lists and Read returns
// byte for byte, with the instants that date its rows; the manifest lists it
// under the login's hash, and no file name or manifest holds the LoginId.
func TestKeepReadRoundTrip(t *testing.T) { eachStore(t, testKeepReadRoundTrip) }

func testKeepReadRoundTrip(t *testing.T, a *Archive) {
	ctx := context.Background()
	login := "5f6e0f5c-6a55-4a5e-9d1e-2b1f3c4d5e6f"
	inv := answer(login, extract.Investments, `{"Accounts":[{"Id":"acct-777","Balance":12.30}]}`)
	bank := answer(login, extract.Banking, `{"Login":{"Id":"`+login+`"},"Accounts":[]}`)
	bank.LastRefresh = time.Time{}
	archiveRun(t, a, "run-1", clock.NewFake(t0), inv, bank)

	entries, err := a.Entries(ctx, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("%d entries, want 2", len(entries))
	}
	for _, e := range entries {
		if strings.Contains(e.Object, login) || !strings.HasPrefix(e.Object, extract.HashLogin(login)+".") {
			t.Errorf("object %q is not named by the login's hash", e.Object)
		}
		got, err := a.Read(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		want := inv
		if got.Product == extract.Banking {
			want = bank
		}
		if !bytes.Equal(got.Body, want.Body) || got.LoginID != login || !got.LastRefresh.Equal(want.LastRefresh) ||
			!got.SyncedAt.Equal(want.SyncedAt) || !got.AsOf.Equal(want.AsOf) {
			t.Errorf("read %+v, want %+v", got, want)
		}
	}
	runs, err := a.Runs(ctx)
	if err != nil || len(runs) != 1 || len(runs[0].Entries) != 2 || runs[0].FinishedAt == nil {
		t.Fatalf("runs %+v, %v", runs, err)
	}
	m, err := a.st.get(ctx, "runs/run-1/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(m, []byte(login)) {
		t.Errorf("the manifest holds the LoginId:\n%s", m)
	}
	for _, want := range []string{`"login_hash": "` + extract.HashLogin(login), `"sha256"`, `"as_of": "2026-01-09"`, `"bytes"`} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("the manifest lacks %s:\n%s", want, m)
		}
	}
}

// TestReadRefusesAlteredObject: an object that does not match its SHA-256
// is an error, not rows.
func TestReadRefusesAlteredObject(t *testing.T) { eachStore(t, testReadRefusesAlteredObject) }

func testReadRefusesAlteredObject(t *testing.T, a *Archive) {
	ctx := context.Background()
	archiveRun(t, a, "run-1", clock.NewFake(t0), answer("l-1", extract.Investments, `{"a":1}`))
	entries, err := a.Entries(ctx, "run-1")
	if err != nil || len(entries) != 1 {
		t.Fatalf("entries %v, %v", entries, err)
	}
	e := entries[0]
	e.SHA256 = strings.Repeat("0", 64)
	if _, err := a.Read(ctx, e); err == nil {
		t.Error("an entry whose SHA-256 does not match was read")
	}
	// A manifest's entry has no LoginId: rows cannot be made from it.
	runs, _ := a.Runs(ctx)
	if _, err := a.Read(ctx, runs[0].Entries[0]); err == nil {
		t.Error("a manifest entry, without LoginId, was read")
	}
}

// TestModes: the archive's directories are 0700 and its files 0600, whatever
// the umask.
func TestModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "archive")
	archiveRun(t, at(t, dir), "run-1", clock.NewFake(t0), answer("l-1", extract.Investments, `{}`), answer("l-1", extract.Banking, `{}`))
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(FileMode)
		if d.IsDir() {
			want = DirMode
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 8 { // archive, runs, run-1, manifest, 2 objects, 2 metas
		t.Errorf("walked %d paths, want 8", n)
	}
}

// TestPruneByAge: --archive-keep 90d removes the runs started more than 90
// days before now, whole, and keeps the younger ones and the current run
// (however old); in a directory, it leaves alone directories that are not
// runs.
func TestPruneByAge(t *testing.T) { eachStore(t, testPruneByAge) }

func testPruneByAge(t *testing.T, a *Archive) {
	ctx := context.Background()
	c := clock.NewFake(t0)
	archiveRun(t, a, "old", c, answer("l-1", extract.Investments, `{}`))
	c.Advance(24 * time.Hour)
	archiveRun(t, a, "edge", c, answer("l-1", extract.Investments, `{}`)) // exactly 90 days old at now
	c.Advance(24 * time.Hour)
	archiveRun(t, a, "young", c, answer("l-1", extract.Investments, `{}`))
	dir, local := a.st.(localStore)
	stranger := filepath.Join(string(dir), "runs", "not-a-run")
	if local {
		if err := os.Mkdir(stranger, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	keep, err := ParseKeep("90d")
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(91 * 24 * time.Hour)
	pruned, err := a.Prune(ctx, keep, now, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pruned, []string{"old"}) {
		t.Errorf("pruned %v, want [old]", pruned)
	}
	if got := runIDs(t, a); !slices.Equal(got, []string{"edge", "young"}) {
		t.Errorf("left %v, want [edge young]", got)
	}
	if left, err := a.st.list(ctx, "runs/old"); err != nil || len(left) > 0 {
		t.Errorf("the pruned run's files are still there: %v (%v)", left, err)
	}
	if _, err := os.Stat(stranger); local && err != nil {
		t.Errorf("a directory that is not a run was removed: %v", err)
	}
	// The current run is never pruned, however old.
	if pruned, err := a.Prune(ctx, keep, now.Add(365*24*time.Hour), "young"); err != nil || !slices.Equal(pruned, []string{"edge"}) {
		t.Errorf("pruned %v (%v), want [edge]", pruned, err)
	}
}

// TestPruneByCount: --archive-keep 2 keeps the two newest runs.
func TestPruneByCount(t *testing.T) { eachStore(t, testPruneByCount) }

func testPruneByCount(t *testing.T, a *Archive) {
	ctx := context.Background()
	c := clock.NewFake(t0)
	for _, id := range []string{"a", "b", "c", "d"} {
		archiveRun(t, a, id, c, answer("l-1", extract.Banking, `{}`))
		c.Advance(time.Hour)
	}
	keep, err := ParseKeep("2")
	if err != nil {
		t.Fatal(err)
	}
	pruned, err := a.Prune(ctx, keep, c.Now(), "d")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(pruned)
	if !slices.Equal(pruned, []string{"a", "b"}) || !slices.Equal(runIDs(t, a), []string{"c", "d"}) {
		t.Errorf("pruned %v, left %v; want [a b], [c d]", pruned, runIDs(t, a))
	}
	// Keeping everything prunes nothing.
	if pruned, err := a.Prune(ctx, Keep{}, c.Now().Add(1000*time.Hour), ""); err != nil || len(pruned) > 0 {
		t.Errorf("the zero Keep pruned %v (%v)", pruned, err)
	}
}

// TestPruneFinishesAnInterruptedRemoval: a run a crashed Prune renamed out
// of sight is invisible to readers and deleted by the next Prune.
func TestPruneFinishesAnInterruptedRemoval(t *testing.T) {
	dir := t.TempDir()
	a := at(t, dir)
	archiveRun(t, a, "r", clock.NewFake(t0), answer("l-1", extract.Banking, `{}`))
	if err := os.Rename(filepath.Join(dir, "runs", "r"), filepath.Join(dir, "runs", ".pruned-r")); err != nil {
		t.Fatal(err)
	}
	if got := runIDs(t, a); len(got) != 0 {
		t.Errorf("a run out of sight is listed: %v", got)
	}
	if _, err := a.Prune(context.Background(), Keep{Runs: 1}, t0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", ".pruned-r")); !os.IsNotExist(err) {
		t.Errorf("the half-removed run is still there: %v", err)
	}
}

// TestPruneFinishesAnInterruptedRemovalInS3: in a bucket, a prune deletes
// a run's manifest first; a crash then leaves objects under a run without
// a manifest, which readers do not list and the next Prune deletes.
func TestPruneFinishesAnInterruptedRemovalInS3(t *testing.T) {
	ctx := context.Background()
	env := lakeenv.S3(t)
	bucket := env.NewBucket(t)
	env.Setenv(t)
	a := at(t, "s3://"+bucket)
	archiveRun(t, a, "r", clock.NewFake(t0), answer("l-1", extract.Banking, `{}`))
	archiveRun(t, a, "kept", clock.NewFake(t0.Add(time.Hour)), answer("l-1", extract.Banking, `{}`))
	if err := a.st.remove(ctx, "runs/r/manifest.json"); err != nil {
		t.Fatal(err)
	}
	if got := runIDs(t, a); !slices.Equal(got, []string{"kept"}) {
		t.Errorf("runs %v, want [kept]: a run without its manifest is listed", got)
	}
	if _, err := a.Prune(ctx, Keep{Runs: 1}, t0, ""); err != nil {
		t.Fatal(err)
	}
	if left, err := a.st.list(ctx, "runs/r"); err != nil || len(left) > 0 {
		t.Errorf("the half-removed run's objects are still there: %v (%v)", left, err)
	}
	if got := runIDs(t, a); !slices.Equal(got, []string{"kept"}) {
		t.Errorf("runs %v after the prune, want [kept]", got)
	}
}

func TestParseKeep(t *testing.T) {
	for in, want := range map[string]Keep{"90d": {Age: 90 * 24 * time.Hour}, "36h": {Age: 36 * time.Hour}, "10": {Runs: 10}, "": {}} {
		got, err := ParseKeep(in)
		if err != nil || got != want {
			t.Errorf("ParseKeep(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if got.String() != in && in != "36h" {
			t.Errorf("%+v renders as %q, want %q", got, got.String(), in)
		}
	}
	for _, bad := range []string{"0", "-3", "0d", "-1h", "ninety", "9x", "d"} {
		if _, err := ParseKeep(bad); err == nil {
			t.Errorf("ParseKeep(%q) accepted", bad)
		}
	}
}

// TestOpenRefusesUnsafeRunID: a run id that is not one path element names
// no directory of the archive.
func TestOpenRefusesUnsafeRunID(t *testing.T) {
	for _, id := range []string{"", "../x", "a/b", ".hidden"} {
		if _, err := at(t, t.TempDir()).Open(context.Background(), id, "sync", nil); err == nil {
			t.Errorf("Open accepted run id %q", id)
		}
	}
}

func runIDs(t *testing.T, a *Archive) []string {
	t.Helper()
	runs, err := a.Runs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range runs {
		ids = append(ids, m.RunID)
	}
	slices.Sort(ids)
	return ids
}
