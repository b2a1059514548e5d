package pipeline

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load/duckdb"
)

// BenchmarkReplay measures the load path without the network: the answers
// of one archived run of SYNCER_BENCH_REPLAY_LOGINS logins (default 500;
// investments and banking from the sandbox) are read from the archive
// (zstd), decoded, transformed and committed into a fresh DuckDB warehouse
// file, as syncer replay does. MB/s is of the answers' JSON.
func BenchmarkReplay(b *testing.B) {
	n := 500
	if v, err := strconv.Atoi(os.Getenv("SYNCER_BENCH_REPLAY_LOGINS")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	arch := filepath.Join(dir, "archive")
	srv := newSandbox(b, flinkstest.Config{Seed: 5})
	run, err := archiveAt(b, arch).Open(context.Background(), "bench", "sync", nil)
	if err != nil {
		b.Fatal(err)
	}
	logins := flinkstest.DemoLogins(5, n)
	if _, err := Run(context.Background(), fastClient(b, srv, nil), &discardSink{}, logins,
		Options{RunID: "bench", Products: extract.Products, Archive: run, Concurrency: 16}); err != nil {
		b.Fatal(err)
	}
	if err := run.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	ids, products, read := archiveSource(b, arch, "bench")
	var size int64
	for _, id := range ids {
		answers, err := read(id)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range answers {
			size += int64(len(a.Body))
		}
	}
	b.SetBytes(size)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		path := filepath.Join(dir, "w"+strconv.Itoa(i)+".duckdb")
		sink, err := duckdb.Open(context.Background(), duckdb.Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		sum, err := Replay(context.Background(), sink, ids, read,
			Options{RunID: "replay-" + strconv.Itoa(i), Command: "replay", ProductsOf: products})
		if err != nil || sum.ByStatus[StatusSucceeded] != len(ids) {
			b.Fatalf("replay: %v, %v", err, sum.ByStatus)
		}
		if err := sink.Close(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = os.Remove(path)
		b.StartTimer()
	}
	b.ReportMetric(float64(size)/(1<<20), "JSON-MB")
	b.ReportMetric(float64(len(ids))*float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
