package schema

import "fmt"

// Layout is the order in which a row builder gives the values of a table's
// columns (or of its scope tuples' columns), resolved to positions by name
// once: the builder depends on the columns' names, never on their order in
// Table.Columns. Resolve layouts when the builder's package initialises
// (var x = schema.T.Layout(...)), so that a name that is not a column
// panics there, naming the table and the column, and every test of the
// package fails at once. Building a row costs no lookup by name.
type Layout struct {
	of      string // the table's name, or "<name> scope", for panics
	pos     []int  // pos[i] is the row position of the i-th named column
	inOrder bool   // pos[i] == i for every i
}

// Layout returns the layout that gives t's columns in the order names lists.
// It panics unless names lists every column of t exactly once: a column the
// builder has no value for is named too, and given nil (NULL).
func (t *Table) Layout(names ...string) *Layout { return newLayout(t.Name, t.Columns, names) }

// ScopeLayout is Layout over the columns of t's scope tuples
// (Table.ScopeColumns).
func (t *Table) ScopeLayout(names ...string) *Layout {
	return newLayout(t.Name+" scope", t.ScopeColumns(), names)
}

func newLayout(of string, cols []Column, names []string) *Layout {
	l := &Layout{of: of, pos: make([]int, len(names)), inOrder: true}
	named := make([]bool, len(cols))
	for i, name := range names {
		p := columnIndex(cols, name)
		switch {
		case p < 0:
			panic(fmt.Sprintf("schema: layout: %s has no column %q", of, name))
		case named[p]:
			panic(fmt.Sprintf("schema: layout of %s: column %q named twice", of, name))
		}
		named[p], l.pos[i] = true, p
		l.inOrder = l.inOrder && p == i
	}
	for p, ok := range named {
		if !ok {
			panic(fmt.Sprintf("schema: layout of %s: column %q not named (name every column; give nil for NULL)", of, cols[p].Name))
		}
	}
	return l
}

// Width returns the number of values of a row: the number of columns.
func (l *Layout) Width() int { return len(l.pos) }

// Row returns a new row holding vals, given in the layout's order. It panics
// unless there is one value per column.
func (l *Layout) Row(vals ...any) Row {
	r := make(Row, len(l.pos))
	l.Fill(r, vals...)
	return r
}

// Fill sets the values of r, a row of Width() values, to vals, given in the
// layout's order. It panics unless r and vals both have one value per
// column.
func (l *Layout) Fill(r Row, vals ...any) {
	if len(vals) != len(l.pos) {
		panic(fmt.Sprintf("schema: layout of %s: %d values for %d columns", l.of, len(vals), len(l.pos)))
	}
	if len(r) != len(l.pos) {
		panic(fmt.Sprintf("schema: layout of %s: a row of %d values for %d columns", l.of, len(r), len(l.pos)))
	}
	if l.inOrder {
		copy(r, vals)
		return
	}
	for i, v := range vals {
		r[l.pos[i]] = v
	}
}

// MustIndex returns the position of the named column in t's rows, and panics,
// naming t and the column, if t has none. Resolve it once, when the caller's
// package initialises, rather than per row.
func (t *Table) MustIndex(name string) int {
	i := t.Index(name)
	if i < 0 {
		panic(fmt.Sprintf("schema: %s has no column %q", t.Name, name))
	}
	return i
}

// columnIndex returns the position of the named column in cols, or -1.
func columnIndex(cols []Column, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}
