package extract

import (
	"context"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

// benchLogins are the logins a benchmark cycles through, and their total
// payload size, so MB/s counts real payload bytes.
func benchLogins(b *testing.B, n int, asOf time.Time) ([]string, int64) {
	logins := flinkstest.DemoLogins(11, n)
	var total int64
	for _, id := range logins {
		total += int64(len(flinkstest.Payload(11, id, asOf)))
	}
	return logins, total
}

// BenchmarkFetch is one login end to end over loopback (token + Authorize +
// 202 + 200 + decode), one at a time.
func BenchmarkFetch(b *testing.B) {
	asOf := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	logins, total := benchLogins(b, 64, asOf)
	s := sandbox(b, flinkstest.Config{Seed: 11, AsOf: asOf, SecretKey: "k", Pending: flinkstest.FixedPending(1)})
	c := sandboxClient(b, s, Config{SecretKey: "k", Rate: math.Inf(1), PollInterval: time.Nanosecond, Clock: NewFakeClock(start)})
	b.SetBytes(total / int64(len(logins)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, _, err := c.Fetch(context.Background(), logins[i%len(logins)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
	b.ReportMetric(float64(c.Requests())/float64(b.N), "requests/login")
}

// BenchmarkFetchParallel is many logins at once through one shared client.
func BenchmarkFetchParallel(b *testing.B) {
	asOf := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	logins, total := benchLogins(b, 512, asOf)
	s := sandbox(b, flinkstest.Config{Seed: 11, AsOf: asOf, Pending: flinkstest.FixedPending(1)})
	c := sandboxClient(b, s, Config{Rate: math.Inf(1), PollInterval: time.Nanosecond, Clock: NewFakeClock(start)})
	var next, failed atomic.Int64
	b.SetBytes(total / int64(len(logins)))
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			login := logins[int(next.Add(1))%len(logins)]
			if _, _, err := c.Fetch(context.Background(), login); err != nil {
				failed.Add(1) // ErrBusy when two goroutines draw one login
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
	b.ReportMetric(float64(c.Requests())/float64(b.N), "requests/login")
	b.ReportMetric(float64(failed.Load()), "failed")
}
