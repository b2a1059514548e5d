package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/pipeline"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// runLogins dispatches syncer logins list|add|disable|enable.
func runLogins(ctx context.Context, env *environment, args []string) error {
	subs := map[string]func(context.Context, *environment, []string) error{
		"list": runLoginsList, "add": runLoginsAdd,
		"disable": func(ctx context.Context, env *environment, args []string) error {
			return runLoginsControl(ctx, env, args, false)
		},
		"enable": func(ctx context.Context, env *environment, args []string) error {
			return runLoginsControl(ctx, env, args, true)
		},
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.stdout, "Usage: syncer logins list|add|disable|enable [flags]\n\n"+
			"  list      the registry: each login's hash, registration, last outcome, last refresh, enabled\n"+
			"  add       register the LoginIds of --logins FILE (or --login ID), without syncing them\n"+
			"  disable   LOGIN_ID...: keep the logins and their data, but sync with no list, retry and schedule skip them\n"+
			"  enable    LOGIN_ID...: sync them again\n\nRun 'syncer logins SUBCOMMAND --help' for its flags.")
		if len(args) == 0 {
			return usagef("logins needs a subcommand: list, add, disable or enable")
		}
		return nil
	}
	run, ok := subs[args[0]]
	if !ok {
		return usagef("unknown logins subcommand %q (want list, add, disable or enable)", args[0])
	}
	return run(ctx, env, args[1:])
}

// registryEntry is one login of syncer logins list.
type registryEntry struct {
	LoginID      string     `json:"login_id"`
	LoginHash    string     `json:"login_hash"`
	RegisteredAt time.Time  `json:"registered_at"`
	RegisteredBy *string    `json:"registered_by"`
	Enabled      bool       `json:"enabled"`
	ChangedAt    *time.Time `json:"enabled_changed_at"`
	Reason       *string    `json:"disabled_reason"`
	LastStatus   string     `json:"last_status"`
	LastAttempt  *time.Time `json:"last_attempt"`
	LastRefresh  *time.Time `json:"last_refresh"`
}

// statusFilters are the values of logins list --status: enabled,
// disabled, or a last outcome.
var statusFilters = []string{"enabled", "disabled", pipeline.StatusSucceeded, pipeline.StatusFailed, pipeline.StatusTimedOut,
	pipeline.StatusNeedsUserAction, pipeline.StatusRejected, "never"}

func runLoginsList(ctx context.Context, env *environment, args []string) error {
	var f warehouseFlags
	fs := newFlagSet(env, "logins list", "[--status S] [--format text|csv|json] [flags]",
		"Lists the login registry: each login's LoginId and hash, when and by what it was registered,\n"+
			"whether it is enabled (and why it was disabled), its last outcome and when Flinks last\n"+
			"refreshed its data. --status keeps the logins that are enabled, disabled, or whose last\n"+
			"outcome is succeeded, failed, timed_out, needs_user_action, rejected or never (synced).")
	f.addFlags(fs, env)
	status := fs.String("status", "", "only the logins that are enabled, disabled, or whose last outcome is this")
	format := fs.String("format", "text", "text, csv, or json (one JSON array)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	if *status != "" && !slices.Contains(statusFilters, *status) {
		return usagef("--status must be one of %v, not %q", statusFilters, *status)
	}
	if !slices.Contains([]string{"text", "csv", "json"}, *format) {
		return usagef("--format must be text, csv or json, not %q", *format)
	}
	log := f.logger(env.stderr)
	rd, err := openReadOnly(ctx, &f, log)
	if err != nil {
		return err
	}
	defer rd.Close()
	entries, err := registryEntries(ctx, rd)
	if err != nil {
		return err
	}
	entries = slices.DeleteFunc(entries, func(e registryEntry) bool { return !e.matches(*status) })
	if *format == "json" {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	t := &table{header: []string{"login_id", "login_hash", "registered_at", "registered_by", "enabled", "disabled_reason",
		"last_status", "last_attempt", "last_refresh"}}
	for _, e := range entries {
		t.add(e.LoginID, e.LoginHash, e.RegisteredAt.UTC().Format(time.RFC3339), deref(e.RegisteredBy), fmt.Sprint(e.Enabled),
			deref(e.Reason), e.LastStatus, timeText(e.LastAttempt), timeText(e.LastRefresh))
	}
	return t.write(env.stdout, *format)
}

// matches reports whether the entry passes logins list --status ("" passes all).
func (e registryEntry) matches(status string) bool {
	switch status {
	case "":
		return true
	case "enabled", "disabled":
		return e.Enabled == (status == "enabled")
	case "never":
		return e.LastAttempt == nil
	}
	return e.LastStatus == status
}

// registryEntries joins the registry with each login's last outcome, by LoginId.
func registryEntries(ctx context.Context, l load.Ledger) ([]registryEntry, error) {
	records, err := l.Registry(ctx)
	if err != nil {
		return nil, err
	}
	statuses, err := pipeline.LoginStatuses(ctx, l)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]pipeline.LoginStatus, len(statuses))
	for _, s := range statuses {
		byID[s.LoginID] = s
	}
	out := make([]registryEntry, len(records))
	for i, r := range records {
		s := byID[r.LoginID]
		out[i] = registryEntry{LoginID: r.LoginID, LoginHash: extract.HashLogin(r.LoginID), RegisteredAt: r.RegisteredAt.UTC(),
			RegisteredBy: stringOrNil(r.RegisteredBy), Enabled: r.Enabled, ChangedAt: timeOrNil(r.ChangedAt), Reason: stringOrNil(r.Reason),
			LastStatus: s.LastStatus, LastAttempt: timeOrNil(s.LastAttempt), LastRefresh: timeOrNil(s.LastRefresh)}
		if out[i].LastStatus == "" {
			out[i].LastStatus = "never synced"
		}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// registryFlags are the flags of the commands that change the registry.
type registryFlags struct {
	warehouseFlags
	by string
}

func (r *registryFlags) addFlags(fs *pflag.FlagSet, env *environment) {
	r.warehouseFlags.addFlags(fs, env)
	fs.StringVar(&r.by, "by", env.getenv("USER"), "who makes the change, as recorded (default $USER)")
}

func runLoginsAdd(ctx context.Context, env *environment, args []string) error {
	var f registryFlags
	fs := newFlagSet(env, "logins add", "--logins FILE | --login ID... [flags]",
		"Registers the LoginIds (as backfill does) without syncing them: a sync with no list syncs them from\n"+
			"then on. It also registers again a LoginId erased by syncer forget, which sync refuses until then.")
	f.addFlags(fs, env)
	file := fs.String("logins", "", "file of LoginIds, one per line ('#' comments and blank lines ignored; '-' reads stdin)")
	given := fs.StringArray("login", nil, "a LoginId to register (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	if *file == "" && len(*given) == 0 {
		return usagef("logins add needs --logins FILE (or --login ID)")
	}
	ids, err := gatherLogins(*file, *given, env.stdin)
	if err != nil {
		return err
	}
	log := f.logger(env.stderr)
	return withWarehouse(ctx, &f.warehouseFlags, log, func(w *warehouse) error {
		now := time.Now()
		b := transform.RegistrationBatch(operationID("logins-add", now), "logins add", now, ids)
		if err := w.sink.Commit(ctx, []schema.Batch{b}); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "registered %d login(s) (already registered ones are unchanged)\n", len(ids))
		return nil
	})
}

func runLoginsControl(ctx context.Context, env *environment, args []string, enable bool) error {
	var f registryFlags
	verb := map[bool]string{false: "disable", true: "enable"}[enable]
	about := "Enables the logins again: sync with no list, retry and schedule sync them."
	if !enable {
		about = "Disables the logins: they stay registered, with their data, and sync with no list, retry and\n" +
			"schedule skip them, and so does a sync that names one (--login, --logins), with a warning."
	}
	fs := newFlagSet(env, "logins "+verb, "LOGIN_ID... [flags]", about)
	f.addFlags(fs, env)
	reason := ""
	if !enable {
		fs.StringVar(&reason, "reason", "", "why, as recorded in login_controls.reason (no personal data)")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	ids, err := loginArgs(fs.Args())
	if err != nil {
		return err
	}
	log := f.logger(env.stderr)
	return withWarehouse(ctx, &f.warehouseFlags, log, func(w *warehouse) error {
		reg, err := pipeline.ReadRegistry(ctx, w.ledger)
		if err != nil {
			return err
		}
		if unknown := slices.DeleteFunc(slices.Clone(ids), reg.Registered); len(unknown) > 0 {
			return usagef("%d login(s) not registered (%v): register them with 'syncer logins add' first",
				len(unknown), hashes(unknown, len(unknown)))
		}
		now := time.Now()
		b := transform.ControlBatch(operationID("logins-"+verb, now), now, enable, f.by, reason, ids)
		if err := w.sink.Commit(ctx, []schema.Batch{b}); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%sd %d login(s): %v\n", verb, len(ids), hashes(ids, len(ids)))
		return nil
	})
}

// loginArgs validates LoginIds given as arguments (lower-cased, without
// duplicates); an error names the argument by position, never its text.
func loginArgs(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, usagef("give one LoginId or more")
	}
	ids := make([]string, len(args))
	for i, a := range args {
		if !isLoginID(a) {
			return nil, usagef("argument %d is not a LoginId (want a GUID like 5e115eac-1209-4f19-641c-08d6d484e2fe)", i+1)
		}
		ids[i] = strings.ToLower(a)
	}
	return dedupe(ids), nil
}

// withWarehouse opens the warehouse for writing, runs do, and closes it,
// reporting a failure to close when do succeeded.
func withWarehouse(ctx context.Context, f *warehouseFlags, log *slog.Logger, do func(*warehouse) error) (err error) {
	w, err := openWarehouse(ctx, f, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := w.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing the warehouse: %w", cerr)
		}
	}()
	return do(w)
}

// operationID names a change to the registry, or an erasure, as a run id
// does (prefix, time, random suffix); it is no run of sync_runs.
func operationID(prefix string, now time.Time) string { return prefix + "-" + newRunID(now) }
