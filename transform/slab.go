package transform

import "github.com/syncer/syncer/schema"

// slab hands out rows of one layout from shared backing arrays: one
// allocation per chunk of rows (chunks double up to maxSlabRows) instead of
// one per row. Each row's capacity is its length, so appending to a row
// never touches its neighbour.
type slab struct {
	layout *schema.Layout
	buf    []any
	width  int
	next   int // rows in the next chunk
}

const maxSlabRows = 256

func newSlab(l *schema.Layout) *slab { return &slab{layout: l, width: l.Width()} }

// row puts vals, one per column in the layout's order, into a new row.
func (s *slab) row(vals ...any) schema.Row {
	if len(s.buf) < s.width {
		s.next = min(max(2*s.next, 4), maxSlabRows)
		s.buf = make([]any, s.width*s.next)
	}
	r := s.buf[:s.width:s.width]
	s.layout.Fill(r, vals...)
	s.buf = s.buf[s.width:]
	return r
}
