package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// runCheck is syncer check: what a sync with the same flags would do,
// without fetching data or writing anything.
func runCheck(ctx context.Context, env *environment, args []string) error {
	var f syncFlags
	fs := newFlagSet(env, "check", "[--authorize LOGIN_ID] [sync's flags]",
		"Checks what 'syncer sync' with the same flags would do, and does none of it: the configuration,\n"+
			"the credentials (with --authorize, one GenerateAuthorizeToken and Authorize for that LoginId, and\n"+
			"no data request), the LoginId list, the warehouses (there or to be created, writable, schema\n"+
			"version), and which logins, products and warehouses the run would sync. It writes nothing.\n"+
			"Exit 0 when every check passes, 1 when one fails, 2 for a usage error.")
	f.addFlags(fs, env, true)
	authorize := fs.String("authorize", "", "a LoginId to open one session for (GenerateAuthorizeToken and Authorize, no data call)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	if *authorize != "" && !isLoginID(*authorize) {
		return usagef("--authorize is not a LoginId (want a GUID like 5e115eac-1209-4f19-641c-08d6d484e2fe)")
	}
	ids, err := gatherLogins(f.loginsFile, f.logins, env.stdin)
	if err != nil {
		return err
	}
	f.commitDefaults(fs)
	f.sandboxDefaults(fs, env)
	log := f.logger(env.stderr)
	c := &checker{w: env.stdout}
	cfg, closeSandbox, err := clientConfig(env, fs, &f, log)
	if err != nil {
		c.fail("credentials", err)
		return c.result()
	}
	defer closeSandbox()
	c.ok("config", fmt.Sprintf("products %s; concurrency %d; rate %g/s; Flinks at %s", productNames(f.products), f.concurrency, cfg.Rate, cfg.BankingURL))
	switch {
	case *authorize == "":
		c.ok("credentials", "read; not tried against Flinks (give --authorize LOGIN_ID to open one session)")
	default:
		client, err := extract.New(cfg)
		if err == nil {
			err = client.CheckAuthorize(ctx, strings.ToLower(*authorize))
		}
		if err != nil {
			c.fail("credentials", fmt.Errorf("authorize of %s: %w", extract.HashLogin(strings.ToLower(*authorize)), err))
		} else {
			c.ok("credentials", "Authorize of "+extract.HashLogin(strings.ToLower(*authorize))+" accepted (no data asked)")
		}
	}

	c.warehouses(&f.warehouseFlags)
	c.plan(ctx, &f, ids)
	return c.result()
}

// checker prints each check's outcome and remembers whether one failed.
type checker struct {
	w      io.Writer
	failed int
}

func (c *checker) ok(what, detail string) { fmt.Fprintf(c.w, "%-12s ok    %s\n", what, detail) }

func (c *checker) fail(what string, err error) {
	c.failed++
	fmt.Fprintf(c.w, "%-12s FAIL  %v\n", what, err)
}

func (c *checker) result() error {
	if c.failed > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("%d check(s) failed", c.failed)}
	}
	return nil
}

// warehouses checks each enabled warehouse: there and writable, or its
// parent there and writable for it to be created.
func (c *checker) warehouses(f *warehouseFlags) {
	for _, l := range f.enabled() {
		what, where := l.Describe()
		switch {
		case l.Exists() && !writable(where):
			c.fail("warehouse", fmt.Errorf("the %s %s is not writable", what, where))
		case l.Exists():
			c.ok("warehouse", fmt.Sprintf("the %s %s is there and writable", what, where))
		case l.CheckParent() != nil:
			c.fail("warehouse", l.CheckParent())
		case !writable(filepath.Dir(where)):
			c.fail("warehouse", fmt.Errorf("the %s %s would be created, but %s is not writable", what, where, filepath.Dir(where)))
		default:
			c.ok("warehouse", fmt.Sprintf("the %s %s would be created", what, where))
		}
	}
}

// plan reads the primary warehouse, read-only, for the logins a sync
// would run (givenOrKnown, admitLogins, the shard's) and its schema
// version, and says what the run would do.
func (c *checker) plan(ctx context.Context, f *syncFlags, ids []string) {
	w := &warehouse{ledger: emptyLedger{}}
	if f.primary().Exists() {
		rd, err := openReadOnly(ctx, &f.warehouseFlags, f.logger(io.Discard))
		if err != nil {
			c.fail("warehouse", err)
			return
		}
		defer rd.Close()
		w.ledger = rd
		c.version(ctx, rd)
	}
	listed, err := givenOrKnown(ids, f)(ctx, w)
	if err == nil {
		listed, err = admitLogins(ctx, w, f, "sync", listed, f.logger(io.Discard))
	}
	if err == nil {
		listed, err = shardLogins(listed, f.shard.spec, "sync", f.logger(io.Discard))
	}
	if err != nil {
		c.fail("logins", err)
		return
	}
	var into []string
	for _, l := range f.enabled() {
		what, where := l.Describe()
		into = append(into, what+" "+where)
	}
	c.ok("plan", fmt.Sprintf("a sync would fetch %d login(s), products %s, into %s", len(listed), productNames(f.products), strings.Join(into, " and ")))
}

// version reports the primary warehouse's schema version when it records
// one (a DuckDB file), against the version this syncer writes.
func (c *checker) version(ctx context.Context, rd load.Reader) {
	res, err := rd.Query(ctx, duckdb.CurrentVersionSQL)
	if err != nil || res.Len() != 1 {
		return // a warehouse that records no version (a Parquet dataset, a lake)
	}
	v := res.Text(0, 0)
	if v != fmt.Sprint(schema.Version()) {
		c.ok("schema", fmt.Sprintf("version %s; this syncer writes %d and would migrate it first (a newer one is refused)", v, schema.Version()))
		return
	}
	c.ok("schema", "version "+v+", this syncer's")
}

func productNames(ps []extract.Product) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = string(p)
	}
	return strings.Join(names, ",")
}

// emptyLedger is the ledger of a warehouse not created yet: it knows no
// login and no run.
type emptyLedger struct{}

func (emptyLedger) KnownLogins(context.Context) ([]string, error)               { return nil, nil }
func (emptyLedger) RunExists(context.Context, string) (bool, error)             { return false, nil }
func (emptyLedger) RetryCandidates(context.Context, []string) ([]string, error) { return nil, nil }
func (emptyLedger) RetryProducts(context.Context, []string) (map[string][]string, error) {
	return nil, nil
}
func (emptyLedger) LoginStatuses(context.Context) ([]load.LoginRecord, error) { return nil, nil }
func (emptyLedger) RecentRuns(context.Context, int) ([]load.RunRecord, error) { return nil, nil }
func (emptyLedger) Registry(context.Context) ([]load.RegistryRecord, error)   { return nil, nil }
func (emptyLedger) ErasedHashes(context.Context) ([]string, error)            { return nil, nil }
func (emptyLedger) RejectedStreaks(context.Context) (map[string]int, error)   { return nil, nil }
