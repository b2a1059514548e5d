package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/pipeline"
)

// Status page sizes.
const (
	pageRuns      = 30  // runs kept, listed and charted
	pageLoginRows = 200 // logins listed, stalest first (the counts cover them all)
)

// runRecord is one run the scheduler observed.
type runRecord struct {
	RunID    string
	Status   string // sync_runs.status; failed for a run that could not start
	Started  time.Time
	Finished time.Time
	ByStatus map[string]int     // logins per status
	Failures map[failureKey]int // logins that did not succeed, by status and cause
	Error    string             // why the run could not proceed, if it could not
}

// failureKey groups failed logins: their status and cause (pipeline.CauseOf).
type failureKey struct{ Status, Cause string }

// Duration is the run's wall time.
func (r runRecord) Duration() time.Duration { return r.Finished.Sub(r.Started) }

// history is what the scheduler remembers for its status page: the runs
// this process observed (the last pageRuns), the one going, and every
// login's freshness as read after the last run. It is safe for concurrent use.
type history struct {
	spec       string
	staleAfter time.Duration

	mu       sync.Mutex
	runs     []runRecord // oldest first
	current  *runRecord  // the run going, if any
	next     time.Time   // the next cron tick
	logins   []pipeline.LoginStatus
	loginsAt time.Time // when logins were read
}

func newHistory(spec string, staleAfter time.Duration) *history {
	return &history{spec: spec, staleAfter: staleAfter}
}

// runStarted opens the record of a run starting at now.
func (h *history) runStarted(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.current = &runRecord{Status: pipeline.RunRunning, Started: now, ByStatus: map[string]int{}, Failures: map[failureKey]int{}}
}

// runDropped forgets the run going: the tick found nothing to sync.
func (h *history) runDropped() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.current = nil
}

// loginFinished counts a committed login in the run going.
func (h *history) loginFinished(f pipeline.Finished) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.current == nil {
		return
	}
	h.current.ByStatus[f.Status]++
	if f.Status != pipeline.StatusSucceeded {
		k := failureKey{f.Status, f.Cause}
		if _, seen := h.current.Failures[k]; !seen && len(h.current.Failures) >= maxCauses {
			k.Cause = "other"
		}
		h.current.Failures[k]++
	}
}

// runFinished closes the run going with its summary (nil when the run could
// not start) and error, keeps it, and returns it.
func (h *history) runFinished(sum *pipeline.Summary, err error, now time.Time) runRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := runRecord{Started: now, ByStatus: map[string]int{}, Failures: map[failureKey]int{}}
	if h.current != nil {
		r = *h.current
	}
	h.current = nil
	r.Status, r.Finished = pipeline.RunFailed, now
	if sum != nil {
		r.RunID, r.Status, r.Started, r.Finished = sum.RunID, sum.Status, sum.StartedAt, sum.FinishedAt
		r.ByStatus = maps.Clone(sum.ByStatus)
	}
	if err != nil {
		r.Error = err.Error()
	}
	h.runs = append(h.runs, r)
	if len(h.runs) > pageRuns {
		h.runs = slices.Delete(h.runs, 0, len(h.runs)-pageRuns)
	}
	return r
}

// setNext notes when cron runs next.
func (h *history) setNext(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next = t
}

// setLogins keeps the logins' freshness read at now, and returns how many
// are stale.
func (h *history) setLogins(logins []pipeline.LoginStatus, now time.Time) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logins, h.loginsAt = logins, now
	n := 0
	for _, l := range logins {
		if l.Stale(now, h.staleAfter) {
			n++
		}
	}
	return n
}

//go:embed statuspage.html
var statusPageHTML string

var statusPage = template.Must(template.New("status").Parse(statusPageHTML))

// serve renders the status page.
func (h *history) serve(w http.ResponseWriter, _ *http.Request) {
	var buf bytes.Buffer
	if err := statusPage.Execute(&buf, h.page(time.Now())); err != nil {
		http.Error(w, "rendering the status page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// pageData is what the status page template shows, formatted.
type pageData struct {
	Now, Next, Spec, Version string
	StaleAfter               string
	Statuses                 []string // login statuses, in the order of Counts
	Current                  *runView
	Runs                     []runView // newest first
	Chart                    chartView
	Failures                 []failureRow
	Logins                   []loginRow
	LoginsTotal, LoginsStale int
	LoginsHidden             int
	LoginsAt                 string
}

type runView struct {
	RunID, Status, Started, Duration, Error string
	Counts                                  []int // per pageData.Statuses
}

type failureRow struct {
	Status, Cause    string
	LastRun, AllRuns int
}

type loginRow struct {
	Hash, LastSuccess, LastRefresh, Age, LastStatus, FlinksCode, Products string
	Failures                                                              int
	Stale                                                                 bool
}

// page formats the history at now.
func (h *history) page(now time.Time) pageData {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := currentBuild()
	d := pageData{Now: stamp(now), Next: stamp(h.next), Spec: h.spec, Version: b.Version + " " + b.Revision,
		StaleAfter: h.staleAfter.String(), Statuses: pipeline.Statuses, LoginsAt: stamp(h.loginsAt)}
	if h.current != nil {
		v := viewOf(*h.current)
		v.Duration = roundDuration(now.Sub(h.current.Started)) + " so far"
		d.Current = &v
	}
	for i := len(h.runs) - 1; i >= 0; i-- {
		d.Runs = append(d.Runs, viewOf(h.runs[i]))
	}
	d.Chart = chartOf(h.runs)
	d.Failures = failuresOf(h.runs)
	for _, l := range h.logins {
		stale := l.Stale(now, h.staleAfter)
		if stale {
			d.LoginsStale++
		}
		d.Logins = append(d.Logins, loginRowOf(l, stale, now))
	}
	d.LoginsTotal = len(d.Logins)
	// Stale first (the warehouse already orders by age, stalest first).
	sort.SliceStable(d.Logins, func(i, j int) bool { return d.Logins[i].Stale && !d.Logins[j].Stale })
	if len(d.Logins) > pageLoginRows {
		d.LoginsHidden = len(d.Logins) - pageLoginRows
		d.Logins = d.Logins[:pageLoginRows]
	}
	return d
}

func viewOf(r runRecord) runView {
	v := runView{RunID: r.RunID, Status: r.Status, Started: stamp(r.Started), Duration: roundDuration(r.Duration()), Error: r.Error}
	for _, s := range pipeline.Statuses {
		v.Counts = append(v.Counts, r.ByStatus[s])
	}
	return v
}

// failuresOf groups the failed logins of runs by status and cause: in the
// last run and in all of them, most frequent first.
func failuresOf(runs []runRecord) []failureRow {
	rows := map[failureKey]*failureRow{}
	for i, r := range runs {
		for k, n := range r.Failures {
			row := rows[k]
			if row == nil {
				row = &failureRow{Status: k.Status, Cause: k.Cause}
				rows[k] = row
			}
			row.AllRuns += n
			if i == len(runs)-1 {
				row.LastRun += n
			}
		}
	}
	out := make([]failureRow, 0, len(rows))
	for _, r := range rows {
		if r.Cause == "" {
			r.Cause = "(none)"
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.LastRun != b.LastRun {
			return a.LastRun > b.LastRun
		}
		if a.AllRuns != b.AllRuns {
			return a.AllRuns > b.AllRuns
		}
		return a.Status+a.Cause < b.Status+b.Cause
	})
	return out
}

func loginRowOf(l pipeline.LoginStatus, stale bool, now time.Time) loginRow {
	r := loginRow{Hash: extract.HashLogin(l.LoginID), LastStatus: l.LastStatus, Failures: l.ConsecutiveFailures, Stale: stale,
		FlinksCode: l.LastFlinksCode.String, Products: l.LastProducts.String, Age: "never synced"}
	if l.LastSuccess.Valid {
		r.LastSuccess = stamp(l.LastSuccess.Time)
	}
	if l.LastRefresh.Valid {
		r.LastRefresh = stamp(l.LastRefresh.Time)
	}
	if age := l.Age(now); age >= 0 {
		r.Age = roundDuration(age)
	}
	return r
}

// stamp formats t for the page, in UTC; "" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// roundDuration rounds d for a person: tenths of a second under a minute,
// seconds under a day, minutes beyond.
func roundDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < 24*time.Hour:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}

// Chart geometry, in SVG user units: two panels over the same runs, the
// runs' durations above and their logins per status below, then the time
// axis and the legend.
const (
	chartWidth   = 760
	chartLeft    = 80.0 // room for the panels' labels
	chartRight   = chartWidth - 10.0
	durationTop  = 16.0
	durationH    = 100.0
	loginsTop    = durationTop + durationH + 30
	loginsH      = 100.0
	axisY        = loginsTop + loginsH + 16
	legendY      = axisY + 18
	chartHeight  = legendY + 10
	chartBarFill = 0.7 // part of a run's slot its bar fills
	chartBarMax  = 48  // widest bar, when few runs are shown
)

// chartView is the inline SVG chart of the runs, laid out here so the
// template only places shapes.
type chartView struct {
	Width, Height int
	Empty         bool
	// Panels' frames and labels.
	Left, Right                 float64
	DurationTop, DurationBottom float64
	LoginsTop, LoginsBottom     float64
	MaxDuration                 string // the duration panel's top
	MaxLogins                   int    // the logins panel's top
	AxisY, LegendY              float64
	FirstRun, LastRun           string // the time axis' ends
	Line                        string // polyline points of the durations
	Points                      []chartPoint
	Bars                        []chartBar
	Legend                      []legendItem
}

type chartPoint struct {
	X, Y  float64
	Title string
}

type chartBar struct {
	Title    string
	Segments []chartSegment
}

type chartSegment struct {
	Status     string
	X, Y, W, H float64
	Title      string
}

type legendItem struct {
	Status string
	X      float64
}

// chartOf lays out runs (oldest first) as a point per run on the duration
// panel and a bar per run, stacked by login status, on the logins panel.
func chartOf(runs []runRecord) chartView {
	c := chartView{Width: chartWidth, Height: chartHeight, Empty: len(runs) == 0, Left: chartLeft, Right: chartRight,
		DurationTop: durationTop, DurationBottom: durationTop + durationH, LoginsTop: loginsTop, LoginsBottom: loginsTop + loginsH,
		AxisY: axisY, LegendY: legendY}
	for i, s := range pipeline.Statuses {
		c.Legend = append(c.Legend, legendItem{Status: s, X: chartLeft + float64(i)*130})
	}
	if c.Empty {
		return c
	}
	maxDur := time.Second
	c.MaxLogins = 1
	for _, r := range runs {
		maxDur = max(maxDur, r.Duration())
		total := 0
		for _, n := range r.ByStatus {
			total += n
		}
		c.MaxLogins = max(c.MaxLogins, total)
	}
	c.MaxDuration = roundDuration(maxDur)
	slot := (c.Right - c.Left) / float64(len(runs))
	var line []string
	for i, r := range runs {
		x := c.Left + slot*(float64(i)+0.5)
		y := c.DurationBottom - durationH*r.Duration().Seconds()/maxDur.Seconds()
		c.Points = append(c.Points, chartPoint{X: x, Y: y, Title: fmt.Sprintf("%s %s: %s", r.RunID, r.Status, roundDuration(r.Duration()))})
		line = append(line, fmt.Sprintf("%.1f,%.1f", x, y))
		c.Bars = append(c.Bars, barOf(r, x, min(slot*chartBarFill, chartBarMax), c.LoginsBottom, c.MaxLogins))
	}
	c.Line = strings.Join(line, " ")
	c.FirstRun, c.LastRun = stamp(runs[0].Started), stamp(runs[len(runs)-1].Started)
	return c
}

// barOf stacks r's logins per status, from bottom up, in a bar of width w
// centred on x, scaled so that most logins fill the panel.
func barOf(r runRecord, x, w, bottom float64, most int) chartBar {
	bar := chartBar{Title: r.RunID}
	for _, s := range pipeline.Statuses {
		n := r.ByStatus[s]
		if n == 0 {
			continue
		}
		h := loginsH * float64(n) / float64(most)
		bottom -= h
		bar.Segments = append(bar.Segments, chartSegment{Status: s, X: x - w/2, Y: bottom, W: w, H: h,
			Title: fmt.Sprintf("%s: %d %s", r.RunID, n, s)})
	}
	return bar
}
