package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/internal/shard"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/pipeline"
	"github.com/syncer/syncer/transform"
)

func runSync(ctx context.Context, env *environment, args []string) error {
	var f syncFlags
	fs := newFlagSet(env, "sync", "[--logins FILE] [--login ID]... [flags]",
		"Syncs the given LoginIds, or with none every LoginId the warehouse knows, into the warehouse.\n"+
			"With --sandbox (and no LoginIds, none known) it syncs the built-in sandbox's demo logins.")
	f.addFlags(fs, env, true)
	f.addFormatFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	ids, err := gatherLogins(f.loginsFile, f.logins, env.stdin)
	if err != nil {
		return err
	}
	if len(ids) == 0 && !f.sandbox && !f.warehouseExists() {
		return errNothingToSync // and no warehouse is created for it
	}
	return syncCommand(ctx, env, fs, &f, "sync", givenOrKnown(ids, &f))
}

// errNothingToSync: no LoginId given, and none registered (exit 2).
var errNothingToSync = usagef("nothing to sync: no LoginId given and the warehouse knows none; " +
	"give --logins FILE or --login ID (or register them with backfill)")

// givenOrKnown syncs the LoginIds given or, with none, every LoginId the
// warehouse knows, or with --sandbox and none known, the sandbox's demo logins.
func givenOrKnown(ids []string, f *syncFlags) loginSource {
	return func(ctx context.Context, w *warehouse) ([]string, error) {
		if len(ids) > 0 {
			return ids, nil
		}
		known, err := w.knownLogins(ctx)
		switch {
		case err != nil || len(known) > 0:
			return known, err
		case f.sandbox:
			return sandboxDemoLogins(f.sandboxSeed), nil
		}
		return nil, errNothingToSync
	}
}

// warehouseExists reports whether the warehouse the flags name is there
// (the primary one: the DuckDB file, or with --no-db the Parquet dataset).
func (w *warehouseFlags) warehouseExists() bool { return w.primary().Exists() }

func runBackfill(ctx context.Context, env *environment, args []string) error {
	var f syncFlags
	fs := newFlagSet(env, "backfill", "--logins FILE [flags]",
		"Registers the LoginIds of FILE in the warehouse and syncs only them.")
	f.addFlags(fs, env, true)
	f.addFormatFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if f.loginsFile == "" && len(f.logins) == 0 {
		return usagef("backfill needs --logins FILE (or --login ID)")
	}
	ids, err := gatherLogins(f.loginsFile, f.logins, env.stdin)
	if err != nil {
		return err
	}
	return syncCommand(ctx, env, fs, &f, "backfill", func(context.Context, *warehouse) ([]string, error) {
		return ids, nil
	})
}

func runRetry(ctx context.Context, env *environment, args []string) error {
	var f syncFlags
	fs := newFlagSet(env, "retry", "[flags]",
		"Re-syncs the logins whose last attempt ended failed or timed_out (not needs_user_action or rejected).")
	f.addFlags(fs, env, false)
	f.addFormatFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	return syncCommand(ctx, env, fs, &f, "retry", func(ctx context.Context, w *warehouse) ([]string, error) {
		ids, err := w.retryCandidates(ctx)
		if err == nil && len(ids) == 0 {
			return nil, fmt.Errorf("%w: no login's last attempt ended failed or timed_out", errNothingToRetry)
		}
		return ids, err
	})
}

// errNothingToRetry ends a retry that finds no retryable login (in its
// shard, with one): it syncs nothing, says so (the error wrapping it says
// why) and exits 0.
var errNothingToRetry = errors.New("nothing to retry")

// loginSource decides which LoginIds a run syncs, once the warehouse is open.
type loginSource func(ctx context.Context, w *warehouse) ([]string, error)

// syncCommand runs one sync, prints its summary (--format) and maps its
// outcome to an exit status.
func syncCommand(ctx context.Context, env *environment, fs *pflag.FlagSet, f *syncFlags, command string, source loginSource) error {
	if err := f.validate(); err != nil {
		return err
	}
	started := time.Now()
	f.commitDefaults(fs)
	f.sandboxDefaults(fs, env)
	if env.isTerminal {
		// Logs and the live progress line share stderr (liveLine).
		env = &environment{stdin: env.stdin, stdout: env.stdout, stderr: &liveLine{w: env.stderr},
			getenv: env.getenv, isTerminal: true, width: env.width}
	}
	log := f.logger(env.stderr)
	cfg, closeSandbox, err := clientConfig(env, fs, f, log)
	if err != nil {
		return report(env, f, command, started, nil, nil, nil, &exitError{code: exitFailed, err: err})
	}
	defer closeSandbox()
	// The run says what stopping means for it; the process says nothing more.
	defer context.AfterFunc(ctx, func() {
		log.Warn("interrupted: no new login starts; finishing the commits in progress (signal again to exit at once)")
	})()
	sum, counts, err := syncOnce(ctx, env, f, cfg, command, source, log, nil)
	if errors.Is(err, errNothingToRetry) {
		if f.format == "json" {
			rep := newRunReport(command, started, nil, nil, nil, exitOK, nil)
			rep.Status, rep.Shard = statusNothingToRetry, shardOrNil(f.shard.spec)
			return rep.write(env.stdout)
		}
		fmt.Fprintln(env.stdout, err)
		return nil
	}
	var next []nextStep
	if sum != nil {
		r := rerunFlags(fs, f.names)
		r.shard = f.shard.rerun()
		next = nextSteps(sum, r)
	}
	return report(env, f, command, started, sum, counts, next, runExit(sum, err))
}

// report prints a run's outcome on stdout, as --format says, and returns
// err: with text, the summary when there is one (an error goes to stderr);
// with json, one JSON object whatever happened, but for a usage error.
func report(env *environment, f *syncFlags, command string, started time.Time, sum *pipeline.Summary,
	counts map[string]load.TableCounts, next []nextStep, err error) error {
	var ue *usageError
	switch {
	case errors.As(err, &ue):
	case f.format == "json":
		rep := newRunReport(command, started, sum, counts, next, codeOf(err), err)
		rep.Shard = shardOrNil(f.shard.spec)
		if werr := rep.write(env.stdout); werr != nil && err == nil {
			return &exitError{code: exitFailed, err: fmt.Errorf("writing the summary: %w", werr)}
		}
	case sum != nil:
		printSummary(env.stdout, sum, counts, f, next)
	}
	return err
}

// runExit maps a run's outcome to its exit status (README.md, "Exit status").
func runExit(sum *pipeline.Summary, err error) error {
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		return err
	case err != nil:
		return &exitError{code: exitFailed, err: err}
	case sum.Interrupted:
		return &exitError{code: exitFailed, err: errors.New("interrupted: the logins not finished are recorded as failed; run 'syncer retry' to finish them")}
	case sum.Committed-sum.ByStatus[pipeline.StatusSucceeded] > 0:
		return &exitError{code: exitPartial}
	}
	return nil
}

// syncOnce opens the warehouse, decides the logins, runs the pipeline and
// closes the warehouse, whatever happens. It returns the run's summary and
// what the warehouse's merges did (nil when the sink cannot say).
// onFinished, when not nil, is the run's pipeline.Options.OnFinished.
func syncOnce(ctx context.Context, env *environment, f *syncFlags, cfg extract.Config, command string, source loginSource, log *slog.Logger,
	onFinished func(pipeline.Finished)) (sum *pipeline.Summary, counts map[string]load.TableCounts, err error) {
	w, err := openWarehouse(ctx, &f.warehouseFlags, log)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		// A warehouse that cannot be checkpointed and closed (a full disk)
		// fails the run: its data is in the WAL, but the operator must know.
		if cerr := w.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing the warehouse: %w", cerr)
		}
	}()
	listed, err := source(ctx, w)
	if err != nil {
		return nil, nil, err
	}
	if listed, err = admitLogins(ctx, w, f, command, listed, log); err != nil {
		return nil, nil, err
	}
	logins, err := shardLogins(listed, f.shard.spec, command, log)
	if err != nil {
		return nil, nil, err
	}
	if slices.Contains(f.products, extract.Banking) {
		if w.holderSecret, err = holderKey(env, &f.warehouseFlags); err != nil {
			return nil, nil, err
		}
		log.Info("holder key", "fingerprint", w.holderSecret.Fingerprint())
	}
	runID, err := w.newRunID(ctx, f.runID, command, &f.shard)
	if err != nil {
		return nil, nil, err
	}
	client, err := extract.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	opts := pipeline.Options{
		RunID: runID, Command: command, Concurrency: f.concurrency, CommitEvery: f.commitEvery,
		CommitRows: f.commitRows, CommitLatency: f.commitLatency, KeepAccountNumbers: f.keepNumbers, Logger: log,
		Products: f.products, KeepHolderPII: f.keepHolderPII, HolderSecret: w.holderSecret,
	}
	if command == "retry" {
		if opts.ProductsOf, err = pipeline.RetryProducts(ctx, w.ledger); err != nil {
			return nil, nil, err
		}
	}
	auto, err := pipeline.NewAutoDisable(ctx, w.ledger, f.disableAfterRejected)
	if err != nil {
		return nil, nil, err
	}
	opts.OnFinished = func(fin pipeline.Finished) {
		auto.Observe(fin)
		if onFinished != nil {
			onFinished(fin)
		}
	}
	arch, err := f.archive.open(runID, command, log)
	if err != nil {
		return nil, nil, err
	}
	if arch != nil {
		opts.Archive = arch
	}
	var endProgress func()
	opts.Progress, opts.ProgressEvery, endProgress = progressReporter(env, log)
	log.Info("run starting", "run_id", runID, "logins", len(logins), "command", command)
	sum, err = pipeline.Run(ctx, client, w.sink, logins, opts)
	endProgress()
	f.archive.finish(arch, runID, log)
	if sum != nil {
		log.Info("run finished", "run_id", runID, "status", sum.Status, "committed", sum.Committed,
			"requests", sum.Requests, "duration_s", seconds(sum.Wall()))
	}
	if err == nil && ctx.Err() == nil {
		disabled, derr := auto.Commit(ctx, w.sink, runID, time.Now())
		if derr != nil {
			return sum, nil, fmt.Errorf("disabling the logins rejected %d times in a row: %w", f.disableAfterRejected, derr)
		}
		if len(disabled) > 0 {
			log.Warn("logins disabled: rejected in every one of their last attempts", "logins", len(disabled),
				"after", f.disableAfterRejected, "examples", hashes(disabled, 3))
		}
	}
	if w.counter != nil {
		counts = w.counter.MergeCounts()
	}
	return sum, counts, err
}

// admitLogins applies the registry to the LoginIds a run was given. A
// forgotten login (erased by syncer forget, not registered again) in a list
// given explicitly (--login, --logins, backfill) refuses the run (exit 2,
// naming it by hash). Disabled logins are skipped, whatever the list, and
// counted in the log (a warning when the operator named them); a run left
// with none is "nothing to sync" (exit 2), or for retry nothing to retry.
func admitLogins(ctx context.Context, w *warehouse, f *syncFlags, command string, listed []string, log *slog.Logger) ([]string, error) {
	reg, err := pipeline.ReadRegistry(ctx, w.ledger)
	if err != nil {
		return nil, err
	}
	explicit := f.loginsFile != "" || len(f.logins) > 0
	if explicit {
		if err := reg.Check(listed); err != nil {
			return nil, usagef("%v", err)
		}
	}
	kept, skipped := reg.Skip(listed)
	if len(skipped) == 0 {
		return listed, nil
	}
	level := slog.LevelInfo
	if explicit {
		level = slog.LevelWarn
	}
	log.Log(ctx, level, "disabled logins skipped", "skipped", len(skipped), "of", len(listed), "examples", hashes(skipped, 3))
	switch {
	case len(kept) > 0:
		return kept, nil
	case command == "retry":
		return nil, fmt.Errorf("%w: every login to retry is disabled", errNothingToRetry)
	}
	return nil, usagef("nothing to sync: every one of the %d login(s) is disabled (%s; syncer logins enable)",
		len(listed), strings.Join(hashes(skipped, 3), ", "))
}

// hashes names at most n of the logins, by hash (extract.HashLogin).
func hashes(ids []string, n int) []string {
	out := make([]string, 0, min(n, len(ids)))
	for _, id := range ids[:min(n, len(ids))] {
		out = append(out, extract.HashLogin(id))
	}
	return out
}

// newRunID returns the id of the run about to start: --run-id, which must
// not be in sync_runs already (a reused id would overwrite that run's
// ledger), or, for schedule or without --run-id, a new one (prefixed with
// --run-id for schedule). A shard's run id ends with the shard's suffix
// (shardFlags.runID), added unless --run-id has it.
func (w *warehouse) newRunID(ctx context.Context, flag, command string, s *shardFlags) (string, error) {
	if flag == "" || command == "schedule" {
		id := newRunID(time.Now())
		if flag != "" {
			id = flag + "-" + id
		}
		return s.runID(id), nil
	}
	id := s.runID(flag)
	taken, err := w.ledger.RunExists(ctx, id)
	if err != nil {
		return "", err
	}
	if taken {
		return "", usagef("--run-id %q is already in sync_runs: each run needs its own id (reusing it would overwrite that run's ledger)", id)
	}
	return id, nil
}

// shardLogins narrows the LoginIds a run would sync to its shard's, in
// their order, and logs how many it selected of how many. A shard that
// selects none of them is an empty run, which succeeds: an Indexed Job's
// pod whose shard is empty tonight (fewer logins than shards, or a skewed
// list) must not fail the Job, and the run recorded under the shard's id
// shows that the shard ran. For retry, though, an empty shard has nothing
// to retry (errNothingToRetry), as an unsharded retry without candidates.
func shardLogins(listed []string, spec shard.Spec, command string, log *slog.Logger) ([]string, error) {
	if !spec.Sharded() {
		return listed, nil
	}
	logins := spec.Filter(listed)
	log.Info("shard selected its logins", "shard", spec.String(), "selected", len(logins), "of", len(listed))
	if len(logins) == 0 && command == "retry" {
		return nil, fmt.Errorf("%w in shard %s: none of the %d logins to retry is in it", errNothingToRetry, spec, len(listed))
	}
	return logins, nil
}

// newRunID returns a sortable, unique run id: the start time and a random suffix.
func newRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// clientConfig builds the Flinks client's configuration, starting the
// in-process sandbox when asked. Secrets are read here, before any request.
func clientConfig(env *environment, fs *pflag.FlagSet, f *syncFlags, log *slog.Logger) (extract.Config, func(), error) {
	secretKey, apiKey, err := f.secrets(env)
	if err != nil {
		return extract.Config{}, nil, err
	}
	cfg := extract.Config{
		CustomerID: f.customerID, SecretKey: secretKey, APIKey: apiKey,
		Rate: f.rate, PollInterval: f.pollInterval, PollTimeout: f.pollTimeout,
		MaxAttempts: f.maxAttempts, BackoffBase: f.backoff, Logger: log, TransactionDays: f.transactionDays,
	}
	switch {
	case f.baseURL != "":
		cfg.BankingURL, cfg.WealthURL = f.baseURL, f.baseURL
	default:
		cfg.BankingURL, cfg.WealthURL = extract.URLsForInstance(f.instance)
	}
	closeSandbox := func() {}
	if f.sandbox {
		url, customerID, stop, err := startSandbox(f, secretKey, apiKey)
		if err != nil {
			return extract.Config{}, nil, err
		}
		closeSandbox = stop
		cfg.BankingURL, cfg.WealthURL, cfg.CustomerID = url, url, customerID
		if !fs.Changed("poll-interval") {
			cfg.PollInterval = time.Second
		}
		if !fs.Changed("rate") {
			cfg.Rate = 200
		}
		log.Info("sandbox started", "url", url)
	}
	return cfg, closeSandbox, nil
}

// warehouse is the open destination of a run and the ledger it reads
// known logins from.
type warehouse struct {
	sink    load.Sink
	sinks   []load.Sink // the Multi's, in commit order (for syncer forget)
	ledger  load.Ledger
	counter load.MergeCounter // the first sink that counts its merges (DuckDB), if any
	close   func() error
	// holderSecret keys account_holders.holder_key (see holderkey.go).
	holderSecret transform.HolderSecret
}

func (w *warehouse) Close() error { return w.close() }

func (w *warehouse) knownLogins(ctx context.Context) ([]string, error) {
	return w.ledger.KnownLogins(ctx)
}

func (w *warehouse) retryCandidates(ctx context.Context) ([]string, error) {
	return pipeline.RetryCandidates(ctx, w.ledger)
}

// openWarehouse opens every warehouse the flags enable (the DuckDB file,
// waiting for its lock, and/or the Parquet dataset), in commit order,
// behind one load.Multi, which completes from its journal (a sidecar of the
// primary warehouse, beside the DuckDB file) a commit a crash left in only
// some of them. Closing the warehouse closes the Multi, hence every sink,
// once.
//
// The run reads its ledger (known logins, retry candidates, run ids)
// through the primary sink when it can, else through the primary
// warehouse's reader: the DuckDB sink holds its writer lease for the whole
// run and its file only while a commit group commits (so analysts can
// query during a run), and reads the ledger through the file it takes
// back. Read the ledger before pipeline.Run, not during it.
func openWarehouse(ctx context.Context, f *warehouseFlags, log *slog.Logger) (*warehouse, error) {
	if err := f.checkParents(); err != nil {
		return nil, err
	}
	var sinks []load.Sink
	closeSinks := func() {
		for i := len(sinks) - 1; i >= 0; i-- {
			_ = sinks[i].Close()
		}
	}
	enabled := f.enabled()
	for _, l := range enabled {
		s, err := l.Open(ctx, load.OpenOptions{LockWait: f.lockWait, Logger: log})
		if err != nil {
			closeSinks()
			return nil, err
		}
		sinks = append(sinks, s)
	}
	w := &warehouse{sinks: sinks}
	for _, s := range sinks {
		if c, ok := s.(load.MergeCounter); ok && w.counter == nil {
			w.counter = c
		}
	}
	sink, err := load.OpenMulti(ctx, load.MultiOptions{Journal: enabled[0].Sidecar("journal"), Logger: log}, sinks...)
	if err != nil {
		closeSinks()
		return nil, err
	}
	w.sink, w.close = sink, sink.Close
	if l, ok := sinks[0].(load.Ledgered); ok {
		w.ledger = l.Ledger()
		return w, nil
	}
	rd, err := enabled[0].OpenReader(ctx, load.ReadOptions{LockWait: f.lockWait, Logger: log, LedgerOnly: true})
	if err != nil {
		_ = sink.Close()
		return nil, err
	}
	w.ledger = rd
	w.close = func() error { return errors.Join(rd.Close(), sink.Close()) }
	return w, nil
}
