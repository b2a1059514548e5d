// Package load is what every sink of the warehouse shares: the Sink
// contract; Multi, which commits to several sinks through a write-ahead
// journal; CheckBatches, Value and FoldRows, which validate a call, check its
// values and fold its rows to one per key apart from any engine; the Ledger
// a run and `syncer status` read, and the Reader `syncer sql` queries; the
// wait for a warehouse another process holds; and the Registry through which
// the CLI knows the kinds of warehouse (load/duckdb, load/parquet), each a
// package with its Sink and its Kind. One conformance suite (loadtest) runs
// against every sink.
package load

import (
	"context"

	"github.com/syncer/syncer/schema"
)

// Sink is a durable destination for the rows of a run.
//
// Commit makes the given batches durable and visible. Each batch (one login of
// one run) is atomic: a reader sees all of its rows or none of them. When
// Commit returns an error, none of the batches of that call is committed, and
// the caller may retry them, one at a time to isolate a bad one. Commit is
// idempotent: committing the same batch twice leaves the same tables as once.
// Each table merges a batch's rows as its schema.Table.Merge says.
//
// A sink has a single writer: Commit and Close must not be called
// concurrently. Close releases the warehouse (a DuckDB file is checkpointed
// and unlocked) and must be called once, even after a failed Commit.
type Sink interface {
	Commit(ctx context.Context, batches []schema.Batch) error
	Close() error
}
