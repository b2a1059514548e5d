package schema

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// panicOf runs f and returns what it panicked with, as text ("" if it did
// not panic).
func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

func abc() *Table {
	return &Table{Name: "abc", Columns: []Column{{Name: "a", Since: 1}, {Name: "b", Since: 1}, {Name: "c", Since: 1}}}
}

// TestLayoutPlacesValuesByName: a layout takes the values in the order it
// names the columns and puts each at its column's position in the table.
func TestLayoutPlacesValuesByName(t *testing.T) {
	tbl := abc()
	if got, want := tbl.Layout("c", "a", "b").Row(3, 1, 2), (Row{1, 2, 3}); !slices.Equal(got, want) {
		t.Errorf("Layout(c, a, b).Row(3, 1, 2) = %v, want %v", got, want)
	}
	if got, want := tbl.Layout("a", "b", "c").Row(1, nil, 3), (Row{1, nil, 3}); !slices.Equal(got, want) {
		t.Errorf("Layout(a, b, c).Row(1, nil, 3) = %v, want %v", got, want)
	}
	l := tbl.Layout("b", "c", "a")
	if l.Width() != 3 {
		t.Errorf("Width = %d, want 3", l.Width())
	}
	r := make(Row, 3)
	l.Fill(r, 2, 3, 1)
	if want := (Row{1, 2, 3}); !slices.Equal(r, want) {
		t.Errorf("Fill(2, 3, 1) = %v, want %v", r, want)
	}
}

// TestLayoutPanics: a layout that does not name each column of its table
// exactly once, or a row of another width, is a programming mistake that
// panics with the table and column named.
func TestLayoutPanics(t *testing.T) {
	tbl := abc()
	l := tbl.Layout("a", "b", "c")
	for _, tt := range []struct {
		name string
		f    func()
		want string
	}{
		{"unknown column", func() { tbl.Layout("a", "b", "c", "x") }, `abc has no column "x"`},
		{"column named twice", func() { tbl.Layout("a", "b", "a", "c") }, `abc: column "a" named twice`},
		{"column left out", func() { tbl.Layout("c", "a") }, `abc: column "b" not named`},
		{"too few values", func() { l.Row(1, 2) }, "abc: 2 values for 3 columns"},
		{"too many values", func() { l.Row(1, 2, 3, 4) }, "abc: 4 values for 3 columns"},
		{"row of another width", func() { l.Fill(make(Row, 4), 1, 2, 3) }, "abc: a row of 4 values for 3 columns"},
		{"unknown scope column", func() { Transactions.ScopeLayout("login_id", "synced_at") }, `transactions scope has no column "synced_at"`},
		{"unknown index", func() { tbl.MustIndex("x") }, `abc has no column "x"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := panicOf(tt.f)
			if !strings.Contains(got, tt.want) {
				t.Errorf("panic %q, want one containing %q", got, tt.want)
			}
		})
	}
}

// TestScopeLayout: a scope layout places a tuple's values by the names of
// Table.ScopeColumns.
func TestScopeLayout(t *testing.T) {
	at := time.Date(2025, 2, 1, 6, 30, 0, 0, time.UTC)
	from, to := DateOf(at.AddDate(0, 0, -9)), DateOf(at)
	l := Transactions.ScopeLayout(ScopeAt, "account_id", "login_id", ScopeTo, ScopeFrom)
	got := l.Row(at, "acct", "login", to, from)
	var want Row
	for _, c := range Transactions.ScopeColumns() {
		want = append(want, map[string]any{"login_id": "login", "account_id": "acct", ScopeFrom: from, ScopeTo: to, ScopeAt: at}[c.Name])
	}
	if !slices.Equal(got, want) {
		t.Errorf("transactions scope row %v, want %v", got, want)
	}
	if l.Width() != len(Transactions.ScopeColumns()) {
		t.Errorf("Width = %d, want %d", l.Width(), len(Transactions.ScopeColumns()))
	}
	if got, want := Positions.ScopeLayout("as_of_date", "login_id").Row(from, "login"), (Row{"login", from}); !slices.Equal(got, want) {
		t.Errorf("positions scope row %v, want %v", got, want)
	}
}

// TestMustIndex: MustIndex is Index for a column that exists.
func TestMustIndex(t *testing.T) {
	for _, name := range []string{"login_id", "synced_at", "closed_at"} {
		if got, want := Accounts.MustIndex(name), Accounts.Index(name); got != want || got < 0 {
			t.Errorf("MustIndex(%s) = %d, want %d", name, got, want)
		}
	}
}

// TestLayoutAllocations: building a row by name costs what a Row literal
// does, one allocation (its values), and filling a given row none.
func TestLayoutAllocations(t *testing.T) {
	l := abc().Layout("c", "a", "b")
	var x, y, z any = "x", "y", "z"
	var sink Row
	if n := testing.AllocsPerRun(100, func() { sink = l.Row(x, y, z) }); n != 1 {
		t.Errorf("Row: %v allocations, want 1", n)
	}
	r := make(Row, 3)
	if n := testing.AllocsPerRun(100, func() { l.Fill(r, x, y, z) }); n != 0 {
		t.Errorf("Fill: %v allocations, want 0", n)
	}
	_ = sink
}

var benchRow Row

// BenchmarkRow compares building an accounts row (18 columns) by a Row
// literal, as the transform did, with a Layout in table order and one in
// another order.
func BenchmarkRow(b *testing.B) {
	names := Accounts.ColumnNames()
	inOrder := Accounts.Layout(names...)
	slices.Reverse(names)
	reversed := Accounts.Layout(names...)
	var v any = "value"
	for _, bb := range []struct {
		name string
		row  func() Row
	}{
		{"literal", func() Row { return Row{v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v} }},
		{"layout", func() Row { return inOrder.Row(v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v) }},
		{"layout_reordered", func() Row { return reversed.Row(v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v) }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				benchRow = bb.row()
			}
		})
	}
}
