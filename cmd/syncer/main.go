// Command syncer pulls investment data for many Flinks logins into an
// analytics warehouse (a DuckDB file and/or a Parquet dataset).
//
// This package only parses flags, wires the parts together and maps outcomes
// to exit statuses; the work happens in pipeline, extract, transform and load.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses (README.md, "Exit status").
const (
	exitOK      = 0 // every login synced
	exitFailed  = 1 // the run could not proceed
	exitUsage   = 2 // usage error
	exitPartial = 3 // some logins failed; everything else was committed
)

// usageError is a mistake in the command line: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError carries a specific exit status up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

// environment is what a command may touch of the process: its streams and
// environment variables, injectable for tests.
type environment struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	isTerminal     bool       // stderr is a terminal
	stdinTerminal  bool       // stdin is a terminal (forget asks for confirmation there)
	width          func() int // stderr's terminal width in columns, 0 when unknown; may be nil
	// schedule, when set, lets a test drive `schedule` (see scheduleHooks).
	schedule *scheduleHooks
}

var commands = []command{
	{"sync", "sync the given LoginIds (or every known one) into the warehouse", runSync},
	{"backfill", "register a list of LoginIds and sync only them", runBackfill},
	{"retry", "re-sync the logins whose last attempt failed for a retryable reason", runRetry},
	{"schedule", "run a sync at every tick of a cron spec until stopped", runSchedule},
	{"check", "check the configuration, credentials, LoginIds and warehouse; say what a sync would do, and do none of it", runCheck},
	{"status", "show each login's freshness and last outcome, and the last runs", runStatus},
	{"logins", "list the login registry; add, disable or enable logins", runLogins},
	{"forget", "erase every row of the given logins from every warehouse, and record it", runForget},
	{"sql", "run read-only SQL against the warehouse", runSQL},
	{"replay", "rebuild the warehouse tables from archived Flinks answers, without Flinks", runReplay},
	{"lake", "maintain the Iceberg lake: compact, expire snapshots, delete orphan files", runLake},
	{"sandbox", "serve the built-in Flinks imitation over HTTP", runSandbox},
	{"version", "print the module version, VCS revision, Go and DuckDB library versions", runVersion},
}

func main() {
	// Libraries that log through slog's default logger (iceberg-go warns
	// when an overwrite deletes more rows than it adds, which a sync that
	// replaces a smaller snapshot does by design) would write lines in
	// another format among ours, breaking --log-format json: only their
	// errors are kept. The syncer's own messages go through the logger its
	// flags build.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	env := &environment{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		isTerminal: isTerminal(os.Stderr), stdinTerminal: isTerminal(os.Stdin), width: terminalWidth(os.Stderr)}
	ctx, stop := signalContext()
	defer stop()
	os.Exit(run(ctx, env, os.Args[1:]))
}

// signalContext is cancelled by the first SIGINT or SIGTERM; a second one
// exits at once. The command says what stopping means for it (a sync
// finishes its commits, an idle scheduler just stops).
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, "syncer: exiting at once")
		os.Exit(exitFailed)
	}()
	return ctx, func() { signal.Stop(sigs); cancel() }
}

func run(ctx context.Context, env *environment, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" {
		args = append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		return exitCode(env, c.name, err)
	}
	fmt.Fprintf(env.stderr, "syncer: unknown command %q\n\n", args[0])
	printUsage(env.stderr)
	return exitUsage
}

// exitCode says err on stderr, when there is something to say, and
// returns the exit status it means (codeOf).
func exitCode(env *environment, name string, err error) int {
	code := codeOf(err)
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil || errors.Is(err, errHelp):
	case errors.As(err, &ue):
		fmt.Fprintf(env.stderr, "syncer %s: %v\nRun 'syncer %s --help' for usage.\n", name, err, name)
	case errors.As(err, &ee):
		if ee.err != nil && ee.code != exitOK && ee.code != exitPartial {
			fmt.Fprintf(env.stderr, "syncer %s: %v\n", name, ee.err)
		}
	default:
		fmt.Fprintf(env.stderr, "syncer %s: %v\n", name, err)
	}
	return code
}

// codeOf is the exit status a command's error means: 0 for none (or
// --help), 2 for a usage error, an exitError's own code, else 1.
func codeOf(err error) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil || errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ee):
		return ee.code
	}
	return exitFailed
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "syncer: pulls Flinks investment data into a DuckDB warehouse and/or a Parquet dataset.")
	fmt.Fprintln(w, "\nUsage: syncer COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'syncer COMMAND --help' for a command's flags.")
	fmt.Fprintln(w, "Exit status: 0 all synced, 1 the run could not proceed, 2 usage error, 3 some logins failed.")
}

// runVersion prints what this binary is (currentBuild): as text, or with
// --format json as one JSON object.
func runVersion(_ context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "version", "[--format text|json]",
		"Prints the module version, the VCS revision when the build recorded it, and the Go and DuckDB library versions.")
	format := fs.String("format", "text", "text, or json (one JSON object)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	b := currentBuild()
	switch *format {
	case "json":
		return json.NewEncoder(env.stdout).Encode(b)
	case "text":
		fmt.Fprintf(env.stdout, "syncer   %s\n", b.Version)
		if b.Revision != "" {
			modified := ""
			if b.Modified {
				modified = " (with changes not committed)"
			}
			fmt.Fprintf(env.stdout, "revision %s%s\n", b.Revision, modified)
		}
		fmt.Fprintf(env.stdout, "go       %s\nduckdb   %s\n", b.GoVersion, b.DuckDB)
		return nil
	}
	return usagef("--format must be text or json, not %q", *format)
}
