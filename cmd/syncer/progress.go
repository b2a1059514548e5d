package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/syncer/syncer/pipeline"
)

// Progress intervals: a live line is redrawn often; a log gets a line now
// and then.
const (
	terminalProgressEvery = 500 * time.Millisecond
	logProgressEvery      = 10 * time.Second
)

// progressReporter shows progress on a terminal as a live line on stderr
// (see liveLine), and otherwise as a log line every logProgressEvery. The
// returned end is called once the run is over.
func progressReporter(env *environment, log *slog.Logger) (report func(pipeline.Progress), every time.Duration, end func()) {
	if !env.isTerminal {
		return func(p pipeline.Progress) { logProgress(log, p) }, logProgressEvery, func() {}
	}
	live, ok := env.stderr.(*liveLine)
	if !ok {
		live = &liveLine{w: env.stderr}
	}
	return func(p pipeline.Progress) { live.draw(progressLine(p, termWidth(env))) }, terminalProgressEvery, live.end
}

// termWidth is the terminal's width in columns, 80 when unknown.
func termWidth(env *environment) int {
	if env.width != nil {
		if w := env.width(); w > 0 {
			return w
		}
	}
	return 80
}

// logProgress logs a snapshot with typed values: counts as integers, times
// in seconds as numbers. eta_s is left out while the ETA is unknown.
func logProgress(log *slog.Logger, p pipeline.Progress) {
	attrs := []slog.Attr{slog.Int("done", p.Done), slog.Int("total", p.Total)}
	for _, status := range pipeline.Statuses {
		attrs = append(attrs, slog.Int(status, p.ByStatus[status]))
	}
	attrs = append(attrs, slog.Int("queued", p.Queued), slog.Int("waiting", p.Waiting), slog.Int("working", p.Working),
		slog.Int("pending", p.Pending), slog.Int("committing", p.Committing),
		slog.Int64("requests", p.Requests), slog.Float64("req_per_s", round(p.ReqPerSec, 1)),
		slog.Float64("elapsed_s", seconds(p.Elapsed)))
	if p.ETAKnown {
		attrs = append(attrs, slog.Float64("eta_s", seconds(p.ETA)))
	}
	log.LogAttrs(context.Background(), slog.LevelInfo, "progress", attrs...)
}

// seconds is d in seconds, to the millisecond.
func seconds(d time.Duration) float64 { return round(d.Seconds(), 3) }

func round(x float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(x*p) / p
}

// Bar widths, in columns.
const (
	minBar = 6
	maxBar = 30
)

// progressLine renders a snapshot in fewer than width columns:
//
//	[████░░░░░░]  41% 10400/25000 · 12m34s · 34.6 req/s · ETA 17m35s · ok 10000 failed 200 · pending 270 working 16 waiting 300 queued 14000
//
// ok counts the logins that succeeded, needs_user those that need the
// person's action (needs_user_action); the statuses that have no login yet,
// and the committing state while empty, are left out. When the terminal is
// narrow the bar shrinks to minBar, then, in this order, the statuses take
// their short form ("ok 10000 fail 200 t/o 100 user 60 rej 40"), the states
// lose committing and take their short form ("pend 270 work 16 wait 300
// queue 14000"), elapsed, the rate, the bar, the states and the statuses
// go; the percent, done/total and ETA stay, cut to fit at worst.
func progressLine(p pipeline.Progress, width int) string {
	room := width - 1 // a line that fills the last column wraps on some terminals
	percent := 100
	if p.Total > 0 {
		percent = p.Done * 100 / p.Total
	}
	const never = 99
	fields := []*field{
		{forms: []form{{fmt.Sprintf("%3d%% %d/%d", percent, p.Done, p.Total), never}}},
		{forms: []form{{compactDuration(p.Elapsed), 4}}},
		{forms: []form{{fmt.Sprintf("%.1f req/s", p.ReqPerSec), 5}}},
		{forms: []form{{etaText(p), never}}},
		{forms: []form{{statusCounts(p, false), 1}, {statusCounts(p, true), 8}}},
		{forms: []form{{stateCounts(p, true, false), 2}, {stateCounts(p, false, false), 3}, {stateCounts(p, false, true), 7}}},
	}
	bar := &field{forms: []form{{"bar", 6}}}
	for {
		line := joinFields(p, bar, minBar, fields)
		if n := utf8.RuneCountInString(line); n <= room {
			return joinFields(p, bar, min(maxBar, minBar+room-n), fields) // the bar grows into the room left
		}
		if !shortenOne(append([]*field{bar}, fields...), never) {
			return truncate(line, room)
		}
	}
}

// field is a part of the progress line, in forms from longest to shortest;
// at is the form shown, len(forms) once the field is gone.
type field struct {
	forms []form
	at    int
}

// form is a text and how dearly it is kept: of the forms shown, the one of
// lowest keep gives way first when the line is too long.
type form struct {
	text string
	keep int
}

func (f *field) text() string {
	if f.at >= len(f.forms) {
		return ""
	}
	return f.forms[f.at].text
}

// shortenOne moves the field whose shown form has the lowest keep (below
// never) to its next form; false when none can give way.
func shortenOne(fields []*field, never int) bool {
	var lowest *field
	for _, f := range fields {
		if f.text() != "" && f.forms[f.at].keep < never && (lowest == nil || f.forms[f.at].keep < lowest.forms[lowest.at].keep) {
			lowest = f
		}
	}
	if lowest == nil {
		return false
	}
	lowest.at++
	return true
}

func joinFields(p pipeline.Progress, bar *field, barWidth int, fields []*field) string {
	var parts []string
	for _, f := range fields {
		if t := f.text(); t != "" {
			parts = append(parts, t)
		}
	}
	line := strings.Join(parts, " · ")
	if bar.text() != "" {
		line = drawBar(p, barWidth) + " " + line
	}
	return line
}

// drawBar is [████░░░░] filled in proportion to the logins done.
func drawBar(p pipeline.Progress, width int) string {
	filled := width
	if p.Total > 0 {
		filled = p.Done * width / p.Total
	}
	return "[" + strings.Repeat("█", filled) + strings.Repeat("░", width-filled) + "]"
}

// Labels of the statuses on the progress line, when they differ from the
// status: full and short.
var (
	statusLabels = map[string]string{pipeline.StatusSucceeded: "ok", pipeline.StatusNeedsUserAction: "needs_user"}
	statusShort  = map[string]string{pipeline.StatusSucceeded: "ok", pipeline.StatusFailed: "fail",
		pipeline.StatusTimedOut: "t/o", pipeline.StatusNeedsUserAction: "user", pipeline.StatusRejected: "rej"}
)

// statusCounts lists the succeeded logins and every other status that has
// logins, with full or short labels.
func statusCounts(p pipeline.Progress, short bool) string {
	var parts []string
	for i, status := range pipeline.Statuses {
		n := p.ByStatus[status]
		if n == 0 && i > 0 {
			continue
		}
		if short {
			parts = append(parts, fmt.Sprintf("%s %d", statusShort[status], n))
		} else {
			parts = append(parts, fmt.Sprintf("%s %d", cmp.Or(statusLabels[status], status), n))
		}
	}
	return strings.Join(parts, " ")
}

// stateCounts lists the logins not finished by state (none once all are):
// pending, working, waiting and queued, and with committing the logins
// waiting to be committed when there are; short uses short labels.
func stateCounts(p pipeline.Progress, committing, short bool) string {
	if p.Done == p.Total {
		return ""
	}
	if short {
		return fmt.Sprintf("pend %d work %d wait %d queue %d", p.Pending, p.Working, p.Waiting, p.Queued)
	}
	parts := []string{fmt.Sprintf("pending %d", p.Pending), fmt.Sprintf("working %d", p.Working), fmt.Sprintf("waiting %d", p.Waiting)}
	if committing && p.Committing > 0 {
		parts = append(parts, fmt.Sprintf("committing %d", p.Committing))
	}
	return strings.Join(append(parts, fmt.Sprintf("queued %d", p.Queued)), " ")
}

// etaText is "ETA" and the time left rounded up to the second, so that a
// run with logins left never shows 0s; "ETA —" while unknown, and "done"
// once every login is.
func etaText(p pipeline.Progress) string {
	switch {
	case p.Done == p.Total:
		return "done"
	case !p.ETAKnown:
		return "ETA —"
	}
	return "ETA " + compactDuration(max(time.Second, (p.ETA+time.Second-1).Truncate(time.Second)))
}

// compactDuration renders d as 42s, 12m34s or 3h07m.
func compactDuration(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
}

// truncate cuts s to at most n columns.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	if n <= 1 {
		return string(r[:max(n, 0)])
	}
	return string(r[:n-1]) + "…"
}

// liveLine is stderr on a terminal during a run: a progress line redrawn in
// place, with log lines written above it. Every write goes through it, so a
// log line never lands in the middle of the progress line.
type liveLine struct {
	mu   sync.Mutex
	w    io.Writer
	line string // the progress line on screen, "" when none
}

// Write writes a log record: it clears the progress line, writes p, and
// draws the line again below it.
func (l *liveLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.line != "" {
		fmt.Fprint(l.w, "\r\033[K")
	}
	n, err := l.w.Write(p)
	if l.line != "" {
		fmt.Fprint(l.w, "\r"+l.line+"\033[K")
	}
	return n, err
}

// draw replaces the progress line with line.
func (l *liveLine) draw(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.line = line
	fmt.Fprint(l.w, "\r"+line+"\033[K")
}

// end leaves the last progress line on screen and moves below it.
func (l *liveLine) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.line != "" {
		fmt.Fprintln(l.w)
		l.line = ""
	}
}
