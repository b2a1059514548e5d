package pipeline

import (
	"context"
	"fmt"
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
	return len(r.erased) > 0 && !r.registered[loginID] && r.erased[extract.HashLogin(loginID)]
}

// Skip splits ids into those a run may sync and those that are disabled
// or forgotten, each in order: a run never requests a disabled login.
func (r *Registry) Skip(ids []string) (kept, skipped []string) {
	for _, id := range ids {
		if r.Disabled(id) || r.Forgotten(id) {
			skipped = append(skipped, id)
		} else {
			kept = append(kept, id)
		}
	}
	return kept, skipped
}

// Check refuses a list of LoginIds that holds forgotten logins: their data
// was erased at the person's request, and syncing them again must be a
// deliberate act (syncer logins add registers them again). The error names
// them by hash only.
func (r *Registry) Check(ids []string) error {
	var e ForgottenError
	for _, id := range ids {
		if r.Forgotten(id) {
			e.Hashes = append(e.Hashes, extract.HashLogin(id))
		}
	}
	if len(e.Hashes) == 0 {
		return nil
	}
	return &e
}

// ForgottenError lists, by hash, the forgotten logins a run was given.
type ForgottenError struct {
	Hashes []string
}

func (e *ForgottenError) Error() string {
	return fmt.Sprintf("refused %d erased login(s) (%s): their data was erased by 'syncer forget'; "+
		"take them out of the list, or register them again with 'syncer logins add' to sync them",
		len(e.Hashes), strings.Join(e.Hashes, ", "))
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
