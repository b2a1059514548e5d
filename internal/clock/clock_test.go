package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestFake: a Fake's waits end at once and move it forward by as long (a
// wait never moves it back), and AfterFunc calls its function, moved as far.
func TestFake(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	f := NewFake(start)
	if err := Sleep(context.Background(), f, 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	<-f.After(-time.Hour)
	if got := f.Now().Sub(start); got != 30*time.Minute {
		t.Errorf("after sleeping 30m (and a negative wait) the clock moved %v", got)
	}
	called := make(chan time.Time)
	f.AfterFunc(time.Hour, func() { called <- f.Now() })
	if at := <-called; at.Sub(start) != 90*time.Minute {
		t.Errorf("AfterFunc(1h) ran at +%v, want +1h30m", at.Sub(start))
	}
}

// TestSleepEndsWithContext: a wait on a clock whose time never comes ends
// with its context's error, and a done context ends it before it starts.
func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, Real{}, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep with a done context: %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	go cancel()
	if err := Sleep(ctx, never{}, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep cancelled while waiting: %v, want context.Canceled", err)
	}
	if c := Or(nil); c != (Real{}) {
		t.Errorf("Or(nil) = %v, want Real", c)
	}
}

// never is a clock whose waits never end.
type never struct{ Real }

func (never) After(time.Duration) <-chan time.Time { return nil }
