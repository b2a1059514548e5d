package lakeenv

import (
	"os"
	"testing"
	"time"
)

// BenchmarkStartS3 and BenchmarkStartPostgres measure how long a lake test
// binary waits for its servers the first time it asks (ms-to-ready: start
// until the server answers a real request; PostgreSQL's includes initdb).
func BenchmarkStartS3(b *testing.B) { benchmarkStart(b, startS3) }

func BenchmarkStartPostgres(b *testing.B) { benchmarkStart(b, startPostgres) }

func benchmarkStart[S interface{ stop() }](b *testing.B, start func(dir string) (S, error)) {
	var total time.Duration
	for b.Loop() {
		dir, err := makeWorkdir()
		if err != nil {
			b.Fatal(err)
		}
		began := time.Now()
		srv, err := start(dir)
		total += time.Since(began)
		if err != nil {
			os.RemoveAll(dir)
			unavailable(b, err)
		}
		srv.stop()
		os.RemoveAll(dir)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-ready/op")
}
