package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
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
	if os.Getenv("SYNCER_BENCH_SANDBOX") == "1" {
		srv := flinkstest.New(flinkstest.Config{Seed: 1, Rate: benchRate * 1.05, Burst: 200, RequestLog: -1,
			Pending: flinkstest.PendingDist{Func: benchPending}})
		fmt.Println(srv.URL)
		_, _ = io.Copy(io.Discard, os.Stdin) // serve until the parent closes stdin
		srv.Close()
		return
	}
	os.Exit(m.Run())
}

// startBenchSandbox starts the sandbox child and returns its URL.
func startBenchSandbox(b *testing.B) (url string, stop func()) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "SYNCER_BENCH_SANDBOX=1")
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
	return strings.TrimSpace(line), func() { stdin.Close(); _ = cmd.Wait() }
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
