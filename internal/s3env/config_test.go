package s3env

import (
	"context"
	"net"
	"testing"
)

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var _ net.Error = timeoutError{}

// A long stretch of timeouts never exhausts the retries of later requests:
// the SDK's default quota refuses a retry after 50 timeouts.
func TestRetriesHaveNoQuota(t *testing.T) {
	cfg, err := Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Retryer()
	if got := r.MaxAttempts(); got != maxAttempts {
		t.Errorf("%d attempts, want %d", got, maxAttempts)
	}
	for i := range 1000 {
		if _, err := r.GetRetryToken(context.Background(), timeoutError{}); err != nil {
			t.Fatalf("retry %d after timeouts refused: %v", i+1, err)
		}
	}
}
