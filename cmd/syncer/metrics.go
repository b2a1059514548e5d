package main

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/syncer/syncer/pipeline"
)

// metrics are the scheduler's figures, served in the Prometheus text format.
// They are few and simple enough not to need a client library.
type metrics struct {
	mu           sync.Mutex
	runs         map[string]int64 // run status → count
	logins       map[string]int64 // login status → count
	requests     int64
	skipped      int64
	running      bool
	lastDuration time.Duration
	lastSuccess  time.Time
	lastStatus   string
	durationSum  float64
}

func newMetrics() *metrics {
	return &metrics{runs: map[string]int64{}, logins: map[string]int64{}}
}

func (m *metrics) runStarted() {
	m.mu.Lock()
	m.running = true
	m.mu.Unlock()
}

// runSkipped ends a tick that found nothing to sync: no run happened.
func (m *metrics) runSkipped() {
	m.mu.Lock()
	m.running = false
	m.mu.Unlock()
}

func (m *metrics) tickSkipped() {
	m.mu.Lock()
	m.skipped++
	m.mu.Unlock()
}

func (m *metrics) runFinished(s *pipeline.Summary, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.running = false
	if s == nil {
		m.runs[pipeline.RunFailed]++
		m.lastStatus = pipeline.RunFailed
		return
	}
	m.runs[s.Status]++
	m.lastStatus = s.Status
	for k, v := range s.ByStatus {
		m.logins[k] += int64(v)
	}
	m.requests += s.Requests
	m.lastDuration = s.Wall()
	m.durationSum += s.Wall().Seconds()
	// A run that synced no login is no success, whatever its status: a
	// dead endpoint must not look healthy for ever.
	if s.ByStatus[pipeline.StatusSucceeded] > 0 {
		m.lastSuccess = s.FinishedAt
	}
}

func (m *metrics) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, m.render())
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		m.mu.Lock()
		status := m.lastStatus
		m.mu.Unlock()
		if status == pipeline.RunFailed {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "last run failed")
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

func (m *metrics) render() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	counter := func(name, help, label string, values map[string]int64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		keys := make([]string, 0, len(values))
		for k := range values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s{%s=%q} %d\n", name, label, k, values[k])
		}
	}
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, strconv.FormatFloat(v, 'f', -1, 64))
	}
	counter("syncer_runs_total", "Runs finished, by status.", "status", m.runs)
	counter("syncer_logins_total", "Logins finished, by status.", "status", m.logins)
	fmt.Fprintf(&b, "# HELP syncer_requests_total Requests made to Flinks.\n# TYPE syncer_requests_total counter\nsyncer_requests_total %d\n", m.requests)
	fmt.Fprintf(&b, "# HELP syncer_ticks_skipped_total Cron ticks skipped because a run was still going.\n# TYPE syncer_ticks_skipped_total counter\nsyncer_ticks_skipped_total %d\n", m.skipped)
	running := 0.0
	if m.running {
		running = 1
	}
	gauge("syncer_run_in_progress", "1 while a run is going.", running)
	gauge("syncer_last_run_duration_seconds", "Wall time of the last run.", m.lastDuration.Seconds())
	gauge("syncer_run_duration_seconds_sum", "Total wall time of all runs.", m.durationSum)
	last := 0.0
	if !m.lastSuccess.IsZero() {
		last = float64(m.lastSuccess.Unix())
	}
	gauge("syncer_last_success_timestamp_seconds", "Unix time the last run that committed finished (0: none yet).", last)
	return b.String()
}
