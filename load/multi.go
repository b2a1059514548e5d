package load

import (
	"context"
	"errors"

	"github.com/syncer/syncer/schema"
)

// Multi returns a sink that commits every call to each of sinks in order
// (the DuckDB file first, then the Parquet dataset). Each sink keeps its own
// per-batch atomicity; across sinks a call is not atomic, so when a later sink
// fails the earlier ones have committed already, and the caller's retry is
// harmless because Commit is idempotent.
func Multi(sinks ...Sink) Sink {
	if len(sinks) == 1 {
		return sinks[0]
	}
	return multi(sinks)
}

type multi []Sink

var _ Sink = multi(nil)

func (m multi) Commit(ctx context.Context, batches []schema.Batch) error {
	for _, s := range m {
		if err := s.Commit(ctx, batches); err != nil {
			return err
		}
	}
	return nil
}

// Close closes every sink, the last first, and reports every error.
func (m multi) Close() error {
	var errs []error
	for i := len(m) - 1; i >= 0; i-- {
		errs = append(errs, m[i].Close())
	}
	return errors.Join(errs...)
}
