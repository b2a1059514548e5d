package load

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

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
// workload, printing a line after every durable step of the commit protocol.
func TestParquetCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as TestParquetCrash's child process")
	}
	out := bufio.NewWriter(os.Stdout)
	stepHook = func(s string) { fmt.Fprintln(out, "step", s); out.Flush() }
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
// right after its killAt-th step (never, when killAt is 0). While the child
// runs, onStep sees every step line as it arrives. It returns the number of
// steps seen and whether the child finished.
func runCrashChild(t *testing.T, dir string, killAt int, onStep func(n int)) (int, bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestParquetCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
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
		if steps == killAt {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			break
		}
		if onStep != nil {
			onStep(steps)
		}
	}
	err = cmd.Wait()
	if killAt == 0 && (err != nil || !done) {
		t.Fatalf("child failed: %v\n%s", err, stderr.String())
	}
	return steps, done
}

// assertReadable checks what any reader sees: every file reads whole through
// the documented glob, and each key appears once.
func assertReadable(t *testing.T, dir string) {
	t.Helper()
	db := reader(t, dir)
	for _, tb := range schema.Tables {
		dups := queryStrings(t, db, fmt.Sprintf("SELECT count(*) FROM (SELECT %[1]s FROM %[2]s GROUP BY %[1]s HAVING count(*) > 1)",
			identList(tb.Key, ""), quoteIdent(tb.Name)))
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
	total, _ := runCrashChild(t, ref, 0, nil)
	want := checksums(t, ref)
	if !strings.HasPrefix(want["positions"], fmt.Sprint(crashLogins*20, " ")) {
		t.Fatalf("reference run: positions %s", want["positions"])
	}

	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 42))
			dir := t.TempDir()
			killAt := 1 + rng.IntN(total)
			// A reader globs concurrently with the writer every few steps.
			_, done := runCrashChild(t, dir, killAt, func(n int) {
				if n%25 == 0 {
					assertReadable(t, dir)
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
				t.Errorf("after kill at step %d/%d and re-run:\n got %v\nwant %v", killAt, total, got, want)
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
