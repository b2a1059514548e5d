package load_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/load/parquet"
	"github.com/syncer/syncer/schema"
)

// multiCrashEnv tells the test binary, re-executed as TestMultiCrash's
// child, where to load and where to stop: "<dir>|<point>".
const multiCrashEnv = "SYNCER_MULTI_CRASH"

const (
	multiCrashLogins = 18
	multiCrashGroup  = 6 // logins per Commit
	multiCrashAt     = 2 // the Commit call the child is killed in
	pausedLine       = "paused"
)

// multiCrashPoints are the moments of a Multi commit the child is killed at:
// which sink's Commit (0 DuckDB, 1 Parquet) it stops in, before or after
// that sink committed.
var multiCrashPoints = []struct {
	name  string
	sink  int
	after bool
}{
	{"journal_written_nothing_committed", 0, false},
	{"duckdb_committed_parquet_not", 1, false},
	{"both_committed_journal_not_removed", 1, true},
}

// multiGroups is the run of day 1 (loadtest.Day1) or 2 of the generated
// logins, in Commit calls of multiCrashGroup batches.
func multiGroups(day int) [][]schema.Batch {
	d := loadtest.Day1
	if day == 2 {
		d = loadtest.Day2
	}
	b := loadtest.Batches(11, multiCrashLogins, d)
	var groups [][]schema.Batch
	for len(b) > 0 {
		groups = append(groups, b[:multiCrashGroup])
		b = b[multiCrashGroup:]
	}
	return groups
}

func multiPaths(dir string) (db, dataset string) {
	return filepath.Join(dir, "w.duckdb"), filepath.Join(dir, "dataset")
}

// openMulti opens the DuckDB file and the Parquet dataset under dir behind
// a Multi, as cmd/syncer does (the DuckDB file released between commits);
// wrap may wrap each sink (by index).
func openMulti(tb testing.TB, dir string, wrap func(i int, s load.Sink) load.Sink) load.Sink {
	tb.Helper()
	ctx := context.Background()
	dbPath, dataset := multiPaths(dir)
	db, err := duckdb.Open(ctx, duckdb.Options{Path: dbPath, Logger: quiet, ReleaseBetweenCommits: true})
	if err != nil {
		tb.Fatal(err)
	}
	pq, err := parquet.Open(ctx, parquet.Options{Dir: dataset, Buckets: 4})
	if err != nil {
		db.Close()
		tb.Fatal(err)
	}
	sinks := []load.Sink{db, pq}
	if wrap != nil {
		for i := range sinks {
			sinks[i] = wrap(i, sinks[i])
		}
	}
	m, err := load.OpenMulti(ctx, load.MultiOptions{Journal: dbPath + ".journal", Logger: quiet}, sinks...)
	if err != nil {
		pq.Close()
		db.Close()
		tb.Fatal(err)
	}
	return m
}

func commitAll(tb testing.TB, s load.Sink, groups [][]schema.Batch) {
	tb.Helper()
	for i, g := range groups {
		if err := s.Commit(context.Background(), g); err != nil {
			tb.Fatalf("Commit #%d: %v", i, err)
		}
	}
}

// pauseSink stops the process in its at-th Commit call, before or after
// committing: it says so on stdout and waits for a SIGKILL.
type pauseSink struct {
	load.Sink
	at, calls int
	after     bool
}

func (p *pauseSink) Commit(ctx context.Context, batches []schema.Batch) error {
	p.calls++
	if p.calls == p.at && !p.after {
		pause()
	}
	err := p.Sink.Commit(ctx, batches)
	if p.calls == p.at && p.after && err == nil {
		pause()
	}
	return err
}

func pause() {
	fmt.Fprintln(os.Stdout, pausedLine)
	_, _ = bufio.NewReader(os.Stdin).ReadByte() // the parent kills us first
	os.Exit(3)                                  // the parent is gone
}

// TestMultiCrashChild is TestMultiCrash's child process: it loads Day1 into
// both sinks through a Multi and stops at the point it is given.
func TestMultiCrashChild(t *testing.T) {
	env := os.Getenv(multiCrashEnv)
	if env == "" {
		t.Skip("runs only as TestMultiCrash's child process")
	}
	dir, point, _ := strings.Cut(env, "|")
	for _, p := range multiCrashPoints {
		if p.name != point {
			continue
		}
		m := openMulti(t, dir, func(i int, s load.Sink) load.Sink {
			if i != p.sink {
				return s
			}
			return &pauseSink{Sink: s, at: multiCrashAt, after: p.after}
		})
		commitAll(t, m, multiGroups(1))
		t.Fatal("the child was not stopped")
	}
	t.Fatalf("no crash point %q", point)
}

// killMultiChild runs the child on dir and SIGKILLs it where it stopped.
func killMultiChild(t *testing.T, dir, point string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMultiCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), multiCrashEnv+"="+dir+"|"+point)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	paused := false
	for sc := bufio.NewScanner(out); !paused && sc.Scan(); {
		paused = sc.Text() == pausedLine
	}
	if !paused {
		_ = cmd.Wait()
		t.Fatalf("the child never reached the crash point:\n%s", stderr.String())
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the child was not killed (%v):\n%s", err, stderr.String())
	}
}

// bothSums returns the checksums of every table in the DuckDB file and in
// the Parquet dataset (read through the documented glob) under dir.
func bothSums(t *testing.T, dir string) (duckSums, parquetSums map[string]string) {
	t.Helper()
	dbPath, dataset := multiPaths(dir)
	db, err := duckdb.OpenReadOnly(context.Background(), dbPath, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat, err := parquet.OpenCatalog(context.Background(), dataset)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	return loadtest.Checksums(t, db), loadtest.Checksums(t, cat)
}

func snapshotLogins(t *testing.T, dir string, day string) int {
	t.Helper()
	dbPath, _ := multiPaths(dir)
	db, err := duckdb.OpenReadOnly(context.Background(), dbPath, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(DISTINCT login_id) FROM positions WHERE as_of_date = CAST(? AS DATE)", day).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func diffSums(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for _, tb := range schema.Tables {
		if got[tb.Name] != want[tb.Name] {
			t.Errorf("%s: %s: %s, want %s", what, tb.Name, got[tb.Name], want[tb.Name])
		}
	}
}

// A process SIGKILLed in the middle of a Multi commit (after its journal
// entry is written, between the DuckDB and the Parquet commit, or after both
// but before the entry is removed) leaves the sinks apart at worst until the
// next open: the next run's OpenMulti replays the group, so after it commits
// the next day, the Parquet glob equals the DuckDB tables, table by table,
// and both equal an uninterrupted load of the same commits.
func TestMultiCrash(t *testing.T) {
	if os.Getenv(multiCrashEnv) != "" {
		t.Skip("this is the child process")
	}
	day1, day2 := multiGroups(1), [][]schema.Batch{slices.Concat(multiGroups(2)...)}
	ref := t.TempDir()
	m := openMulti(t, ref, nil)
	commitAll(t, m, day1[:multiCrashAt])
	commitAll(t, m, day2)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	want, _ := bothSums(t, ref)

	for _, p := range multiCrashPoints {
		t.Run(p.name, func(t *testing.T) {
			dir := t.TempDir()
			killMultiChild(t, dir, p.name)

			m := openMulti(t, dir, nil) // the next day's run
			commitAll(t, m, day2)
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			duck, parquet := bothSums(t, dir)
			diffSums(t, "Parquet vs DuckDB", parquet, duck)
			diffSums(t, "DuckDB vs an uninterrupted load", duck, want)
			if n := snapshotLogins(t, dir, loadtest.Day1.Format("2006-01-02")); n != multiCrashAt*multiCrashGroup {
				t.Errorf("%d logins have their Day1 snapshot, want %d: the interrupted group was not completed", n, multiCrashAt*multiCrashGroup)
			}
			dbPath, _ := multiPaths(dir)
			if left, _ := os.ReadDir(dbPath + ".journal"); len(left) != 0 {
				t.Errorf("the journal still holds %d files", len(left))
			}
		})
	}
}
