package pipeline

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/internal/logs"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// ForgetOptions configure Forget.
type ForgetOptions struct {
	// ErasureID names this erasure in every warehouse's erasures table
	// (one per syncer forget); required.
	ErasureID string
	// By is who asked (erasures.erased_by); "" for unknown.
	By string
	// Clock says when the rows were deleted (clock.Real if nil).
	Clock clock.Clock
	// Logger receives one line per login and warehouse, by hash.
	Logger *slog.Logger
	// AfterErase, when set, is called once a login is erased from one
	// warehouse (its index in the list, the warehouse's index), before the
	// next: the crash tests stop the process there.
	AfterErase func(login, warehouse int)
}

// Erased is what Forget did to one login: by hash, the rows deleted from
// each warehouse, per table (in the order of the warehouses given).
type Erased struct {
	LoginHash string
	Removed   []map[string]int64
}

// Total is the rows deleted from warehouse i.
func (e Erased) Total(i int) int64 {
	var n int64
	for _, c := range e.Removed[i] {
		n += c
	}
	return n
}

// Forget erases each login from every warehouse, one after the other (each
// login in each warehouse in one Forget call: see load.Forgetter), and
// records it there in erasures, by hash, with the rows deleted per table.
// It is idempotent: after a crash, calling it again with the same logins
// deletes what is left and leaves every warehouse with no row of them.
// A warehouse that cannot forget is an error before anything is deleted.
func Forget(ctx context.Context, sinks []load.Sink, logins []string, o ForgetOptions) ([]Erased, error) {
	log := logs.OrDiscard(o.Logger)
	clk := clock.Or(o.Clock)
	forgetters := make([]load.Forgetter, len(sinks))
	for i, s := range sinks {
		f, ok := s.(load.Forgetter)
		if !ok {
			return nil, fmt.Errorf("warehouse %d (%T) cannot erase logins", i+1, s)
		}
		forgetters[i] = f
	}
	var out []Erased
	for li, id := range logins {
		e := Erased{LoginHash: extract.HashLogin(id)}
		for wi, f := range forgetters {
			record := func(removed map[string]int64) schema.Batch {
				return transform.ErasureBatch(o.ErasureID, e.LoginHash, clk.Now(), o.By, removed)
			}
			removed, err := f.Forget(ctx, id, record)
			if err != nil {
				return out, fmt.Errorf("erasing login %s: %w", e.LoginHash, err)
			}
			e.Removed = append(e.Removed, removed)
			log.Info("login erased", "login", e.LoginHash, "warehouse", wi+1, "rows", e.Total(wi))
			if o.AfterErase != nil {
				o.AfterErase(li, wi)
			}
		}
		out = append(out, e)
	}
	return out, nil
}
