package load

import (
	"context"
	"database/sql/driver"
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"

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

// stage loads the batches' rows of one table (and, for ReplaceScope, their
// scope tuples) into the scratch tables, and returns the files they touch.
// It returns no files, and stages nothing, when the batches have nothing for
// the table.
func (p *Parquet) stage(ctx context.Context, tl tableLayout, batches []schema.Batch) (*fileSet, error) {
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
	if _, err := p.conn.ExecContext(ctx, createStageSQL(t)); err != nil {
		return nil, fmt.Errorf("parquet: %s: %w", t.Name, err)
	}
	err := p.appendTo(stageTable, func(app *duckdb.Appender) error {
		seq := int64(0)
		vals := make([]driver.Value, len(t.Columns)+3)
		for bi, b := range batches {
			for ri, row := range b.Rows[t.Name] {
				part, err := p.layout.filePath(tl, func(i int) any { return row[i] })
				if err != nil {
					return fmt.Errorf("parquet: batch %d row %d: %w", bi, ri, err)
				}
				pid := touched.id(part)
				for i, c := range t.Columns {
					v, err := ddbValue(c, row[i])
					if err != nil {
						return fmt.Errorf("parquet: %s: batch %d row %d column %s: %w", t.Name, bi, ri, c.Name, err)
					}
					vals[i] = v
				}
				seq++
				vals[len(t.Columns)], vals[len(t.Columns)+1], vals[len(t.Columns)+2] = pid, int32(bi), seq
				if err := app.AppendRow(vals...); err != nil {
					return fmt.Errorf("parquet: %s: stage batch %d row %d: %w", t.Name, bi, ri, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, stmt := range typeStageSQL(t) {
		if _, err := p.conn.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("parquet: %s: a value is not valid JSON: %w", t.Name, err)
		}
	}
	if t.Scoped() {
		if err := p.stageScopes(ctx, tl, batches, touched); err != nil {
			return nil, err
		}
	}
	if t.Merge == schema.Latest {
		if err := p.stageRounds(ctx, t, batches); err != nil {
			return nil, err
		}
	}
	return touched, nil
}

// stageScopes loads the batches' scope tuples and adds the files they cover
// to touched. A scope must name the table's partition columns (and login_id
// when the table is bucketed), so it covers exactly one file.
func (p *Parquet) stageScopes(ctx context.Context, tl tableLayout, batches []schema.Batch, touched *fileSet) error {
	t := tl.table
	if _, err := p.conn.ExecContext(ctx, createScopeSQL(t)); err != nil {
		return fmt.Errorf("parquet: %s: %w", t.Name, err)
	}
	cols := t.ScopeColumns()
	at := make(map[int]int, len(t.ScopeBy)) // table column index -> scope tuple index
	for si, name := range t.ScopeBy {
		at[t.Index(name)] = si
	}
	return p.appendTo(scopeTable, func(app *duckdb.Appender) error {
		vals := make([]driver.Value, len(cols)+1)
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
					v, err := ddbValue(c, scope[si])
					if err == nil && v == nil {
						err = ErrNull
					}
					if err != nil {
						return fmt.Errorf("parquet: %s: batch %d scope %d column %s: %w", t.Name, bi, ri, c.Name, err)
					}
					vals[si] = v
				}
				vals[len(cols)] = int32(bi)
				if err := app.AppendRow(vals...); err != nil {
					return fmt.Errorf("parquet: %s: stage scope: %w", t.Name, err)
				}
			}
		}
		return nil
	})
}

// stageRounds loads the round of each batch of a Latest table (see
// LatestRounds) into the rounds scratch table.
func (p *Parquet) stageRounds(ctx context.Context, t *schema.Table, batches []schema.Batch) error {
	if _, err := p.conn.ExecContext(ctx, createRoundsSQL); err != nil {
		return fmt.Errorf("parquet: %s: %w", t.Name, err)
	}
	rounds, _ := LatestRounds(t, batches)
	return p.appendTo(roundsTable, func(app *duckdb.Appender) error {
		for bi, r := range rounds {
			if r < 0 {
				continue
			}
			if err := app.AppendRow(int32(bi), int32(r)); err != nil {
				return fmt.Errorf("parquet: %s: stage rounds: %w", t.Name, err)
			}
		}
		return nil
	})
}

// appendTo runs fill with an Appender on a scratch table and closes it,
// returning the first error (an Appender reports some only at Close).
func (p *Parquet) appendTo(table string, fill func(*duckdb.Appender) error) error {
	return p.conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", table)
		if err != nil {
			return fmt.Errorf("parquet: appender: %w", err)
		}
		err = fill(app)
		if cerr := app.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("parquet: stage %s: %w", table, cerr)
		}
		return err
	})
}
