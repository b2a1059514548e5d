// Package load writes batches of rows to the warehouse: a DuckDB file, a
// Parquet dataset, or both. Every sink implements Sink; one conformance suite
// (loadtest) runs against each.
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
