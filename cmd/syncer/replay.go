package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/spf13/pflag"

	"github.com/syncer/syncer/archive"
	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/pipeline"
)

// replayFlags configure replay. The flags it shares with the commands that
// sync (warehouse, commit grouping, transform options, --format) fill a
// syncFlags, so that the same defaults and summary apply.
type replayFlags struct {
	s       syncFlags
	archive string
	at      *archive.Archive // the archive --archive names, set by selectRuns
	run     string
	since   string
}

func (f *replayFlags) addFlags(fs *pflag.FlagSet, env *environment) {
	s := &f.s
	s.warehouseFlags.addFlags(fs, env)
	fs.StringVar(&f.archive, "archive", env.getenv("SYNCER_ARCHIVE"), "the archive that sync --archive wrote (env SYNCER_ARCHIVE)")
	fs.StringVar(&f.run, "run", "", "replay only this archived run (its run id)")
	fs.StringVar(&f.since, "since", "", "replay only the archived runs started on or after this UTC date (YYYY-MM-DD)")
	fs.IntVar(&s.concurrency, "concurrency", pipeline.DefaultConcurrency, "logins transformed at once")
	fs.IntVar(&s.commitEvery, "commit-every", pipeline.DefaultCommitEvery, "most logins committed in one transaction (each login stays all-or-nothing; 1000 by default with --parquet)")
	fs.IntVar(&s.commitRows, "commit-rows", pipeline.DefaultCommitRows, "most rows committed in one transaction, however few logins hold them")
	fs.DurationVar(&s.commitLatency, "commit-latency", pipeline.DefaultCommitLatency, "longest a finished login waits for its group to fill before it is committed")
	fs.BoolVar(&s.keepNumbers, "keep-account-numbers", false, "store account numbers in full instead of masked to the last four")
	fs.BoolVar(&s.keepHolderPII, "keep-holder-pii", false, "store bank account holders' name, e-mail, phone and street address in clear (default: not stored)")
	s.addFormatFlag(fs)
}

func (f *replayFlags) validate() error {
	s := &f.s
	if err := s.warehouseFlags.validate(); err != nil {
		return err
	}
	switch {
	case f.archive == "":
		return usagef("replay needs --archive DIR")
	case f.run != "" && f.since != "":
		return usagef("give --run or --since, not both")
	case s.format != "text" && s.format != "json":
		return usagef("--format must be text or json, not %q", s.format)
	case s.concurrency < 1:
		return usagef("--concurrency must be at least 1")
	case s.commitEvery < 1:
		return usagef("--commit-every must be at least 1")
	case s.commitRows < 1:
		return usagef("--commit-rows must be at least 1")
	case s.commitLatency <= 0:
		return usagef("--commit-latency must be positive")
	}
	if f.since != "" {
		if _, err := time.Parse(time.DateOnly, f.since); err != nil {
			return usagef("--since must be a date like 2025-01-31")
		}
	}
	return nil
}

// selectRuns returns the archived runs to replay, oldest first: --run's,
// those --since names, or all. None is a usage error.
func (f *replayFlags) selectRuns() ([]archive.Manifest, error) {
	var err error
	if f.at, err = archive.At(context.Background(), f.archive); err != nil {
		return nil, usagef("--archive: %v", err)
	}
	runs, err := f.at.Runs(context.Background())
	if err != nil {
		return nil, &exitError{code: exitFailed, err: err}
	}
	switch {
	case f.run != "":
		i := slices.IndexFunc(runs, func(m archive.Manifest) bool { return m.RunID == f.run })
		if i < 0 {
			return nil, usagef("the archive %s holds no run %q", f.archive, f.run)
		}
		return runs[i : i+1], nil
	case f.since != "":
		since, _ := time.Parse(time.DateOnly, f.since)
		runs = slices.DeleteFunc(runs, func(m archive.Manifest) bool { return m.StartedAt.Before(since) })
	}
	if len(runs) == 0 {
		return nil, usagef("nothing to replay: the archive %s holds no run%s", f.archive, map[bool]string{true: " started since " + f.since}[f.since != ""])
	}
	return runs, nil
}

func runReplay(ctx context.Context, env *environment, args []string) error {
	var f replayFlags
	fs := newFlagSet(env, "replay", "--archive DIR [--run ID | --since DATE] [flags]",
		"Rebuilds the warehouse tables from the Flinks answers that sync --archive kept, with today's transform and no\n"+
			"request to Flinks. Each archived run, oldest first, becomes a run of command replay (run id replay-…-of-ID),\n"+
			"committed as a sync commits; its rows are dated as the archived run dated them, so replaying a run into an\n"+
			"empty warehouse gives the warehouse that run made, and replaying it again changes nothing.")
	f.addFlags(fs, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	runs, err := f.selectRuns()
	if err != nil {
		return err
	}
	started := time.Now()
	f.s.commitDefaults(fs)
	if env.isTerminal {
		env = &environment{stdin: env.stdin, stdout: env.stdout, stderr: &liveLine{w: env.stderr},
			getenv: env.getenv, isTerminal: true, width: env.width}
	}
	log := f.s.logger(env.stderr)
	done, err := replayRuns(ctx, env, &f, runs, log)
	return reportReplay(env, &f, started, done, err)
}

// replayed is one archived run replayed: its summary and merge counts.
type replayed struct {
	of     string
	sum    *pipeline.Summary
	counts map[string]load.TableCounts
}

// replayRuns opens the warehouse and replays runs into it, one after the
// other, stopping at the first that cannot proceed or is interrupted.
func replayRuns(ctx context.Context, env *environment, f *replayFlags, runs []archive.Manifest, log *slog.Logger) (done []replayed, err error) {
	w, err := openWarehouse(ctx, &f.s.warehouseFlags, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := w.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing the warehouse: %w", cerr)
		}
	}()
	var before map[string]load.TableCounts
	for _, m := range runs {
		entries, err := f.at.Entries(ctx, m.RunID)
		if err != nil {
			return done, err
		}
		if w.holderSecret == nil && slices.ContainsFunc(entries, func(e archive.Entry) bool { return e.Product == string(extract.Banking) }) {
			if w.holderSecret, err = holderKey(env, &f.s.warehouseFlags); err != nil {
				return done, err
			}
			log.Info("holder key", "fingerprint", w.holderSecret.Fingerprint())
		}
		sum, err := replayRun(ctx, env, f, w, m.RunID, entries, log)
		r := replayed{of: m.RunID, sum: sum}
		if w.counter != nil {
			now := w.counter.MergeCounts()
			r.counts, before = minusCounts(now, before), now
		}
		if sum != nil {
			done = append(done, r)
		}
		if err != nil {
			return done, err
		}
		if sum.Interrupted || ctx.Err() != nil {
			return done, nil
		}
	}
	return done, nil
}

// replayRun replays the answers entries of archived run of into w.
func replayRun(ctx context.Context, env *environment, f *replayFlags, w *warehouse, of string, entries []archive.Entry, log *slog.Logger) (*pipeline.Summary, error) {
	erased, err := w.ledger.ErasedHashes(ctx)
	if err != nil {
		return nil, err
	}
	byLogin := map[string][]archive.Entry{}
	products := map[string][]extract.Product{}
	var logins []string
	skipped := 0
	for _, e := range entries {
		// An erased person's answers are never loaded again (syncer
		// forget --archive deletes them; an archive it was not given
		// may still hold them).
		if slices.Contains(erased, extract.HashLogin(e.LoginID)) {
			skipped++
			continue
		}
		if byLogin[e.LoginID] == nil {
			logins = append(logins, e.LoginID)
		}
		byLogin[e.LoginID] = append(byLogin[e.LoginID], e)
		products[e.LoginID] = append(products[e.LoginID], extract.Product(e.Product))
	}
	read := func(id string) ([]archive.Answer, error) {
		out := make([]archive.Answer, 0, len(byLogin[id]))
		for _, e := range byLogin[id] {
			a, err := f.at.Read(ctx, e)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
		return out, nil
	}
	s := &f.s
	runID := "replay-" + newRunID(time.Now()) + "-of-" + of
	opts := pipeline.Options{
		RunID: runID, Command: "replay", Concurrency: s.concurrency, CommitEvery: s.commitEvery, CommitRows: s.commitRows,
		CommitLatency: s.commitLatency, KeepAccountNumbers: s.keepNumbers, KeepHolderPII: s.keepHolderPII,
		HolderSecret: w.holderSecret, ProductsOf: products, Logger: log,
	}
	var endProgress func()
	opts.Progress, opts.ProgressEvery, endProgress = progressReporter(env, log)
	if skipped > 0 {
		log.Warn("replay skips the answers of erased logins", "answers", skipped)
	}
	log.Info("replay starting", "run_id", runID, "replay_of", of, "logins", len(logins), "answers", len(entries))
	sum, err := pipeline.Replay(ctx, w.sink, logins, read, opts)
	endProgress()
	if sum != nil {
		log.Info("replay finished", "run_id", runID, "replay_of", of, "status", sum.Status, "committed", sum.Committed,
			"duration_s", seconds(sum.Wall()))
	}
	return sum, err
}

// minusCounts is now less before, table by table (a sink's counts add up
// since it opened).
func minusCounts(now, before map[string]load.TableCounts) map[string]load.TableCounts {
	out := map[string]load.TableCounts{}
	for t, c := range now {
		b := before[t]
		out[t] = load.TableCounts{Inserted: c.Inserted - b.Inserted, Updated: c.Updated - b.Updated, Deleted: c.Deleted - b.Deleted}
	}
	return out
}

// replayExit is the exit status of a replay: the worst of its runs'
// (runExit), 1 when it could not proceed.
func replayExit(done []replayed, err error) error {
	if err != nil {
		return runExit(nil, err)
	}
	var worst error
	for _, r := range done {
		if e := runExit(r.sum, nil); e != nil && (worst == nil || codeOf(e) == exitFailed) {
			worst = e
		}
	}
	return worst
}

// replayReport is the one JSON object replay --format json prints.
type replayReport struct {
	Command  string        `json:"command"` // replay
	Status   string        `json:"status"`  // succeeded when every run replayed succeeded, else the first other status, or failed
	ExitCode int           `json:"exit_code"`
	Error    *string       `json:"error"`
	Runs     []replayedRun `json:"runs"` // oldest first
}

// replayedRun is the report of one archived run replayed: a sync's report
// (runReport) and the run it replays.
type replayedRun struct {
	ReplayOf string `json:"replay_of"`
	runReport
}

// reportReplay prints a replay's outcome on stdout, as --format says, and
// returns its exit status.
func reportReplay(env *environment, f *replayFlags, started time.Time, done []replayed, err error) error {
	exit := replayExit(done, err)
	if f.s.format == "json" {
		rep := replayReport{Command: "replay", Status: pipeline.RunSucceeded, ExitCode: codeOf(exit), Runs: []replayedRun{}}
		if msg := errorText(exit); msg != "" {
			rep.Error = &msg
		}
		for _, r := range done {
			rr := replayedRun{ReplayOf: r.of, runReport: newRunReport("replay", started, r.sum, r.counts, nil, codeOf(runExit(r.sum, nil)), nil)}
			rep.Runs = append(rep.Runs, rr)
			if rep.Status == pipeline.RunSucceeded && r.sum.Status != pipeline.RunSucceeded {
				rep.Status = r.sum.Status
			}
		}
		if err != nil || len(done) == 0 {
			rep.Status = pipeline.RunFailed
		}
		if werr := writeJSON(env.stdout, rep); werr != nil && exit == nil {
			return &exitError{code: exitFailed, err: fmt.Errorf("writing the summary: %w", werr)}
		}
		return exit
	}
	for i, r := range done {
		if i > 0 {
			fmt.Fprintln(env.stdout)
		}
		fmt.Fprintf(env.stdout, "replay of archived run %s\n", r.of)
		printSummary(env.stdout, r.sum, r.counts, &f.s, nil)
	}
	return exit
}

// writeJSON writes v as one indented JSON object, as the sync reports are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
