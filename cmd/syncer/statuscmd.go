package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/syncer/syncer/internal/shard"
	"github.com/syncer/syncer/pipeline"
)

// staleFlag is --stale: a filter (only stale logins) when given alone or
// as --stale=true; --stale=DURATION, its meaning before --stale-after, still
// sets the threshold, with a deprecation warning.
type staleFlag struct {
	filter bool
	legacy time.Duration // from --stale=DURATION; 0 if not given so
}

func (s *staleFlag) String() string { return strconv.FormatBool(s.filter) }
func (s *staleFlag) Type() string   { return "bool" }

func (s *staleFlag) Set(v string) error {
	if b, err := strconv.ParseBool(v); err == nil {
		s.filter, s.legacy = b, 0
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("--stale takes no value (or true/false); the threshold is --stale-after DURATION")
	}
	s.filter, s.legacy = false, d
	return nil
}

// statusFlags are the flags of `syncer status`.
type statusFlags struct {
	warehouseFlags
	filter     pipeline.LoginFilter
	stale      staleFlag
	loginHash  []string
	runs       int
	format     string
	staleAfter time.Duration
	shard      shardFlags // --shard, --shards: only that shard's logins
}

// hexPrefix is what --login-hash accepts: hex digits of a LoginId's SHA-256.
var hexPrefix = regexp.MustCompile(`^[0-9a-f]{1,64}$`)

func (s *statusFlags) addFlags(fs *pflag.FlagSet, env *environment) {
	s.warehouseFlags.addFlags(fs, env)
	fs.BoolVar(&s.filter.Failed, "failed", false, "show only logins whose last attempt did not succeed (or that never synced)")
	fs.VarPF(&s.stale, "stale", "", "show only stale logins (data older than --stale-after, or never synced)").NoOptDefVal = "true"
	fs.DurationVar(&s.staleAfter, "stale-after", pipeline.DefaultStaleAfter, "data age (since Flinks last refreshed it) past which a login is stale")
	fs.StringArrayVar(&s.filter.Logins, "login", nil, "show only this LoginId (repeatable)")
	fs.StringArrayVar(&s.loginHash, "login-hash", nil, "show only the login whose hash (as logs name it) starts with these hex digits (repeatable)")
	fs.IntVar(&s.runs, "runs", 10, "how many recent runs to show")
	fs.StringVar(&s.format, "format", "table", "output format: table, json (logins and runs, typed) or csv (logins only)")
	s.shard.addFlags(fs, env)
}

// validate checks the flags once parsed; it logs the deprecated
// --stale=DURATION to log.
func (s *statusFlags) validate(fs *pflag.FlagSet, log *slog.Logger) error {
	if fs.NArg() > 0 && fs.Changed("stale") {
		if _, err := time.ParseDuration(fs.Arg(0)); err == nil {
			return usagef("--stale is a filter now (only stale logins): give the threshold as --stale-after %s", fs.Arg(0))
		}
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := s.warehouseFlags.validate(); err != nil {
		return err
	}
	if err := s.shard.validate(); err != nil {
		return err
	}
	if s.stale.legacy > 0 {
		if fs.Changed("stale-after") {
			return usagef("give the threshold once, as --stale-after (--stale=DURATION is its deprecated form)")
		}
		log.Warn("--stale=DURATION is deprecated: the threshold is --stale-after DURATION, and --stale alone shows only stale logins",
			"stale_after", s.stale.legacy.String())
		s.staleAfter = s.stale.legacy
	}
	if s.staleAfter <= 0 {
		return usagef("--stale-after must be positive")
	}
	if s.runs < 0 {
		return usagef("--runs must not be negative")
	}
	switch s.format {
	case "table", "csv", "json":
	default:
		return usagef("--format must be table, csv or json")
	}
	for _, id := range s.filter.Logins {
		if strings.TrimSpace(id) == "" {
			return usagef("--login is empty")
		}
	}
	for _, h := range s.loginHash {
		h = strings.ToLower(strings.TrimSpace(h))
		if !hexPrefix.MatchString(h) {
			return usagef("--login-hash takes hex digits (the 12 of a log's login=, or a prefix of them), not %q", h)
		}
		s.filter.HashPrefixes = append(s.filter.HashPrefixes, h)
	}
	s.filter.Stale, s.filter.StaleAfter = s.stale.filter, s.staleAfter
	return nil
}

// filtered reports whether any filter is set.
func (s *statusFlags) filtered() bool {
	f := s.filter
	return f.Failed || f.Stale || len(f.Logins) > 0 || len(f.HashPrefixes) > 0
}

func runStatus(ctx context.Context, env *environment, args []string) error {
	var f statusFlags
	fs := newFlagSet(env, "status", "[flags]",
		"Shows one row per login (last success, when Flinks last refreshed its data, the data's age,\n"+
			"last outcome, FlinksCode and error, consecutive failures, each product's last outcome, the\n"+
			"failed data-quality checks of its latest succeeded run, and its hash as logs name it),\n"+
			"stalest first, then the last runs (a run still going shows as running, with its time so far).\n"+
			"Logins whose data was not refreshed within --stale-after are marked STALE. The filters\n"+
			"--failed, --stale, --login and --login-hash combine: a login shown passes each one given.\n"+
			"--format json prints one object: the logins (filtered), the runs and the counts; csv, the logins only.")
	f.addFlags(fs, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	log := f.logger(env.stderr)
	if err := f.validate(fs, log); err != nil {
		return err
	}
	rd, err := openReadOnly(ctx, &f.warehouseFlags, log)
	if err != nil {
		return err
	}
	defer rd.Close()
	logins, err := pipeline.LoginStatuses(ctx, rd)
	if err != nil {
		return err
	}
	var recent []pipeline.RunInfo
	if f.format != "csv" {
		if recent, err = pipeline.RecentRuns(ctx, rd, f.runs); err != nil {
			return err
		}
	}
	rep := newStatusReport(logins, recent, &f, time.Now())
	switch f.format {
	case "json":
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep.json())
	case "csv":
		return rep.loginsTable(false).write(env.stdout, "csv")
	}
	return rep.writeText(env.stdout, &f)
}

// statusReport is what status shows, at one instant.
type statusReport struct {
	now        time.Time
	staleAfter time.Duration
	shard      shard.Spec             // the shard shown; the zero Spec for all logins
	registered int                    // registered logins, in every shard
	total      int                    // registered logins of the shard
	stale      int                    // of them stale
	failed     int                    // of them whose last attempt did not succeed
	logins     []pipeline.LoginStatus // those the filters pass
	runs       []pipeline.RunInfo
}

// newStatusReport is the report of the logins of f's shard (all of them
// when unsharded) that f's filters pass, with their counts, and of runs.
// The runs are every shard's: their ids name their shard, and a shard's
// operator wants to see whether the others ran.
func newStatusReport(registered []pipeline.LoginStatus, runs []pipeline.RunInfo, f *statusFlags, now time.Time) *statusReport {
	all := ofShard(registered, f.shard.spec)
	r := &statusReport{now: now, staleAfter: f.staleAfter, shard: f.shard.spec, registered: len(registered), total: len(all), runs: runs}
	for _, s := range all {
		if s.Stale(now, f.staleAfter) {
			r.stale++
		}
		if s.Failed() {
			r.failed++
		}
		if f.filter.Match(s, now) {
			r.logins = append(r.logins, s)
		}
	}
	return r
}

// ofShard returns the logins of the shard, in their order (all of them for
// the zero Spec).
func ofShard(logins []pipeline.LoginStatus, spec shard.Spec) []pipeline.LoginStatus {
	if !spec.Sharded() {
		return logins
	}
	var out []pipeline.LoginStatus
	for _, l := range logins {
		if spec.Has(l.LoginID) {
			out = append(out, l)
		}
	}
	return out
}

// maxErrorText is the most of an error the text table shows; csv and json
// show it whole.
const maxErrorText = 60

// loginsTable is a row per login shown; short cuts long errors.
func (r *statusReport) loginsTable(short bool) *table {
	t := &table{header: []string{"login_id", "last_success", "last_refresh", "age", "last_status", "flinks_code", "failures", "stale",
		"products", "login_hash", "quality_failures", "error"},
		right: []bool{false, false, false, true, false, false, true, false, false, false, true, false}}
	for _, s := range r.logins {
		age, mark := "never", ""
		if d := s.Age(r.now); d >= 0 {
			age = humanAge(d)
		}
		if s.Stale(r.now, r.staleAfter) {
			mark = "STALE"
		}
		errText := s.LastError.String
		if short && utf8.RuneCountInString(errText) > maxErrorText {
			errText = string([]rune(errText)[:maxErrorText-1]) + "…"
		}
		t.add(s.LoginID, nullTime(s.LastSuccess), nullTime(s.LastRefresh), age, s.LastStatus, s.LastFlinksCode.String,
			fmt.Sprint(s.ConsecutiveFailures), mark, s.LastProducts.String, s.LoginHash, fmt.Sprint(s.QualityFailures), errText)
	}
	return t
}

// writeText writes the counts, the logins shown and the last runs.
func (r *statusReport) writeText(w io.Writer, f *statusFlags) error {
	if r.shard.Sharded() {
		fmt.Fprintf(w, "shard %s: %d of %d logins\n", r.shard, r.total, r.registered)
	}
	fmt.Fprintf(w, "%d logins, %d stale (data not refreshed within %s), %d whose last attempt did not succeed\n",
		r.total, r.stale, r.staleAfter, r.failed)
	if f.filtered() {
		fmt.Fprintf(w, "%d shown (filtered)\n", len(r.logins))
	}
	fmt.Fprintln(w)
	if len(r.logins) == 0 && f.filtered() {
		fmt.Fprintln(w, "no login matches the filters")
	} else if err := r.loginsTable(true).write(w, "text"); err != nil {
		return err
	}
	rt := &table{header: []string{"run_id", "command", "status", "started_at", "wall", "logins", "succeeded", "failed"},
		right: []bool{false, false, false, false, true, true, true, true}}
	for _, run := range r.runs {
		wall := ""
		if d, ok := run.Elapsed(r.now); ok && run.FinishedAt.Valid {
			wall = d.Round(time.Millisecond).String()
		} else if ok {
			wall = d.Round(time.Second).String() + " so far"
		}
		rt.add(run.RunID, run.Command.String, run.Status, run.StartedAt.UTC().Format(time.RFC3339), wall,
			nullInt(run.Total), nullInt(run.Succeeded), nullInt(run.Failed))
	}
	fmt.Fprintln(w)
	return rt.write(w, "text")
}

// statusJSON is `status --format json`: typed, NULL as null, instants in
// RFC 3339 UTC, ages and durations in seconds.
type statusJSON struct {
	GeneratedAt       time.Time   `json:"generated_at"`
	StaleAfterSeconds float64     `json:"stale_after_seconds"`
	Shard             *string     `json:"shard"` // "I/N" with --shard or --shards (the logins and counts are that shard's), else null
	LoginsTotal       int         `json:"logins_total"`
	LoginsStale       int         `json:"logins_stale"`
	LoginsFailed      int         `json:"logins_failed"`
	Logins            []loginJSON `json:"logins"`
	Runs              []runJSON   `json:"runs"`
}

type loginJSON struct {
	LoginID             string        `json:"login_id"`
	LoginHash           string        `json:"login_hash"`
	LastStatus          string        `json:"last_status"`
	LastAttempt         *time.Time    `json:"last_attempt"`
	LastRunID           *string       `json:"last_run_id"`
	FlinksCode          *string       `json:"flinks_code"`
	Error               *string       `json:"error"`
	LastSuccess         *time.Time    `json:"last_success"`
	LastRefresh         *time.Time    `json:"last_refresh"`
	AgeSeconds          *float64      `json:"age_seconds"`
	Stale               bool          `json:"stale"`
	ConsecutiveFailures int           `json:"consecutive_failures"`
	QualityFailures     int           `json:"quality_failures"`
	Products            []productJSON `json:"products"`
}

type productJSON struct {
	Product    string  `json:"product"`
	Status     string  `json:"status"`
	FlinksCode *string `json:"flinks_code"`
	Error      *string `json:"error"`
}

type runJSON struct {
	RunID           string     `json:"run_id"`
	Command         *string    `json:"command"`
	Status          string     `json:"status"`
	StartedAt       time.Time  `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at"`
	DurationSeconds *float64   `json:"duration_seconds"` // so far, while running
	LoginsTotal     *int64     `json:"logins_total"`
	LoginsSucceeded *int64     `json:"logins_succeeded"`
	LoginsFailed    *int64     `json:"logins_failed"`
	Requests        *int64     `json:"requests"`
	Error           *string    `json:"error"`
}

func (r *statusReport) json() statusJSON {
	out := statusJSON{GeneratedAt: r.now.UTC(), StaleAfterSeconds: seconds(r.staleAfter), Shard: shardOrNil(r.shard),
		LoginsTotal: r.total, LoginsStale: r.stale, LoginsFailed: r.failed,
		Logins: make([]loginJSON, 0, len(r.logins)), Runs: make([]runJSON, 0, len(r.runs))}
	for _, s := range r.logins {
		l := loginJSON{LoginID: s.LoginID, LoginHash: s.LoginHash, LastStatus: s.LastStatus, LastAttempt: timeOrNil(s.LastAttempt),
			LastRunID: stringOrNil(s.LastRunID), FlinksCode: stringOrNil(s.LastFlinksCode), Error: stringOrNil(s.LastError),
			LastSuccess: timeOrNil(s.LastSuccess), LastRefresh: timeOrNil(s.LastRefresh), Stale: s.Stale(r.now, r.staleAfter),
			ConsecutiveFailures: s.ConsecutiveFailures, QualityFailures: s.QualityFailures, Products: make([]productJSON, 0, len(s.Products))}
		if d := s.Age(r.now); d >= 0 {
			age := seconds(d)
			l.AgeSeconds = &age
		}
		for _, p := range s.Products {
			l.Products = append(l.Products, productJSON{Product: p.Product, Status: p.Status,
				FlinksCode: stringOrNil(p.FlinksCode), Error: stringOrNil(p.Error)})
		}
		out.Logins = append(out.Logins, l)
	}
	for _, run := range r.runs {
		j := runJSON{RunID: run.RunID, Command: stringOrNil(run.Command), Status: run.Status, StartedAt: run.StartedAt.UTC(),
			FinishedAt: timeOrNil(run.FinishedAt), LoginsTotal: intOrNil(run.Total), LoginsSucceeded: intOrNil(run.Succeeded),
			LoginsFailed: intOrNil(run.Failed), Requests: intOrNil(run.Requests), Error: stringOrNil(run.Error)}
		if d, ok := run.Elapsed(r.now); ok {
			s := seconds(d)
			j.DurationSeconds = &s
		}
		out.Runs = append(out.Runs, j)
	}
	return out
}

func timeOrNil(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

func stringOrNil(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

func intOrNil(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

// nullTime renders an instant in RFC 3339 UTC, NULL as empty.
func nullTime(t sql.NullTime) string {
	if !t.Valid {
		return ""
	}
	return t.Time.UTC().Format(time.RFC3339)
}

func nullInt(n sql.NullInt64) string {
	if !n.Valid {
		return ""
	}
	return fmt.Sprint(n.Int64)
}

func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
