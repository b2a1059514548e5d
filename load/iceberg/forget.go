package iceberg

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
)

var _ load.Forgetter = (*Sink)(nil)

// Forget deletes loginID's rows from every table that names logins, one
// Iceberg delete (by the filter login_id = loginID) per table, each
// retried against other writers as a commit is, then commits record's
// batch (the erasures row) through Commit. The lake has no transaction
// across tables: a crash part-way leaves some tables erased and no
// erasures row, and a new call finishes the others (a table with no row
// left is not touched). See load.Forgetter.
//
// The deleted rows stay in the files of older snapshots until those
// expire: `syncer lake maintain --expire-after` removes them, and its
// orphan-file deletion the files no snapshot names any more.
//
// It relies on the sink's lake catalog (s.lake.cat), identifier, Namespace,
// isConflict and Commit, and on iceberg-go's Transaction.Delete.
func (s *Sink) Forget(ctx context.Context, loginID string, record func(removed map[string]int64) schema.Batch) (map[string]int64, error) {
	ctx = s.lake.bind(ctx)
	removed := map[string]int64{}
	filter := iceberg.EqualTo(iceberg.Reference("login_id"), loginID)
	props := iceberg.Properties{"syncer.operation": "forget"}
	for _, t := range load.LoginTables() {
		n, err := s.deleteWhere(ctx, t, filter, props)
		if err != nil {
			return nil, fmt.Errorf("iceberg: %s.%s: erasing: %w", Namespace, t.Name, err)
		}
		removed[t.Name] = n
	}
	if err := s.Commit(ctx, []schema.Batch{record(removed)}); err != nil {
		return nil, err
	}
	return removed, nil
}

// deleteWhere deletes t's rows that match filter in one commit, reloading
// the table and trying again when another writer committed first, and
// returns how many rows it deleted (0, committing nothing, when none match).
func (s *Sink) deleteWhere(ctx context.Context, t *schema.Table, filter iceberg.BooleanExpression, props iceberg.Properties) (int64, error) {
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		tbl, err := s.lake.cat.LoadTable(ctx, identifier(t))
		if err != nil {
			return 0, err
		}
		scan := tbl.Scan(table.WithRowFilter(filter), table.WithSelectedFields("login_id"))
		rows, err := scan.ToArrowTable(ctx)
		if err != nil {
			return 0, err
		}
		n := rows.NumRows()
		rows.Release()
		if n == 0 {
			return 0, nil
		}
		tx := tbl.NewTransaction()
		err = tx.Delete(ctx, filter, props)
		if err == nil {
			_, err = tx.Commit(ctx)
		}
		if err == nil || !isConflict(err) || attempt == maxAttempts {
			return n, err
		}
		s.lostRace(t.Name)
		if err := clock.Sleep(ctx, s.clock, backoff/2+rand.N(backoff)); err != nil {
			return 0, err
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}
