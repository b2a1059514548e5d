package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/syncer/syncer/archive"
	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/pipeline"
)

// afterErase, when set (by the tests' child process only), is called once
// a login is erased from one warehouse, before the next: the crash test
// kills the process there.
var afterErase func(login, warehouse int)

func runForget(ctx context.Context, env *environment, args []string) error {
	var f registryFlags
	fs := newFlagSet(env, "forget", "LOGIN_ID... [--yes] [flags]",
		"Erases every row of the logins from every table of every warehouse the flags enable (data and\n"+
			"ledger: accounts, positions, transactions, banking, rejected_records, data_quality, sync_logins,\n"+
			"sync_login_products, the registry), one transaction per login and warehouse where the warehouse\n"+
			"allows, and records each erasure in the erasures table by the login's hash (no personal data).\n"+
			"Idempotent: run it again after a crash. A later sync of an erased LoginId is refused until\n"+
			"'syncer logins add' registers it again. Asks for confirmation on a terminal; give --yes otherwise.")
	f.addFlags(fs, env)
	yes := fs.Bool("yes", false, "erase without asking (required when stdin is not a terminal)")
	archiveDir := fs.String("archive", env.getenv("SYNCER_ARCHIVE"),
		"also delete the logins' Flinks answers from this archive (see --archive on sync; env SYNCER_ARCHIVE)")
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
	if !*yes {
		if !env.stdinTerminal {
			return usagef("forget erases data for good: give --yes (stdin is not a terminal to ask on)")
		}
		if !confirm(env, ids, &f) {
			return &exitError{code: exitFailed, err: fmt.Errorf("not confirmed: nothing erased")}
		}
	}
	log := f.logger(env.stderr)
	return withWarehouse(ctx, &f.warehouseFlags, log, func(w *warehouse) error {
		now := time.Now()
		erased, err := pipeline.Forget(ctx, w.sinks, ids, pipeline.ForgetOptions{
			ErasureID: operationID("forget", now), By: f.by, Logger: log, AfterErase: afterErase})
		for _, e := range erased {
			var per []string
			for i := range e.Removed {
				what, where := f.enabled()[i].Describe()
				per = append(per, fmt.Sprintf("%d rows from the %s %s", e.Total(i), what, where))
			}
			fmt.Fprintf(env.stdout, "erased login %s: %s\n", e.LoginHash, strings.Join(per, ", "))
		}
		if err != nil || *archiveDir == "" {
			return err
		}
		// The archive goes last: until the warehouses are erased, a
		// re-run of forget still finds the login there.
		arch, err := archive.At(ctx, *archiveDir)
		if err != nil {
			return err
		}
		for _, id := range ids {
			h := extract.HashLogin(id)
			n, err := arch.Forget(ctx, h)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "erased login %s: %d answers from the archive %s\n", h, n, *archiveDir)
		}
		return nil
	})
}

// confirm asks on the terminal whether to erase the logins, named by hash,
// from the warehouses; only "yes" confirms.
func confirm(env *environment, ids []string, f *registryFlags) bool {
	var where []string
	for _, l := range f.enabled() {
		what, at := l.Describe()
		where = append(where, what+" "+at)
	}
	fmt.Fprintf(env.stderr, "Erase every row of %d login(s) (%s) from %s? This cannot be undone. Type yes: ",
		len(ids), strings.Join(hashes(ids, len(ids)), ", "), strings.Join(where, " and "))
	line, _ := bufio.NewReader(env.stdin).ReadString('\n')
	return strings.TrimSpace(line) == "yes"
}
