package parquet

import (
	"context"
	"fmt"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
)

// fileSet numbers the files a commit touches in one table: the merge engine
// tags each row with its file's number (_pid).
type fileSet struct {
	ids   map[string]int32
	paths []string // dataset-relative, by number
}

func (f *fileSet) id(path string) int32 {
	if id, ok := f.ids[path]; ok {
		return id
	}
	if f.ids == nil {
		f.ids = map[string]int32{}
	}
	id := int32(len(f.paths))
	f.ids[path] = id
	f.paths = append(f.paths, path)
	return id
}

// stage loads the batches' rows of one table (and their scope tuples, and
// for a Latest table their rounds) into the merge engine, checking each
// value (load.Value), and returns the files they touch. It returns no
// files, and stages nothing, when the batches have nothing for the table.
func (p *Sink) stage(ctx context.Context, tl tableLayout, batches []schema.Batch) (*fileSet, error) {
	t := tl.table
	touched := &fileSet{}
	n := 0
	for _, b := range batches {
		n += len(b.Rows[t.Name])
		if t.Scoped() {
			n += len(b.Scopes[t.Name])
		}
	}
	if n == 0 {
		return nil, nil
	}
	err := p.engine.StageRows(ctx, t, func(add func(values []any, file, batch int32) error) error {
		vals := make([]any, len(t.Columns))
		for bi, b := range batches {
			for ri, row := range b.Rows[t.Name] {
				part, err := p.layout.filePath(tl, func(i int) any { return row[i] })
				if err != nil {
					return fmt.Errorf("parquet: batch %d row %d: %w", bi, ri, err)
				}
				for i, c := range t.Columns {
					if vals[i], err = load.Value(c, row[i]); err != nil {
						return &load.ValueError{Batch: bi, RunID: b.RunID, Table: t.Name, Row: ri, Column: c.Name, Err: err}
					}
				}
				if err := add(vals, touched.id(part), int32(bi)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	if t.Scoped() {
		if err := p.stageScopes(ctx, tl, batches, touched); err != nil {
			return nil, err
		}
	}
	if t.Merge == schema.Latest {
		rounds, _ := load.LatestRounds(t, batches)
		if err := p.engine.StageRounds(ctx, rounds); err != nil {
			return nil, fmt.Errorf("parquet: %s: %w", t.Name, err)
		}
	}
	return touched, nil
}

// stageScopes loads the batches' scope tuples and adds the files they cover
// to touched. A scope must name the table's partition columns (and login_id
// when the table is bucketed), so it covers exactly one file.
func (p *Sink) stageScopes(ctx context.Context, tl tableLayout, batches []schema.Batch, touched *fileSet) error {
	t := tl.table
	cols := t.ScopeColumns()
	at := make(map[int]int, len(t.ScopeBy)) // table column index -> scope tuple index
	for si, name := range t.ScopeBy {
		at[t.Index(name)] = si
	}
	err := p.engine.StageScopes(ctx, t, func(add func(values []any, batch int32) error) error {
		vals := make([]any, len(cols))
		for bi, b := range batches {
			for ri, scope := range b.Scopes[t.Name] {
				part, err := p.layout.filePath(tl, func(i int) any {
					if si, ok := at[i]; ok {
						return scope[si]
					}
					return nil
				})
				if err != nil {
					return fmt.Errorf("parquet: batch %d scope %d: %w", bi, ri, err)
				}
				touched.id(part)
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
				if err := add(vals, int32(bi)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}
