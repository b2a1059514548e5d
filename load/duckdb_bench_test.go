package load_test

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

	"github.com/syncer/syncer/load"
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
		sink, err := load.OpenDuckDB(context.Background(), load.DuckDBOptions{Path: warehousePath(b.TempDir()), Logger: quiet})
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
			sink, err := load.OpenDuckDB(context.Background(), load.DuckDBOptions{Path: warehousePath(b.TempDir()), Logger: quiet})
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
