package load

import (
	"fmt"
	"strconv"
	"time"

	"github.com/syncer/syncer/schema"
)

// FoldedRow is one row of a Commit call, with where it came from (for errors).
type FoldedRow struct {
	Batch, Index int        // the batch in the call, the row in the batch
	Round        int        // for Latest tables (see LatestRounds)
	Values       schema.Row // the row's values, folded with the later rows of its key as t.Merge says
}

// FoldRows reduces t's rows over the call's batches to at most one per key,
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
//     merged in turn: see LatestRounds).
//
// The batches have passed CheckBatches (a row of the wrong width would be
// kept as it is).
func FoldRows(t *schema.Table, batches []schema.Batch) []FoldedRow {
	if t.Merge == schema.Latest {
		rounds, _ := LatestRounds(t, batches)
		return lastPerKey(t, batches, rounds)
	}
	keyIdx := make([]int, len(t.Key))
	for i, k := range t.Key {
		keyIdx[i] = t.Index(k)
	}
	var lastScope map[string]int
	if t.Merge == schema.ReplaceScope {
		lastScope = map[string]int{}
		for bi, tuple := range ReplacedScopes(t, batches) {
			for _, s := range tuple {
				lastScope[Key(s)] = bi
			}
		}
	}
	n := rowCount(t, batches)
	out := make([]FoldedRow, 0, n)
	at := make(map[string]int, n) // key -> index in out
	scopeIdx := scopeIndexes(t)
	var buf []byte
	for bi, b := range batches {
		for ri, row := range b.Rows[t.Name] {
			r := FoldedRow{Batch: bi, Index: ri, Values: row}
			if len(row) != len(t.Columns) {
				out = append(out, r)
				continue
			}
			if lastScope != nil {
				buf = appendKey(buf[:0], row, scopeIdx)
				if lastScope[string(buf)] != bi {
					continue
				}
			}
			buf = appendKey(buf[:0], row, keyIdx)
			i, seen := at[string(buf)]
			switch {
			case !seen:
				at[string(buf)] = len(out)
				out = append(out, r)
			case t.Merge == schema.InsertIfNew:
				out[i] = foldGreatest(t, out[i], row)
			case t.Merge == schema.Coalesce:
				merged := append(schema.Row(nil), out[i].Values...)
				for c, v := range row {
					if v != nil {
						merged[c] = v
					}
				}
				out[i] = FoldedRow{Batch: bi, Index: ri, Values: merged}
			default:
				out[i] = r
			}
		}
	}
	return out
}

// rowCount is the number of t's rows over batches.
func rowCount(t *schema.Table, batches []schema.Batch) int {
	n := 0
	for _, b := range batches {
		n += len(b.Rows[t.Name])
	}
	return n
}

// lastPerKey keeps the last row of each key within each round
// (rounds[batch]), in order of first appearance.
func lastPerKey(t *schema.Table, batches []schema.Batch, rounds []int) []FoldedRow {
	keyIdx := make([]int, len(t.Key))
	for i, k := range t.Key {
		keyIdx[i] = t.Index(k)
	}
	n := rowCount(t, batches)
	out := make([]FoldedRow, 0, n)
	at := make(map[string]int, n) // round and key -> index in out
	var buf []byte
	for bi, b := range batches {
		for ri, row := range b.Rows[t.Name] {
			r := FoldedRow{Batch: bi, Index: ri, Round: rounds[bi], Values: row}
			if len(row) != len(t.Columns) {
				out = append(out, r)
				continue
			}
			buf = strconv.AppendInt(buf[:0], int64(r.Round), 10)
			buf = appendKey(append(buf, 0), row, keyIdx)
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

// scopeIndexes returns the column indexes of t.ScopeBy.
func scopeIndexes(t *schema.Table) []int {
	idx := make([]int, len(t.ScopeBy))
	for i, name := range t.ScopeBy {
		idx[i] = t.Index(name)
	}
	return idx
}

// ReplacedScopes returns, per batch, the scope tuples it replaces in t: those it
// declares and those its rows imply, so a row never lands beside an
// unreplaced snapshot.
func ReplacedScopes(t *schema.Table, batches []schema.Batch) [][][]any {
	idx := scopeIndexes(t)
	out := make([][][]any, len(batches))
	for bi, b := range batches {
		seen := map[string]bool{}
		add := func(tuple []any) {
			if k := Key(tuple); !seen[k] {
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

// Key encodes key values so that equal keys, as a warehouse compares them
// (strings byte for byte, instants and dates by instant), encode equally,
// and different keys differently.
func Key(values []any) string {
	b := make([]byte, 0, 64)
	for _, v := range values {
		b = appendKeyValue(b, v)
	}
	return string(b)
}

// appendKey appends the Key encoding of row's values at idx to b.
func appendKey(b []byte, row schema.Row, idx []int) []byte {
	for _, i := range idx {
		b = appendKeyValue(b, row[i])
	}
	return b
}

func appendKeyValue(b []byte, v any) []byte {
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

// foldGreatest returns the first row of a key with each of its
// Table.Greatest columns raised to row's value where that is greater (a
// NULL raises nothing).
func foldGreatest(t *schema.Table, first FoldedRow, row schema.Row) FoldedRow {
	var merged schema.Row
	for _, name := range t.Greatest {
		c := t.Index(name)
		if row[c] == nil || (first.Values[c] != nil && !greater(row[c], first.Values[c])) {
			continue
		}
		if merged == nil {
			merged = append(schema.Row(nil), first.Values...)
		}
		merged[c] = row[c]
	}
	if merged != nil {
		first.Values = merged
	}
	return first
}

// greater reports whether a > b for values of one ordered column kind
// (schema.TestGreatestColumns keeps Greatest columns to those). Values of
// another type compare as not greater, for staging to reject.
func greater(a, b any) bool {
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

// Rounds of the Latest merge (schema.Latest).
//
// A Commit call must leave what committing its batches one at a time, in
// order, would leave, and a call may hold several batches of one login (a
// group commit that retries a login, the conformance suite's). For a Latest
// table the outcome of a batch depends on the state the earlier ones left
// (what changed, what went missing), so the call's batches are split into
// rounds: a batch goes to the round after the last one that holds a batch
// with an owner in common (the value of the table's first ScopeBy column,
// login_id, in its rows and scopes). A round thus holds at most one batch per
// owner, in call order, and the batches of one round never touch the same
// rows, so each round merges set-based in one pass, and the rounds one after
// the other, in the call's transaction. A call of one batch per login, a
// run's, is one round.

// LatestRounds returns the round of each batch for t (-1 for a batch with
// no rows or scopes for t) and the number of rounds.
func LatestRounds(t *schema.Table, batches []schema.Batch) ([]int, int) {
	owner := t.Index(t.ScopeBy[0])
	last := map[string]int{} // owner -> its last round
	rounds := make([]int, len(batches))
	n := 0
	for bi, b := range batches {
		rows, scopes := b.Rows[t.Name], b.Scopes[t.Name]
		if len(rows)+len(scopes) == 0 {
			rounds[bi] = -1
			continue
		}
		owners := map[string]bool{}
		for _, r := range rows {
			if len(r) == len(t.Columns) {
				owners[Key([]any{r[owner]})] = true
			}
		}
		for _, s := range scopes {
			if len(s) > 0 {
				owners[Key([]any{s[0]})] = true
			}
		}
		round := 0
		for o := range owners {
			if r, ok := last[o]; ok {
				round = max(round, r+1)
			}
		}
		for o := range owners {
			last[o] = round
		}
		rounds[bi] = round
		n = max(n, round+1)
	}
	return rounds, n
}
