package extract

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// slotsIn counts how many single-request slots the governor grants within d,
// taking each as soon as it is offered, starting at start.
func slotsIn(g *governor, start time.Time, d time.Duration) int {
	now, n := start, 0
	for {
		s := g.reserve(now, 1)
		if s.at.Sub(start) >= d {
			g.release(now, s)
			return n
		}
		if s.res == nil { // paused: come back at the end
			now = s.at
			continue
		}
		now = s.at
		n++
	}
}

func TestGovernorSpacesRequestsAtRate(t *testing.T) {
	g := newGovernor(10, 2, time.Minute)
	// 10/s for 10 s, plus the burst of 2 at the start.
	if got := slotsIn(g, t0, 10*time.Second); got < 100 || got > 102 {
		t.Errorf("slots in 10s at 10/s = %d, want 100..102", got)
	}
}

func TestGovernorThrottlePausesEveryoneAndHalvesOnce(t *testing.T) {
	g := newGovernor(16, 2, 10*time.Second)
	sent := t0
	now := t0.Add(100 * time.Millisecond)
	// Twenty in-flight requests sent at the same moment come back throttled.
	for range 20 {
		g.throttled(now, sent, 3*time.Second)
	}
	if got := g.limit(); got != 8 {
		t.Errorf("rate after one burst of throttles = %v, want 8 (halved once)", got)
	}
	if s := g.reserve(now.Add(time.Second), 1); s.res != nil || !s.at.Equal(now.Add(3*time.Second)) {
		t.Errorf("slot during pause = %v (reservation %v), want the pause's end and no reservation", s.at, s.res != nil)
	}
	// A request sent after the cut and throttled again cuts again.
	g.throttled(now.Add(4*time.Second), now.Add(3*time.Second), time.Second)
	if got := g.limit(); got != 4 {
		t.Errorf("rate after a second throttle = %v, want 4", got)
	}
	// Never below Rate/32.
	for i := range 20 {
		at := now.Add(time.Duration(10+i) * time.Second)
		g.throttled(at, at, time.Second)
	}
	if got := g.limit(); got != 0.5 {
		t.Errorf("rate floor = %v, want 0.5", got)
	}
}

func TestGovernorRecoversGradually(t *testing.T) {
	g := newGovernor(16, 2, 10*time.Second)
	g.throttled(t0, t0, time.Second) // 8/s
	steps := []struct {
		after time.Duration
		want  float64
	}{
		{5 * time.Second, 8},   // not quiet long enough
		{10 * time.Second, 10}, // +Rate/8
		{15 * time.Second, 10},
		{20 * time.Second, 12},
		{30 * time.Second, 14},
		{40 * time.Second, 16},
		{50 * time.Second, 16}, // back at Rate, no higher
	}
	for _, s := range steps {
		g.release(t0, g.reserve(t0.Add(s.after), 1))
		if got := g.limit(); got != s.want {
			t.Errorf("rate %v after the throttle = %v, want %v", s.after, got, s.want)
		}
	}
}
