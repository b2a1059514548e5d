package pipeline

import (
	"context"
	"log/slog"
	"time"

	"github.com/syncer/syncer/archive"
	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/internal/logs"
	"github.com/syncer/syncer/transform"
)

// Options configure one run. The zero value of every field has a sensible default.
type Options struct {
	RunID   string // identifies the run in sync_runs; required
	Command string // sync, backfill, retry or schedule, for the ledger

	// Concurrency is the number of workers making requests at once.
	Concurrency int
	// MaxActive bounds the logins open at once: in a worker, parked between
	// polls, or waiting to be committed. Default: 8 × Concurrency.
	MaxActive int
	// CommitEvery is the most logins in one commit (group commit). Default
	// DefaultCommitEvery.
	CommitEvery int
	// CommitRows, when positive, bounds the rows of one commit: a group
	// is committed once its logins hold CommitRows rows, however few they
	// are (a login with more is committed alone), and the finished logins
	// waiting for a commit stop gathering once they hold as many. It keeps
	// a commit's memory and a lake's new files to a sane size. 0: no bound
	// but CommitEvery.
	CommitRows int
	// CommitLatency is how long the loader waits to fill a group before it
	// commits what it has. Default DefaultCommitLatency.
	CommitLatency time.Duration

	// KeepAccountNumbers stores account numbers in full instead of masked.
	KeepAccountNumbers bool
	// KeepHolderPII stores account holders' name, e-mail, phone and street
	// address in clear (banking).
	KeepHolderPII bool
	// HolderSecret keys account_holders.holder_key (banking); never logged.
	HolderSecret transform.HolderSecret

	// Products are the products synced for each login; default
	// extract.DefaultProducts. ProductsOf, when it names a login, overrides
	// them for that login (retry syncs only the products that failed).
	Products   []extract.Product
	ProductsOf map[string][]extract.Product

	// Progress, when set, receives a snapshot every ProgressEvery (default 2s)
	// and once at the end.
	Progress      func(Progress)
	ProgressEvery time.Duration

	// OnFinished, when set, is called by the single loader goroutine for
	// each login once its outcome is committed, in commit order: live
	// figures (metrics) move during the run, not only at its end. It must
	// not block.
	OnFinished func(Finished)

	// Archive, when set, is given every data answer whose rows the run
	// uses (after its transform succeeded, before its commit), with the
	// instants that date those rows, so that Replay can rebuild them.
	// Keep is called from the workers, concurrently. A failure to archive
	// is logged and does not fail the login.
	Archive Archiver

	// Clock is the run's time: what time it is, and the timers that park
	// pending logins (clock.Real if nil). Tests and benchmarks may inject a
	// scaled or gated clock.
	Clock clock.Clock

	// Logger receives the run's messages (nothing if nil).
	Logger *slog.Logger
}

// DefaultConcurrency is the number of workers by default (cmd/syncer's
// --concurrency too).
const DefaultConcurrency = 16

// The loader's grouping by default (cmd/syncer's --commit-every and
// --commit-latency too): a group is committed when it has DefaultCommitEvery
// logins or its first login has waited DefaultCommitLatency. Chosen with
// BenchmarkRunIntoDuckDB (BENCHMARKS.md) for a DuckDB file released between
// groups: a commit then holds the file 1-3 s whatever the group's size (a
// checkpoint and a cold cache), so at the rates Flinks allows (groups of a
// few logins) 5 s between groups leaves it free most of the time at no cost
// in throughput, and groups of at most 200 bound a commit's hold (what a
// reader waits) and its memory when logins come faster.
const (
	DefaultCommitEvery   = 200
	DefaultCommitLatency = 5 * time.Second
)

// DefaultCommitRows is cmd/syncer's --commit-rows: half a million rows (a
// few hundred MB in a merge, Iceberg data files of tens of MB) bound a
// commit whatever the logins hold (Options.CommitRows).
const DefaultCommitRows = 500_000

func (o *Options) withDefaults() Options {
	c := *o
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.MaxActive <= 0 {
		c.MaxActive = 8 * c.Concurrency
	}
	if c.MaxActive < c.Concurrency {
		c.MaxActive = c.Concurrency
	}
	if c.CommitEvery <= 0 {
		c.CommitEvery = DefaultCommitEvery
	}
	if c.CommitLatency <= 0 {
		c.CommitLatency = DefaultCommitLatency
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 2 * time.Second
	}
	c.Clock = clock.Or(c.Clock)
	c.Products = extract.Normalize(c.Products)
	c.Logger = logs.OrDiscard(c.Logger)
	return c
}

// productsOf returns the products to sync for loginID.
func (o *Options) productsOf(loginID string) []extract.Product {
	if ps, ok := o.ProductsOf[loginID]; ok && len(ps) > 0 {
		return extract.Normalize(ps)
	}
	return o.Products
}

// Archiver keeps data answers (archive.Run implements it).
type Archiver interface {
	Keep(context.Context, archive.Answer) error
}
