package pipeline

import "sync"

// offers tells the goroutine that commits (commitGroups) whether load offers
// another group at once, for a load.Holder's question at the end of a
// commit. load publishes, whenever its state may have changed, how many
// groups it has handed over and whether it offers the next; the committer,
// which knows how many it has received, waits until load has published
// since its latest receive, so it never acts on an answer from before it
// took a group.
type offers struct {
	mu       sync.Mutex
	changed  *sync.Cond
	sent     int  // groups load has handed over, as of offering
	offering bool // load offers group sent+1, and will until it is taken
}

func newOffers() *offers {
	o := &offers{}
	o.changed = sync.NewCond(&o.mu)
	return o
}

// publish is load's: it has handed over sent groups, and offers the next or
// not.
func (o *offers) publish(sent int, offering bool) {
	o.mu.Lock()
	o.sent, o.offering = sent, offering
	o.mu.Unlock()
	o.changed.Broadcast()
}

// pending is the committer's, which has received received groups: whether
// load offers another, as soon as load has published since the latest.
func (o *offers) pending(received int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for o.sent < received {
		o.changed.Wait()
	}
	return o.offering
}
