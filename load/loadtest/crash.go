package loadtest

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/schema"
)

// crashDirEnv switches a re-executed test binary into the crash test's
// loading child: it names the directory the child loads into.
const crashDirEnv = "LOADTEST_CRASH_DIR"

const (
	crashLogins    = 24
	committedLine  = "loadtest: committed"
	maxChildPasses = 50
)

// crashSeeds are the seeds of the kill moments: 3 (2 with -short), or
// LOADTEST_CRASH_SEEDS of them for a longer hunt.
func crashSeeds() []uint64 {
	n := 3
	if testing.Short() {
		n = 2
	}
	if v, err := strconv.Atoi(os.Getenv("LOADTEST_CRASH_SEEDS")); err == nil && v > 0 {
		n = v
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	return seeds
}

// crashGroups splits batches into Commit calls of 1 to 6 batches, so the
// child exercises group commits of several sizes.
func crashGroups(batches []schema.Batch) [][]schema.Batch {
	r := rand.New(rand.NewPCG(seed, 99))
	var groups [][]schema.Batch
	for len(batches) > 0 {
		n := min(1+r.IntN(6), len(batches))
		groups = append(groups, batches[:n])
		batches = batches[n:]
	}
	return groups
}

// testCrash SIGKILLs a subprocess that loads Day2 over a warehouse holding
// Day1, at a random moment for each of several seeds. After each kill the
// warehouse must open, every login must be entirely at its Day1 state or
// entirely at its Day2 state, and loading Day2 again must converge to the
// tables of an uninterrupted load.
func (s *suite) testCrash(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		s.crashChild(t, dir)
		return
	}
	b1, b2 := Batches(seed, crashLogins, Day1), Batches(seed, crashLogins, Day2)
	groups := crashGroups(b2)

	ref := t.TempDir()
	s.load(t, ref, b1)
	before := s.allLoginSums(t, ref)
	s.load(t, ref, groups...)
	after := s.allLoginSums(t, ref)
	want := s.checksums(t, ref)

	seeds := crashSeeds()
	pattern := runPattern(t.Name())
	for _, sd := range seeds {
		dir := t.TempDir()
		s.load(t, dir, b1)
		r := rand.New(rand.NewPCG(sd, 7))
		killAfter := r.IntN(len(groups) + len(groups)/2)
		jitter := time.Duration(r.IntN(4000)) * time.Microsecond
		s.killChild(t, pattern, dir, killAfter, jitter)

		newer := 0
		for i, sums := range s.allLoginSums(t, dir) {
			switch {
			case maps.Equal(sums, after[i]):
				newer++
			case !maps.Equal(sums, before[i]):
				t.Errorf("seed %d: %s is neither its Day1 nor its Day2 state: %v\nDay1: %v\nDay2: %v", sd, LoginID(i), sums, before[i], after[i])
			}
		}
		t.Logf("seed %d: killed after %d commits + %v: %d of %d logins at Day2", sd, killAfter, jitter, newer, crashLogins)

		s.load(t, dir, groups...)
		compareSums(t, fmt.Sprintf("seed %d: re-run after the kill vs uninterrupted", sd), s.checksums(t, dir), want)
	}
}

// killChild runs the loading child on dir, and SIGKILLs it jitter after it
// reported killAfter commits. The jitter only moves the moment of the kill
// into the next commit; nothing waits on it.
func (s *suite) killChild(t *testing.T, pattern, dir string, killAfter int, jitter time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+pattern, "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for seen := 0; seen < killAfter && lines.Scan(); {
		if lines.Text() == committedLine {
			seen++
		}
	}
	time.Sleep(jitter)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("loading child ended before the kill (%v):\n%s", err, stderr.String())
	}
}

// crashChild loads Day2 into dir in groups, over and over, reporting each
// commit on stdout, until it is killed.
func (s *suite) crashChild(t *testing.T, dir string) {
	groups := crashGroups(Batches(seed, crashLogins, Day2))
	sink := s.h.Open(t, dir)
	for range maxChildPasses {
		for _, g := range groups {
			if err := sink.Commit(context.Background(), g); err != nil {
				t.Fatalf("child Commit: %v", err)
			}
			fmt.Fprintln(os.Stdout, committedLine)
		}
	}
	t.Fatal("child was not killed")
}

// allLoginSums returns the per-table checksums of each generated login.
func (s *suite) allLoginSums(t *testing.T, dir string) []map[string]string {
	t.Helper()
	sums := make([]map[string]string, crashLogins)
	s.read(t, dir, func(db *sql.DB) {
		for i := range sums {
			sums[i] = loginSums(t, db, LoginID(i))
		}
	})
	return sums
}

// runPattern is the -test.run pattern that selects exactly the test named name.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}
