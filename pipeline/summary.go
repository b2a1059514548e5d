package pipeline

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/schema"
)

// Summary is what a finished run reports.
type Summary struct {
	RunID       string
	Status      string // sync_runs.status
	Interrupted bool
	Total       int
	Committed   int            // logins whose outcome was recorded
	ByStatus    map[string]int // login status → count
	Rows        map[string]int64
	// Failures groups the committed logins that did not succeed by status
	// and cause, most logins first.
	Failures []FailureGroup
	// Quality counts the failed data-quality checks of the committed
	// logins' data, by check, most failures first.
	Quality    []QualityGroup
	Requests   int64
	StartedAt  time.Time
	FinishedAt time.Time
}

// FailureGroup is the logins of a run that ended with one status and cause.
type FailureGroup struct {
	Status string // sync_logins.status, never succeeded
	Cause  string // CauseOf the login's error: a FlinksCode, else what failed
	Logins int
	// Examples are up to MaxExamples of the logins, as extract.HashLogin
	// hashes, in commit order.
	Examples []string
}

// QualityGroup is the failed data-quality checks of one kind in a run.
type QualityGroup struct {
	// Check is the data_quality check_name up to its first colon, e.g.
	// value_reconciles, security_ambiguous.
	Check  string
	Failed int // data_quality rows with passed = false
	Logins int // logins with at least one
}

// MaxExamples is the most example logins a FailureGroup names.
const MaxExamples = 3

// Wall is the run's duration.
func (s *Summary) Wall() time.Duration { return s.FinishedAt.Sub(s.StartedAt) }

// outcomes tallies committed logins; counters guards it.
type outcomes struct {
	byStatus map[string]int
	rows     map[string]int64
	failures map[[2]string]*FailureGroup // (status, cause) → group
	quality  map[string]*QualityGroup
}

func newOutcomes() outcomes {
	return outcomes{byStatus: map[string]int{}, rows: map[string]int64{},
		failures: map[[2]string]*FailureGroup{}, quality: map[string]*QualityGroup{}}
}

// add counts one committed login: its status, its failure group, its data
// rows and its failed data-quality checks.
func (o *outcomes) add(res result) {
	o.byStatus[res.status]++
	if res.status != StatusSucceeded {
		key := [2]string{res.status, res.cause}
		g := o.failures[key]
		if g == nil {
			g = &FailureGroup{Status: res.status, Cause: res.cause}
			o.failures[key] = g
		}
		g.Logins++
		if len(g.Examples) < MaxExamples {
			g.Examples = append(g.Examples, extract.HashLogin(res.batch.LoginID))
		}
	}
	for name, rows := range res.batch.Rows {
		if name == schema.SyncLogins.Name || name == schema.SyncLoginProducts.Name {
			continue
		}
		o.rows[name] += int64(len(rows))
	}
	o.addQuality(res.batch.Rows[schema.DataQuality.Name])
}

// addQuality counts one login's data_quality rows that did not pass.
func (o *outcomes) addQuality(rows []schema.Row) {
	nameAt, passedAt := schema.DataQuality.Index("check_name"), schema.DataQuality.Index("passed")
	seen := map[string]bool{}
	for _, row := range rows {
		if passed, _ := row[passedAt].(bool); passed {
			continue
		}
		name, _ := row[nameAt].(string)
		check, _, _ := strings.Cut(name, ":")
		g := o.quality[check]
		if g == nil {
			g = &QualityGroup{Check: check}
			o.quality[check] = g
		}
		g.Failed++
		if !seen[check] {
			seen[check] = true
			g.Logins++
		}
	}
}

// failureGroups returns the failure groups, most logins first, then in the
// order of Statuses, then by cause.
func (o *outcomes) failureGroups() []FailureGroup {
	out := make([]FailureGroup, 0, len(o.failures))
	for _, g := range o.failures {
		c := *g
		c.Examples = slices.Clone(g.Examples)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b FailureGroup) int {
		return cmp.Or(cmp.Compare(b.Logins, a.Logins),
			cmp.Compare(slices.Index(Statuses, a.Status), slices.Index(Statuses, b.Status)),
			strings.Compare(a.Cause, b.Cause))
	})
	return out
}

// qualityGroups returns the quality groups, most failures first, then by check.
func (o *outcomes) qualityGroups() []QualityGroup {
	out := make([]QualityGroup, 0, len(o.quality))
	for _, g := range o.quality {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b QualityGroup) int {
		return cmp.Or(cmp.Compare(b.Failed, a.Failed), strings.Compare(a.Check, b.Check))
	})
	return out
}

func (r *runner) summary(started, finished time.Time) *Summary {
	c := r.stats
	c.mu.Lock()
	defer c.mu.Unlock()
	return &Summary{RunID: r.o.RunID, Total: c.total, Committed: c.phases[phaseDone],
		ByStatus: maps.Clone(c.outcome.byStatus), Rows: maps.Clone(c.outcome.rows),
		Failures: c.outcome.failureGroups(), Quality: c.outcome.qualityGroups(),
		Requests: r.client.Requests(), StartedAt: started, FinishedAt: finished}
}
