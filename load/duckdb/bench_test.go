package duckdb_test

import (
	"bufio"
	"context"
	"database/sql"
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
	"github.com/syncer/syncer/schema"
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

// BenchmarkHistoryKeyIndex measures what a key index on the History tables
// (schema.Table.History: transactions, positions, the per-run ledger) costs
// a warehouse that has grown: it fills one with SYNCER_BENCH_PREFILL logins'
// Day1 (default 20,000), then re-syncs 1,000 of them (their Day2) in
// commits of 200 with the file released between commits, as `syncer sync`
// does. index creates the History tables with a unique index on their key
// first (the ART their PRIMARY KEY was before they lost it); no-index is
// today's DDL. It reports the re-sync's logins/s and mean
// hold per commit (checkpoint and close included), the fill's rows/s, and
// the file's size. Run one way per process to read peak-RSS-MB:
//
//	go test ./load/duckdb -run '^$' -bench HistoryKeyIndex -benchtime 1x
//	go test ./load/duckdb -run '^$' -bench 'HistoryKeyIndex/^index$' -benchtime 1x
func BenchmarkHistoryKeyIndex(b *testing.B) {
	const resync, group = 1000, 200
	prefill := 20000
	if v, err := strconv.Atoi(os.Getenv("SYNCER_BENCH_PREFILL")); err == nil && v >= resync {
		prefill = v
	}
	for _, way := range []string{"no-index", "index"} {
		b.Run(way, func(b *testing.B) {
			var filling, loading, held time.Duration
			var rows, fileBytes int64
			commits := 0
			for b.Loop() {
				path := warehousePath(b.TempDir())
				if way == "index" {
					keyHistoryTables(b, path)
				}
				fill, err := duckdb.Open(context.Background(), duckdb.Options{Path: path, Logger: quiet})
				if err != nil {
					b.Fatal(err)
				}
				for first := 0; first < prefill; first += 500 {
					batches := loadtest.BatchesFrom(1, first, min(500, prefill-first), loadtest.Day1)
					for _, bt := range batches {
						for _, r := range bt.Rows {
							rows += int64(len(r))
						}
					}
					start := time.Now()
					if err := fill.Commit(context.Background(), batches); err != nil {
						b.Fatal(err)
					}
					filling += time.Since(start)
				}
				start := time.Now()
				if err := fill.Close(); err != nil {
					b.Fatal(err)
				}
				filling += time.Since(start)

				day2 := loadtest.Batches(1, resync, loadtest.Day2)
				start = time.Now()
				sink, err := duckdb.Open(context.Background(), duckdb.Options{Path: path, Logger: quiet, ReleaseBetweenCommits: true})
				if err != nil {
					b.Fatal(err)
				}
				for first := 0; first < resync; first += group {
					t0 := time.Now()
					if err := sink.Commit(context.Background(), day2[first:first+group]); err != nil {
						b.Fatal(err)
					}
					held += time.Since(t0)
					commits++
				}
				if err := sink.Close(); err != nil {
					b.Fatal(err)
				}
				loading += time.Since(start)
				st, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				fileBytes += st.Size()
			}
			b.ReportMetric(float64(resync*b.N)/loading.Seconds(), "resync-logins/s")
			b.ReportMetric(float64(held.Milliseconds())/float64(commits), "hold-ms/commit")
			b.ReportMetric(float64(rows)/filling.Seconds(), "fill-rows/s")
			b.ReportMetric(float64(fileBytes)/float64(b.N)/(1<<20), "file-MB")
			b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
		})
	}
}

// keyHistoryTables creates, in a new DuckDB file at path, the History
// tables with a unique index on their key: the same ART over the same
// columns as the PRIMARY KEY they had before (which opening the sink would
// now drop: unkeyHistory); opening the sink then adds the rest.
func keyHistoryTables(b *testing.B, path string) {
	db, err := sql.Open("duckdb", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, t := range schema.Tables {
		if !t.History {
			continue
		}
		keys := make([]string, len(t.Key))
		for i, k := range t.Key {
			keys[i] = duckdb.QuoteIdent(k)
		}
		for _, stmt := range []string{duckdb.CreateTableSQL(t),
			fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s (%s)", duckdb.QuoteIdent(t.Name+"_key"), duckdb.QuoteIdent(t.Name), strings.Join(keys, ", "))} {
			if _, err := db.Exec(stmt); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkDuckDBNewLogins commits logins new to a warehouse that already
// holds many (SYNCER_BENCH_HELD, default 20,000, loaded untimed once), in
// calls of 200 as a run does, the file held throughout, Close included:
// first-sync inserts their rows without merging (what Commit does),
// merge-all merges them as a re-sync would (MergeEverything: the way before,
// whose statements join with the whole of each table), and resync
// re-syncs as many logins the warehouse holds, for scale. Reports logins/s.
//
//	go test ./load/duckdb -run '^$' -bench DuckDBNewLogins -benchtime 1x
func BenchmarkDuckDBNewLogins(b *testing.B) {
	const logins, perCall = 2000, 200
	held := 20000
	if v := os.Getenv("SYNCER_BENCH_HELD"); v != "" {
		var err error
		if held, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	base := warehousePath(b.TempDir())
	sink, err := duckdb.Open(ctx, duckdb.Options{Path: base, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	for first := 0; first < held; first += 1000 {
		if err := sink.Commit(ctx, loadtest.BatchesFrom(1, first, min(1000, held-first), loadtest.Day1)); err != nil {
			b.Fatal(err)
		}
	}
	if err := sink.Close(); err != nil {
		b.Fatal(err)
	}
	day2 := loadtest.Day1.AddDate(0, 0, 1)
	for _, c := range []struct {
		name     string
		from     int
		mergeAll bool
	}{{"first-sync", held, false}, {"merge-all", held, true}, {"resync", 0, false}} {
		b.Run(fmt.Sprintf("%s/held=%d", c.name, held), func(b *testing.B) {
			var calls [][]schema.Batch
			for first := c.from; first < c.from+logins; first += perCall {
				calls = append(calls, loadtest.BatchesFrom(1, first, perCall, day2))
			}
			var loading time.Duration
			for b.Loop() {
				b.StopTimer()
				path := warehousePath(b.TempDir())
				loadtest.CopyFile(b, base, path)
				b.StartTimer()
				start := time.Now()
				sink, err := duckdb.Open(ctx, duckdb.Options{Path: path, Logger: quiet})
				if err != nil {
					b.Fatal(err)
				}
				if c.mergeAll {
					sink.MergeEverything()
				}
				for _, batches := range calls {
					if err := sink.Commit(ctx, batches); err != nil {
						b.Fatal(err)
					}
				}
				if err := sink.Close(); err != nil {
					b.Fatal(err)
				}
				loading += time.Since(start)
			}
			b.ReportMetric(float64(logins*b.N)/loading.Seconds(), "logins/s")
		})
	}
}
