package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/syncer/syncer/load/iceberg"
)

// runLake dispatches `syncer lake SUBCOMMAND`: maintain.
func runLake(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.stdout, "Usage: syncer lake maintain --iceberg URI --catalog URI [flags]\n\n"+
			"  maintain  compact small files, expire old snapshots and delete orphan files of the Iceberg lake")
		if len(args) == 0 {
			return usagef("lake needs a subcommand: maintain")
		}
		return nil
	}
	if args[0] != "maintain" {
		return usagef("unknown lake subcommand %q (known: maintain)", args[0])
	}
	return runLakeMaintain(ctx, env, args[1:])
}

// runLakeMaintain compacts, expires and cleans every table of the lake
// (iceberg.Maintain), safe while syncers commit, and prints what it did
// per table.
func runLakeMaintain(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "lake maintain", "--iceberg URI --catalog URI [flags]",
		"Compacts each Iceberg table's small data files, expires snapshots older than --expire-after (the current one is\n"+
			"always kept) and deletes the files no snapshot names that are older than --orphan-age (left by failed commits).\n"+
			"Safe while syncers commit: a compaction that loses the race to a commit plans again, and the commit merges again.")
	loc := iceberg.Kind.AddFlags(fs, env.getenv)
	o := iceberg.MaintainOptions{}
	var targetMiB int64
	fs.Int64Var(&targetMiB, "target-file-size-mib", iceberg.DefaultTargetFileSize>>20, "size, in MiB, compaction packs data files to")
	fs.DurationVar(&o.ExpireAfter, "expire-after", iceberg.DefaultExpireAfter, "expire snapshots older than this (time travel and readers' consistent views reach this far back)")
	fs.DurationVar(&o.OrphanAge, "orphan-age", iceberg.DefaultOrphanAge, "delete unreferenced files only once older than this (longer than any commit takes)")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")
	format := fs.String("format", "text", "text, or json (one JSON object)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	switch {
	case !loc.Enabled():
		return usagef("lake maintain needs --iceberg URI and --catalog URI")
	case targetMiB < 1:
		return usagef("--target-file-size-mib must be at least 1")
	case o.ExpireAfter <= 0 || o.OrphanAge <= 0:
		return usagef("--expire-after and --orphan-age must be positive")
	case *format != "text" && *format != "json":
		return usagef("--format must be text or json, not %q", *format)
	case *logFormat != "text" && *logFormat != "json":
		return usagef("--log-format must be text or json, not %q", *logFormat)
	}
	if err := loc.Validate(false); err != nil {
		return usagef("%v", err)
	}
	o.Warehouse, o.Catalog, _ = iceberg.URIs(loc)
	o.TargetFileSize = targetMiB << 20
	o.Logger = newLogger(*logFormat, env.stderr)
	tables, err := iceberg.Maintain(ctx, o)
	if err != nil {
		return err
	}
	if *format == "json" {
		return json.NewEncoder(env.stdout).Encode(struct {
			Tables []iceberg.TableMaintenance `json:"tables"`
		}{tables})
	}
	fmt.Fprintf(env.stdout, "%-20s %12s %12s %14s %14s %12s %9s %8s\n", "table", "files before", "files after", "bytes before", "bytes after", "manifests", "expired", "orphans")
	for _, t := range tables {
		manifests := "-"
		if t.ManifestsRewritten > 0 {
			manifests = fmt.Sprintf("%d→%d", t.ManifestsRewritten, t.ManifestsWritten)
		}
		fmt.Fprintf(env.stdout, "%-20s %12d %12d %14d %14d %12s %9d %8d\n", t.Table, t.FilesBefore, t.FilesAfter, t.BytesBefore, t.BytesAfter, manifests, t.SnapshotsExpired, t.OrphansDeleted)
	}
	return nil
}
