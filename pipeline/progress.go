package pipeline

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/syncer/syncer/schema"
)

// Progress is a snapshot of a run, for a progress line or log.
type Progress struct {
	Total     int
	Done      int // logins committed, any status
	Failed    int // committed with a status other than succeeded
	Pending   int // parked between polls (Flinks answered 202)
	InFlight  int // in a worker or waiting for the loader
	Queued    int // not yet admitted
	Requests  int64
	Elapsed   time.Duration
	ReqPerSec float64
	ETA       time.Duration // 0 when unknown
}

// counters are the run's live figures; all fields are safe for concurrent use.
type counters struct {
	total    int
	queued   atomic.Int64
	inFlight atomic.Int64
	parked   atomic.Int64
	retired  atomic.Bool // Flinks answered a product as retired

	mu       sync.Mutex
	byStatus map[string]int
	rows     map[string]int64
	done     int
	ends     endings
}

func newCounters(total int) *counters {
	c := &counters{total: total, byStatus: map[string]int{}, rows: map[string]int64{}}
	c.queued.Store(int64(total))
	return c
}

func (c *counters) committed(res result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done++
	c.byStatus[res.status]++
	c.ends.add(res.ending)
	for name, rows := range res.batch.Rows {
		if name == schema.SyncLogins.Name || name == schema.SyncLoginProducts.Name {
			continue
		}
		c.rows[name] += int64(len(rows))
	}
}

func (r *runner) snapshot(elapsed time.Duration) Progress {
	c := r.stats
	c.mu.Lock()
	p := Progress{Total: c.total, Done: c.done, Failed: c.done - c.byStatus[StatusSucceeded]}
	c.mu.Unlock()
	p.Pending = int(c.parked.Load())
	p.Queued = int(c.queued.Load())
	p.InFlight = max(0, c.total-p.Queued-p.Done-p.Pending)
	p.Requests = r.client.Requests()
	p.Elapsed = elapsed
	if s := elapsed.Seconds(); s > 0 {
		p.ReqPerSec = float64(p.Requests) / s
		if p.Done > 0 && p.Done < p.Total {
			p.ETA = time.Duration(float64(elapsed) * float64(p.Total-p.Done) / float64(p.Done))
		}
	}
	return p
}

// startProgress reports a snapshot every ProgressEvery until the returned
// function is called, which reports a last one.
func (r *runner) startProgress() (stop func()) {
	if r.o.Progress == nil {
		return func() {}
	}
	start := time.Now()
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(r.o.ProgressEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				r.o.Progress(r.snapshot(time.Since(start)))
			case <-quit:
				r.o.Progress(r.snapshot(time.Since(start)))
				return
			}
		}
	}()
	return func() { close(quit); <-done }
}

// Summary is what a finished run reports.
type Summary struct {
	RunID       string
	Status      string // sync_runs.status
	Interrupted bool
	Total       int
	Committed   int            // logins whose outcome was recorded
	ByStatus    map[string]int // login status → count
	Rows        map[string]int64
	Requests    int64
	StartedAt   time.Time
	FinishedAt  time.Time
}

// Wall is the run's duration.
func (s *Summary) Wall() time.Duration { return s.FinishedAt.Sub(s.StartedAt) }

func (r *runner) summary(started, finished time.Time) *Summary {
	c := r.stats
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &Summary{RunID: r.o.RunID, Total: c.total, Committed: c.done, ByStatus: map[string]int{}, Rows: map[string]int64{},
		Requests: r.client.Requests(), StartedAt: started, FinishedAt: finished}
	for k, v := range c.byStatus {
		s.ByStatus[k] = v
	}
	for k, v := range c.rows {
		s.Rows[k] = v
	}
	return s
}
