package pipeline

import (
	"context"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/schema"
)

// TestProofNoGoroutineLeak runs three runs over every fault the sandbox can
// show, among healthy logins: one that ends normally, one stopped by
// rejected credentials, one canceled at its first commit. Once the client's
// idle connections and the sandbox are closed, the process has no more
// goroutines than before (waiting a bounded time for them to unwind).
func TestProofNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		srv := flinkstest.New(flinkstest.Config{Seed: 30, Delay: 20 * time.Millisecond, OversizeBytes: 2 << 20,
			Pending: flinkstest.PendingDist{Min: 0, Max: 2}})
		defer srv.Close()
		tr := extract.NewTransport()
		defer tr.CloseIdleConnections()
		client := fastClient(t, srv, func(c *extract.Config) {
			c.HTTP = &http.Client{Transport: tr}
			c.MaxBodyBytes = 1 << 20
			c.PollTimeout = 3 * time.Second // never-ready logins wait this long
		})
		var faulty []string
		for _, f := range flinkstest.Faults() {
			if code := f.FlinksCode(); code != "UNAUTHORIZED" && code != "ACCESS_DENIED" { // they stop the run
				faulty = append(faulty, flinkstest.FaultLogin(f, 1), flinkstest.TransientFaultLogin(f, 1, 2))
			}
		}
		logins := append(faulty, flinkstest.DemoLogins(30, 40)...)

		sum, err := Run(context.Background(), client, &memSink{}, logins, Options{RunID: "leak-1", Concurrency: 8, CommitEvery: 7})
		if err != nil || sum.ByStatus[StatusSucceeded] < 40 {
			t.Fatalf("fault mix: %v, %+v", err, sum)
		}

		stopped := fastClient(t, srv, func(c *extract.Config) { c.HTTP = &http.Client{Transport: tr} })
		withFatal := append([]string{flinkstest.FaultLogin(flinkstest.FaultUnauthorized, 1)}, logins...)
		if _, err := Run(context.Background(), stopped, &memSink{}, withFatal, Options{RunID: "leak-2", Concurrency: 8}); err == nil {
			t.Fatal("a run meeting UNAUTHORIZED did not fail")
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		canceling := &memSink{commit: func(int, []schema.Batch) error { cancel(); return nil }}
		fresh := fastClient(t, srv, func(c *extract.Config) { c.HTTP = &http.Client{Transport: tr} })
		if sum, _ := Run(ctx, fresh, canceling, logins, Options{RunID: "leak-3", Concurrency: 8, CommitEvery: 3}); sum == nil || !sum.Interrupted {
			t.Fatalf("the canceled run was not interrupted: %+v", sum)
		}
	}()

	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		t.Errorf("%d goroutines after the runs, %d before:\n%s", after, before, tail(stacks, 8000))
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
