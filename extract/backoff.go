package extract

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter caps a server's Retry-After, so a bogus header cannot park a
// login (or, through the shared pause, the whole run) for hours.
const maxRetryAfter = 15 * time.Minute

// backoff returns the wait before retry number n (1 for the first retry):
// full jitter, uniformly in [0, min(max, base*2^(n-1))).
func backoff(n int, base, maxWait time.Duration, rnd func() float64) time.Duration {
	ceiling := base
	for i := 1; i < n && ceiling < maxWait; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, maxWait)
	return time.Duration(rnd() * float64(ceiling))
}

// retryAfter reads a Retry-After header (seconds, or an HTTP date relative to
// now). It returns 0 when absent or unreadable, and caps at maxRetryAfter.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
