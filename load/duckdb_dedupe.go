package load

import (
	"fmt"
	"strconv"
	"time"

	"github.com/syncer/syncer/schema"
)

// ddbRow is one row of a Commit call, with where it came from (for errors).
type ddbRow struct {
	batch, index int
	round        int // for Latest tables (see latestRounds)
	values       schema.Row
}

// ddbWinners reduces t's rows over the call's batches to at most one per key,
// exactly as committing the batches one at a time, in order, would leave
// them, so that one set-based statement per table can merge the call:
//
//   - Upsert, ReplaceScope: the last row of a key wins; for ReplaceScope, a
//     row is dropped first if a later batch replaces its scope again.
//   - InsertIfNew: the first row of a key wins, except that its Greatest
//     columns take the greatest non-NULL value of the key's rows.
//   - Coalesce: the rows of a key fold into one, a later non-NULL value
//     replacing an earlier one.
//   - Latest: the last row of a key in each round wins (the rounds are
//     merged in turn: see latestRounds).
//
// Rows whose width is wrong are kept as they are, for staging to reject.
func ddbWinners(t *schema.Table, batches []schema.Batch) []ddbRow {
	if t.Merge == schema.Latest {
		rounds, _ := latestRounds(t, batches)
		return ddbLastPerKey(t, batches, rounds)
	}
	keyIdx := make([]int, len(t.Key))
	for i, k := range t.Key {
		keyIdx[i] = t.Index(k)
	}
	var lastScope map[string]int
	if t.Merge == schema.ReplaceScope {
		lastScope = map[string]int{}
		for bi, tuple := range ddbScopes(t, batches) {
			for _, s := range tuple {
				lastScope[ddbKey(s)] = bi
			}
		}
	}
	var out []ddbRow
	at := map[string]int{} // key -> index in out
	scopeIdx := ddbScopeIndexes(t)
	var buf []byte
	for bi, b := range batches {
		for ri, row := range b.Rows[t.Name] {
			r := ddbRow{batch: bi, index: ri, values: row}
			if len(row) != len(t.Columns) {
				out = append(out, r)
				continue
			}
			if lastScope != nil {
				buf = ddbAppendKey(buf[:0], row, scopeIdx)
				if lastScope[string(buf)] != bi {
					continue
				}
			}
			buf = ddbAppendKey(buf[:0], row, keyIdx)
			i, seen := at[string(buf)]
			switch {
			case !seen:
				at[string(buf)] = len(out)
				out = append(out, r)
			case t.Merge == schema.InsertIfNew:
				out[i] = ddbFoldGreatest(t, out[i], row)
			case t.Merge == schema.Coalesce:
				merged := append(schema.Row(nil), out[i].values...)
				for c, v := range row {
					if v != nil {
						merged[c] = v
					}
				}
				out[i] = ddbRow{batch: bi, index: ri, values: merged}
			default:
				out[i] = r
			}
		}
	}
	return out
}

// ddbLastPerKey keeps the last row of each key within each round
// (rounds[batch]), in order of first appearance.
func ddbLastPerKey(t *schema.Table, batches []schema.Batch, rounds []int) []ddbRow {
	keyIdx := make([]int, len(t.Key))
	for i, k := range t.Key {
		keyIdx[i] = t.Index(k)
	}
	var out []ddbRow
	at := map[string]int{} // round and key -> index in out
	var buf []byte
	for bi, b := range batches {
		for ri, row := range b.Rows[t.Name] {
			r := ddbRow{batch: bi, index: ri, round: rounds[bi], values: row}
			if len(row) != len(t.Columns) {
				out = append(out, r)
				continue
			}
			buf = strconv.AppendInt(buf[:0], int64(r.round), 10)
			buf = ddbAppendKey(append(buf, 0), row, keyIdx)
			if i, seen := at[string(buf)]; seen {
				out[i] = r
				continue
			}
			at[string(buf)] = len(out)
			out = append(out, r)
		}
	}
	return out
}

// ddbScopeIndexes returns the column indexes of t.ScopeBy.
func ddbScopeIndexes(t *schema.Table) []int {
	idx := make([]int, len(t.ScopeBy))
	for i, name := range t.ScopeBy {
		idx[i] = t.Index(name)
	}
	return idx
}

// ddbScopes returns, per batch, the scope tuples it replaces in t: those it
// declares and those its rows imply, so a row never lands beside an
// unreplaced snapshot.
func ddbScopes(t *schema.Table, batches []schema.Batch) [][][]any {
	idx := ddbScopeIndexes(t)
	out := make([][][]any, len(batches))
	for bi, b := range batches {
		seen := map[string]bool{}
		add := func(tuple []any) {
			if k := ddbKey(tuple); !seen[k] {
				seen[k] = true
				out[bi] = append(out[bi], tuple)
			}
		}
		for _, tuple := range b.Scopes[t.Name] {
			add(tuple)
		}
		for _, row := range b.Rows[t.Name] {
			if len(row) == len(t.Columns) {
				add(pick(row, idx))
			}
		}
	}
	return out
}

func pick(row schema.Row, idx []int) []any {
	out := make([]any, len(idx))
	for i, c := range idx {
		out[i] = row[c]
	}
	return out
}

// ddbKey encodes key values so that equal keys, as DuckDB compares them
// (strings byte for byte, instants and dates by instant), encode equally,
// and different keys differently.
func ddbKey(values []any) string {
	b := make([]byte, 0, 64)
	for _, v := range values {
		b = ddbAppendValue(b, v)
	}
	return string(b)
}

// ddbAppendKey appends the ddbKey encoding of row's values at idx to b.
func ddbAppendKey(b []byte, row schema.Row, idx []int) []byte {
	for _, i := range idx {
		b = ddbAppendValue(b, row[i])
	}
	return b
}

func ddbAppendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, 's')
		b = append(b, v...)
	case time.Time:
		b = append(b, 't')
		b = strconv.AppendInt(b, v.UnixNano(), 10)
	case nil:
		b = append(b, 'n')
	default:
		b = fmt.Appendf(b, "%T%v", v, v)
	}
	return append(b, 0)
}

// ddbFoldGreatest returns the first row of a key with each of its
// Table.Greatest columns raised to row's value where that is greater (a
// NULL raises nothing).
func ddbFoldGreatest(t *schema.Table, first ddbRow, row schema.Row) ddbRow {
	var merged schema.Row
	for _, name := range t.Greatest {
		c := t.Index(name)
		if row[c] == nil || (first.values[c] != nil && !ddbGreater(row[c], first.values[c])) {
			continue
		}
		if merged == nil {
			merged = append(schema.Row(nil), first.values...)
		}
		merged[c] = row[c]
	}
	if merged != nil {
		first.values = merged
	}
	return first
}

// ddbGreater reports whether a > b for values of one ordered column kind
// (schema.TestGreatestColumns keeps Greatest columns to those). Values of
// another type compare as not greater, for staging to reject.
func ddbGreater(a, b any) bool {
	switch x := a.(type) {
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.After(y)
	case string:
		y, ok := b.(string)
		return ok && x > y
	case int64:
		y, ok := b.(int64)
		return ok && x > y
	case schema.Decimal:
		y, ok := b.(schema.Decimal)
		return ok && x.Cmp(y) > 0
	}
	return false
}
