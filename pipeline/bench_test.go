package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// Scheduler benchmark: a whole run against the sandbox with scaled time
// (poll interval 40 ms standing for 10 s), pending polls drawn per login from
// [0, maxPending], and a rate limit shared by sandbox and client. The scale
// keeps production's proportions: the workers alone could not use the rate
// if each held its slot while pending (16 workers × 1/40ms = 400 req/s of a
// 1,000 req/s limit, as 16 × 1/10s is under 20 req/s in production). It reports
//
//	wall/bound  wall time ÷ max(requests ÷ rate, slowest login's pending time)
//	peak-heap-MB  the largest heap in use sampled during the run
//	peak-rss-MB   VmHWM of the process, reset before the run
//
// and runs the same logins through a naive pool (each worker holds its slot
// while its login is pending) for comparison. The sink discards rows, so the
// figures are the scheduler's, the client's and the transform's, not the
// warehouse's; the sandbox runs in a child process, so the memory figures
// are the syncer's alone.
//
//	go test ./pipeline -run '^$' -bench BenchmarkRun -benchtime 1x
//	SYNCER_BENCH_LOGINS=10000,100000 go test ./pipeline -run '^$' -bench BenchmarkRun -benchtime 1x -timeout 1h
//	SYNCER_BENCH_CONCURRENCY=256 ... (workers; default 16)

const (
	benchRate        = 1000.0
	benchPoll        = 40 * time.Millisecond
	benchMaxPending  = 7
	benchConcurrency = 16
)

func benchSizes() []int {
	sizes := []int{2000, 10000}
	if env := os.Getenv("SYNCER_BENCH_LOGINS"); env != "" {
		sizes = nil
		for _, s := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err == nil && n > 0 {
				sizes = append(sizes, n)
			}
		}
	}
	return sizes
}

func BenchmarkRun(b *testing.B) {
	for _, n := range benchSizes() {
		for _, mode := range []string{"parked", "naive"} {
			if mode == "naive" && n > 10000 {
				continue // the naive pool takes too long at this size
			}
			b.Run(fmt.Sprintf("%s/logins=%d", mode, n), func(b *testing.B) {
				for b.Loop() {
					benchOnce(b, n, mode == "naive")
				}
			})
		}
	}
}

// discardSink counts rows and keeps nothing.
type discardSink struct{ rows atomic.Int64 }

func (d *discardSink) Commit(_ context.Context, batches []schema.Batch) error {
	for _, b := range batches {
		for _, rows := range b.Rows {
			d.rows.Add(int64(len(rows)))
		}
	}
	return nil
}
func (d *discardSink) Close() error { return nil }

// benchPending is each login's number of 202 answers, from its LoginId.
func benchPending(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % (benchMaxPending + 1))
}

// TestMain lets the benchmark run the sandbox in a child process (this test
// binary again), so the memory figures are the syncer's alone.
func TestMain(m *testing.M) {
	if mode := os.Getenv("SYNCER_BENCH_SANDBOX"); mode != "" {
		cfg := flinkstest.Config{Seed: 1, Rate: benchRate * 1.05, Burst: 200, RequestLog: -1,
			Pending: flinkstest.PendingDist{Func: benchPending}}
		if mode == readySandbox {
			cfg = flinkstest.Config{Seed: 1, RequestLog: -1}
		}
		srv := flinkstest.New(cfg)
		fmt.Println(srv.URL)
		_, _ = io.Copy(io.Discard, os.Stdin) // serve until the parent closes stdin
		srv.Close()
		return
	}
	os.Exit(m.Run())
}

// startBenchSandbox starts the sandbox child and returns its URL.
func startBenchSandbox(b *testing.B) (url string, stop func() time.Duration) {
	return startSandboxChild(b, "1")
}

// startSandboxChild starts the sandbox child in mode (SYNCER_BENCH_SANDBOX:
// "1" for BenchmarkRun's, readySandbox) and returns its URL, and stop, which
// ends it and returns the CPU time (user + system) it used.
func startSandboxChild(b *testing.B, mode string) (url string, stop func() time.Duration) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "SYNCER_BENCH_SANDBOX="+mode)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("sandbox child: %v", err)
	}
	return strings.TrimSpace(line), func() time.Duration {
		stdin.Close()
		_ = cmd.Wait()
		if cmd.ProcessState == nil {
			return 0
		}
		return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
}

// processCPU is the CPU time (user + system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchOnce(b *testing.B, n int, naive bool) {
	url, stop := startBenchSandbox(b)
	defer stop()
	client, err := extract.New(extract.Config{
		BankingURL: url, WealthURL: url, CustomerID: flinkstest.DefaultCustomerID,
		Rate: benchRate, Burst: 50, PollInterval: benchPoll, PollTimeout: time.Hour,
		BackoffBase: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
	})
	if err != nil {
		b.Fatal(err)
	}
	logins := flinkstest.DemoLogins(1, n)
	slowest := 0
	for _, id := range logins {
		slowest = max(slowest, benchPending(id))
	}
	resetPeakRSS()
	stopSampling := sampleHeap()
	start := time.Now()
	sink := &discardSink{}
	concurrency := benchConcurrency
	if env, err := strconv.Atoi(os.Getenv("SYNCER_BENCH_CONCURRENCY")); err == nil && env > 0 {
		concurrency = env
	}
	if naive {
		runNaive(client, logins, concurrency)
	} else {
		sum, err := Run(context.Background(), client, sink, logins, Options{RunID: "bench", Concurrency: concurrency, CommitEvery: 500})
		if err != nil {
			b.Fatal(err)
		}
		if sum.ByStatus[StatusSucceeded] != n {
			b.Fatalf("succeeded %d of %d: %v", sum.ByStatus[StatusSucceeded], n, sum.ByStatus)
		}
	}
	wall := time.Since(start)
	peakHeap := stopSampling()
	bound := max(time.Duration(float64(client.Requests())/benchRate*float64(time.Second)), time.Duration(slowest)*benchPoll)
	b.ReportMetric(wall.Seconds()/bound.Seconds(), "wall/bound")
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(bound.Seconds(), "bound-s")
	b.ReportMetric(float64(client.Requests()), "requests")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakRSS())/(1<<10), "peak-rss-MB")
}

// runNaive is how a simple script does it: a fixed pool whose workers each
// fetch one login to the end, sleeping through its polls.
func runNaive(client *extract.Client, logins []string, workers int) {
	ids := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				_, _, _ = client.Fetch(context.Background(), id)
			}
		}()
	}
	for _, id := range logins {
		ids <- id
	}
	close(ids)
	wg.Wait()
}

// sampleHeap records the largest HeapInuse until the returned func is called.
func sampleHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(stop); <-done; return peak.Load() }
}

// resetPeakRSS resets the kernel's high-water mark of this process (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns VmHWM in KiB, or 0 where /proc is not there.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkRunIntoDuckDB is BenchmarkRun's parked run (the first of
// SYNCER_BENCH_LOGINS, default 2,000 logins, both products, against the
// sandbox child at 1,000 requests/s, or SYNCER_BENCH_RATE: 20 is
// production's default --rate) into a real DuckDB file, with the file
// held from open to Close (hold) or released between commit groups
// (release, as the commands that sync do). The groups are CommitEvery logins
// (50, 200, 1,000; CommitLatency an hour, so every group is full) or
// whatever CommitLatency (0.5 s, 2 s, 5 s) gathers, in groups of at most 200.
// It reports logins/s (Run's wall time), the mean and longest time a
// commit held the file (what a reader waits at most), the commits, and the
// peak RSS.
//
//	go test ./pipeline -run '^$' -bench BenchmarkRunIntoDuckDB -benchtime 1x -count 2
//	SYNCER_BENCH_RATE=100 SYNCER_BENCH_LOGINS=1000 go test ./pipeline -run '^$' -bench 'BenchmarkRunIntoDuckDB/latency' -benchtime 1x
func BenchmarkRunIntoDuckDB(b *testing.B) {
	n := benchSizes()[0]
	rate := benchRate
	if env, err := strconv.ParseFloat(os.Getenv("SYNCER_BENCH_RATE"), 64); err == nil && env > 0 && env <= benchRate {
		rate = env
	}
	configs := []struct {
		name    string
		every   int
		latency time.Duration
	}{
		{"every=50", 50, time.Hour}, {"every=200", 200, time.Hour}, {"every=1000", 1000, time.Hour},
		{"latency=0.5s", 200, 500 * time.Millisecond}, {"latency=2s", 200, 2 * time.Second}, {"latency=5s", 200, 5 * time.Second},
	}
	for _, c := range configs {
		for _, mode := range []string{"hold", "release"} {
			b.Run(fmt.Sprintf("%s/%s/logins=%d", c.name, mode, n), func(b *testing.B) {
				for b.Loop() {
					benchDuckDBOnce(b, n, rate, c.every, c.latency, mode == "release")
				}
			})
		}
	}
}

// timedSink times each Commit of its sink, less what the sink slept (its
// yield to readers), as the time the commit held the warehouse file.
type timedSink struct {
	load.Sink
	slept   *time.Duration
	held    time.Duration
	maxHeld time.Duration
	commits int
}

func (s *timedSink) Commit(ctx context.Context, batches []schema.Batch) error {
	t0, s0 := time.Now(), *s.slept
	err := s.Sink.Commit(ctx, batches)
	h := time.Since(t0) - (*s.slept - s0)
	s.held += h
	s.maxHeld = max(s.maxHeld, h)
	s.commits++
	return err
}

func benchDuckDBOnce(b *testing.B, n int, rate float64, every int, latency time.Duration, release bool) {
	url, stop := startBenchSandbox(b)
	defer stop()
	client, err := extract.New(extract.Config{
		BankingURL: url, WealthURL: url, CustomerID: flinkstest.DefaultCustomerID,
		Rate: rate, Burst: 50, PollInterval: benchPoll, PollTimeout: time.Hour,
		BackoffBase: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
	})
	if err != nil {
		b.Fatal(err)
	}
	var slept time.Duration // the loader is the sink's single caller
	clock := countingClock{slept: &slept}
	logins := flinkstest.DemoLogins(1, n)
	resetPeakRSS()
	start := time.Now()
	duck, err := duckdb.Open(context.Background(), duckdb.Options{Path: filepath.Join(b.TempDir(), "w.duckdb"),
		ReleaseBetweenCommits: release, Clock: clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	sink := &timedSink{Sink: duck, slept: &slept}
	sum, err := Run(context.Background(), client, sink, logins, Options{RunID: "bench", Concurrency: benchConcurrency,
		CommitEvery: every, CommitLatency: latency, Products: extract.Products})
	if err != nil {
		b.Fatal(err)
	}
	if err := duck.Close(); err != nil {
		b.Fatal(err)
	}
	wall := time.Since(start)
	if sum.ByStatus[StatusSucceeded] != n {
		b.Fatalf("succeeded %d of %d: %v", sum.ByStatus[StatusSucceeded], n, sum.ByStatus)
	}
	b.ReportMetric(float64(n)/wall.Seconds(), "logins/s")
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(float64(client.Requests())/rate, "bound-s")
	b.ReportMetric(float64(sink.held.Milliseconds())/float64(sink.commits), "hold-ms/commit")
	b.ReportMetric(float64(sink.maxHeld.Milliseconds()), "max-hold-ms")
	b.ReportMetric(float64(sink.commits), "commits")
	b.ReportMetric(float64(client.Requests()), "requests")
	b.ReportMetric(float64(peakRSS())/(1<<10), "peak-rss-MB")
}

// countingClock is the real clock, adding up how long its waits were.
type countingClock struct {
	clock.Real
	slept *time.Duration
}

func (c countingClock) After(d time.Duration) <-chan time.Time {
	*c.slept += d
	return c.Real.After(d)
}
