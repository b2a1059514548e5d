package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/pipeline"
)

// cronParser accepts the standard 5-field spec, an optional leading seconds
// field (6 fields, for tests and demos), descriptors like @hourly and
// @every 1h30m, and a CRON_TZ= prefix.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// scheduleHooks let a test drive the scheduler and watch it without
// sleeping. Every field is optional; outside tests environment.schedule is nil.
type scheduleHooks struct {
	// tick starts a run at each value, as a cron tick would (a tick during
	// a run is skipped the same way).
	tick <-chan struct{}
	// serving is told the address of the metrics and status page server
	// once it listens (after "scheduler started" is logged).
	serving func(addr string)
	// finished is told of each committed login after the metrics and the
	// status page counted it; it runs in the run's loader, so blocking in
	// it holds the run.
	finished func(pipeline.Finished)
	// runDone is told of each run once the metrics and the status page
	// have it (not of a tick that found nothing to sync).
	runDone func(runRecord)
	// stopping is told when the scheduler has said why it stops.
	stopping func()
}

func runSchedule(ctx context.Context, env *environment, args []string) error {
	var f syncFlags
	fs := newFlagSet(env, "schedule", "--cron SPEC [flags]",
		"Runs a sync at every tick of a cron spec until SIGINT/SIGTERM. Never two runs at once: a tick\n"+
			"during a run is skipped and logged. The warehouse is opened only while a run loads.\n"+
			"SPEC is a standard 5-field spec (\"30 2 * * *\"), optionally prefixed CRON_TZ=Zone/Name\n"+
			"(\"CRON_TZ=America/Toronto 30 2 * * *\"), a descriptor (@daily, @hourly), or a fixed\n"+
			"interval between the starts of runs (\"@every 1h30m\"); a leading seconds field is accepted.\n"+
			"With --metrics-addr, serves Prometheus metrics on /metrics, a liveness check on /healthz\n"+
			"(200 while the scheduler runs, whatever the last run's outcome) and a status page on /.")
	f.addFlags(fs, env, true)
	spec := fs.String("cron", "", "cron spec of the runs (required), e.g. '30 2 * * *' or '@every 1h30m'")
	metricsAddr := fs.String("metrics-addr", "", "serve Prometheus metrics on /metrics, a liveness check on /healthz and a status page on / at this address")
	staleAfter := fs.Duration("stale-after", pipeline.DefaultStaleAfter, "data age (since Flinks last refreshed it) past which a login counts as stale in syncer_stale_logins and on the status page")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *spec == "" {
		return usagef("schedule needs --cron SPEC, e.g. --cron '0 2 * * *'")
	}
	sched, err := cronParser.Parse(*spec)
	if err != nil {
		return usagef("--cron %q is not a cron spec: %v", *spec, err)
	}
	if *staleAfter <= 0 {
		return usagef("--stale-after must be positive")
	}
	if err := f.validate(); err != nil {
		return err
	}
	f.commitDefaults(fs)
	f.sandboxDefaults(fs, env)
	// Every configuration mistake surfaces now, before the first tick.
	ids, err := gatherLogins(f.loginsFile, f.logins, env.stdin)
	if err != nil {
		return err
	}
	log := f.logger(env.stderr)
	cfg, closeSandbox, err := clientConfig(env, fs, &f, log)
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	defer closeSandbox()
	if err := checkWarehouse(ctx, &f.warehouseFlags, log); err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	var ln net.Listener
	if *metricsAddr != "" {
		if ln, err = net.Listen("tcp", *metricsAddr); err != nil {
			return &exitError{code: exitFailed, err: fmt.Errorf("--metrics-addr: %v", err)}
		}
		defer ln.Close()
	}
	s := &scheduler{env: env, f: &f, cfg: cfg, source: givenOrKnown(ids, &f), log: log, metrics: newMetrics(),
		history: newHistory(*spec, *staleAfter)}
	if env.schedule != nil {
		s.hooks = *env.schedule
	}
	s.cfg.OnAnswer = s.metrics.answer
	return s.run(ctx, sched, ln)
}

// scheduler runs syncOnce at every cron tick and keeps what the metrics and
// the status page show.
type scheduler struct {
	env     *environment
	f       *syncFlags
	cfg     extract.Config
	source  loginSource
	log     *slog.Logger
	hooks   scheduleHooks
	metrics *metrics
	history *history

	cron    *cron.Cron
	entry   cron.EntryID
	running atomic.Bool // a run is going
	runMu   sync.Mutex  // held by the tick whose run is going
	alive   atomic.Bool // the scheduler loop runs (liveness)
}

// run starts the cron loop (and the server on ln, if any) and returns once
// ctx is done and the run in progress, if any, has finished.
func (s *scheduler) run(ctx context.Context, sched cron.Schedule, ln net.Listener) error {
	cl := cronLogger{log: s.log, metrics: s.metrics}
	job := cron.NewChain(cron.Recover(cl)).Then(cron.FuncJob(func() { s.tick(ctx, cl) }))
	s.cron = cron.New(cron.WithParser(cronParser), cron.WithLogger(cl))
	s.entry = s.cron.Schedule(sched, job)
	s.cron.Start()
	s.alive.Store(true)
	first := s.nextRun()
	s.history.setNext(first)
	s.log.Info("scheduler started", "cron", s.history.spec, "first_run", first.Format(time.RFC3339))
	if ln != nil {
		srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		s.log.Info("serving metrics", "addr", ln.Addr().String(), "paths", "/metrics /healthz / (status page)")
		if s.hooks.serving != nil {
			s.hooks.serving(ln.Addr().String())
		}
	}
	stopTicks := s.manualTicks(job)
	<-ctx.Done()
	if s.running.Load() {
		s.log.Info("scheduler stopping: waiting for the run in progress to finish its commits", "hint", "signal again to exit at once")
	} else {
		s.log.Info("scheduler idle: stopping")
	}
	s.alive.Store(false)
	if s.hooks.stopping != nil {
		s.hooks.stopping()
	}
	stopTicks()
	<-s.cron.Stop().Done()
	s.log.Info("scheduler stopped")
	return nil
}

// manualTicks runs job at each value of hooks.tick until the returned
// function is called, which waits for the runs it started (as cron's Stop
// does for its own); the job's own wrappers skip a tick during a run.
func (s *scheduler) manualTicks(job cron.Job) (stop func()) {
	if s.hooks.tick == nil {
		return func() {}
	}
	done := make(chan struct{})
	var runs sync.WaitGroup
	runs.Add(1)
	go func() {
		defer runs.Done()
		for {
			select {
			case <-s.hooks.tick:
				runs.Go(job.Run)
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); runs.Wait() }
}

// nextRun is when cron will really start the next run: its entry's next
// tick (not the spec's next time after now, which for @every counts from
// the end of the last run rather than from its start).
func (s *scheduler) nextRun() time.Time { return s.cron.Entry(s.entry).Next }

// tick runs a sync unless one is under way (then it is skipped and
// logged, as cron.SkipIfStillRunning would), and tells hooks.runDone of
// the run only once it no longer holds the scheduler: a tick right after
// runDone starts a run, never finds the last one still going.
func (s *scheduler) tick(ctx context.Context, cl cronLogger) {
	if !s.runMu.TryLock() {
		cl.Info("skip")
		return
	}
	rec, ran := func() (runRecord, bool) {
		defer s.runMu.Unlock() // a run that panics (cron.Recover) frees the next tick
		return s.job(ctx)
	}()
	if ran && s.hooks.runDone != nil {
		s.hooks.runDone(rec)
	}
}

// job is one run, recorded in the metrics and the history; ran is false
// when there was nothing to sync.
func (s *scheduler) job(ctx context.Context) (rec runRecord, ran bool) {
	s.running.Store(true)
	defer s.running.Store(false)
	s.metrics.runStarted()
	s.history.runStarted(time.Now())
	sum, _, err := syncOnce(ctx, s.env, s.f, s.cfg, "schedule", s.source, s.log, s.loginFinished)
	switch {
	case errors.Is(err, errNothingToSync):
		s.metrics.runEnded()
		s.history.runDropped()
		s.log.Warn("nothing to sync at this tick: no LoginId given and the warehouse knows none (register them with backfill)")
		return runRecord{}, false
	case err != nil:
		s.log.Error("run failed", "err", err)
	}
	rec = s.history.runFinished(sum, err, time.Now())
	s.metrics.runFinished(rec)
	if ctx.Err() == nil {
		s.readFreshness(ctx)
		next := s.nextRun()
		s.history.setNext(next)
		s.log.Info("next run", "at", next.Format(time.RFC3339))
	}
	return rec, true
}

// loginFinished is the run's pipeline.Options.OnFinished.
func (s *scheduler) loginFinished(f pipeline.Finished) {
	s.metrics.loginFinished(f)
	s.history.loginFinished(f)
	if s.hooks.finished != nil {
		s.hooks.finished(f)
	}
}

// readFreshness reads every login's freshness (every login of the shard,
// with one) from the warehouse, opened read-only once the run has closed
// it, for the stale-logins gauge and the status page. A failure is logged and keeps the previous figures.
func (s *scheduler) readFreshness(ctx context.Context) {
	rd, err := openReadOnly(ctx, &s.f.warehouseFlags, s.log)
	if err != nil {
		s.log.Warn("reading the logins' freshness", "err", err)
		return
	}
	defer rd.Close()
	logins, err := pipeline.LoginStatuses(ctx, rd)
	if err != nil {
		s.log.Warn("reading the logins' freshness", "err", err)
		return
	}
	// A disabled login is not synced, so it only ages: it is not counted.
	reg, err := pipeline.ReadRegistry(ctx, rd)
	if err != nil {
		s.log.Warn("reading the logins' freshness", "err", err)
		return
	}
	logins = slices.DeleteFunc(logins, func(l pipeline.LoginStatus) bool { return reg.Disabled(l.LoginID) })
	s.metrics.setStale(s.history.setLogins(ofShard(logins, s.f.shard.spec), time.Now()))
}

// handler serves /metrics, /healthz and the status page on /.
func (s *scheduler) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /{$}", s.history.serve)
	return mux
}

// healthz is liveness: 200 while the scheduler loop runs, whatever the last
// run's outcome (that is a metric to alert on, not a reason to restart the
// process); 503 once it is stopping.
func (s *scheduler) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.alive.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "stopping")
		return
	}
	fmt.Fprintln(w, "ok")
}

// checkWarehouse opens and closes the warehouse once, so a wrong path or an
// unwritable Parquet directory fails at start-up rather than at the first tick.
func checkWarehouse(ctx context.Context, f *warehouseFlags, log *slog.Logger) error {
	w, err := openWarehouse(ctx, f, log)
	if err != nil {
		return err
	}
	return w.Close()
}

// cronLogger adapts slog to cron.Logger, and counts skipped ticks.
type cronLogger struct {
	log     *slog.Logger
	metrics *metrics
}

func (l cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		l.metrics.tickSkipped()
		l.log.Warn("tick skipped: the previous run is still running")
		return
	}
	l.log.Debug("cron: "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

var _ cron.Logger = cronLogger{}
