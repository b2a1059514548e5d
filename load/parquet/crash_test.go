package parquet

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// crashDirEnv tells the test binary, re-executed as a child, to run the
// crash workload into that directory.
const crashDirEnv = "SYNCER_PARQUET_CRASH_DIR"

const (
	crashLogins  = 48
	crashGroup   = 8 // logins per Commit
	crashBuckets = 4
)

// crashWorkload is a deterministic run: crashLogins logins committed in
// groups, each with accounts, positions on two dates, transactions, shared
// securities and its sync_logins row.
func crashWorkload() [][]schema.Batch {
	var groups [][]schema.Batch
	var group []schema.Batch
	for i := range crashLogins {
		login := fmt.Sprintf("login-%03d", i)
		b := schema.Batch{RunID: "run-crash", LoginID: login, Rows: map[string][]schema.Row{}, Scopes: map[string][]schema.Row{}}
		for a := range 2 {
			acct := fmt.Sprintf("A%d", a)
			b.Rows["accounts"] = append(b.Rows["accounts"], accountRow(login, acct, fmt.Sprintf("%d.%02d", i, a)))
			for _, asOf := range []string{"2025-01-30", "2025-01-31"} {
				for s := range 5 {
					b.Rows["positions"] = append(b.Rows["positions"], positionRow(login, acct, fmt.Sprintf("SEC%d", s), asOf, fmt.Sprintf("%d.000000001", i*10+s)))
				}
			}
			for x := range 3 {
				b.Rows["transactions"] = append(b.Rows["transactions"], row(schema.Transactions, map[string]any{
					"login_id": login, "account_id": acct, "transaction_id": fmt.Sprintf("T%d", x),
					"net_amount": dec(fmt.Sprintf("-%d.25", x)), "run_id": "run-crash", "synced_at": testSyncedAt}))
			}
		}
		for _, asOf := range []string{"2025-01-30", "2025-01-31"} {
			b.Scopes["positions"] = append(b.Scopes["positions"], schema.Row{login, day(asOf)})
		}
		for s := range 5 {
			b.Rows["securities"] = append(b.Rows["securities"], row(schema.Securities, map[string]any{
				"security_key": fmt.Sprintf("SEC%d", s), "symbol": fmt.Sprintf("S%d", s), "run_id": "run-crash"}))
		}
		b.Rows["sync_logins"] = []schema.Row{row(schema.SyncLogins, map[string]any{
			"run_id": "run-crash", "login_id": login, "status": "succeeded", "attempts": int64(1), "polls": int64(0)})}
		group = append(group, b)
		if len(group) == crashGroup {
			groups = append(groups, group)
			group = nil
		}
	}
	return groups
}

// TestParquetCrashChild is the child process of TestParquetCrash: it runs the
// workload, printing a line after every durable step of the commit protocol
// and waiting for the parent's go-ahead (a byte on stdin) before the next, so
// the parent's SIGKILL lands exactly after the step it chose.
func TestParquetCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as TestParquetCrash's child process")
	}
	out := bufio.NewWriter(os.Stdout)
	in := bufio.NewReader(os.Stdin)
	stepHook = func(s string) {
		fmt.Fprintln(out, "step", s)
		out.Flush()
		if _, err := in.ReadByte(); err != nil {
			os.Exit(3) // the parent is gone
		}
	}
	p := openTest(t, dir, crashBuckets)
	for _, g := range crashWorkload() {
		commit(t, p, g...)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(out, "done")
	out.Flush()
}

// runCrashChild runs the workload in a child process into dir and SIGKILLs it
// while it waits after its killAt-th step (never, when killAt is 0). While the child
// runs, onStep sees every step line as it arrives. It returns the kinds of
// the steps seen and whether the child finished.
func runCrashChild(t *testing.T, dir string, killAt int, onStep func(n int)) ([]string, bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestParquetCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var kinds []string // the kind of each step seen: temp, journal or rename
	steps, done := 0, false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if line == "done" {
			done = true
		}
		if !strings.HasPrefix(line, "step ") {
			continue
		}
		steps++
		kinds = append(kinds, strings.TrimPrefix(line, "step "))
		if steps == killAt {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			break
		}
		if onStep != nil {
			onStep(steps)
		}
		if _, err := stdin.Write([]byte{1}); err != nil {
			t.Fatalf("child went away: %v\n%s", err, stderr.String())
		}
	}
	err = cmd.Wait()
	if killAt == 0 && (err != nil || !done) {
		t.Fatalf("child failed: %v\n%s", err, stderr.String())
	}
	return kinds, done
}

// snapshotFiles copies every table file of dir, each read through a single
// open, into a new directory, and returns it. It is what a reader that opens
// each file once sees while a writer runs. (DuckDB's read_parquet opens a
// file twice, at bind and at scan, and fails the query with "Invalid data"
// when the file is replaced in between; docs/parquet-layout.md says so.)
func snapshotFiles(t *testing.T, dir string) string {
	t.Helper()
	snap := t.TempDir()
	for _, tb := range schema.Tables {
		err := filepath.WalkDir(filepath.Join(dir, tb.Name), func(path string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
				return err
			}
			data, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed since listed
			}
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			if err := os.MkdirAll(filepath.Dir(filepath.Join(snap, rel)), 0o700); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(snap, rel), data, 0o600)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return snap
}

// assertReadable checks what any reader sees: every file reads whole through
// the documented glob, and each key appears once.
func assertReadable(t *testing.T, dir string) {
	t.Helper()
	db := reader(t, dir)
	for _, tb := range schema.Tables {
		dups := queryStrings(t, db, fmt.Sprintf("SELECT count(*) FROM (SELECT %[1]s FROM %[2]s GROUP BY %[1]s HAVING count(*) > 1)",
			quoteIdents(tb.Key), duckdb.QuoteIdent(tb.Name)))
		if dups[0] != "0" {
			t.Errorf("%s: %s keys appear more than once", tb.Name, dups[0])
		}
	}
}

// A writer killed with SIGKILL at random points of its commits never leaves a
// torn file or a duplicated key for a reader; the next open completes or
// discards the interrupted commit as a whole; and re-running the same data
// converges to exactly the dataset of an uninterrupted run.
func TestParquetCrash(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("this is the child process")
	}
	ref := t.TempDir()
	kinds, _ := runCrashChild(t, ref, 0, nil)
	want := checksums(t, ref)
	if !strings.HasPrefix(want["positions"], fmt.Sprint(crashLogins*20, " ")) {
		t.Fatalf("reference run: positions %s", want["positions"])
	}

	seeds := 6
	if testing.Short() {
		seeds = 3
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 42))
			dir := t.TempDir()
			// Each seed kills after a random step of one kind, in turn: a
			// temp file written, the journal written, a rename done.
			var candidates []int
			for i, k := range kinds[:len(kinds)-1] {
				if k == []string{"temp", "journal", "rename"}[seed%3] {
					candidates = append(candidates, i+1)
				}
			}
			killAt := candidates[rng.IntN(len(candidates))]
			// A reader copies the dataset concurrently with the writer every
			// few steps, opening each file once (see snapshotFiles).
			_, done := runCrashChild(t, dir, killAt, func(n int) {
				if n%20 == 0 {
					assertReadable(t, snapshotFiles(t, dir))
				}
			})
			if done {
				t.Fatalf("child finished before its kill at step %d", killAt)
			}
			assertReadable(t, dir) // as a reader finds it right after the crash

			p := openTest(t, dir, 0) // recovery: roll forward or discard
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			if n, _ := sweepTemps(dir); n != 0 {
				t.Errorf("%d temp files survived reopening", n)
			}
			assertWholeGroups(t, dir)

			runCrashChild(t, dir, 0, nil) // the re-run
			if got := checksums(t, dir); !mapsEqual(got, want) {
				t.Errorf("after kill at step %d/%d (%s) and re-run:\n got %v\nwant %v", killAt, len(kinds), kinds[killAt-1], got, want)
			}
		})
	}
}

// assertWholeGroups checks that each commit is all or nothing once the
// dataset is reopened: every table holds the same whole groups of logins.
func assertWholeGroups(t *testing.T, dir string) {
	t.Helper()
	db := reader(t, dir)
	var counts []string
	for _, name := range []string{"accounts", "positions", "transactions", "sync_logins"} {
		got := queryStrings(t, db, "SELECT count(DISTINCT login_id) FROM "+name)
		counts = append(counts, got[0])
	}
	var n int
	fmt.Sscan(counts[0], &n)
	if n%crashGroup != 0 || strings.Count(strings.Join(counts, " "), counts[0]) != len(counts) {
		t.Errorf("logins per table (accounts, positions, transactions, sync_logins) = %v: not the same whole groups of %d", counts, crashGroup)
	}
}

// quoteIdents is the comma-separated list of the quoted names.
func quoteIdents(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = duckdb.QuoteIdent(n)
	}
	return strings.Join(quoted, ", ")
}
