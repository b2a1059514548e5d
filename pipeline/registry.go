package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// Registry is what a run needs of the login registry to decide which
// LoginIds it may sync: the registered ones, the disabled ones, and the
// hashes of the erased ones (syncer forget).
type Registry struct {
	registered map[string]bool
	disabled   map[string]bool
	erased     map[string]bool // by extract.HashLogin
}

// ReadRegistry reads the registry from the ledger.
func ReadRegistry(ctx context.Context, l load.Ledger) (*Registry, error) {
	records, err := l.Registry(ctx)
	if err != nil {
		return nil, err
	}
	hashes, err := l.ErasedHashes(ctx)
	if err != nil {
		return nil, err
	}
	r := &Registry{registered: map[string]bool{}, disabled: map[string]bool{}, erased: map[string]bool{}}
	for _, rec := range records {
		r.registered[rec.LoginID] = true
		if !rec.Enabled {
			r.disabled[rec.LoginID] = true
		}
	}
	for _, h := range hashes {
		r.erased[h] = true
	}
	return r, nil
}

// Registered reports whether the login is in the registry.
func (r *Registry) Registered(loginID string) bool { return r.registered[loginID] }

// Disabled reports whether the login is registered and disabled.
func (r *Registry) Disabled(loginID string) bool { return r.disabled[loginID] }

// Forgotten reports whether the login was erased (its hash is in
// erasures) and has not been registered again since.
func (r *Registry) Forgotten(loginID string) bool {
	return !r.registered[loginID] && r.erased[extract.HashLogin(loginID)]
}

// Skip returns the LoginIds of ids that are neither disabled nor
// forgotten, in order, and how many it left out: a run over the registry
// (sync with no list, retry, schedule) never requests a disabled login.
func (r *Registry) Skip(ids []string) (kept []string, skipped int) {
	kept = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return r.Disabled(id) || r.Forgotten(id) })
	return kept, len(ids) - len(kept)
}

// Check refuses a list of LoginIds given explicitly (--login, --logins,
// backfill) that holds disabled or forgotten logins: the operator asked
// for something the registry says not to do, and must enable the login
// (syncer logins enable) or register it again (syncer logins add) first.
// The error names the logins by hash only.
func (r *Registry) Check(ids []string) error {
	var e RefusedError
	for _, id := range ids {
		switch {
		case r.Disabled(id):
			e.Disabled = append(e.Disabled, extract.HashLogin(id))
		case r.Forgotten(id):
			e.Forgotten = append(e.Forgotten, extract.HashLogin(id))
		}
	}
	if len(e.Disabled)+len(e.Forgotten) == 0 {
		return nil
	}
	return &e
}

// RefusedError lists the logins a run was given that the registry refuses,
// by hash.
type RefusedError struct {
	Disabled  []string
	Forgotten []string
}

func (e *RefusedError) Error() string {
	var parts []string
	if n := len(e.Disabled); n > 0 {
		parts = append(parts, fmt.Sprintf("%d disabled login(s) (%s): enable them first with 'syncer logins enable', or leave them out",
			n, strings.Join(e.Disabled, ", ")))
	}
	if n := len(e.Forgotten); n > 0 {
		parts = append(parts, fmt.Sprintf("%d erased login(s) (%s): their data was erased by 'syncer forget'; register them again with 'syncer logins add' to sync them",
			n, strings.Join(e.Forgotten, ", ")))
	}
	return "refused " + strings.Join(parts, "; ")
}

// AutoDisable disables, after a run, the logins whose last After attempts
// in a row ended rejected (Flinks does not know the LoginId, or its payload
// cannot be used: every night again), counting the run's own outcome
// (Observe) on top of the streaks the ledger held before it.
type AutoDisable struct {
	After   int
	before  map[string]int
	reached []string
}

// NewAutoDisable reads the streaks of rejected attempts before a run.
// after is the streak that disables a login; 0 or less disables none.
func NewAutoDisable(ctx context.Context, l load.Ledger, after int) (*AutoDisable, error) {
	a := &AutoDisable{After: after}
	if after <= 0 {
		return a, nil
	}
	var err error
	a.before, err = l.RejectedStreaks(ctx)
	return a, err
}

// Observe takes one login's committed outcome (Options.OnFinished).
func (a *AutoDisable) Observe(f Finished) {
	if a.After > 0 && f.Status == StatusRejected && a.before[f.LoginID]+1 >= a.After {
		a.reached = append(a.reached, f.LoginID)
	}
}

// Commit disables the logins whose streak reached After, through sink,
// and returns them.
func (a *AutoDisable) Commit(ctx context.Context, sink load.Sink, runID string, now time.Time) ([]string, error) {
	if len(a.reached) == 0 {
		return nil, nil
	}
	reason := fmt.Sprintf("rejected %d times in a row", a.After)
	b := transform.ControlBatch(runID, now, false, AutoDisabledBy, reason, a.reached)
	return a.reached, sink.Commit(ctx, []schema.Batch{b})
}

// AutoDisabledBy is login_controls.changed_by of a login AutoDisable disabled.
const AutoDisabledBy = "auto-disable"
