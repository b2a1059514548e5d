package duckdb_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
)

// peakRSSMB is the process's peak resident memory (VmHWM) in MB, DuckDB's
// C allocations included; 0 where /proc is missing.
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkDuckDBPositions1M loads 1,000,000 position rows (1,000 logins of
// 1,000) in Commit calls of 100 logins, into a fresh warehouse each
// iteration, and reports rows/s (generation excluded) and peak RSS.
//
//	go test ./load -run '^$' -bench DuckDBPositions1M -benchtime 1x
func BenchmarkDuckDBPositions1M(b *testing.B) {
	const logins, perLogin, perCall = 1000, 1000, 100
	var loading time.Duration
	for b.Loop() {
		sink, err := duckdb.Open(context.Background(), duckdb.Options{Path: warehousePath(b.TempDir()), Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		for first := 0; first < logins; first += perCall {
			batches := loadtest.PositionBatches(first, perCall, perLogin, loadtest.Day1)
			start := time.Now()
			if err := sink.Commit(context.Background(), batches); err != nil {
				b.Fatal(err)
			}
			loading += time.Since(start)
		}
		start := time.Now()
		if err := sink.Close(); err != nil {
			b.Fatal(err)
		}
		loading += time.Since(start)
	}
	b.ReportMetric(float64(logins*perLogin*b.N)/loading.Seconds(), "rows/s")
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.TotalAlloc)/float64(b.N)/(1<<20), "Go-alloc-MB/op")
}

// BenchmarkDuckDBCommit measures one Commit call of n login batches (the
// generator's logins: accounts, ~15 positions, transactions, securities,
// sync_logins) re-synced into a warehouse that already holds them, and
// reports logins/s: the case for group commit.
//
//	go test ./load -run '^$' -bench DuckDBCommit -benchtime 20x
func BenchmarkDuckDBCommit(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batches=%d", n), func(b *testing.B) {
			sink, err := duckdb.Open(context.Background(), duckdb.Options{Path: warehousePath(b.TempDir()), Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			defer sink.Close()
			batches := loadtest.Batches(1, n, loadtest.Day1)
			rows := 0
			for _, bt := range batches {
				for _, r := range bt.Rows {
					rows += len(r)
				}
			}
			if err := sink.Commit(context.Background(), batches); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if err := sink.Commit(context.Background(), batches); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "logins/s")
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkDuckDBReleaseBetweenCommits re-syncs 2,000 logins (their Day2
// over a warehouse holding their Day1, and SYNCER_BENCH_PREFILL more logins'
// Day1 if set) in Commit calls of 50, 200 or 1,000 logins, with the file held
// from open to Close (hold) or released between commits (release, as the
// commands that sync do), back to back as a run whose loader never waits
// for logins. It reports logins/s (open to Close), the mean and longest
// time one commit held the file (what a reader waits at most: its
// read-only open waits for the commit in progress), and the seconds spent
// leaving the file free between back-to-back commits (DuckDB's yield to
// readers). The modes alternate per group size, so they compare within
// one run.
//
//	go test ./load -run '^$' -bench DuckDBReleaseBetweenCommits -benchtime 1x -count 3
func BenchmarkDuckDBReleaseBetweenCommits(b *testing.B) {
	const logins = 2000
	prefill, _ := strconv.Atoi(os.Getenv("SYNCER_BENCH_PREFILL"))
	day1 := loadtest.Batches(1, logins+prefill, loadtest.Day1)
	day2 := loadtest.Batches(1, logins, loadtest.Day2)
	for _, group := range []int{50, 200, 1000} {
		for _, mode := range []string{"hold", "release"} {
			b.Run(fmt.Sprintf("group=%d/%s", group, mode), func(b *testing.B) {
				var loading, held, maxHeld, yielded time.Duration
				commits := 0
				for b.Loop() {
					dir := b.TempDir()
					fill, err := duckdb.Open(context.Background(), duckdb.Options{Path: warehousePath(dir), Logger: quiet})
					if err != nil {
						b.Fatal(err)
					}
					for first := 0; first < len(day1); first += 500 {
						if err := fill.Commit(context.Background(), day1[first:min(first+500, len(day1))]); err != nil {
							b.Fatal(err)
						}
					}
					if err := fill.Close(); err != nil {
						b.Fatal(err)
					}
					clock := &countingClock{}
					start := time.Now()
					sink, err := duckdb.Open(context.Background(), duckdb.Options{Path: warehousePath(dir), Logger: quiet,
						Clock: clock, ReleaseBetweenCommits: mode == "release"})
					if err != nil {
						b.Fatal(err)
					}
					for first := 0; first < logins; first += group {
						t0, s0 := time.Now(), clock.slept
						if err := sink.Commit(context.Background(), day2[first:min(first+group, logins)]); err != nil {
							b.Fatal(err)
						}
						h := time.Since(t0) - (clock.slept - s0)
						held += h
						maxHeld = max(maxHeld, h)
						commits++
					}
					if err := sink.Close(); err != nil {
						b.Fatal(err)
					}
					loading += time.Since(start)
					yielded += clock.slept
				}
				b.ReportMetric(float64(logins*b.N)/loading.Seconds(), "logins/s")
				b.ReportMetric(float64(held.Milliseconds())/float64(commits), "hold-ms/commit")
				b.ReportMetric(float64(maxHeld.Milliseconds()), "max-hold-ms")
				b.ReportMetric(yielded.Seconds()/float64(b.N), "yield-s/op")
				b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
			})
		}
	}
}

// countingClock is the real clock, adding up how long its waits were.
type countingClock struct {
	clock.Real
	slept time.Duration
}

func (c *countingClock) After(d time.Duration) <-chan time.Time {
	c.slept += d
	return c.Real.After(d)
}
