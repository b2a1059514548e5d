package extract

import (
	"container/heap"
	"time"
)

// lateGrace is how long a waiting login may be late for its turn (the
// machine woke it late) before the others stop holding back for it.
const lateGrace = 2 * time.Millisecond

// ticket is a login's place among the logins waiting for the rate. The zero
// value is "not waiting".
type ticket struct {
	waiting bool
	p       priority
	due     time.Time // when it was told to ask again
	pos     int       // 1 + its index in its queue's heap; 0 when not in it (late, or not waiting)
}

// queue is the waiting logins of one priority. The ones not late for their
// turn are kept by due time, the earliest first, so the governor can tell
// who is due now.
type queue struct {
	waiting int       // logins refused and not yet granted or gone
	byDue   []*ticket // a heap
}

// wait records that tk (of priority p) was refused and told to ask again at due.
func (q *queue) wait(tk *ticket, p priority, due time.Time) {
	if !tk.waiting {
		tk.waiting, tk.p = true, p
		q.waiting++
	}
	tk.due = due
	if tk.pos > 0 {
		heap.Fix(q, tk.pos-1)
		return
	}
	heap.Push(q, tk)
}

// done removes tk: it was granted, or its login is gone.
func (q *queue) done(tk *ticket) {
	if !tk.waiting {
		return
	}
	q.waiting--
	tk.waiting = false
	if tk.pos > 0 {
		heap.Remove(q, tk.pos-1)
	}
}

// first returns the waiting login due first that is not more than lateGrace
// late at now, or nil.
func (q *queue) first(now time.Time) *ticket {
	for len(q.byDue) > 0 && q.byDue[0].due.Before(now.Add(-lateGrace)) {
		heap.Pop(q) // late: it goes when it comes, but holds nobody back
	}
	if len(q.byDue) == 0 {
		return nil
	}
	return q.byDue[0]
}

func (q *queue) Len() int           { return len(q.byDue) }
func (q *queue) Less(i, j int) bool { return q.byDue[i].due.Before(q.byDue[j].due) }
func (q *queue) Swap(i, j int) {
	q.byDue[i], q.byDue[j] = q.byDue[j], q.byDue[i]
	q.byDue[i].pos, q.byDue[j].pos = i+1, j+1
}
func (q *queue) Push(x any) {
	tk := x.(*ticket)
	q.byDue = append(q.byDue, tk)
	tk.pos = len(q.byDue)
}
func (q *queue) Pop() any {
	tk := q.byDue[len(q.byDue)-1]
	q.byDue[len(q.byDue)-1] = nil
	q.byDue = q.byDue[:len(q.byDue)-1]
	tk.pos = 0
	return tk
}
