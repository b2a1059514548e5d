//go:build linux

package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/internal/shard"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/iceberg"
	"github.com/syncer/syncer/pipeline"
	"github.com/syncer/syncer/schema"
)

// Settings of BenchmarkLakeShards, from the environment.
const (
	scaleLoginsEnv = "SYNCER_SCALE_LOGINS"
	scaleShardsEnv = "SYNCER_SCALE_SHARDS"
	// scaleCommitRowsEnv sets the shards' --commit-rows (default: the
	// flag's): 8 shards on one machine share its memory, which a shard
	// of its own would not (a shard holds about twice --commit-rows rows).
	scaleCommitRowsEnv = "SYNCER_SCALE_COMMIT_ROWS"
	// scaleOneFlagsEnv adds flags to the single DuckDB process's sync
	// (e.g. "--memory-limit 4GiB --commit-every 1000"): at 100,000 logins
	// its defaults make it the slowest part of the benchmark, and it is
	// there as the reference for the data, not to be measured.
	scaleOneFlagsEnv = "SYNCER_SCALE_ONE_FLAGS"
	// scaleDirEnv names a directory to keep the processes' logs (and the
	// binary, logins and DuckDB file) in, instead of a temporary one.
	scaleDirEnv = "SYNCER_SCALE_DIR"
)

// scaleSeed seeds the sandbox's data and the benchmark's LoginIds.
const scaleSeed = 14

// BenchmarkLakeShards is issue 14's "Scale, measured": it builds the
// syncer, starts versitygw and PostgreSQL (lakeenv) and one sandbox
// process (scaled time: at most one 202 per product, polled every 50 ms),
// and syncs SYNCER_SCALE_LOGINS generated LoginIds (default 2000) as
// SYNCER_SCALE_SHARDS shard processes (default 8, --shards N with
// JOB_COMPLETION_INDEX, as an Indexed Job runs them) at once into one lake
// on S3 with a PostgreSQL catalog. It reports the wall time, logins/s of
// the whole and of each shard, each shard's peak RSS and the commits it
// retried after losing a race; then syncs the same logins as one process
// into a DuckDB file and fails unless every table of the lake holds as
// many rows, and every DECIMAL column the same exact sum; then runs
// `lake maintain` and reports the data files and bytes before and after
// (and checks the sums again). ns/op is the sharded sync alone.
// SYNCER_SCALE_DIR keeps the processes' logs in that directory;
// SYNCER_SCALE_COMMIT_ROWS sets the shards' --commit-rows;
// SYNCER_SCALE_ONE_FLAGS adds flags to the single DuckDB process.
//
//	go test ./cmd/syncer -run '^$' -bench BenchmarkLakeShards -benchtime 1x -timeout 3h -v
func BenchmarkLakeShards(b *testing.B) {
	logins, shards := scaleSetting(b, scaleLoginsEnv, 2000), scaleSetting(b, scaleShardsEnv, 8)
	commitRows := scaleSetting(b, scaleCommitRowsEnv, pipeline.DefaultCommitRows)
	dir := scaleDir(b)
	bin := buildSyncer(b, dir)
	url := startSandboxProcess(b, bin, dir)
	file := writeLogins(b, dir, flinkstest.DemoLogins(scaleSeed, logins))
	env := sharedHolderKey(b, dir)
	sync := []string{"sync", "--base-url", url, "--logins", file, "--products", "investments,banking",
		"--poll-interval", "50ms", "--rate", "1000", "--log-format", "json", "--format", "json"}
	scaleNote("%d logins, %d shards, --commit-rows %d, single DuckDB process flags %q; the processes' logs are in %s", logins, shards, commitRows, os.Getenv(scaleOneFlagsEnv), dir)
	for b.Loop() {
		lake := newTestLake(b)
		began := time.Now()
		runs := runShards(b, bin, dir, env, shards, slices.Concat(sync, lake.flags(), []string{"--commit-rows", strconv.Itoa(commitRows)}))
		wall := time.Since(began)
		b.StopTimer()
		scaleNote("%d shards done in %s; the single DuckDB process starts", shards, wall.Round(time.Millisecond))
		one := runSyncer(b, bin, dir, env, "duckdb", slices.Concat(sync, []string{"--db", filepath.Join(dir, "one.duckdb")}, strings.Fields(os.Getenv(scaleOneFlagsEnv))))
		scaleNote("DuckDB process done in %s; comparing", one.wall.Round(time.Millisecond))
		want := openWarehouseRO(b, filepath.Join(dir, "one.duckdb"))
		wantCounts, wantSums := tableCounts(b, want), decimalSums(b, want)
		compareCountsAndSums(b, "the lake", wantCounts, wantSums, lake)
		m := maintain(b, runSyncer(b, bin, dir, env, "maintain", []string{"lake", "maintain", "--format", "json",
			"--expire-after", "1s", "--orphan-age", "1s", "--iceberg", lake.warehouse, "--catalog", lake.catalog}).result)
		compareCountsAndSums(b, "the lake after maintain", wantCounts, wantSums, lake)
		reportScale(b, logins, wall, runs, one, m)
		os.Remove(filepath.Join(dir, "one.duckdb"))
		b.StartTimer()
	}
}

// scaleSetting is the positive integer in environment variable name, or
// def when it is unset.
func scaleSetting(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// scaleDir is the benchmark's working directory: SYNCER_SCALE_DIR (made
// private if missing, and kept), else a temporary one.
func scaleDir(b *testing.B) string {
	dir := os.Getenv(scaleDirEnv)
	if dir == "" {
		return b.TempDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		b.Fatal(err)
	}
	return abs
}

// scaleNote prints a line of progress at once (b.Logf prints only when the
// benchmark ends; a long run's progress is worth seeing as it goes).
func scaleNote(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "BenchmarkLakeShards %s: %s\n", time.Now().UTC().Format(time.TimeOnly), fmt.Sprintf(format, args...))
}

// buildSyncer builds the syncer binary into dir: the benchmark measures
// the binary a user runs.
func buildSyncer(b *testing.B, dir string) string {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		b.Skipf("no go command to build the syncer with: %v", err)
	}
	bin := filepath.Join(dir, "syncer")
	out, err := exec.Command(goCmd, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startSandboxProcess starts `syncer sandbox` on a free loopback port, with
// a fixed as-of date and at most one 202 per product, and returns its URL;
// it is stopped when the benchmark ends.
func startSandboxProcess(b *testing.B, bin, dir string) string {
	cmd := exec.Command(bin, "sandbox", "--addr", "127.0.0.1:0", "--seed", strconv.Itoa(scaleSeed),
		"--as-of", proofAsOf.Format(time.DateOnly), "--pending-max", "1", "--log-format", "json")
	cmd.Dir = dir
	cmd.SysProcAttr = diesWithBenchmark()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		var m map[string]any
		if json.Unmarshal(lines.Bytes(), &m) == nil && m["msg"] == "sandbox listening" {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return fmt.Sprint(m["url"])
		}
	}
	b.Fatalf("the sandbox exited before it listened: %v", lines.Err())
	return ""
}

// diesWithBenchmark has the kernel kill a process the benchmark starts
// when the benchmark dies (a -timeout, a ^C): no shard syncs on unwatched.
func diesWithBenchmark() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// processRun is what one syncer process of the benchmark did.
type processRun struct {
	name    string
	logins  int // logins it synced
	wall    time.Duration
	maxRSS  int64 // bytes
	retried int64 // table commits retried after losing a race
	result
}

// runSyncer runs bin with args in dir, its output in dir/name.out and
// dir/name.err, and fails the benchmark unless it exits 0.
func runSyncer(b *testing.B, bin, dir string, env []string, name string, args []string) processRun {
	p := startProcess(b, bin, dir, env, name, args)
	return p.wait(b)
}

// benchProcess is a syncer process the benchmark started.
type benchProcess struct {
	name        string
	cmd         *exec.Cmd
	began       time.Time
	out, errOut string // paths of its stdout and stderr
}

func startProcess(b *testing.B, bin, dir string, env []string, name string, args []string) *benchProcess {
	p := &benchProcess{name: name, cmd: exec.Command(bin, args...),
		out: filepath.Join(dir, name+".out"), errOut: filepath.Join(dir, name+".err")}
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.SysProcAttr = diesWithBenchmark()
	var err error
	if p.cmd.Stdout, err = os.Create(p.out); err != nil {
		b.Fatal(err)
	}
	if p.cmd.Stderr, err = os.Create(p.errOut); err != nil {
		b.Fatal(err)
	}
	p.began = time.Now()
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return p
}

// waitResult waits for p and reads what it did. It may run on any
// goroutine: it returns a failure instead of ending the benchmark.
func (p *benchProcess) waitResult() (processRun, error) {
	err := p.cmd.Wait()
	r := processRun{name: p.name, wall: time.Since(p.began)}
	p.cmd.Stdout.(*os.File).Close()
	p.cmd.Stderr.(*os.File).Close()
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss << 10 // Linux counts KiB
	}
	stdout, _ := os.ReadFile(p.out)
	stderr, _ := os.ReadFile(p.errOut)
	r.result = result{code: p.cmd.ProcessState.ExitCode(), stdout: string(stdout), stderr: string(stderr)}
	if err != nil {
		return r, fmt.Errorf("%s: %v\n%s", p.name, err, r.result)
	}
	return r, nil
}

func (p *benchProcess) wait(b *testing.B) processRun {
	r, err := p.waitResult()
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// runShards runs shards processes of args at once, shard i with
// JOB_COMPLETION_INDEX=i and --shards, and returns what each did.
func runShards(b *testing.B, bin, dir string, env []string, shards int, args []string) []processRun {
	procs := make([]*benchProcess, shards)
	for i := range procs {
		procs[i] = startProcess(b, bin, dir, append(env, fmt.Sprintf("%s=%d", shard.IndexEnv, i)),
			fmt.Sprintf("shard-%d", i), slices.Concat(args, []string{"--shards", strconv.Itoa(shards)}))
	}
	type done struct {
		i   int
		run processRun
		err error
	}
	finished := make(chan done, shards)
	for i, p := range procs {
		go func() {
			r, err := p.waitResult()
			finished <- done{i, r, err}
		}()
	}
	runs := make([]processRun, shards)
	for range shards {
		d := <-finished
		if d.err != nil {
			b.Fatal(d.err)
		}
		run := d.run
		run.name = fmt.Sprintf("%d/%d", d.i, shards)
		sum := oneJSONObject(b, run.result)
		run.logins = int(integer(b, "logins.total", sum["logins"].(map[string]any)["total"]))
		run.retried = commitsRetried(b, run.stderr)
		runs[d.i] = run
		scaleNote("shard %s: %d logins in %s", run.name, run.logins, run.wall.Round(time.Millisecond))
	}
	return runs
}

// tableCounts is the number of rows of every table of db but sync_runs
// (each shard makes a run of its own).
func tableCounts(b testing.TB, db *sql.DB) map[string]int {
	counts := map[string]int{}
	for _, t := range schema.Tables {
		if t != schema.SyncRuns {
			counts[t.Name] = queryInt(b, db, "SELECT count(*) FROM "+duckdb.QuoteIdent(t.Name))
		}
	}
	return counts
}

// compareCountsAndSums fails the benchmark unless the lake's tables have
// the row counts and exact DECIMAL sums given.
func compareCountsAndSums(b *testing.B, what string, counts map[string]int, sums map[string]string, lake testLake) {
	db, release, err := iceberg.OpenCatalog(context.Background(), lake.warehouse, lake.catalog, nil)
	if err != nil {
		b.Fatalf("reading %s: %v", what, err)
	}
	defer func() {
		if err := release(); err != nil {
			b.Error(err)
		}
	}()
	got := tableCounts(b, db)
	for table, n := range counts {
		if got[table] != n {
			b.Errorf("%s: %s has %d rows, the single DuckDB run's %d", what, table, got[table], n)
		}
	}
	gotSums := decimalSums(b, db)
	for col, sum := range sums {
		if gotSums[col] != sum {
			b.Errorf("%s: sum(%s) = %s, the single DuckDB run's %s", what, col, gotSums[col], sum)
		}
	}
	if b.Failed() {
		b.FailNow()
	}
}

// reportScale reports the figures of one run as metrics and as a table.
func reportScale(b *testing.B, logins int, wall time.Duration, runs []processRun, one processRun, m maintenance) {
	const mib = 1 << 20
	var retried, maxRSS int64
	slowest := runs[0]
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "\n%-8s %8s %9s %9s %13s %16s\n", "process", "logins", "wall s", "logins/s", "peak RSS MiB", "commits retried")
	for _, r := range runs {
		retried += r.retried
		maxRSS = max(maxRSS, r.maxRSS)
		if r.wall > slowest.wall {
			slowest = r
		}
		fmt.Fprintf(&tbl, "%-8s %8d %9.1f %9.1f %13.0f %16d\n", r.name, r.logins, r.wall.Seconds(),
			float64(r.logins)/r.wall.Seconds(), float64(r.maxRSS)/mib, r.retried)
	}
	fmt.Fprintf(&tbl, "%-8s %8d %9.1f %9.1f %13.0f %16d\n", "shards", logins, wall.Seconds(),
		float64(logins)/wall.Seconds(), float64(maxRSS)/mib, retried)
	fmt.Fprintf(&tbl, "%-8s %8d %9.1f %9.1f %13.0f %16s\n", "duckdb", logins, one.wall.Seconds(),
		float64(logins)/one.wall.Seconds(), float64(one.maxRSS)/mib, "-")
	var filesBefore, filesAfter, expired, orphans int
	var bytesBefore, bytesAfter int64
	for _, t := range m.Tables {
		filesBefore += t.FilesBefore
		filesAfter += t.FilesAfter
		bytesBefore += t.BytesBefore
		bytesAfter += t.BytesAfter
		expired += t.SnapshotsExpired
		orphans += t.OrphansDeleted
	}
	fmt.Fprintf(&tbl, "lake maintain: data files %d -> %d, data bytes %d -> %d, %d snapshots expired, %d orphan files deleted",
		filesBefore, filesAfter, bytesBefore, bytesAfter, expired, orphans)
	b.Log(tbl.String())

	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(float64(logins)/wall.Seconds(), "logins/s")
	b.ReportMetric(float64(slowest.logins)/slowest.wall.Seconds(), "slowest-shard-logins/s")
	b.ReportMetric(float64(maxRSS)/mib, "peak-RSS-MiB")
	b.ReportMetric(float64(retried), "commits-retried")
	b.ReportMetric(float64(logins)/one.wall.Seconds(), "duckdb-1proc-logins/s")
	b.ReportMetric(float64(filesBefore), "files-before")
	b.ReportMetric(float64(filesAfter), "files-after")
	b.ReportMetric(float64(bytesBefore)/mib, "MiB-before")
	b.ReportMetric(float64(bytesAfter)/mib, "MiB-after")
}
