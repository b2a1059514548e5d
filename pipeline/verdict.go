package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/transform"
)

// ErrUnreachable is wrapped by the error Run returns when no login synced
// and every failure said that Flinks could not be reached or served nobody
// (DNS, connection, TLS, 5xx): the run went to its end, but it could not
// proceed, and the run is recorded as failed.
//
//lint:ignore ST1005 Flinks is a proper noun, and the text starts the line an operator reads.
var ErrUnreachable = errors.New("Flinks could not be reached")

// ending is why a login that produced no data ended, as far as the run's
// verdict cares.
type ending struct {
	reach  string // cause when Flinks could not be reached or served (extract.Unreachable)
	detail string // the login's error text when reach is set, for the run's message
	cut    bool   // the run was interrupted before the login finished
}

// endingOf classifies a login's final error.
func endingOf(err error) ending {
	var e ending
	if cause, ok := extract.Unreachable(err); ok {
		e.reach, e.detail = cause, describe(err)
	}
	e.cut = errors.Is(err, context.Canceled) || extract.ClassOf(err) == extract.Canceled
	return e
}

// endings counts the committed logins' endings.
type endings struct {
	cut         int
	unreachable int
	causes      map[string]int    // reach cause -> logins
	example     map[string]string // reach cause -> the first such login's error
}

func (e *endings) add(x ending) {
	if x.cut {
		e.cut++
	}
	if x.reach == "" {
		return
	}
	if e.causes == nil {
		e.causes, e.example = map[string]int{}, map[string]string{}
	}
	e.unreachable++
	e.causes[x.reach]++
	if _, ok := e.example[x.reach]; !ok {
		e.example[x.reach] = x.detail
	}
}

// commonest returns the cause most logins met (ties by name) and its example.
func (e *endings) commonest() (cause, example string) {
	names := make([]string, 0, len(e.causes))
	for c := range e.causes {
		names = append(names, c)
	}
	sort.Slice(names, func(i, j int) bool {
		if e.causes[names[i]] != e.causes[names[j]] {
			return e.causes[names[i]] > e.causes[names[j]]
		}
		return names[i] < names[j]
	})
	if len(names) == 0 {
		return "", ""
	}
	return names[0], e.example[names[0]]
}

// verdict is the run's sync_runs status and, when the run could not
// proceed, the error that says why.
type verdict struct {
	status string
	err    error
}

// verdict decides how the run ended, in this order: stopped by a fatal error
// (failed); interrupted by ctx while logins were still unfinished
// (interrupted: an interruption after every login finished changes nothing);
// a product Flinks retired was asked for (failed, with extract.ErrRetired);
// no login synced and every failure an unreachable Flinks (failed, with
// ErrUnreachable); some logins failed (partial); else succeeded.
func (r *runner) verdict(sum *Summary, cause error, interrupted bool) verdict {
	c := r.stats
	c.mu.Lock()
	defer c.mu.Unlock()
	failed := sum.Committed - sum.ByStatus[StatusSucceeded]
	switch {
	case errors.Is(cause, ErrFatal):
		return verdict{status: RunFailed, err: cause}
	case interrupted && (c.ends.cut > 0 || sum.Committed < sum.Total):
		return verdict{status: RunInterrupted}
	case c.retired.Load():
		// Every login would fail the same way, every night: the run cannot
		// proceed as configured (the other products' rows are committed).
		return verdict{status: RunFailed, err: extract.ErrRetired}
	case sum.ByStatus[StatusSucceeded] == 0 && c.ends.unreachable > 0 && c.ends.unreachable == failed:
		why, example := c.ends.commonest()
		others := ""
		if n := len(c.ends.causes); n > 1 {
			others = fmt.Sprintf(" (and %d other network or 5xx causes)", n-1)
		}
		return verdict{status: RunFailed, err: fmt.Errorf("%w: no login synced; %s for %d of %d logins%s, e.g. %s",
			ErrUnreachable, why, c.ends.causes[why], sum.Total, others, example)}
	case failed > 0:
		return verdict{status: RunPartial}
	}
	return verdict{status: RunSucceeded}
}

// recordUnadmitted records, once the workers are done, every login that a
// cancelled run never admitted as failed ("interrupted"), so that `syncer
// retry` finds it: a listed login is never left without an outcome.
func (r *runner) recordUnadmitted(cause error) {
	now := r.o.Clock.Now().UTC()
	for _, id := range r.unadmitted {
		out := transform.LoginOutcome{RunID: r.o.RunID, LoginID: id, Status: StatusFailed,
			Error: "interrupted before the login started: " + cause.Error(), FinishedAt: now}
		r.stats.shift(phaseQueued, phaseCommitting)
		r.results <- result{batch: transform.OutcomeBatch(out), status: StatusFailed, cause: CauseInterrupted, ending: ending{cut: true}}
	}
	r.unadmitted = nil
}
