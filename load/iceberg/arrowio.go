package iceberg

import (
	"context"
	"fmt"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// readRows writes the rows of tx's table that match filter, as of the
// transaction's snapshot, to a new Parquet file at path (0600), for the
// merge engine to read, and returns how many there were. Rows are read
// through the snapshot, never by listing the object store, so files a
// failed attempt left behind are never read.
func readRows(ctx context.Context, tx *table.Transaction, filter iceberg.BooleanExpression, path string) (int64, error) {
	scan, err := tx.Scan(table.WithRowFilter(filter))
	if err != nil {
		return 0, err
	}
	sc, recs, err := scan.ToArrowRecords(ctx)
	if err != nil {
		return 0, err
	}
	return writeParquet(path, sc, recs)
}

// writeParquet writes the records to a new Parquet file at path (0600) and
// returns the number of rows written.
func writeParquet(path string, sc *arrow.Schema, recs func(yield func(arrow.RecordBatch, error) bool)) (n int64, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	w, err := pqarrow.NewFileWriter(sc, f, parquet.NewWriterProperties(), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		f.Close()
		return 0, err
	}
	for rec, rerr := range recs {
		if rerr != nil {
			err = rerr
			break
		}
		if err = w.WriteBuffered(rec); err != nil {
			rec.Release()
			break
		}
		n += rec.NumRows()
		rec.Release()
	}
	if cerr := w.Close(); err == nil { // closes f
		err = cerr
	}
	return n, err
}

// openRows reads the Parquet files the merge engine wrote as records of
// the table's Arrow schema (sc's): the engine's column types are the
// table's, up to how Arrow spells them (a string's width, an extension
// type), which a cast settles.
func openRows(ctx context.Context, files []string, sc *iceberg.Schema) (array.RecordReader, error) {
	target, err := table.SchemaToArrowSchema(sc, nil, false, false)
	if err != nil {
		return nil, err
	}
	var recs []arrow.RecordBatch
	release := func() {
		for _, r := range recs {
			r.Release()
		}
	}
	for _, path := range files {
		rs, err := readParquet(ctx, path, target)
		if err != nil {
			release()
			return nil, fmt.Errorf("merged rows %s: %w", path, err)
		}
		recs = append(recs, rs...)
	}
	rdr, err := array.NewRecordReader(target, recs)
	release() // the reader holds its own references
	return rdr, err
}

// readParquet reads a Parquet file whole as records of target's columns, by
// name.
func readParquet(ctx context.Context, path string, target *arrow.Schema) ([]arrow.RecordBatch, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var out []arrow.RecordBatch
	for rr.Next() {
		rec, err := conform(ctx, rr.RecordBatch(), target)
		if err != nil {
			for _, r := range out {
				r.Release()
			}
			return nil, err
		}
		out = append(out, rec)
	}
	return out, rr.Err()
}

// conform returns rec with target's columns, in target's order and types.
func conform(ctx context.Context, rec arrow.RecordBatch, target *arrow.Schema) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, target.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, f := range target.Fields() {
		idx := rec.Schema().FieldIndices(f.Name)
		if len(idx) != 1 {
			return nil, fmt.Errorf("column %s: not in the merged rows", f.Name)
		}
		col := rec.Column(idx[0])
		if ext, ok := col.(array.ExtensionArray); ok {
			col = ext.Storage()
		}
		if arrow.TypeEqual(col.DataType(), f.Type) {
			col.Retain()
			cols[i] = col
			continue
		}
		cast, err := compute.CastArray(ctx, col, compute.SafeCastOptions(f.Type))
		if err != nil {
			return nil, fmt.Errorf("column %s: %s to %s: %w", f.Name, col.DataType(), f.Type, err)
		}
		cols[i] = cast
	}
	return array.NewRecordBatch(target, cols, rec.NumRows()), nil
}
