package load

// A Holder is a Sink that releases what it holds between commits (a DuckDB
// file released for readers: duckdb.Options.ReleaseBetweenCommits) and can
// keep holding it through a Commit whose successor is already waiting, so
// that back-to-back commits do not each release and take the warehouse
// back (a checkpoint and a cold start each).
type Holder interface {
	// KeepHeldWhile gives the sink more, which it calls at the end of
	// each Commit: while more reports that another Commit follows at once,
	// the sink may keep holding (it still releases for a reader that waits).
	// It is called between commits, on the goroutine that commits, which
	// is also where the sink calls more; KeepHeldWhile(nil) ends it.
	KeepHeldWhile(more func() bool)
}

// KeepHeldWhile passes more to every sink of m that is a Holder.
func (m *Multi) KeepHeldWhile(more func() bool) {
	for _, s := range m.sinks {
		if h, ok := s.(Holder); ok {
			h.KeepHeldWhile(more)
		}
	}
}

var _ Holder = (*Multi)(nil)
