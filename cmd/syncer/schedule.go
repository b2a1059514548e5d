package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser accepts the standard 5-field spec, an optional leading seconds
// field (6 fields, for tests and demos), descriptors like @hourly, and a
// CRON_TZ= prefix.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func runSchedule(ctx context.Context, env *environment, args []string) error {
	var f syncFlags
	fs := newFlagSet(env, "schedule", "--cron SPEC [flags]",
		"Runs a sync at every tick of a cron spec until SIGINT/SIGTERM. Never two runs at once: a tick\n"+
			"during a run is skipped and logged. The warehouse is opened only while a run loads.\n"+
			"SPEC is a standard 5-field spec (\"0 2 * * *\"), optionally prefixed CRON_TZ=Zone/Name.")
	f.addFlags(fs, env, true)
	spec := fs.String("cron", "", "cron spec of the runs (required)")
	metricsAddr := fs.String("metrics-addr", "", "serve Prometheus metrics on /metrics and a health check on /healthz at this address")
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
	if err := f.validate(); err != nil {
		return err
	}
	f.parquetDefaults(fs)
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

	m := newMetrics()
	if *metricsAddr != "" {
		ln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return &exitError{code: exitFailed, err: fmt.Errorf("--metrics-addr: %v", err)}
		}
		srv := &http.Server{Handler: m.handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		log.Info("serving metrics", "addr", ln.Addr().String())
	}

	source := givenOrKnown(ids, &f)
	job := func() {
		m.runStarted()
		sum, _, err := syncOnce(ctx, env, &f, cfg, "schedule", source, log)
		switch {
		case errors.Is(err, errNothingToSync):
			m.runSkipped()
			log.Warn("nothing to sync at this tick: no LoginId given and the warehouse knows none (register them with backfill)")
		case err != nil:
			m.runFinished(sum, err)
			log.Error("run failed", "err", err)
		default:
			m.runFinished(sum, err)
		}
		if ctx.Err() == nil {
			log.Info("next run", "at", sched.Next(time.Now()).Format(time.RFC3339))
		}
	}
	cl := cronLogger{log: log, metrics: m}
	c := cron.New(cron.WithParser(cronParser), cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)))
	if _, err := c.AddFunc(*spec, job); err != nil {
		return usagef("--cron: %v", err)
	}
	c.Start()
	log.Info("scheduler started", "cron", *spec, "first_run", sched.Next(time.Now()).Format(time.RFC3339))
	<-ctx.Done()
	log.Info("scheduler stopping: waiting for the run in progress to finish its commits")
	<-c.Stop().Done()
	log.Info("scheduler stopped")
	return nil
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
