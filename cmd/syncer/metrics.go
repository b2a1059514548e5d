package main

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/pipeline"
)

// runStatuses are the statuses a finished run can have (sync_runs.status).
var runStatuses = []string{pipeline.RunSucceeded, pipeline.RunPartial, pipeline.RunFailed, pipeline.RunInterrupted}

// runDurationBuckets suit runs of seconds (a few logins) to hours (a night
// of tens of thousands of logins waiting out 202s), in seconds.
var runDurationBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800}

// maxCauses bounds the cause label of syncer_login_failures_total: a cause
// is a FlinksCode or a short class name (a bounded set), but Flinks could
// send codes nobody knows; past this many distinct causes, new ones are
// counted as "other".
const maxCauses = 64

// metrics are the scheduler's Prometheus metrics, in a registry of their own
// (nothing registered by a library elsewhere leaks in). Logins and requests
// move during a run, from pipeline.Options.OnFinished and
// extract.Config.OnAnswer; the rest at each run's start and end.
type metrics struct {
	reg *prometheus.Registry

	runs            *prometheus.CounterVec
	runDuration     prometheus.Histogram
	lastRunDuration prometheus.Gauge
	lastRunStatus   *prometheus.GaugeVec
	lastSuccess     prometheus.Gauge
	inProgress      prometheus.Gauge
	ticksSkipped    prometheus.Counter
	logins          *prometheus.CounterVec
	loginFailures   *prometheus.CounterVec
	qualityFailed   prometheus.Counter
	requests        *prometheus.CounterVec
	throttled       prometheus.Counter
	staleLogins     prometheus.Gauge

	mu     sync.Mutex
	causes map[string]bool // causes given a series of their own so far
}

// newMetrics registers every metric, each labelled series an operator may
// alert on present from the start at 0.
func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), causes: map[string]bool{}}
	f := factory{m.reg}
	b := currentBuild()
	f.gaugeVec("syncer_build_info", "The syncer binary: module version, VCS revision, Go and DuckDB library versions. Always 1.",
		"version", "revision", "goversion", "duckdb").WithLabelValues(b.Version, b.Revision, b.GoVersion, b.DuckDB).Set(1)
	m.runs = f.counterVec("syncer_runs_total", "Runs finished, by status (sync_runs.status).", "status")
	m.runDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "syncer_run_duration_seconds",
		Help: "Wall time of the runs.", Buckets: runDurationBuckets})
	m.reg.MustRegister(m.runDuration)
	m.lastRunDuration = f.gauge("syncer_last_run_duration_seconds", "Wall time of the last run.")
	m.lastRunStatus = f.gaugeVec("syncer_last_run_status", "1 for the status of the last run (sync_runs.status), 0 for the others; all 0 before the first run.", "status")
	m.lastSuccess = f.gauge("syncer_last_success_timestamp_seconds", "Unix time the last run that synced at least one login finished (0: none yet).")
	m.inProgress = f.gauge("syncer_run_in_progress", "1 while a run is going.")
	m.ticksSkipped = f.counter("syncer_ticks_skipped_total", "Cron ticks skipped because the previous run was still going.")
	m.logins = f.counterVec("syncer_logins_total", "Logins whose outcome was committed, by status (sync_logins.status), as they are committed.", "status")
	m.loginFailures = f.counterVec("syncer_login_failures_total", "Logins that did not succeed, by status and cause (the FlinksCode, else what failed, e.g. \"HTTP 503\" or \"timed_out\").", "status", "cause")
	m.qualityFailed = f.counter("syncer_quality_checks_failed_total", "Data-quality checks that failed on committed logins (the logins still succeeded).")
	m.requests = f.counterVec("syncer_requests_total", "HTTP exchanges with Flinks, by API call and outcome, as they end.", "endpoint", "outcome")
	m.throttled = f.counter("syncer_throttled_answers_total", "Answers of Flinks asking to slow down (HTTP 429 or TOO_MANY_REQUESTS).")
	m.staleLogins = f.gauge("syncer_stale_logins", "Registered logins, not disabled, whose data is older than --stale-after (or never synced), as read after the last run.")

	for _, s := range runStatuses {
		m.runs.WithLabelValues(s)
		m.lastRunStatus.WithLabelValues(s)
	}
	for _, s := range pipeline.Statuses {
		m.logins.WithLabelValues(s)
	}
	for _, e := range extract.Endpoints {
		for _, o := range extract.AnswerOutcomes {
			m.requests.WithLabelValues(e, o)
		}
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// factory registers metrics in one registry.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

// runStarted marks a run as going.
func (m *metrics) runStarted() { m.inProgress.Set(1) }

// runEnded marks the run as over. A tick that found nothing to sync ends
// so, with no run recorded.
func (m *metrics) runEnded() { m.inProgress.Set(0) }

// tickSkipped counts a cron tick that came during a run.
func (m *metrics) tickSkipped() { m.ticksSkipped.Inc() }

// loginFinished counts one committed login (pipeline.Options.OnFinished).
func (m *metrics) loginFinished(f pipeline.Finished) {
	m.logins.WithLabelValues(f.Status).Inc()
	if f.Status != pipeline.StatusSucceeded {
		m.loginFailures.WithLabelValues(f.Status, m.boundedCause(f.Cause)).Inc()
	}
	m.qualityFailed.Add(float64(f.QualityFailed))
}

// boundedCause returns cause, or "other" once maxCauses distinct causes
// have their own series.
func (m *metrics) boundedCause(cause string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.causes[cause] {
		return cause
	}
	if len(m.causes) >= maxCauses {
		return "other"
	}
	m.causes[cause] = true
	return cause
}

// answer counts one HTTP exchange with Flinks (extract.Config.OnAnswer).
func (m *metrics) answer(endpoint, outcome string) {
	m.requests.WithLabelValues(endpoint, outcome).Inc()
	if outcome == extract.AnswerThrottled {
		m.throttled.Inc()
	}
}

// runFinished records a run's end: its status, duration and, when it
// synced at least one login, the time of that success. A run that synced
// no login is no success, whatever its status: a dead endpoint must not
// look healthy for ever.
func (m *metrics) runFinished(r runRecord) {
	m.inProgress.Set(0)
	m.runs.WithLabelValues(r.Status).Inc()
	for _, s := range runStatuses {
		v := 0.0
		if s == r.Status {
			v = 1
		}
		m.lastRunStatus.WithLabelValues(s).Set(v)
	}
	if r.Duration() > 0 {
		m.runDuration.Observe(r.Duration().Seconds())
		m.lastRunDuration.Set(r.Duration().Seconds())
	}
	if r.ByStatus[pipeline.StatusSucceeded] > 0 {
		m.lastSuccess.Set(float64(r.Finished.Unix()))
	}
}

// setStale sets the number of stale logins read from the warehouse.
func (m *metrics) setStale(n int) { m.staleLogins.Set(float64(n)) }

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, Timeout: 10 * time.Second})
}
