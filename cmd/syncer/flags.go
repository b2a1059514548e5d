package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/pipeline"
)

var errHelp = pflag.ErrHelp

// warehouseFlags say where the warehouse is; every command that reads or
// writes it has them. Each registered kind of warehouse (warehouses) adds
// its own flags and reads them into its Location.
type warehouseFlags struct {
	locations []load.Location // one per registered kind, in commit order
	names     []string        // the kinds' flags, in the order they add them
	lockWait  time.Duration
	logFormat string
}

func (w *warehouseFlags) addFlags(fs *pflag.FlagSet, env *environment) {
	for _, k := range warehouses.Kinds() {
		kfs := pflag.NewFlagSet(k.Name, pflag.ContinueOnError)
		w.locations = append(w.locations, k.AddFlags(kfs, env.getenv))
		kfs.VisitAll(func(f *pflag.Flag) { w.names = append(w.names, f.Name) })
		fs.AddFlagSet(kfs)
	}
	fs.DurationVar(&w.lockWait, "lock-wait", load.DefaultLockWait, "how long to wait for a warehouse another process holds, before exit 1")
	fs.StringVar(&w.logFormat, "log-format", "text", "log format on stderr: text or json")
}

func (w *warehouseFlags) validate() error {
	enabled := w.enabled()
	for _, l := range w.locations {
		others := len(enabled) > 1 || len(enabled) == 1 && enabled[0] != l
		if err := l.Validate(others); err != nil {
			return usagef("%v", err)
		}
	}
	if len(enabled) == 0 {
		return usagef("no warehouse: every kind is turned off")
	}
	if w.logFormat != "text" && w.logFormat != "json" {
		return usagef("--log-format must be text or json, not %q", w.logFormat)
	}
	if w.lockWait < 0 {
		return usagef("--lock-wait must not be negative")
	}
	return nil
}

func (w *warehouseFlags) logger(stderr io.Writer) *slog.Logger { return newLogger(w.logFormat, stderr) }

// newLogger is the logger of every command: slog on stderr, as JSON lines
// with --log-format json, else as text.
func newLogger(format string, stderr io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(stderr, nil))
	}
	return slog.New(slog.NewTextHandler(stderr, nil))
}

// syncFlags configure the commands that sync (sync, backfill, retry, schedule).
type syncFlags struct {
	warehouseFlags

	baseURL       string
	instance      string
	customerID    string
	secretKeyFile string
	apiKeyFile    string

	concurrency   int
	rate          float64
	pollInterval  time.Duration
	pollTimeout   time.Duration
	maxAttempts   int
	backoff       time.Duration
	commitEvery   int
	commitRows    int
	commitLatency time.Duration
	keepNumbers   bool
	runID         string

	productsText    string
	products        []extract.Product // parsed from productsText by validate
	transactionDays int
	keepHolderPII   bool

	sandbox        bool
	sandboxSeed    int64
	sandboxAsOf    string
	sandboxRetired bool

	loginsFile string
	logins     []string
	shard      shardFlags // --shard, --shards

	archive archiveFlags // --archive, --archive-keep
	// disableAfterRejected disables a login whose last N attempts ended
	// rejected (0: never).
	disableAfterRejected int

	format string // the summary's: text or json (sync, backfill, retry); "" for schedule
}

func (s *syncFlags) addFlags(fs *pflag.FlagSet, env *environment, withLogins bool) {
	s.warehouseFlags.addFlags(fs, env)
	fs.StringVar(&s.baseURL, "base-url", env.getenv("FLINKS_BASE_URL"), "root of the Flinks API; overrides --instance (env FLINKS_BASE_URL)")
	fs.StringVar(&s.instance, "instance", envOr(env, "FLINKS_INSTANCE", "toolbox"), "Flinks instance: https://NAME-api.private.fin.ag and https://NAME-wealth-api.private.fin.ag (env FLINKS_INSTANCE)")
	fs.StringVar(&s.customerID, "customer-id", envOr(env, "FLINKS_CUSTOMER_ID", sandboxCustomerID), "Flinks customer id (env FLINKS_CUSTOMER_ID)")
	fs.StringVar(&s.secretKeyFile, "secret-key-file", "", "file holding the Flinks secret key; enables GenerateAuthorizeToken (env FLINKS_SECRET_KEY or FLINKS_SECRET_KEY_FILE)")
	fs.StringVar(&s.apiKeyFile, "api-key-file", "", "file holding the API key sent as x-api-key (env FLINKS_API_KEY or FLINKS_API_KEY_FILE)")
	fs.IntVar(&s.concurrency, "concurrency", pipeline.DefaultConcurrency, "logins making requests at once (pending logins wait without holding a slot)")
	fs.Float64Var(&s.rate, "rate", extract.DefaultRate, "most requests per second to Flinks, for the whole run")
	fs.DurationVar(&s.pollInterval, "poll-interval", extract.DefaultPollInterval, "wait between polls of a pending (202) login (1s by default with --sandbox)")
	fs.DurationVar(&s.pollTimeout, "poll-timeout", extract.DefaultPollTimeout, "give up on a login still pending this long after its first data call")
	fs.IntVar(&s.maxAttempts, "max-attempts", extract.DefaultMaxAttempts, "tries per login for retryable failures (RETRY_LATER, 5xx, cut connections, ...)")
	fs.DurationVar(&s.backoff, "backoff", extract.DefaultBackoffBase, "first retry waits up to this (full jitter), doubling up to 1m")
	fs.IntVar(&s.commitEvery, "commit-every", pipeline.DefaultCommitEvery, "most logins committed in one transaction (each login stays all-or-nothing; 1000 by default with --parquet)")
	fs.IntVar(&s.commitRows, "commit-rows", pipeline.DefaultCommitRows, "most rows committed in one transaction, however few logins hold them (a login with more is committed alone): bounds a commit's memory, the finished logins held while it runs, and a lake's new files")
	fs.DurationVar(&s.commitLatency, "commit-latency", pipeline.DefaultCommitLatency, "longest a finished login waits for its group to fill before it is committed (5s by default with --parquet)")
	fs.BoolVar(&s.keepNumbers, "keep-account-numbers", false, "store account numbers in full instead of masked to the last four")
	fs.StringVar(&s.productsText, "products", envOr(env, "SYNCER_PRODUCTS", "investments"), "Flinks products to sync, comma-separated: investments, banking (env SYNCER_PRODUCTS; both by default with --sandbox)")
	fs.IntVar(&s.transactionDays, "transaction-days", extract.DefaultTransactionDays, "banking history asked of Flinks, in days: 90 or 365")
	fs.BoolVar(&s.keepHolderPII, "keep-holder-pii", false, "store bank account holders' name, e-mail, phone and street address in clear (default: not stored)")
	fs.StringVar(&s.runID, "run-id", "", "id of the run in sync_runs, which must be new (default: generated from the time; with schedule, a prefix of each run's id)")
	fs.BoolVar(&s.sandbox, "sandbox", false, "run the built-in Flinks imitation on a loopback port and sync against it")
	fs.Int64Var(&s.sandboxSeed, "sandbox-seed", 1, "seed of the sandbox's generated data")
	fs.StringVar(&s.sandboxAsOf, "sandbox-as-of", "", "as-of date (YYYY-MM-DD) of the sandbox's data, which its logins were last refreshed on (default: today, UTC)")
	fs.BoolVar(&s.sandboxRetired, "sandbox-retired-investments", false, "make the sandbox's /Investments answer as Flinks' retired product (410)")
	if withLogins {
		fs.StringVar(&s.loginsFile, "logins", "", "file of LoginIds, one per line ('#' comments and blank lines ignored; '-' reads stdin)")
		fs.StringArrayVar(&s.logins, "login", nil, "a LoginId to sync (repeatable)")
	}
	s.shard.addFlags(fs, env)
	s.archive.addFlags(fs, env)
	fs.IntVar(&s.disableAfterRejected, "disable-after-rejected", 0, "disable a login once its last N attempts in a row ended rejected (0: never); see syncer logins")
}

// addFormatFlag adds --format, the summary's format, for the commands that
// print one (sync, backfill, retry).
func (s *syncFlags) addFormatFlag(fs *pflag.FlagSet) {
	fs.StringVar(&s.format, "format", "text", "summary on stdout: text, or json (exactly one JSON object; logs stay on stderr)")
}

func (s *syncFlags) validate() error {
	if err := s.warehouseFlags.validate(); err != nil {
		return err
	}
	switch {
	case s.format != "" && s.format != "text" && s.format != "json":
		return usagef("--format must be text or json, not %q", s.format)
	case s.concurrency < 1:
		return usagef("--concurrency must be at least 1")
	case s.rate <= 0:
		return usagef("--rate must be positive")
	case s.pollInterval <= 0:
		return usagef("--poll-interval must be positive")
	case s.pollTimeout <= 0:
		return usagef("--poll-timeout must be positive")
	case s.maxAttempts < 1:
		return usagef("--max-attempts must be at least 1")
	case s.backoff <= 0:
		return usagef("--backoff must be positive")
	case s.commitEvery < 1:
		return usagef("--commit-every must be at least 1")
	case s.commitRows < 1:
		return usagef("--commit-rows must be at least 1")
	case s.commitLatency <= 0:
		return usagef("--commit-latency must be positive")
	case s.disableAfterRejected < 0:
		return usagef("--disable-after-rejected must not be negative")
	case s.transactionDays != 90 && s.transactionDays != 365:
		return usagef("--transaction-days must be 90 or 365, not %d", s.transactionDays)
	}
	if err := s.shard.validate(); err != nil {
		return err
	}
	if err := s.shard.checkRunID(s.runID); err != nil {
		return err
	}
	if err := s.archive.validate(); err != nil {
		return err
	}
	products, err := extract.ParseProducts(s.productsText)
	if err != nil {
		return usagef("--products: %v", err)
	}
	s.products = products
	if s.sandboxAsOf != "" {
		if _, err := time.Parse(time.DateOnly, s.sandboxAsOf); err != nil {
			return usagef("--sandbox-as-of must be a date like 2025-01-31")
		}
	}
	return nil
}

// commitDefaults commits in the biggest groups, and waits the longest for
// them, that an enabled warehouse asks for (a Parquet dataset rewrites the
// partition files each commit touches, so it wants big, rare groups), for
// the flags the command line does not set.
func (s *syncFlags) commitDefaults(fs *pflag.FlagSet) {
	every, latency := 0, time.Duration(0)
	for _, l := range s.enabled() {
		e, d := l.CommitDefaults()
		every, latency = max(every, e), max(latency, d)
	}
	if every > 0 && !fs.Changed("commit-every") {
		s.commitEvery = every
	}
	if latency > 0 && !fs.Changed("commit-latency") {
		s.commitLatency = latency
	}
}

// sandboxDefaults makes a sync against the built-in sandbox show every
// product the syncer knows (investments and banking) unless --products or
// SYNCER_PRODUCTS says otherwise: the sandbox is the demonstration, while
// against Flinks the default stays investments (README.md, --products).
func (s *syncFlags) sandboxDefaults(fs *pflag.FlagSet, env *environment) {
	if s.sandbox && !fs.Changed("products") && env.getenv("SYNCER_PRODUCTS") == "" {
		s.products = slices.Clone(extract.Products)
	}
}

// secrets reads the secret key and API key from the environment or files.
// Neither is ever accepted as a flag value or printed.
func (s *syncFlags) secrets(env *environment) (secretKey, apiKey string, err error) {
	secretKey, err = secret(env, "secret key", s.secretKeyFile, "FLINKS_SECRET_KEY")
	if err != nil {
		return "", "", err
	}
	apiKey, err = secret(env, "API key", s.apiKeyFile, "FLINKS_API_KEY")
	return secretKey, apiKey, err
}

func secret(env *environment, what, file, envName string) (string, error) {
	if file == "" {
		file = env.getenv(envName + "_FILE")
	}
	if file == "" {
		return strings.TrimSpace(env.getenv(envName)), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("reading the %s file %s: %v", what, file, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("the %s file %s is empty", what, file)
	}
	return v, nil
}

func envOr(env *environment, name, def string) string {
	if v := env.getenv(name); v != "" {
		return v
	}
	return def
}

// newFlagSet builds a command's flag set with a short usage text.
func newFlagSet(env *environment, name, synopsis, about string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(env.stdout, "Usage: syncer %s %s\n\n%s\n\nFlags:\n%s", name, synopsis, about, fs.FlagUsages())
	}
	return fs
}

// noArgs refuses positional arguments: a command that takes none must not
// silently ignore, say, a LoginId typed without --login. The argument is
// quoted unless it looks like a LoginId, which is never printed.
func noArgs(fs *pflag.FlagSet) error {
	if fs.NArg() == 0 {
		return nil
	}
	arg := fs.Arg(0)
	if isLoginID(strings.TrimSpace(arg)) {
		return usagef("unexpected argument: a LoginId goes after --login (or in a --logins FILE)")
	}
	return usagef("unexpected argument %q", arg)
}

// enabled returns the warehouses the flags enable, in commit order.
func (w *warehouseFlags) enabled() []load.Location {
	var out []load.Location
	for _, l := range w.locations {
		if l.Enabled() {
			out = append(out, l)
		}
	}
	return out
}

// primary is the first enabled warehouse (see warehouses); validate makes
// sure there is one.
func (w *warehouseFlags) primary() load.Location { return w.enabled()[0] }

// checkParents refuses an enabled warehouse whose parent directory does not
// exist: a mistyped path is an error naming it, not a silent mkdir -p.
func (w *warehouseFlags) checkParents() error {
	for _, l := range w.enabled() {
		if err := l.CheckParent(); err != nil {
			return err
		}
	}
	return nil
}

// parse parses args, printing the usage for --help, and turning flag mistakes
// into usage errors.
func parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return errHelp // pflag has printed the usage
		}
		return usagef("%v", err)
	}
	return nil
}
