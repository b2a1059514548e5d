package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/syncer/syncer/internal/shard"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/pipeline"
	"github.com/syncer/syncer/schema"
)

// printSummary writes the end-of-run summary on stdout. Its row counts say
// what the run received and, when the DuckDB sink can tell (counts not nil),
// what its merges did to each table; then come the failures by cause, the
// failed data-quality checks and the commands to run next.
func printSummary(w io.Writer, s *pipeline.Summary, counts map[string]load.TableCounts, f *syncFlags, next []nextStep) {
	of := ""
	if f.shard.spec.Sharded() {
		of = " (shard " + f.shard.spec.String() + ")"
	}
	fmt.Fprintf(w, "run %s%s: %s in %s, %d requests\n", s.RunID, of, s.Status, s.Wall().Round(time.Millisecond), s.Requests)
	for i, l := range f.enabled() {
		what, where := l.Describe()
		if i == 0 {
			fmt.Fprintf(w, "%s: %s", what, where)
		} else {
			fmt.Fprintf(w, " and %s %s", what, where)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	st := &table{header: []string{"login status", "logins"}, right: []bool{false, true}}
	for _, status := range pipeline.Statuses {
		st.add(status, fmt.Sprint(s.ByStatus[status]))
	}
	if n := s.Total - s.Committed; n > 0 {
		st.add("not recorded", fmt.Sprint(n))
	}
	st.add("total", fmt.Sprint(s.Total))
	_ = st.write(w, "text")
	fmt.Fprintln(w)
	_ = rowsTable(s, counts).write(w, "text")
	if counts != nil {
		fmt.Fprintln(w, "\nreceived: rows in the run's payloads; inserted, updated, deleted: what the run did to the DuckDB tables")
		fmt.Fprintln(w, "(updated: rows already there, given the latest values, changed or not; a positions snapshot is replaced: deleted, inserted).")
	}
	if len(s.Failures) > 0 {
		fmt.Fprintln(w, "\nlogins that did not succeed, by cause (examples are login hashes):")
		ft := &table{header: []string{"status", "cause", "logins", "examples"}, right: []bool{false, false, true, false}}
		for _, g := range s.Failures {
			ft.add(g.Status, g.Cause, fmt.Sprint(g.Logins), strings.Join(g.Examples, ", "))
		}
		_ = ft.write(w, "text")
	}
	if len(s.Quality) > 0 {
		var parts []string
		for _, g := range s.Quality {
			parts = append(parts, fmt.Sprintf("%d %s %s failed in %d %s", g.Failed, g.Check, plural(g.Failed, "check", "checks"),
				g.Logins, plural(g.Logins, "login", "logins")))
		}
		fmt.Fprintf(w, "\ndata quality: %s (the data is loaded; see the data_quality table)\n", strings.Join(parts, "; "))
	}
	if len(next) > 0 {
		fmt.Fprintln(w, "\nnext:")
		for _, n := range next {
			if n.Command == "" {
				fmt.Fprintf(w, "  %s\n", n.Reason)
			} else {
				fmt.Fprintf(w, "  %s\n      %s\n", n.Command, n.Reason)
			}
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// rowsTable has a line per data table: the rows received and, with counts,
// the rows inserted, updated and deleted.
func rowsTable(s *pipeline.Summary, counts map[string]load.TableCounts) *table {
	rt := &table{header: []string{"table", "rows received"}, right: []bool{false, true, true, true, true}}
	if counts != nil {
		rt.header = append(rt.header, "inserted", "updated", "deleted")
	}
	for _, t := range schema.Tables {
		n, ok := s.Rows[t.Name]
		if !ok || t == schema.Logins {
			continue
		}
		cells := []string{t.Name, fmt.Sprint(n)}
		if counts != nil {
			c := counts[t.Name]
			cells = append(cells, fmt.Sprint(c.Inserted), fmt.Sprint(c.Updated), fmt.Sprint(c.Deleted))
		}
		rt.add(cells...)
	}
	return rt
}

// nextStep is a command to run after a run, and why; a step with no
// command is advice.
type nextStep struct {
	Command string `json:"command,omitempty"`
	Reason  string `json:"reason"`
}

// rerun are the flags a next command needs: to open the same warehouse,
// and (for retry) to reach the same Flinks.
type rerun struct {
	warehouse, flinks []string
	shard             []string // the run's shard, resolved (shardFlags.rerun)
}

// rerunFlags collects, from a sync's flags, those given on its command line
// that a next command needs too: the warehouse flags named (those the
// warehouses' kinds added) and the Flinks ones. Secrets are never among them.
func rerunFlags(fs *pflag.FlagSet, warehouse []string) rerun {
	var r rerun
	add := func(to *[]string, names ...string) {
		for _, name := range names {
			f := fs.Lookup(name)
			if f == nil || !f.Changed {
				continue
			}
			if f.Value.Type() == "bool" {
				*to = append(*to, "--"+name)
			} else {
				*to = append(*to, "--"+name, shellQuote(f.Value.String()))
			}
		}
	}
	add(&r.warehouse, warehouse...)
	add(&r.flinks, "sandbox", "base-url", "instance")
	return r
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// nextSteps says what to run after s: retry when some logins failed for a
// retryable reason, status --failed to see the logins that did not succeed,
// and that logins needing the person's action wait for them.
func nextSteps(s *pipeline.Summary, r rerun) []nextStep {
	command := func(name string, flags ...[]string) string {
		parts := []string{"syncer", name}
		for _, f := range flags {
			parts = append(parts, f...)
		}
		return strings.Join(parts, " ")
	}
	var steps []nextStep
	retryable := 0
	for _, status := range pipeline.RetryableStatuses {
		retryable += s.ByStatus[status]
	}
	if retryable > 0 {
		steps = append(steps, nextStep{Command: command("retry", r.warehouse, r.flinks, r.shard),
			Reason: fmt.Sprintf("%d %s failed for a retryable reason (%s): retry syncs %s again",
				retryable, plural(retryable, "login", "logins"), strings.Join(pipeline.RetryableStatuses, ", "), plural(retryable, "it", "them"))})
	}
	if s.Committed > s.ByStatus[pipeline.StatusSucceeded] {
		steps = append(steps, nextStep{Command: command("status", []string{"--failed"}, r.warehouse, r.shard),
			Reason: "lists each login that did not succeed, with its cause"})
	}
	if n := s.ByStatus[pipeline.StatusNeedsUserAction]; n > 0 {
		steps = append(steps, nextStep{Reason: fmt.Sprintf("%d %s the person to reconnect (needs_user_action): retry will not fix %s",
			n, plural(n, "login needs", "logins need"), plural(n, "it", "them"))})
	}
	return steps
}

// runReport is the one JSON object `--format json` prints on stdout for a
// sync, backfill or retry, whatever happened (but a usage error).
type runReport struct {
	Command         string               `json:"command"`
	RunID           *string              `json:"run_id"` // null when no run started
	Shard           *string              `json:"shard"`  // "I/N" (--shard, --shards), null when unsharded
	Status          string               `json:"status"` // sync_runs.status, or failed, or nothing_to_retry
	ExitCode        int                  `json:"exit_code"`
	Error           *string              `json:"error"` // null unless the run could not proceed
	StartedAt       string               `json:"started_at"`
	FinishedAt      string               `json:"finished_at"`
	DurationSeconds float64              `json:"duration_seconds"`
	Requests        int64                `json:"requests"`
	Logins          loginCounts          `json:"logins"`
	Rows            map[string]tableRows `json:"rows"`
	Failures        []failureGroup       `json:"failures"`
	DataQuality     []qualityGroup       `json:"data_quality"`
	Next            []nextStep           `json:"next"`
}

// loginCounts are the logins of a run by status; every field is always
// present. not_recorded counts the logins a failed run left without an
// outcome.
type loginCounts struct {
	Succeeded       int `json:"succeeded"`
	Failed          int `json:"failed"`
	TimedOut        int `json:"timed_out"`
	NeedsUserAction int `json:"needs_user_action"`
	Rejected        int `json:"rejected"`
	NotRecorded     int `json:"not_recorded"`
	Total           int `json:"total"`
}

// tableRows are a table's rows received and, when the DuckDB sink says,
// what its merges did.
type tableRows struct {
	Received int64  `json:"received"`
	Inserted *int64 `json:"inserted,omitempty"`
	Updated  *int64 `json:"updated,omitempty"`
	Deleted  *int64 `json:"deleted,omitempty"`
}

type failureGroup struct {
	Status   string   `json:"status"`
	Cause    string   `json:"cause"`
	Logins   int      `json:"logins"`
	Examples []string `json:"examples"` // login hashes
}

type qualityGroup struct {
	Check  string `json:"check"`
	Failed int    `json:"failed"`
	Logins int    `json:"logins"`
}

// Status of a retry that found nothing to retry, in its JSON report.
const statusNothingToRetry = "nothing_to_retry"

// newRunReport is the report of a command that started at started and
// ended with code and err; sum and counts are nil when no run took place.
func newRunReport(command string, started time.Time, sum *pipeline.Summary, counts map[string]load.TableCounts, next []nextStep, code int, err error) runReport {
	finished := time.Now()
	rep := runReport{Command: command, Status: pipeline.RunFailed, ExitCode: code,
		Rows: reportRows(nil, nil), Failures: []failureGroup{}, DataQuality: []qualityGroup{}, Next: next}
	if rep.Next == nil {
		rep.Next = []nextStep{}
	}
	if msg := errorText(err); msg != "" {
		rep.Error = &msg
	}
	if sum != nil {
		started, finished = sum.StartedAt, sum.FinishedAt
		rep.RunID, rep.Status, rep.Requests = &sum.RunID, sum.Status, sum.Requests
		rep.Logins = loginCounts{Succeeded: sum.ByStatus[pipeline.StatusSucceeded], Failed: sum.ByStatus[pipeline.StatusFailed],
			TimedOut: sum.ByStatus[pipeline.StatusTimedOut], NeedsUserAction: sum.ByStatus[pipeline.StatusNeedsUserAction],
			Rejected: sum.ByStatus[pipeline.StatusRejected], NotRecorded: sum.Total - sum.Committed, Total: sum.Total}
		rep.Rows = reportRows(sum, counts)
		for _, g := range sum.Failures {
			rep.Failures = append(rep.Failures, failureGroup{Status: g.Status, Cause: g.Cause, Logins: g.Logins, Examples: g.Examples})
		}
		for _, g := range sum.Quality {
			rep.DataQuality = append(rep.DataQuality, qualityGroup(g))
		}
	}
	rep.StartedAt, rep.FinishedAt = rfc3339(started), rfc3339(finished)
	rep.DurationSeconds = seconds(finished.Sub(started))
	return rep
}

// reportRows are the rows per data table: every table but the logins
// registry and the run ledger, 0 when the run received none (or with s nil,
// when no run took place), so that a script finds each key.
func reportRows(s *pipeline.Summary, counts map[string]load.TableCounts) map[string]tableRows {
	out := map[string]tableRows{}
	for _, t := range schema.Tables {
		switch t {
		case schema.Logins, schema.SyncLogins, schema.SyncLoginProducts, schema.SyncRuns:
			continue
		}
		var r tableRows
		if s != nil {
			r.Received = s.Rows[t.Name]
		}
		if counts != nil {
			c := counts[t.Name]
			r.Inserted, r.Updated, r.Deleted = &c.Inserted, &c.Updated, &c.Deleted
		}
		out[t.Name] = r
	}
	return out
}

// shardOrNil is a shard as the JSON reports give it: "I/N", or null when
// unsharded.
func shardOrNil(s shard.Spec) *string {
	if !s.Sharded() {
		return nil
	}
	str := s.String()
	return &str
}

// rfc3339 is t in UTC, to the millisecond.
func rfc3339(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// errorText is what went wrong, for the report: "" for a run whose logins
// merely failed (exit 3) or that succeeded.
func errorText(err error) string {
	if ee, ok := err.(*exitError); ok {
		if ee.err == nil {
			return ""
		}
		return ee.err.Error()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func (r runReport) write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
