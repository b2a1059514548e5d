package pipeline

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/syncer/syncer/archive"
	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/payload"
)

// Replay rebuilds the rows of logins from archived answers, without Flinks:
// read returns a login's answers (one per product, as archive.Read gives
// them), called once per login by Concurrency workers, so only the logins
// in flight are in memory. Each login is transformed with today's transform
// and committed exactly as Run commits a fetched one (the same loader,
// groups, per-login atomic commits, progress, summary and ledger: run
// opts.RunID, command opts.Command), its rows dated as the original run
// dated them: the snapshot date from the answer's archived
// Login.LastRefresh, synced_at the instant the run transformed it.
// Replaying the same answers again gives the same rows.
//
// opts.ProductsOf should name each login's archived products: a login the
// replay does not finish (interrupted) is recorded against them. A login
// whose answers cannot be read or decoded is recorded rejected. The
// summary counts no requests.
func Replay(ctx context.Context, sink load.Sink, logins []string, read func(loginID string) ([]archive.Answer, error),
	opts Options) (*Summary, error) {
	opts.Archive = nil // a replay archives nothing
	return execute(ctx, offline{}, sink, logins, opts, func(r *runner, g *errgroup.Group, gctx context.Context) {
		jobs := make(chan *task, r.o.MaxActive)
		g.Go(func() error { r.replayFeed(gctx, logins, jobs); return nil })
		for range r.o.Concurrency {
			g.Go(func() error { r.replayWork(gctx, jobs, read); return nil })
		}
	})
}

// offline is the Client of a replay: it has no network.
type offline struct{}

func (offline) Begin(string, ...extract.Product) (*extract.Login, error) {
	return nil, errors.New("pipeline: a replay asks Flinks nothing")
}
func (offline) Requests() int64 { return 0 }

// replayFeed admits logins while there is room, as feed does, and sends
// each to the replay workers.
func (r *runner) replayFeed(ctx context.Context, logins []string, jobs chan<- *task) {
	defer func() {
		close(jobs)
		r.open.Wait()
		close(r.over)
	}()
	for i := range logins {
		t, ok := r.admit(ctx, logins, i)
		if !ok {
			return
		}
		jobs <- t // never blocks: jobs holds MaxActive, the admitted logins at most
	}
}

// replayWork finishes each login of jobs from its archived answers.
func (r *runner) replayWork(ctx context.Context, jobs <-chan *task, read func(string) ([]archive.Answer, error)) {
	for t := range jobs {
		if ctx.Err() != nil {
			r.finish(t, context.Cause(ctx))
			continue
		}
		r.stats.move(t, phaseWorking)
		answers, err := read(t.loginID)
		if err != nil {
			r.finish(t, &extract.Error{Class: extract.Rejected, Op: "replay", Err: err})
			continue
		}
		outcomes := make([]extract.Outcome, len(answers))
		syncedAt := make([]time.Time, len(answers))
		for i, a := range answers {
			outcomes[i], syncedAt[i] = replayed(a), a.SyncedAt
		}
		r.finishOutcomes(t, extract.Report{}, outcomes, syncedAt)
	}
}

// replayed is the outcome an archived answer stands for, decoded as the
// client decodes a fetched one.
func replayed(a archive.Answer) extract.Outcome {
	o := extract.Outcome{Product: a.Product, Body: a.Body, LastRefresh: a.LastRefresh}
	switch a.Product {
	case extract.Banking:
		o.Banking = a.Body
	case extract.Investments:
		inv, err := payload.Decode(a.Body)
		if err != nil {
			o.Err = &extract.Error{Class: extract.Rejected, Op: string(extract.Investments), Status: 200, Err: err}
		}
		o.Investments = inv
	default:
		o.Err = &extract.Error{Class: extract.Rejected, Op: "replay", Err: errors.New("the archive names an unknown product")}
	}
	return o
}
