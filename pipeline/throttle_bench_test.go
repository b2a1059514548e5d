package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
)

// Throttling benchmarks: whole runs against the in-process sandbox, in real
// time.
//
//	go test ./pipeline -run '^$' -bench 'ThrottledOnce|RateUnderLimit' -benchtime 1x
//
// BenchmarkThrottledOnce is issue 10's report: 2,000 logins at --rate 1000
// --poll-interval 20ms --poll-timeout 2s, with none or 2% of them answered
// 429 TOO_MANY_REQUESTS (Retry-After: 1) once. It reports the wall time, the
// logins that timed out, and the rate the run ended at.
func BenchmarkThrottledOnce(b *testing.B) {
	for _, pct := range []int{0, 2} {
		b.Run(fmt.Sprintf("throttled=%d%%", pct), func(b *testing.B) {
			for b.Loop() {
				throttledOnce(b, 2000, pct)
			}
		})
	}
}

func throttledOnce(b *testing.B, n, pct int) {
	srv := flinkstest.New(flinkstest.Config{Seed: 3, Throttle: flinkstest.Throttle429, RequestLog: -1,
		Pending: flinkstest.PendingDist{Min: 0, Max: 3}})
	defer srv.Close()
	k := n * pct / 100
	logins := flinkstest.DemoLogins(3, n-k)
	for i := range k { // spread through the run
		at := (i + 1) * len(logins) / (k + 1)
		id := flinkstest.TransientFaultLogin(flinkstest.FaultTooManyRequests, 1, i)
		logins = append(logins[:at], append([]string{id}, logins[at:]...)...)
	}
	client, err := extract.New(extract.Config{BankingURL: srv.URL, WealthURL: srv.URL, CustomerID: flinkstest.DefaultCustomerID,
		Rate: 1000, PollInterval: 20 * time.Millisecond, PollTimeout: 2 * time.Second,
		MaxAttempts: 3, BackoffBase: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	sum, err := Run(context.Background(), client, &discardSink{}, logins, Options{RunID: "bench", Concurrency: 16, CommitEvery: 500})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "wall-s")
	b.ReportMetric(float64(sum.ByStatus[StatusTimedOut]), "timed-out")
	b.ReportMetric(float64(n-sum.ByStatus[StatusSucceeded]), "not-succeeded")
	b.ReportMetric(float64(client.Throttles()), "throttles")
	b.ReportMetric(client.Rate(), "rate-at-end")
}

// BenchmarkRateUnderLimit is the other half of the report: 2,000 logins
// with --rate 950 --concurrency 256 against a server that allows 1,000
// requests a second (a token bucket holding 25). A run 5% under the limit
// must not throttle itself with its own bursts. It reports the throttling
// answers and the wall time over the bound the rate sets.
func BenchmarkRateUnderLimit(b *testing.B) {
	for b.Loop() {
		srv := flinkstest.New(flinkstest.Config{Seed: 4, Rate: 1000, Burst: 25, RequestLog: -1,
			Pending: flinkstest.PendingDist{Min: 0, Max: 3}})
		client, err := extract.New(extract.Config{BankingURL: srv.URL, WealthURL: srv.URL, CustomerID: flinkstest.DefaultCustomerID,
			Rate: 950, PollInterval: 40 * time.Millisecond, PollTimeout: time.Hour,
			BackoffBase: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		logins := flinkstest.DemoLogins(4, 2000)
		start := time.Now()
		sum, err := Run(context.Background(), client, &discardSink{}, logins, Options{RunID: "bench", Concurrency: 256, CommitEvery: 500})
		wall := time.Since(start)
		srv.Close()
		if err != nil {
			b.Fatal(err)
		}
		if sum.ByStatus[StatusSucceeded] != len(logins) {
			b.Fatalf("succeeded %d of %d: %v", sum.ByStatus[StatusSucceeded], len(logins), sum.ByStatus)
		}
		bound := float64(client.Requests()) / 950
		b.ReportMetric(float64(client.Throttles()), "throttles")
		b.ReportMetric(wall.Seconds()/bound, "wall/bound")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(client.Rate(), "rate-at-end")
	}
}
