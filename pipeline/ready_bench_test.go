package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load/duckdb"
)

// readySandbox is the sandbox child's mode for BenchmarkReadyLogins: every
// login answers its data at once (no 202) and the sandbox has no rate limit.
const readySandbox = "ready"

// readySizes are BenchmarkReadyLogins' login counts: SYNCER_BENCH_READY,
// default 2,000 and 20,000 (the memory ratio is between them).
func readySizes() []int {
	sizes := []int{2000, 20000}
	if env := os.Getenv("SYNCER_BENCH_READY"); env != "" {
		sizes = nil
		for _, s := range strings.Split(env, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
				sizes = append(sizes, n)
			}
		}
	}
	return sizes
}

// BenchmarkReadyLogins is the end-to-end case where the warehouse, not
// Flinks, bounds a run: n ready logins (investments) against the sandbox in
// a child process over loopback, no rate limit on either side. It runs the
// same logins three ways, back to back in one process:
//
//	sequential-fetch  one client.Fetch after another (HTTP and decode, with
//	                  exact decimals), nothing transformed or kept: what a
//	                  plain script fetching the logins one by one takes
//	parallel-fetch    the same on DefaultConcurrency goroutines: the floor
//	                  of the syncer's wall time on this machine, with
//	                  nothing transformed or loaded
//	syncer            pipeline.Run with the defaults of `syncer sync`
//	                  (16 workers, groups of DefaultCommitEvery logins or
//	                  DefaultCommitLatency, DuckDB released between commits,
//	                  its default memory limit) into a fresh DuckDB file
//
// and reports logins/s, wall-s, peak-rss-MB (the process's VmHWM, reset
// before each: the sandbox's memory is not in it), cpu-s (this process's CPU
// time, user + system, for the way) and sandbox-cpu-s (the sandbox child's,
// start to stop): on 2 cores, their sum over wall-s says whether a way is
// bound by the CPU. The other two ways also report vs-sequential, their
// wall time over the sequential fetch's just before them (the machine's
// speed drifts between runs; the ways of one run compare). The issue's
// targets: syncer ≥ 2× sequential-fetch's logins/s (vs-sequential ≤ 0.5),
// peak RSS under 256 MiB at 20,000 logins and within 1.3× of the
// 2,000-login figure.
//
//	go test ./pipeline -run '^$' -bench BenchmarkReadyLogins -benchtime 1x -timeout 30m
//	SYNCER_BENCH_READY=2000 go test ./pipeline -run '^$' -bench BenchmarkReadyLogins -benchtime 1x
//	SYNCER_MEMORY_LIMIT=128MiB ...   (DuckDB's memory limit, as --memory-limit)
func BenchmarkReadyLogins(b *testing.B) {
	for _, n := range readySizes() {
		var sequential time.Duration // the last sequential fetch's wall time
		for _, way := range []string{"sequential-fetch", "parallel-fetch", "syncer"} {
			b.Run(fmt.Sprintf("%s/logins=%d", way, n), func(b *testing.B) {
				var wall time.Duration
				for b.Loop() {
					wall = readyOnce(b, n, way)
				}
				switch {
				case way == "sequential-fetch":
					sequential = wall
				case sequential > 0:
					b.ReportMetric(wall.Seconds()/sequential.Seconds(), "vs-sequential")
				}
			})
		}
	}
}

// readyOnce runs n ready logins one way (see BenchmarkReadyLogins) and
// returns its wall time.
func readyOnce(b *testing.B, n int, way string) time.Duration {
	url, stopSandbox := startSandboxChild(b, readySandbox)
	stop := sync.OnceValue(stopSandbox)
	defer stop()
	client, err := extract.New(extract.Config{
		BankingURL: url, WealthURL: url, CustomerID: flinkstest.DefaultCustomerID,
		Rate: math.Inf(1), Burst: 1000, PollInterval: benchPoll, PollTimeout: time.Hour,
		BackoffBase: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
	})
	if err != nil {
		b.Fatal(err)
	}
	logins := flinkstest.DemoLogins(1, n)
	resetPeakRSS()
	cpu := processCPU()
	start := time.Now()
	switch way {
	case "syncer":
		readySync(b, client, logins)
	case "parallel-fetch":
		fetchParallel(b, client, logins, DefaultConcurrency)
	default:
		for _, id := range logins {
			if _, _, err := client.Fetch(context.Background(), id); err != nil {
				b.Fatalf("login %s: %v", extract.HashLogin(id), err)
			}
		}
	}
	wall := time.Since(start)
	cpu = processCPU() - cpu
	b.ReportMetric(float64(n)/wall.Seconds(), "logins/s")
	b.ReportMetric(cpu.Seconds(), "cpu-s")
	b.ReportMetric(stop().Seconds(), "sandbox-cpu-s")
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(float64(client.Requests()), "requests")
	b.ReportMetric(float64(peakRSS())/(1<<10), "peak-rss-MB")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Sys)/(1<<20), "Go-sys-MB")
	return wall
}

// fetchParallel fetches logins on workers goroutines (client.Fetch: HTTP and
// the exact decode), keeping nothing: the floor of any run that fetches
// them with that many workers.
func fetchParallel(b *testing.B, client *extract.Client, logins []string, workers int) {
	next := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for id := range next {
				if _, _, err := client.Fetch(context.Background(), id); err != nil {
					b.Errorf("login %s: %v", extract.HashLogin(id), err)
				}
			}
		})
	}
	for _, id := range logins {
		next <- id
	}
	close(next)
	wg.Wait()
}

// readySync runs logins into a fresh DuckDB file as `syncer sync` does,
// with DuckDB's memory limit from SYNCER_MEMORY_LIMIT as --memory-limit
// reads it (duckdb.DefaultMemoryLimit if unset).
func readySync(b *testing.B, client *extract.Client, logins []string) {
	var limit int64
	if env := os.Getenv("SYNCER_MEMORY_LIMIT"); env != "" {
		var err error
		if limit, err = duckdb.ParseMemoryLimit(env); err != nil {
			b.Fatalf("SYNCER_MEMORY_LIMIT: %v", err)
		}
	}
	duck, err := duckdb.Open(context.Background(), duckdb.Options{Path: filepath.Join(b.TempDir(), "w.duckdb"),
		ReleaseBetweenCommits: true, MemoryLimit: limit, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	sum, err := Run(context.Background(), client, duck, logins, Options{RunID: "bench", Command: "sync", Concurrency: DefaultConcurrency})
	if err != nil {
		b.Fatal(err)
	}
	if err := duck.Close(); err != nil {
		b.Fatal(err)
	}
	if sum.ByStatus[StatusSucceeded] != len(logins) {
		b.Fatalf("succeeded %d of %d: %v", sum.ByStatus[StatusSucceeded], len(logins), sum.ByStatus)
	}
}
