package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// load is the single writer: it gathers finished logins into groups of up to
// CommitEvery and commits each group in one call, so a login is all in or all
// out of its group's transaction. When a group fails, it is committed in
// halves, and so on down to the logins that fail alone (one bad login in a
// group of n costs about 2·log2(n) calls); a login whose rows cannot be
// committed is recorded as failed with only its sync_logins row. It
// returns an error wrapping ErrFatal when not even that can be written; it
// keeps draining results so workers never block, and stops committing; it
// aborts the run at once, so that no more logins are fetched only to be
// discarded.
//
// Receiving and committing are apart: while a group commits, or waits for
// the warehouse (a DuckDB file released between groups, which an analyst's
// query holds: see duckdb.Sink; the sink waits as long as it takes, since
// ctx is never cancelled), finished logins keep arriving into a backlog, so
// the workers go on polling the logins they hold. Only a full backlog (see
// backlogFull), which bounds the memory of a long wait, makes the workers
// wait to hand theirs over; parked logins then keep their place and
// are polled once the run moves again, so no login is lost for the wait.
//
// While load offers the next group, a sink that is a load.Holder may keep
// its warehouse held through the commit before it (see commitGroups).
func (r *runner) load(ctx context.Context) error {
	groups := make(chan []result)
	offered := newOffers()
	committed := make(chan error, 1)
	go func() { committed <- r.commitGroups(ctx, groups, offered) }()
	sent := 0

	var backlog []result
	backlogRows := 0
	due := false // the oldest login in the backlog has waited CommitLatency
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	results := r.results
	for results != nil || len(backlog) > 0 {
		in := results
		if r.backlogFull(backlog, backlogRows) {
			in = nil // full: the workers wait
		}
		var out chan []result
		n, full := r.nextGroup(backlog)
		if n > 0 && (due || full || results == nil) {
			out = groups
		}
		offered.publish(sent, out != nil)
		select {
		case res, ok := <-in:
			if !ok {
				results = nil
				continue
			}
			if len(backlog) == 0 {
				timer.Reset(r.o.CommitLatency)
				due = false
			}
			for _, rows := range res.batch.Rows {
				res.rows += len(rows)
			}
			backlog = append(backlog, res)
			backlogRows += res.rows
		case out <- backlog[:n:n]:
			sent++
			for _, res := range backlog[:n] {
				backlogRows -= res.rows
			}
			backlog = append([]result(nil), backlog[n:]...)
			timer.Stop()
			due = false
			if len(backlog) > 0 {
				timer.Reset(r.o.CommitLatency)
			}
		case <-timer.C:
			due = true
		}
	}
	offered.publish(sent, false)
	close(groups)
	return <-committed
}

// nextGroup returns how many logins at the head of the backlog make the
// next group, and whether that group is full (to commit now): CommitEvery
// logins, or, with CommitRows, the logins whose rows reach it (at least
// one).
func (r *runner) nextGroup(backlog []result) (n int, full bool) {
	n = min(len(backlog), r.o.CommitEvery)
	full = n == r.o.CommitEvery
	if r.o.CommitRows <= 0 {
		return n, full
	}
	rows := 0
	for i, res := range backlog[:n] {
		rows += res.rows
		switch {
		case rows == r.o.CommitRows:
			return i + 1, true
		case rows > r.o.CommitRows:
			return max(i, 1), true // the login that passed the bound waits, unless alone
		}
	}
	return n, full
}

// backlogGroups is how many groups' logins the backlog holds at most. Two
// keep the writer busy when it is behind (the next group is ready whenever
// a commit ends, and another fills meanwhile); more only hold more logins
// in memory (four held 37 MB more of Go's memory at 20,000 ready logins,
// for no speed: BENCHMARKS.md, issue 15).
const backlogGroups = 2

// backlogFull reports whether load holds as many finished logins as it may
// while a commit is under way: backlogGroups groups' logins (never fewer
// than the logins the run may have open), or, with CommitRows, the next
// group's rows: with the group committing, at most about twice CommitRows
// rows are held, however large the logins are.
func (r *runner) backlogFull(backlog []result, rows int) bool {
	if len(backlog) >= max(backlogGroups*r.o.CommitEvery, r.o.MaxActive) {
		return true
	}
	return r.o.CommitRows > 0 && rows >= r.o.CommitRows
}

// commitGroups commits each group it receives, in order, until groups is
// closed. After a fatal error it commits nothing more (the groups it still
// receives are dropped: the run is aborted) and returns that error.
//
// A sink that is a load.Holder asks, at the end of each commit, whether
// another commit follows at once: it does when load offers a group
// (offered), which commitGroups then takes to commit next.
func (r *runner) commitGroups(ctx context.Context, groups <-chan []result, offered *offers) error {
	var next []result // a group taken while asked, to commit next
	received := 0
	more := func() bool {
		if next == nil && offered.pending(received) {
			next = <-groups // offered: load sends it
			received++
		}
		return next != nil
	}
	if h, ok := r.sink.(load.Holder); ok {
		h.KeepHeldWhile(more)
		defer h.KeepHeldWhile(nil)
	}
	var fatal error
	for {
		group := next
		next = nil
		if group == nil {
			var ok bool
			if group, ok = <-groups; !ok {
				return fatal
			}
			received++
		}
		if fatal != nil {
			continue
		}
		if fatal = r.commitGroup(ctx, group); fatal != nil {
			r.abort(fatal)
		}
	}
}

// commitGroup commits group; when the sink refuses it, it says why in the
// log, by class only (the sink's message may quote key values, LoginIds, so
// it goes to sync_logins.error, inside the warehouse), and commits the
// group in halves.
func (r *runner) commitGroup(ctx context.Context, group []result) error {
	err := r.sink.Commit(ctx, batchesOf(group))
	if err == nil || len(group) == 1 {
		return r.settle(ctx, group, err)
	}
	r.o.Logger.Warn("group commit failed; committing it in halves to isolate the logins the warehouse refuses",
		"logins", len(group), "cause", load.ErrorClass(err))
	return r.commitHalves(ctx, group)
}

// commitHalves commits each half of group, splitting again each half the
// sink refuses, down to single logins.
func (r *runner) commitHalves(ctx context.Context, group []result) error {
	half := len(group) / 2
	for _, part := range [][]result{group[:half], group[half:]} {
		err := r.sink.Commit(ctx, batchesOf(part))
		if err != nil && len(part) > 1 {
			r.o.Logger.Debug("part of a failed group failed; halving it", "logins", len(part), "cause", load.ErrorClass(err))
			err = r.commitHalves(ctx, part)
		} else {
			err = r.settle(ctx, part, err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// settle records the outcome of a commit of group: each login committed,
// or, when err refused a single login, that login as failed (its rows
// out, its last good data kept). It returns ErrFatal when not even that
// can be committed, or when the refused login was not a success (its rows
// are only its ledger rows: the warehouse cannot be written).
func (r *runner) settle(ctx context.Context, group []result, err error) error {
	if err == nil {
		for _, res := range group {
			r.committed(res)
		}
		return nil
	}
	res := group[0]
	if res.status != StatusSucceeded {
		return fmt.Errorf("%w: the warehouse cannot be written: %w", ErrFatal, err)
	}
	failed := r.loadFailure(res, err)
	if err := r.sink.Commit(ctx, []schema.Batch{failed.batch}); err != nil {
		return fmt.Errorf("%w: the warehouse cannot be written: %w", ErrFatal, err)
	}
	r.committed(failed)
	return nil
}

func batchesOf(group []result) []schema.Batch {
	batches := make([]schema.Batch, len(group))
	for i, res := range group {
		batches[i] = res.batch
	}
	return batches
}

// loadFailure turns a login whose rows the sink refused into a failed login
// that keeps its last good data.
func (r *runner) loadFailure(res result, err error) result {
	row := res.batch.Rows[schema.SyncLogins.Name][0]
	out := transform.LoginOutcome{RunID: r.o.RunID, LoginID: res.batch.LoginID, Status: StatusFailed,
		Error: "load: " + err.Error()}
	// Keep what the ledger row knew about the session.
	if i := schema.SyncLogins.Index("flinks_code"); i >= 0 {
		if s, ok := row[i].(string); ok {
			out.FlinksCode = s
		}
	}
	out.FinishedAt = r.o.Clock.Now().UTC()
	b := transform.OutcomeBatch(out)
	// Every product of the login failed with it, so retry asks for them all.
	pi := schema.SyncLoginProducts.Index("product")
	for _, p := range res.batch.Rows[schema.SyncLoginProducts.Name] {
		b.Rows[schema.SyncLoginProducts.Name] = append(b.Rows[schema.SyncLoginProducts.Name], transform.ProductRow(transform.ProductOutcome{
			RunID: r.o.RunID, LoginID: res.batch.LoginID, Product: p[pi].(string), Status: StatusFailed,
			Error: out.Error, FinishedAt: out.FinishedAt}))
	}
	return result{batch: b, status: StatusFailed, cause: CauseLoad}
}

// committed counts a login whose outcome the sink has committed and tells
// Options.OnFinished.
func (r *runner) committed(res result) {
	r.stats.committed(res)
	if r.o.OnFinished != nil {
		r.o.OnFinished(Finished{LoginID: res.batch.LoginID, Status: res.status, Cause: res.cause, QualityFailed: res.stats.QualityFailed})
	}
}
