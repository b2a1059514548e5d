package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/syncer/syncer/archive"
	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// ErrFatal is wrapped by the error Run returns when the run could not
// continue: credentials rejected for everyone, or a warehouse that cannot be
// written.
var ErrFatal = errors.New("the run cannot continue")

// Client is what the pipeline needs from the Flinks client; *extract.Client
// implements it.
type Client interface {
	Begin(loginID string, products ...extract.Product) (*extract.Login, error)
	Requests() int64
}

// task is one login between admission and commit. A parked task is all a
// pending login costs.
type task struct {
	loginID string
	login   *extract.Login
	started time.Time
	timer   clock.Timer
	due     time.Time // when a parked task's next step is due
	phase   phase     // where the task is; counters.move changes it
}

// result is a finished login on its way to the loader.
type result struct {
	batch  schema.Batch
	status string
	stats  transform.Stats
	cause  string // CauseOf the login's error; "" when it succeeded
	ending        // why a login without data ended, for the run's verdict
	rows   int    // the batch's rows, counted by the loader
}

// runner holds the state of one Run.
type runner struct {
	o      Options
	client Client
	sink   load.Sink
	stats  *counters

	ready   chan *task    // tasks due for a step; capacity MaxActive, so sends never block
	results chan result   // finished logins for the loader
	slots   chan struct{} // admission: one token per open login
	open    sync.WaitGroup

	mu        sync.Mutex
	parked    map[*task]struct{}
	cancelled error         // set once the run is cancelled; guarded by mu
	over      chan struct{} // closed when every admitted login is finished

	unadmitted []string // the logins feed never admitted; read once feed returns

	abort context.CancelCauseFunc
}

// Run syncs logins with client into sink. It returns the run's summary, and
// an error wrapping ErrFatal when the run could not continue. Cancelling ctx
// interrupts the run (see the package doc).
func Run(ctx context.Context, client Client, sink load.Sink, logins []string, opts Options) (*Summary, error) {
	return execute(ctx, client, sink, logins, opts, func(r *runner, g *errgroup.Group, gctx context.Context) {
		g.Go(func() error { r.feed(gctx, logins); return nil })
		for range r.o.Concurrency {
			g.Go(func() error { r.work(gctx); return nil })
		}
		g.Go(func() error { r.watchCancel(gctx, r.over); return nil })
	})
}

// execute is what Run and Replay share: it records the run and its
// logins, starts the loader, calls start to add to g the goroutines that
// bring each login to its end (r.hand, through finishOutcomes or finish),
// which must set r.unadmitted to the logins they never admitted and close
// r.over once every admitted login is finished; then it waits for them and
// the last commit, and closes the run with its verdict.
func execute(ctx context.Context, client Client, sink load.Sink, logins []string, opts Options,
	start func(r *runner, g *errgroup.Group, gctx context.Context)) (*Summary, error) {
	o := opts.withDefaults()
	if o.RunID == "" {
		return nil, errors.New("pipeline: RunID is required")
	}
	r := &runner{
		o:       o,
		client:  client,
		sink:    sink,
		stats:   newCounters(len(logins)),
		ready:   make(chan *task, o.MaxActive),
		results: make(chan result, o.Concurrency),
		slots:   make(chan struct{}, o.MaxActive),
		parked:  make(map[*task]struct{}),
		over:    make(chan struct{}),
	}
	started := o.Clock.Now().UTC()
	// Commits must finish even when the run is interrupted, so the loader's
	// context is not cancelled with ctx.
	commitCtx := context.WithoutCancel(ctx)
	record := transform.RunRecord{RunID: o.RunID, Command: o.Command, Status: RunRunning, StartedAt: started, Total: int64(len(logins))}
	if err := r.commitRun(commitCtx, record); err != nil {
		return nil, fmt.Errorf("%w: recording the run: %w", ErrFatal, err)
	}
	if err := r.register(commitCtx, logins, started); err != nil {
		return nil, fmt.Errorf("%w: registering the logins: %w", ErrFatal, err)
	}

	runCtx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	r.abort = abort

	stopProgress := r.startProgress()
	var loaderErr error
	loaderDone := make(chan struct{})
	go func() {
		defer close(loaderDone)
		loaderErr = r.load(commitCtx)
		if loaderErr != nil {
			abort(loaderErr)
		}
	}()

	g, gctx := errgroup.WithContext(runCtx)
	start(r, g, gctx)
	_ = g.Wait() // workers report outcomes as data; only abort ends the run early
	r.recordUnadmitted(context.Cause(runCtx))
	close(r.results)
	<-loaderDone
	stopProgress()
	cause := context.Cause(runCtx) // after the loader's last commit, which may have failed

	sum := r.summary(started, o.Clock.Now().UTC())
	record.FinishedAt = sum.FinishedAt
	record.Succeeded = int64(sum.ByStatus[StatusSucceeded])
	record.Failed = int64(sum.Committed - sum.ByStatus[StatusSucceeded])
	record.Requests = sum.Requests
	verdict := r.verdict(sum, cause, ctx.Err() != nil)
	record.Status, sum.Status, sum.Interrupted = verdict.status, verdict.status, verdict.status == RunInterrupted
	if verdict.err != nil {
		record.Error = verdict.err.Error()
	}
	if err := r.commitRun(commitCtx, record); err != nil && loaderErr == nil {
		loaderErr = fmt.Errorf("%w: closing the run: %w", ErrFatal, err)
	}
	if errors.Is(cause, ErrFatal) {
		return sum, cause
	}
	if loaderErr != nil {
		return sum, loaderErr
	}
	return sum, verdict.err
}

func (r *runner) commitRun(ctx context.Context, rec transform.RunRecord) error {
	b := schema.Batch{RunID: rec.RunID, Rows: map[string][]schema.Row{schema.SyncRuns.Name: {transform.RunRow(rec)}}}
	return r.sink.Commit(ctx, []schema.Batch{b})
}

// register records the run's LoginIds in the logins registry, in chunks so a
// huge backfill does not build one giant batch.
func (r *runner) register(ctx context.Context, logins []string, at time.Time) error {
	const chunk = 10000
	for i := 0; i < len(logins); i += chunk {
		b := transform.RegistrationBatch(r.o.RunID, r.o.Command, at, logins[i:min(i+chunk, len(logins))])
		if err := r.sink.Commit(ctx, []schema.Batch{b}); err != nil {
			return err
		}
	}
	return nil
}

// admit waits for room for logins[i] and starts its task, waiting. When
// ctx ends first it records logins[i:] as never admitted and reports false.
func (r *runner) admit(ctx context.Context, logins []string, i int) (*task, bool) {
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		r.unadmitted = logins[i:]
		return nil, false
	}
	r.open.Add(1)
	t := &task{loginID: logins[i], started: r.o.Clock.Now().UTC()}
	r.stats.move(t, phaseWaiting)
	return t, true
}

// feed admits logins while there is room, until all are admitted or ctx ends.
func (r *runner) feed(ctx context.Context, logins []string) {
	defer func() {
		// Once every admitted login is finished, no one sends on ready again.
		r.open.Wait()
		close(r.ready)
		close(r.over)
	}()
	for i, id := range logins {
		t, ok := r.admit(ctx, logins, i)
		if !ok {
			return
		}
		login, err := r.client.Begin(id, r.o.productsOf(id)...)
		if err != nil {
			r.finish(t, err)
			continue
		}
		t.login = login
		r.ready <- t
	}
}

// work takes due tasks and advances each by one step.
func (r *runner) work(ctx context.Context) {
	for t := range r.ready {
		if ctx.Err() != nil {
			r.finish(t, context.Cause(ctx))
			continue
		}
		r.stats.move(t, phaseWorking)
		polls := t.login.Report().Polls
		step := t.login.Step(ctx)
		if step.Done {
			if step.Err != nil && extract.ClassOf(step.Err) == extract.Fatal {
				r.abort(fmt.Errorf("%w: %w", ErrFatal, step.Err))
			}
			r.finishStep(t, step)
			continue
		}
		// A login that Flinks answered 202 is pending; one held back by the
		// rate limit or a retry's backoff is waiting its turn.
		next := phaseWaiting
		if t.login.Report().Polls > polls {
			next = phasePending
		}
		r.park(t, step.Wait, next)
	}
}

// park holds t, in phase next, on a timer until its next step is due. Once
// the run is cancelled nothing is parked any more: the task is finished at
// once.
func (r *runner) park(t *task, wait time.Duration, next phase) {
	r.mu.Lock()
	if r.cancelled != nil {
		err := r.cancelled
		r.mu.Unlock()
		r.finish(t, err)
		return
	}
	r.stats.move(t, next)
	r.parked[t] = struct{}{}
	t.due = r.o.Clock.Now().Add(wait)
	t.timer = r.o.Clock.AfterFunc(wait, func() { r.unpark(t) })
	r.mu.Unlock()
}

func (r *runner) unpark(t *task) {
	r.mu.Lock()
	_, ok := r.parked[t]
	delete(r.parked, t)
	r.mu.Unlock()
	if !ok {
		return // watchCancel took it
	}
	r.stats.move(t, phaseWaiting)
	r.ready <- t
}

// watchCancel finishes every parked login as interrupted once ctx ends, so
// an interrupted run does not wait out poll intervals. It returns when the
// run is over either way.
func (r *runner) watchCancel(ctx context.Context, over <-chan struct{}) {
	select {
	case <-over:
		return
	case <-ctx.Done():
	}
	cause := context.Cause(ctx)
	r.mu.Lock()
	r.cancelled = cause
	var taken []*task
	for t := range r.parked {
		if t.timer.Stop() {
			taken = append(taken, t)
			delete(r.parked, t)
		}
	}
	r.mu.Unlock()
	for _, t := range taken {
		r.finish(t, cause)
	}
}

// finishStep records a login whose products all ended: the rows of those
// that succeeded, one sync_login_products row per product, and its
// sync_logins row (see loginStatus).
func (r *runner) finishStep(t *task, step extract.Step) {
	rep := t.login.Report()
	t.login.Close()
	r.finishOutcomes(t, rep, step.Outcomes, nil)
}

// finishOutcomes records a login from its products' outcomes (see
// finishStep). syncedAt, when not nil, holds the instant that dates each
// outcome's rows (a replay's, from the archive); else it is now.
func (r *runner) finishOutcomes(t *task, rep extract.Report, outcomes []extract.Outcome, syncedAt []time.Time) {
	batch := schema.Batch{RunID: r.o.RunID, LoginID: t.loginID, Rows: map[string][]schema.Row{}, Scopes: map[string][]schema.Row{}}
	var stats transform.Stats
	errs := make([]error, len(outcomes))
	for i, o := range outcomes {
		errs[i] = o.Err
		if o.Err == nil {
			var at time.Time
			if syncedAt != nil {
				at = syncedAt[i]
			}
			b, st, err := r.transformOutcome(t.loginID, o, at)
			if err != nil {
				errs[i] = err
			} else {
				mergeBatch(&batch, b)
				stats = stats.Add(st)
			}
		}
		if extract.ClassOf(errs[i]) == extract.Retired {
			r.stats.retired.Store(true)
		}
		batch.Rows[schema.SyncLoginProducts.Name] = append(batch.Rows[schema.SyncLoginProducts.Name], r.productRow(t.loginID, o.Product, errs[i]))
	}
	err := loginError(errs)
	status := statusOf(err)
	out := r.outcome(t, status, rep, err)
	out.Stats = stats
	batch.Rows[schema.SyncLogins.Name] = []schema.Row{transform.LoginRow(out)}
	res := result{batch: batch, status: status, stats: stats, cause: CauseOf(err)}
	if err != nil {
		res.ending = endingOf(err)
	}
	r.hand(t, res)
}

// transformOutcome turns a product's data into rows, dated syncedAt (now
// when zero), and hands the answer to the archive once its rows are made.
// A body that cannot be used at all rejects the product (a *extract.Error
// of class Rejected).
func (r *runner) transformOutcome(loginID string, o extract.Outcome, syncedAt time.Time) (schema.Batch, transform.Stats, error) {
	if syncedAt.IsZero() {
		syncedAt = r.o.Clock.Now()
	}
	tctx := transform.Context{RunID: r.o.RunID, LoginID: loginID, SyncedAt: syncedAt.UTC(), LastRefresh: o.LastRefresh,
		KeepAccountNumbers: r.o.KeepAccountNumbers}
	if o.LastRefresh.IsZero() {
		r.o.Logger.Warn("Flinks gave no usable Login.LastRefresh; the snapshot is dated by the sync",
			extract.LoginAttr(loginID), "product", string(o.Product), "snapshot_date", tctx.SnapshotDate().Format(time.DateOnly))
	}
	if o.Product == extract.Banking {
		b, st, err := r.bankingBatch(o.Banking, tctx)
		if err != nil {
			return b, st, &extract.Error{Class: extract.Rejected, Op: string(extract.Banking), Status: 200, Err: err}
		}
		r.archive(loginID, o, tctx)
		return b, st, nil
	}
	b, st := transform.Transform(o.Investments, tctx)
	r.archive(loginID, o, tctx)
	return b, st, nil
}

// archive hands an answer whose rows the run uses to Options.Archive, if
// any, and waits for it at most archiveTimeout: an interrupted run still
// archives the answers it commits. A failure is logged (the login's hash,
// the product, the error: never the answer) and does not fail the login.
func (r *runner) archive(loginID string, o extract.Outcome, c transform.Context) {
	if r.o.Archive == nil || o.Body == nil {
		return
	}
	a := archive.Answer{LoginID: loginID, Product: o.Product, Body: o.Body, LastRefresh: o.LastRefresh,
		SyncedAt: c.SyncedAt, AsOf: c.SnapshotDate()}
	ctx, cancel := context.WithTimeout(context.Background(), archiveTimeout)
	defer cancel()
	if err := r.o.Archive.Keep(ctx, a); err != nil {
		r.o.Logger.Error("archiving an answer failed; its rows are synced, a replay will lack them",
			extract.LoginAttr(loginID), "product", string(o.Product), "error", err)
	}
}

// archiveTimeout bounds the archiving of one answer (an object store that
// stopped answering).
const archiveTimeout = time.Minute

// productRow is the sync_login_products row of one product's outcome.
func (r *runner) productRow(loginID string, p extract.Product, err error) schema.Row {
	po := transform.ProductOutcome{RunID: r.o.RunID, LoginID: loginID, Product: string(p), Status: statusOf(err),
		FlinksCode: extract.CodeOf(err), FinishedAt: r.o.Clock.Now().UTC()}
	if err != nil {
		po.Error = describe(err)
	}
	return transform.ProductRow(po)
}

// loginError is the error that decides a login's sync_logins row from its
// products' errors: nil when every product succeeded; else the first
// retryable failure (failed, timed_out), so that retry finds the login;
// else the first failure.
func loginError(errs []error) error {
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if slices.Contains(RetryableStatuses, statusOf(err)) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// finish records a login that ended without a Step's outcomes (cancelled,
// refused by Begin): every product it was to sync ends with err.
func (r *runner) finish(t *task, err error) {
	var rep extract.Report
	if t.login != nil {
		rep = t.login.Report()
		t.login.Close()
	}
	status := statusOf(err)
	out := r.outcome(t, status, rep, err)
	b := transform.OutcomeBatch(out)
	for _, p := range r.o.productsOf(t.loginID) {
		b.Rows[schema.SyncLoginProducts.Name] = append(b.Rows[schema.SyncLoginProducts.Name], r.productRow(t.loginID, p, err))
	}
	r.hand(t, result{batch: b, status: status, cause: CauseOf(err), ending: endingOf(err)})
}

func (r *runner) outcome(t *task, status string, rep extract.Report, err error) transform.LoginOutcome {
	o := transform.LoginOutcome{
		RunID: r.o.RunID, LoginID: t.loginID, Status: status,
		FlinksCode: extract.CodeOf(err), Attempts: rep.Attempts, Polls: rep.Polls,
		StartedAt: t.started, FinishedAt: r.o.Clock.Now().UTC(),
	}
	if err != nil {
		o.Error = describe(err)
	}
	return o
}

// describe renders a login's error for sync_logins.error: the client's and
// transform's errors never carry secrets, LoginIds or payload values.
func describe(err error) string {
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrFatal) {
		return "interrupted before the login finished: " + err.Error()
	}
	return err.Error()
}

// hand passes t's finished login to the loader and frees its admission slot.
func (r *runner) hand(t *task, res result) {
	r.stats.move(t, phaseCommitting)
	r.results <- res
	<-r.slots
	r.open.Done()
}
