package load

import (
	"fmt"
	"testing"
	"time"

	"github.com/syncer/syncer/schema"
)

func TestFoldRows(t *testing.T) {
	kv := &schema.Table{Name: "kv", Key: []string{"k"}, Columns: []schema.Column{
		{Name: "k", Type: schema.Type{Kind: schema.KindVarchar}},
		{Name: "a", Type: schema.Type{Kind: schema.KindVarchar}, Nullable: true},
		{Name: "b", Type: schema.Type{Kind: schema.KindVarchar}, Nullable: true},
	}}
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	snap := &schema.Table{Name: "snap", Key: []string{"s", "k"}, ScopeBy: []string{"s", "d"}, Merge: schema.ReplaceScope,
		Columns: []schema.Column{
			{Name: "s", Type: schema.Type{Kind: schema.KindVarchar}},
			{Name: "d", Type: schema.Type{Kind: schema.KindDate}},
			{Name: "k", Type: schema.Type{Kind: schema.KindVarchar}},
		}}
	batch := func(table string, rows ...schema.Row) schema.Batch {
		return schema.Batch{Rows: map[string][]schema.Row{table: rows}}
	}
	tests := []struct {
		name    string
		table   *schema.Table
		merge   schema.Merge
		batches []schema.Batch
		want    string
	}{
		{"upsert: last wins", kv, schema.Upsert,
			[]schema.Batch{batch("kv", schema.Row{"x", "1", "1"}, schema.Row{"y", "1", nil}), batch("kv", schema.Row{"x", "2", nil})},
			"[[x 2 <nil>] [y 1 <nil>]]"},
		{"insert if new: first wins", kv, schema.InsertIfNew,
			[]schema.Batch{batch("kv", schema.Row{"x", "1", "1"}), batch("kv", schema.Row{"x", "2", nil})},
			"[[x 1 1]]"},
		{"coalesce: later non-NULL values fold in", kv, schema.Coalesce,
			[]schema.Batch{batch("kv", schema.Row{"x", "1", "1"}), batch("kv", schema.Row{"x", nil, "2"}), batch("kv", schema.Row{"x", nil, nil})},
			"[[x 1 2]]"},
		{"keys that only a separator would tell apart", kv, schema.Upsert,
			[]schema.Batch{batch("kv", schema.Row{"a\x00sb", "1", nil}, schema.Row{"a", "2", nil})},
			"[[a\x00sb 1 <nil>] [a 2 <nil>]]"},
		{"replace scope: a later batch's scope drops earlier rows", snap, schema.ReplaceScope,
			[]schema.Batch{
				batch("snap", schema.Row{"L", day, "p1"}, schema.Row{"L", day, "p2"}, schema.Row{"M", day, "p1"}),
				{Scopes: map[string][]schema.Row{"snap": {{"L", day}}}, Rows: map[string][]schema.Row{"snap": {{"L", day, "p3"}}}},
			},
			fmt.Sprintf("[[M %v p1] [L %v p3]]", day, day)},
		{"replace scope: a declared scope with no rows empties it", snap, schema.ReplaceScope,
			[]schema.Batch{batch("snap", schema.Row{"L", day, "p1"}), {Scopes: map[string][]schema.Row{"snap": {{"L", day}}}}},
			"[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := *tt.table
			table.Merge = tt.merge
			var rows []schema.Row
			for _, r := range FoldRows(&table, tt.batches) {
				rows = append(rows, r.Values)
			}
			if got := fmt.Sprint(rows); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestLatestRounds: a batch goes to the round after the last one holding a
// batch with an owner (login) in common, so each round holds at most one
// batch per login, in call order; FoldRows keeps the last row of a key per
// round.
func TestLatestRounds(t *testing.T) {
	tbl := &schema.Table{Name: "acct", Key: []string{"login", "k"}, ScopeBy: []string{"login"}, Merge: schema.Latest,
		Columns: []schema.Column{
			{Name: "login", Type: schema.Type{Kind: schema.KindVarchar}},
			{Name: "k", Type: schema.Type{Kind: schema.KindVarchar}},
			{Name: "v", Type: schema.Type{Kind: schema.KindVarchar}, Nullable: true},
		}}
	rows := func(rs ...schema.Row) schema.Batch { return schema.Batch{Rows: map[string][]schema.Row{"acct": rs}} }
	scope := func(login string) schema.Batch {
		return schema.Batch{Scopes: map[string][]schema.Row{"acct": {{login, time.Time{}}}}}
	}
	batches := []schema.Batch{
		rows(schema.Row{"A", "x", "1"}, schema.Row{"A", "x", "2"}), // 0
		rows(schema.Row{"B", "x", "1"}),                            // 0
		{},                                                         // nothing for the table
		scope("A"),                                                 // 1: A again
		rows(schema.Row{"C", "x", "1"}, schema.Row{"B", "y", "1"}), // 1: after B's round 0
		rows(schema.Row{"A", "x", "3"}),                            // 2
		rows(schema.Row{"C", "x", "2"}),                            // 2
		scope("D"),                                                 // 0
	}
	got, n := LatestRounds(tbl, batches)
	if want := []int{0, 0, -1, 1, 1, 2, 2, 0}; fmt.Sprint(got) != fmt.Sprint(want) || n != 3 {
		t.Errorf("rounds %v (%d), want %v (3)", got, n, want)
	}
	var winners []string
	for _, r := range FoldRows(tbl, batches) {
		winners = append(winners, fmt.Sprintf("%d:%v", r.Round, r.Values))
	}
	if got, want := fmt.Sprint(winners), "[0:[A x 2] 0:[B x 1] 1:[C x 1] 1:[B y 1] 2:[A x 3] 2:[C x 2]]"; got != want {
		t.Errorf("winners %s, want %s", got, want)
	}
}
