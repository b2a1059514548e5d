package load

// TableCounts is what a sink's committed merges did to one table's rows.
type TableCounts struct {
	Inserted int64 // rows whose key the table did not hold
	Updated  int64 // rows whose key the table held, given the latest values (changed or not)
	Deleted  int64 // rows removed, such as a positions snapshot replaced
}

// MergeCounter is implemented by sinks that can say what their commits did
// (the DuckDB sink), as opposed to how many rows they were given.
type MergeCounter interface {
	// MergeCounts returns, per table, the rows the commits that succeeded
	// since the sink was opened inserted, updated and deleted.
	MergeCounts() map[string]TableCounts
}

// Plus adds o to c.
func (c TableCounts) Plus(o TableCounts) TableCounts {
	return TableCounts{Inserted: c.Inserted + o.Inserted, Updated: c.Updated + o.Updated, Deleted: c.Deleted + o.Deleted}
}
