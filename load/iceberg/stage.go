package iceberg

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/apache/iceberg-go"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
)

// touch selects the stored rows of a table a merge may change.
type touch struct {
	expr    iceberg.BooleanExpression // matches every row the merge may change
	columns []string                  // the columns expr reads; none when it is always true
}

// stage loads the batches' rows of t (and their scope tuples, and for a
// Latest table their rounds) into the merge engine, checking each value
// (load.Value), and returns what stored rows the merge may touch. It
// stages nothing, and reports staged false, when the batches have nothing
// for t.
func (s *Sink) stage(ctx context.Context, t *schema.Table, batches []schema.Batch) (touch, bool, error) {
	n := 0
	for _, b := range batches {
		n += len(b.Rows[t.Name])
		if t.Scoped() {
			n += len(b.Scopes[t.Name])
		}
	}
	if n == 0 {
		return touch{}, false, nil
	}
	sel := newSelector(t)
	err := s.engine.StageRows(ctx, t, func(add func(values []any, file, batch int32) error) error {
		vals := make([]any, len(t.Columns))
		for bi, b := range batches {
			for ri, row := range b.Rows[t.Name] {
				for i, c := range t.Columns {
					v, err := load.Value(c, row[i])
					if err != nil {
						return &load.ValueError{Batch: bi, RunID: b.RunID, Table: t.Name, Row: ri, Column: c.Name, Err: err}
					}
					vals[i] = v
				}
				sel.add(func(i int) any { return vals[i] })
				if err := add(vals, 0, int32(bi)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return touch{}, false, fmt.Errorf("iceberg: %w", err)
	}
	if t.Scoped() {
		if err := s.stageScopes(ctx, t, batches, sel); err != nil {
			return touch{}, false, err
		}
	}
	if t.Merge == schema.Latest {
		rounds, _ := load.LatestRounds(t, batches)
		if err := s.engine.StageRounds(ctx, rounds); err != nil {
			return touch{}, false, fmt.Errorf("iceberg: %s: %w", t.Name, err)
		}
	}
	return sel.touch(), true, nil
}

// stageScopes loads the batches' scope tuples of t and adds them to sel.
func (s *Sink) stageScopes(ctx context.Context, t *schema.Table, batches []schema.Batch, sel *selector) error {
	cols := t.ScopeColumns()
	at := map[int]int{} // table column index -> scope tuple index
	for si, name := range t.ScopeBy {
		at[t.Index(name)] = si
	}
	err := s.engine.StageScopes(ctx, t, func(add func(values []any, batch int32) error) error {
		vals := make([]any, len(cols))
		for bi, b := range batches {
			for ri, scope := range b.Scopes[t.Name] {
				for si, c := range cols {
					v, err := load.Value(c, scope[si])
					if err == nil && v == nil {
						err = load.ErrNull
					}
					if err != nil {
						return &load.ValueError{Batch: bi, RunID: b.RunID, Table: t.Name + " scope", Row: ri, Column: c.Name, Err: err}
					}
					vals[si] = v
				}
				sel.add(func(i int) any {
					if si, ok := at[i]; ok {
						return vals[si]
					}
					return nil
				})
				if err := add(vals, int32(bi)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("iceberg: %w", err)
	}
	return nil
}

// selector gathers, from a call's rows and scopes, the values of the
// columns that bound what the merge may touch, and turns them into an
// Iceberg filter: a conjunction of "column IN (values)". Every row a merge
// of t can change matches it (it may match more: those rows are read and
// written back unchanged).
//
// The columns: login_id for a table that has it (every login-keyed table:
// a call touches only its logins' rows), with run_id when the key has it
// (the ledger: a call writes its runs' rows) and as_of_date when the
// scope has it (snapshots: a call replaces its dates); for other tables
// (securities, security aliases, runs) the key's first column.
type selector struct {
	cols   []int    // table column indexes
	names  []string // their names
	dates  []bool   // the column is a DATE
	values []map[any]bool
}

func newSelector(t *schema.Table) *selector {
	var names []string
	switch {
	case t.Index("login_id") >= 0:
		names = []string{"login_id"}
		if slices.Contains(t.Key, "run_id") {
			names = append(names, "run_id")
		}
		if slices.Contains(t.ScopeBy, "as_of_date") && slices.Contains(t.Key, "as_of_date") {
			names = append(names, "as_of_date")
		}
	default:
		names = []string{t.Key[0]}
	}
	s := &selector{names: names}
	for _, name := range names {
		i := t.MustIndex(name)
		s.cols = append(s.cols, i)
		s.dates = append(s.dates, t.Columns[i].Type.Kind == schema.KindDate)
		s.values = append(s.values, map[any]bool{})
	}
	return s
}

// add records a row's (or a scope tuple's) values: value(i) is column i's.
// A scope tuple lacks some columns (nil): the filter then cannot narrow by
// them.
func (s *selector) add(value func(i int) any) {
	for k, i := range s.cols {
		if s.values[k] == nil {
			continue
		}
		v := value(i)
		if v == nil {
			s.values[k] = nil // unbounded
			continue
		}
		if s.dates[k] {
			v = iceberg.Date(v.(time.Time).Unix() / 86400)
		}
		s.values[k][v] = true
	}
}

// touch is the conjunction of the bounded columns' IN lists.
func (s *selector) touch() touch {
	out := touch{expr: iceberg.AlwaysTrue{}}
	for k, name := range s.names {
		if s.values[k] == nil {
			continue
		}
		var in iceberg.BooleanExpression
		if s.dates[k] {
			vals := make([]iceberg.Date, 0, len(s.values[k]))
			for v := range s.values[k] {
				vals = append(vals, v.(iceberg.Date))
			}
			slices.Sort(vals)
			in = iceberg.IsIn(iceberg.Reference(name), vals...)
		} else {
			vals := make([]string, 0, len(s.values[k]))
			for v := range s.values[k] {
				vals = append(vals, v.(string))
			}
			slices.Sort(vals)
			in = iceberg.IsIn(iceberg.Reference(name), vals...)
		}
		out.expr = iceberg.NewAnd(out.expr, in)
		out.columns = append(out.columns, name)
	}
	return out
}
