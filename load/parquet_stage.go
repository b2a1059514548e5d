package load

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math/big"
	"time"

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
		if t.Merge == schema.ReplaceScope {
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
				if len(row) != len(t.Columns) {
					return fmt.Errorf("parquet: %s: batch %d row %d has %d values, want %d", t.Name, bi, ri, len(row), len(t.Columns))
				}
				part, err := p.layout.filePath(tl, func(i int) any { return row[i] })
				if err != nil {
					return fmt.Errorf("parquet: batch %d row %d: %w", bi, ri, err)
				}
				pid := touched.id(part)
				for i, c := range t.Columns {
					v, err := duckValue(c, row[i])
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
	if t.Merge == schema.ReplaceScope {
		if err := p.stageScopes(ctx, tl, batches, touched); err != nil {
			return nil, err
		}
	}
	return touched, nil
}

// stageScopes loads the batches' ReplaceScope tuples and adds the files they
// cover to touched. A scope must name the table's partition columns (and
// login_id when the table is bucketed), so it covers exactly one file.
func (p *Parquet) stageScopes(ctx context.Context, tl tableLayout, batches []schema.Batch, touched *fileSet) error {
	t := tl.table
	if _, err := p.conn.ExecContext(ctx, createScopeSQL(t)); err != nil {
		return fmt.Errorf("parquet: %s: %w", t.Name, err)
	}
	at := make(map[int]int, len(t.ScopeBy)) // table column index -> scope tuple index
	for si, name := range t.ScopeBy {
		at[t.Index(name)] = si
	}
	return p.appendTo(scopeTable, func(app *duckdb.Appender) error {
		vals := make([]driver.Value, len(t.ScopeBy)+1)
		for bi, b := range batches {
			for ri, scope := range b.Scopes[t.Name] {
				if len(scope) != len(t.ScopeBy) {
					return fmt.Errorf("parquet: %s: batch %d scope %d has %d values, want %d", t.Name, bi, ri, len(scope), len(t.ScopeBy))
				}
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
				for si, name := range t.ScopeBy {
					v, err := duckValue(t.Columns[t.Index(name)], scope[si])
					if err != nil {
						return fmt.Errorf("parquet: %s: batch %d scope %d column %s: %w", t.Name, bi, ri, name, err)
					}
					vals[si] = v
				}
				vals[len(t.ScopeBy)] = int32(bi)
				if err := app.AppendRow(vals...); err != nil {
					return fmt.Errorf("parquet: %s: stage scope: %w", t.Name, err)
				}
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

// duckValue converts a schema value to what the Appender stores exactly in a
// column of c's type. Decimals are rescaled to the column's scale (the
// Appender ignores duckdb.Decimal.Scale) and must fit without rounding.
// Errors never contain the value itself.
func duckValue(c schema.Column, v any) (driver.Value, error) {
	if v == nil {
		if !c.Nullable {
			return nil, fmt.Errorf("NULL in a NOT NULL column")
		}
		return nil, nil
	}
	switch c.Type.Kind {
	case schema.KindVarchar, schema.KindJSON:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case schema.KindDecimal:
		var d schema.Decimal
		switch x := v.(type) {
		case schema.Decimal:
			d = x
		case *schema.Decimal:
			if x == nil {
				return duckValue(c, nil)
			}
			d = *x
		default:
			return nil, fmt.Errorf("want schema.Decimal, got %T", v)
		}
		u, err := unscaledAt(d, c.Type)
		if err != nil {
			return nil, err
		}
		return duckdb.Decimal{Width: uint8(c.Type.Width), Scale: uint8(c.Type.Scale), Value: u}, nil
	case schema.KindDate:
		if tm, ok := v.(time.Time); ok {
			return schema.DateOf(tm), nil
		}
	case schema.KindTimestamp:
		if tm, ok := v.(time.Time); ok {
			return tm.UTC(), nil
		}
	case schema.KindBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case schema.KindBigInt:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case int32:
			return int64(x), nil
		}
	}
	return nil, fmt.Errorf("unsupported value of type %T for %s", v, c.Type.DuckDB())
}

// powersOfTen[i] is 10^i, for rescaling decimals without recomputing powers.
var powersOfTen = func() (p [77]*big.Int) {
	p[0] = big.NewInt(1)
	for i := 1; i < len(p); i++ {
		p[i] = new(big.Int).Mul(p[i-1], big.NewInt(10))
	}
	return p
}()

// unscaledAt returns d's unscaled integer at t's scale, failing rather than
// rounding or overflowing t's width. It is the hot path of staging, so it
// avoids schema.Decimal's normalising arithmetic when it can.
func unscaledAt(d schema.Decimal, t schema.Type) (*big.Int, error) {
	if t.Width >= len(powersOfTen) || t.Scale > t.Width {
		return nil, fmt.Errorf("unsupported type %s", t.DuckDB())
	}
	var u *big.Int
	switch {
	case d.Unscaled == nil:
		return new(big.Int), nil
	case int(d.Scale) <= t.Scale && d.Scale >= 0:
		u = new(big.Int).Mul(d.Unscaled, powersOfTen[t.Scale-int(d.Scale)])
	default:
		var err error
		if u, err = d.Rescale(int32(t.Scale)); err != nil {
			return nil, err
		}
	}
	if u.CmpAbs(powersOfTen[t.Width]) >= 0 {
		return nil, fmt.Errorf("more than %d integer digits", t.Width-t.Scale)
	}
	return u, nil
}
