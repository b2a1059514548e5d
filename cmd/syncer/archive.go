package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/pflag"

	"github.com/syncer/syncer/archive"
)

// archiveFlags are --archive and --archive-keep, on the commands that sync.
type archiveFlags struct {
	dir      string
	keepText string
	keep     archive.Keep     // parsed from keepText by validate
	at       *archive.Archive // the archive dir names, set by validate
}

func (a *archiveFlags) addFlags(fs *pflag.FlagSet, env *environment) {
	fs.StringVar(&a.dir, "archive", env.getenv("SYNCER_ARCHIVE"),
		"keep every Flinks data answer the run uses, zstd-compressed, under DIR or s3://bucket/prefix (the AWS SDK's environment, as --iceberg), for syncer replay; it holds personal data (env SYNCER_ARCHIVE; default: off)")
	fs.StringVar(&a.keepText, "archive-keep", "",
		"at the end of each run, prune the archived runs older than an age (90d, 36h) or beyond a count of the newest runs (10) (default: keep all)")
}

func (a *archiveFlags) validate() error {
	keep, err := archive.ParseKeep(a.keepText)
	if err != nil {
		return usagef("--archive-keep: %v", err)
	}
	if keep != (archive.Keep{}) && a.dir == "" {
		return usagef("--archive-keep needs --archive DIR")
	}
	a.keep = keep
	if a.dir != "" {
		if a.at, err = archive.At(context.Background(), a.dir); err != nil {
			return usagef("--archive: %v", err)
		}
	}
	return nil
}

// open starts archiving run runID; nil without --archive.
func (a *archiveFlags) open(runID, command string, log *slog.Logger) (*archive.Run, error) {
	if a.dir == "" {
		return nil, nil
	}
	run, err := a.at.Open(context.Background(), runID, command, nil)
	if err != nil {
		return nil, err
	}
	log.Info("archiving the answers", "archive", a.dir, "keep", a.keep.String())
	return run, nil
}

// finish writes run's manifest and prunes the runs --archive-keep does not
// keep. Neither fails the run, whose data is committed: each is logged.
func (a *archiveFlags) finish(run *archive.Run, runID string, log *slog.Logger) {
	if run == nil {
		return
	}
	ctx := context.Background() // the run's data is committed: its archive is finished even when it was interrupted
	if err := run.Close(ctx); err != nil {
		log.Error("closing the archive's run failed; replay reads its answers all the same", "error", err)
	}
	pruned, err := a.at.Prune(ctx, a.keep, time.Now(), runID)
	if len(pruned) > 0 {
		log.Info("archive pruned", "runs", len(pruned), "keep", a.keep.String())
	}
	if err != nil {
		log.Error("pruning the archive failed", "error", fmt.Sprint(err))
	}
}
