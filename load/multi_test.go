package load

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/syncer/syncer/internal/durable"
	"github.com/syncer/syncer/schema"
)

// fakeSink records what it is given; commit and close, when set, decide
// what its calls return.
type fakeSink struct {
	name    string
	log     *[]string // shared by the sinks of a test: the order of calls
	commits [][]schema.Batch
	commit  func(n int, batches []schema.Batch) error // n counts calls from 1
	close   func() error
}

func (f *fakeSink) Commit(_ context.Context, batches []schema.Batch) error {
	f.commits = append(f.commits, batches)
	*f.log = append(*f.log, fmt.Sprintf("%s commit %s", f.name, loginsOf(batches)))
	if f.commit != nil {
		return f.commit(len(f.commits), batches)
	}
	return nil
}

func (f *fakeSink) Close() error {
	*f.log = append(*f.log, f.name+" close")
	if f.close != nil {
		return f.close()
	}
	return nil
}

func loginsOf(batches []schema.Batch) string {
	var ids []string
	for _, b := range batches {
		ids = append(ids, b.LoginID)
	}
	return strings.Join(ids, ",")
}

// group is a Commit call's batches for the given logins.
func group(logins ...string) []schema.Batch {
	var out []schema.Batch
	for _, l := range logins {
		out = append(out, positionsBatch("run-1", l, "2025-01-31", positionRow(l, "A1", "SEC1", "2025-01-31", "1.5")))
	}
	return out
}

func fakes(log *[]string) (*fakeSink, *fakeSink) {
	return &fakeSink{name: "duckdb", log: log}, &fakeSink{name: "parquet", log: log}
}

func openFakeMulti(t *testing.T, journal string, sinks ...Sink) *Multi {
	t.Helper()
	m, err := OpenMulti(context.Background(), MultiOptions{Journal: journal}, sinks...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func journalFiles(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func wantLog(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// While a group is being committed its journal entry is on disk, private
// (0600 in a 0700 directory, whatever the umask), and it is gone once every
// sink has the group.
func TestMultiJournalsEachGroupUntilEverySinkHasIt(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	var log []string
	a, b := fakes(&log)
	dir := filepath.Join(t.TempDir(), "w.duckdb.journal")
	m := openFakeMulti(t, dir, a, b)
	b.commit = func(int, []schema.Batch) error {
		files := journalFiles(t, dir)
		if len(files) != 1 || !strings.HasPrefix(files[0], journalPrefix) {
			t.Fatalf("journal during the commit: %v, want one entry", files)
		}
		for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, files[0]): 0o600} {
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: %v %v, want mode %o", path, fi.Mode().Perm(), err, want)
			}
		}
		return nil
	}
	if err := m.Commit(context.Background(), group("l1", "l2")); err != nil {
		t.Fatal(err)
	}
	if files := journalFiles(t, dir); len(files) != 0 {
		t.Errorf("journal after the commit: %v", files)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	wantLog(t, log, "duckdb commit l1,l2", "parquet commit l1,l2", "parquet close", "duckdb close")
}

// When the second sink fails, the error says so, the group stays in the
// journal, and the next Commit first completes it in every sink, in order,
// before its own group; no group overtakes it.
func TestMultiSecondSinkFails(t *testing.T) {
	var log []string
	a, b := fakes(&log)
	full := errors.New("disk full")
	b.commit = func(n int, _ []schema.Batch) error {
		if n <= 2 {
			return full
		}
		return nil
	}
	dir := t.TempDir()
	m := openFakeMulti(t, dir, a, b)
	err := m.Commit(context.Background(), group("l1", "l2"))
	if !errors.Is(err, full) || !strings.Contains(err.Error(), "1 of 2 sinks") {
		t.Fatalf("Commit: %v, want the second sink's error", err)
	}
	if files := journalFiles(t, dir); len(files) != 1 {
		t.Fatalf("journal after a failed second sink: %v, want the group's entry", files)
	}
	// The second sink still fails: the new group reaches no sink.
	if err := m.Commit(context.Background(), group("l3")); !errors.Is(err, full) {
		t.Fatalf("Commit while the first group is pending: %v", err)
	}
	// It recovers: the pending group goes first, to both, then the new one.
	if err := m.Commit(context.Background(), group("l4")); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	wantLog(t, log,
		"duckdb commit l1,l2", "parquet commit l1,l2", // parquet fails
		"duckdb commit l1,l2", "parquet commit l1,l2", // replay: parquet fails again, l3 is not tried
		"duckdb commit l1,l2", "parquet commit l1,l2", // replay succeeds
		"duckdb commit l4", "parquet commit l4",
		"parquet close", "duckdb close")
	if files := journalFiles(t, dir); len(files) != 0 {
		t.Errorf("journal at the end: %v", files)
	}
	if got, want := string(encode(t, b.commits[2])), string(encode(t, group("l1", "l2"))); got != want {
		t.Errorf("the replayed group differs from the committed one:\n%s\nwant\n%s", got, want)
	}
}

// When the first sink fails, no sink has the group: the error is the sink's,
// the second sink is not called, and the journal is empty.
func TestMultiFirstSinkFails(t *testing.T) {
	var log []string
	a, b := fakes(&log)
	bad := &ValueError{Batch: 0, Table: "accounts", Row: 0, Err: ErrNull}
	a.commit = func(int, []schema.Batch) error { return bad }
	dir := t.TempDir()
	m := openFakeMulti(t, dir, a, b)
	var ve *ValueError
	if err := m.Commit(context.Background(), group("l1")); !errors.As(err, &ve) {
		t.Fatalf("Commit: %v, want the first sink's *ValueError", err)
	}
	if files := journalFiles(t, dir); len(files) != 0 {
		t.Errorf("journal: %v, want empty", files)
	}
	a.commit = nil
	if err := m.Commit(context.Background(), group("l2")); err != nil {
		t.Fatal(err)
	}
	wantLog(t, log, "duckdb commit l1", "duckdb commit l2", "parquet commit l2")
}

// Close closes every sink once, the last first, and reports every error.
func TestMultiCloseOrder(t *testing.T) {
	var log []string
	a, b := fakes(&log)
	errA, errB := errors.New("checkpoint failed"), errors.New("unlock failed")
	a.close = func() error { return errA }
	b.close = func() error { return errB }
	m := openFakeMulti(t, t.TempDir(), a, b)
	err := m.Close()
	if !errors.Is(err, errA) || !errors.Is(err, errB) {
		t.Errorf("Close: %v, want both errors", err)
	}
	wantLog(t, log, "parquet close", "duckdb close")
}

// A journal entry a crash left is replayed to every sink, in order, before
// OpenMulti returns, and removed; a half-written entry (a temp file, never
// renamed into place) is ignored and removed; an unreadable entry stops the
// open and names the file.
func TestMultiReplaysJournalAtOpen(t *testing.T) {
	dir := t.TempDir()
	// A process whose second sink failed on the group left it in the journal.
	var log []string
	a, b := fakes(&log)
	b.commit = func(int, []schema.Batch) error { return errors.New("killed") }
	m := openFakeMulti(t, dir, a, b)
	if err := m.Commit(context.Background(), group("l1", "l2")); err == nil {
		t.Fatal("Commit succeeded")
	}
	_ = m.Close()
	torn := filepath.Join(dir, durable.TempName(journalPrefix+"00000000000000000009"+journalSuffix))
	if err := os.WriteFile(torn, []byte(`{"format":1,"batches":[{"run_id":"r","lo`), 0o600); err != nil {
		t.Fatal(err)
	}

	log = nil
	a, b = fakes(&log)
	m = openFakeMulti(t, dir, a, b)
	wantLog(t, log, "duckdb commit l1,l2", "parquet commit l1,l2")
	if files := journalFiles(t, dir); len(files) != 0 {
		t.Errorf("journal after the replay: %v", files)
	}
	if got, want := string(encode(t, b.commits[0])), string(encode(t, group("l1", "l2"))); got != want {
		t.Errorf("replayed:\n%s\nwant\n%s", got, want)
	}
	if err := m.Commit(context.Background(), group("l3")); err != nil {
		t.Fatal(err)
	}
	_ = m.Close()

	// A run with the DuckDB file only still completes it there.
	b.commit = func(int, []schema.Batch) error { return errors.New("killed") }
	m = openFakeMulti(t, dir, a, b)
	if err := m.Commit(context.Background(), group("l4")); err == nil {
		t.Fatal("Commit succeeded")
	}
	_ = m.Close()
	log = nil
	single := &fakeSink{name: "duckdb", log: &log}
	m = openFakeMulti(t, dir, single)
	if err := m.Commit(context.Background(), group("l5")); err != nil {
		t.Fatal(err)
	}
	_ = m.Close()
	wantLog(t, log, "duckdb commit l4", "duckdb commit l5", "duckdb close")
	if files := journalFiles(t, dir); len(files) != 0 {
		t.Errorf("journal after a single-sink run: %v", files)
	}

	// An entry that cannot be read is not skipped: the open fails.
	bad := filepath.Join(dir, journalPrefix+"00000000000000000042"+journalSuffix)
	if err := os.WriteFile(bad, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	log = nil
	a, b = fakes(&log)
	if _, err := OpenMulti(context.Background(), MultiOptions{Journal: dir}, a, b); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("OpenMulti over an unreadable entry: %v, want an error naming %s", err, bad)
	}
	wantLog(t, log)
}

// Two sinks need a journal; one sink without one is the sink itself.
func TestMultiNeedsAJournalForTwoSinks(t *testing.T) {
	var log []string
	a, b := fakes(&log)
	if _, err := OpenMulti(context.Background(), MultiOptions{}, a, b); err == nil {
		t.Error("OpenMulti with two sinks and no journal succeeded")
	}
	m := openFakeMulti(t, "", a)
	if err := m.Commit(context.Background(), group("l1")); err != nil {
		t.Fatal(err)
	}
	wantLog(t, log, "duckdb commit l1")
}
