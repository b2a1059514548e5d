package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/syncer/syncer/pipeline"
)

// TestProgressLineFitsTheTerminal renders one snapshot at several widths:
// the line never overflows, the most useful fields stay longest, a wide
// terminal shows every field, and an unknown ETA shows as "—", never 0s.
func TestProgressLineFitsTheTerminal(t *testing.T) {
	p := pipeline.Progress{Total: 25000, Done: 10400, ByStatus: map[string]int{pipeline.StatusSucceeded: 10000,
		pipeline.StatusFailed: 200, pipeline.StatusTimedOut: 100, pipeline.StatusNeedsUserAction: 60, pipeline.StatusRejected: 40},
		Queued: 14000, Waiting: 300, Working: 16, Pending: 270, Committing: 14,
		Requests: 41000, Elapsed: 754 * time.Second, ReqPerSec: 34.6, ETA: 1055 * time.Second, ETAKnown: true}
	wide := progressLine(p, 400)
	for _, want := range []string{"41%", "10400/25000", "12m34s", "34.6 req/s", "ETA 17m35s", "ok 10000", "failed 200",
		"timed_out 100", "needs_user 60", "rejected 40", "pending 270", "working 16", "waiting 300", "committing 14", "queued 14000", "█"} {
		if !strings.Contains(wide, want) {
			t.Errorf("wide line lacks %q: %s", want, wide)
		}
	}
	prev := utf8.RuneCountInString(wide)
	for _, width := range []int{200, 160, 120, 100, 80, 60, 40, 30, 20} {
		line := progressLine(p, width)
		n := utf8.RuneCountInString(line)
		if n >= width {
			t.Errorf("width %d: line of %d columns: %s", width, n, line)
		}
		if n > prev {
			t.Errorf("width %d: the line grew", width)
		}
		prev = n
		if width >= 40 && (!strings.Contains(line, "41%") || !strings.Contains(line, "ETA")) {
			t.Errorf("width %d dropped the percent or the ETA: %s", width, line)
		}
	}
	p.ETAKnown, p.ETA = false, 0
	if line := progressLine(p, 120); !strings.Contains(line, "ETA —") {
		t.Errorf("unknown ETA: %s", line)
	}
	p.ETAKnown, p.ETA = true, 3*time.Millisecond
	if line := progressLine(p, 120); strings.Contains(line, "ETA 0s") {
		t.Errorf("an ETA of 3 ms with logins left shows as 0s: %s", line)
	}
}

// TestLogLinesKeepTheProgressLine: on a terminal, a log line written during
// a run clears the progress line, and the line is drawn again below it.
func TestLogLinesKeepTheProgressLine(t *testing.T) {
	var b bytes.Buffer
	l := &liveLine{w: &b}
	l.draw("42% 1/2")
	_, _ = l.Write([]byte("level=INFO msg=hello\n"))
	l.end()
	want := "\r42% 1/2\x1b[K" + "\r\x1b[K" + "level=INFO msg=hello\n" + "\r42% 1/2\x1b[K" + "\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}

// TestProgressLogIsTyped: off a terminal, a progress log line in JSON has
// numbers as numbers (counts as integers, times in seconds), every status,
// and no eta_s while the ETA is unknown.
func TestProgressLogIsTyped(t *testing.T) {
	for _, known := range []bool{true, false} {
		var b bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&b, nil))
		logProgress(log, pipeline.Progress{Total: 10, Done: 4, ByStatus: map[string]int{pipeline.StatusSucceeded: 3, pipeline.StatusTimedOut: 1},
			Queued: 2, Waiting: 1, Working: 1, Pending: 2, Requests: 57, Elapsed: 12345 * time.Millisecond, ReqPerSec: 34.56,
			ETA: 90 * time.Second, ETAKnown: known})
		var m map[string]any
		dec := json.NewDecoder(&b)
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"done": "4", "total": "10", "succeeded": "3", "failed": "0", "timed_out": "1", "needs_user_action": "0",
			"rejected": "0", "queued": "2", "waiting": "1", "working": "1", "pending": "2", "committing": "0", "requests": "57",
			"req_per_s": "34.6", "elapsed_s": "12.345"}
		if known {
			want["eta_s"] = "90"
		}
		for key, v := range want {
			if n, ok := m[key].(json.Number); !ok || n.String() != v {
				t.Errorf("%s = %#v, want the number %s", key, m[key], v)
			}
		}
		if _, ok := m["eta_s"]; !known && ok {
			t.Errorf("eta_s = %v while the ETA is unknown", m["eta_s"])
		}
	}
}
