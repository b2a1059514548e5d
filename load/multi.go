package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/syncer/syncer/internal/logs"
	"github.com/syncer/syncer/schema"
)

// Multi is a Sink that commits every call to each of its sinks in order (the
// DuckDB file first, then the Parquet dataset), through a write-ahead journal
// so that a crash between two sinks' commits never leaves one of them behind
// for good.
//
// Commit first writes the call's batches durably as a journal entry (temp
// file, fsync, rename, fsync of the directory), then commits them to each
// sink in turn, then removes the entry. An entry therefore exists whenever
// some sink may lack a group another sink has. OpenMulti replays the entries
// a crash left to every sink, in order, before anything else is committed;
// Commit is idempotent (see Sink), so replaying a group a sink already has
// is harmless. A crash while the entry is being written leaves only a temp
// file, which is ignored and removed: then no sink saw the group.
//
// Across sinks a call is not atomic at every instant, but it is eventually:
// when the first sink fails, nothing is committed and the entry is removed;
// when a later sink fails, the earlier ones have the group, Commit returns
// the error, and the entry stays: the next Commit replays it to every sink
// before its own group (and fails if it still cannot), and so does the next
// OpenMulti. No sink ever receives a group before an earlier one.
//
// With a single sink, Multi journals nothing; it still replays an entry it
// finds, so a run that drops the second sink completes the first.
type Multi struct {
	sinks   []Sink
	journal *groupJournal // nil: no journal directory given (one sink)
	pending []string      // entries not yet in every sink, oldest first
	log     *slog.Logger
}

var _ Sink = (*Multi)(nil)

// MultiOptions configures OpenMulti.
type MultiOptions struct {
	// Journal is the directory of the write-ahead journal, created (0700)
	// if missing. It is required with two sinks or more, and must be
	// protected by the first sink's single-writer lock: cmd/syncer uses the
	// primary warehouse's Location.Sidecar("journal"), beside the DuckDB
	// file. It holds the rows of at most one Commit call, the same rows the
	// sinks hold, and only while that call runs (or after it failed, or the
	// process died during it).
	Journal string
	// Logger receives the replay notices; nil discards them.
	Logger *slog.Logger
}

// OpenMulti returns a Multi over sinks, which it owns from then on (Close
// closes them). Before it returns, it replays to every sink, in order, the
// journal entries an earlier process left, and removes them; if a replay
// fails, it returns the error and the caller still owns the sinks.
func OpenMulti(ctx context.Context, o MultiOptions, sinks ...Sink) (*Multi, error) {
	if len(sinks) == 0 {
		return nil, errors.New("load: Multi needs a sink")
	}
	if o.Journal == "" && len(sinks) > 1 {
		return nil, errors.New("load: Multi needs a journal directory for two sinks or more")
	}
	m := &Multi{sinks: sinks, log: logs.OrDiscard(o.Logger)}
	if o.Journal == "" {
		return m, nil
	}
	var err error
	if m.journal, m.pending, err = openGroupJournal(o.Journal, len(sinks) > 1); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if len(m.pending) > 0 {
		n := len(m.pending)
		if err := m.replay(ctx); err != nil {
			return nil, err
		}
		m.log.Info("journal replayed: the commits a crash interrupted are now in every sink", "journal", o.Journal, "groups", n, "sinks", len(sinks))
	}
	return m, nil
}

// Commit commits batches to every sink, as the Multi doc says.
func (m *Multi) Commit(ctx context.Context, batches []schema.Batch) error {
	if m.journal == nil || len(m.sinks) == 1 {
		return m.sinks[0].Commit(ctx, batches)
	}
	if len(batches) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.replay(ctx); err != nil {
		return err
	}
	entry, err := m.journal.write(batches)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	for i, s := range m.sinks {
		if err := s.Commit(ctx, batches); err != nil {
			if i == 0 { // no sink has the group
				if rerr := m.journal.remove(entry); rerr != nil {
					m.pending = append(m.pending, entry) // nothing may overtake it
					return errors.Join(err, rerr)
				}
				return err
			}
			m.pending = append(m.pending, entry)
			return fmt.Errorf("load: committed to %d of %d sinks; the rest follows before the next commit: %w", i, len(m.sinks), err)
		}
	}
	if err := m.journal.remove(entry); err != nil {
		m.pending = append(m.pending, entry)
		return fmt.Errorf("load: committed to every sink, but %w", err)
	}
	return nil
}

// replay commits each pending entry to every sink, in order, and removes
// it. It stops at the first failure, leaving that entry and the later ones
// pending.
func (m *Multi) replay(ctx context.Context) error {
	for len(m.pending) > 0 {
		entry := m.pending[0]
		batches, err := m.journal.read(entry)
		if err != nil {
			return fmt.Errorf("load: replaying the journal: %w", err)
		}
		for i, s := range m.sinks {
			if err := s.Commit(ctx, batches); err != nil {
				return fmt.Errorf("load: replaying %s to sink %d of %d: %w", m.journal.path(entry), i+1, len(m.sinks), err)
			}
		}
		if err := m.journal.remove(entry); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		m.pending = m.pending[1:]
	}
	return nil
}

// Close closes every sink, the last first, and reports every error. A group
// still pending stays in the journal for the next OpenMulti.
func (m *Multi) Close() error {
	if len(m.pending) > 0 {
		m.log.Warn("a commit is not yet in every sink: the next run completes it from the journal", "journal", m.journal.dir, "groups", len(m.pending))
	}
	var errs []error
	for i := len(m.sinks) - 1; i >= 0; i-- {
		errs = append(errs, m.sinks[i].Close())
	}
	return errors.Join(errs...)
}
