package iceberg

import (
	"context"
	"fmt"
	"iter"
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
	"golang.org/x/sync/errgroup"
)

// readTouchedFiles writes every row of the data files of tbl's current
// snapshot that hold a row f selects (touchedFiles) to a new Parquet file
// at path (0600), for the merge engine to read, and returns those files
// and the number of rows. The files are read whole, not only their
// matching rows, because the commit replaces them whole: their other rows
// go back unchanged. Rows are read through the snapshot, never by listing
// the object store, so files a failed attempt left behind are never read.
func readTouchedFiles(ctx context.Context, tbl *table.Table, f touch, path string) ([]iceberg.DataFile, int64, error) {
	files, tasks, err := touchedFiles(ctx, tbl, f)
	if err != nil || len(tasks) == 0 {
		return nil, 0, err
	}
	for i := range tasks {
		if n := len(tasks[i].DeleteFiles) + len(tasks[i].EqualityDeleteFiles) + len(tasks[i].DeletionVectorFiles); n > 0 {
			// The syncer writes copy-on-write only; a delete file is
			// another writer's, whose rows a whole-file replace would undo.
			return nil, 0, fmt.Errorf("data file %s has %d delete files: this lake is written by another tool too", tasks[i].File.FilePath(), n)
		}
		tasks[i].Residual = nil // every row, not only the matching ones
	}
	whole := tbl.Scan()
	defer whole.Close()
	sc, recs, err := whole.ReadTasks(ctx, tasks)
	if err != nil {
		return nil, 0, err
	}
	n, err := writeParquet(path, sc, recs)
	return files, n, err
}

// touchedFiles returns the data files of tbl's current snapshot that hold
// at least one row f selects, in plan order, and their scan tasks (a
// planner may split a large file into several). The planner prunes file by
// file by partition (a filter on login_id keeps its login buckets) and by
// column bounds, which random GUIDs defeat: by its bounds, any file of a
// bucket may hold any of its logins. So each file the planner keeps is
// then read, only f's columns, to see whether a row matches. A group of
// logins the table does not hold yet (a first sync, a backfill) then
// replaces no file and only adds its own, instead of rewriting its buckets
// whole at every commit.
func touchedFiles(ctx context.Context, tbl *table.Table, f touch) ([]iceberg.DataFile, []table.FileScanTask, error) {
	planned, err := planFiles(ctx, tbl, f.expr)
	if err != nil {
		return nil, nil, err
	}
	var files []iceberg.DataFile
	byPath := map[string][]table.FileScanTask{}
	for _, t := range planned {
		p := t.File.FilePath()
		if _, ok := byPath[p]; !ok {
			files = append(files, t.File)
		}
		byPath[p] = append(byPath[p], t)
	}
	holds := make([]bool, len(files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(probeConcurrency)
	for i, file := range files {
		if len(f.columns) == 0 { // f selects every row
			holds[i] = true
			continue
		}
		g.Go(func() (err error) {
			holds[i], err = holdsMatch(gctx, tbl, f, byPath[file.FilePath()])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	var touched []iceberg.DataFile
	var tasks []table.FileScanTask
	for i, file := range files {
		if holds[i] {
			touched = append(touched, file)
			tasks = append(tasks, byPath[file.FilePath()]...)
		}
	}
	return touched, tasks, nil
}

// probeConcurrency is the most files touchedFiles reads at once: each read
// is a few small ranged reads of the object store.
const probeConcurrency = 8

// holdsMatch reports whether the tasks (of one data file) hold a row f
// selects, reading only f's columns.
func holdsMatch(ctx context.Context, tbl *table.Table, f touch, tasks []table.FileScanTask) (bool, error) {
	scan := tbl.Scan(table.WithRowFilter(f.expr), table.WithSelectedFields(f.columns...))
	defer scan.Close()
	_, recs, err := scan.ReadTasks(ctx, tasks)
	if err != nil {
		return false, err
	}
	var rows int64
	for rec, err := range recs {
		if err != nil {
			return false, err
		}
		rows += rec.NumRows()
		rec.Release()
	}
	return rows > 0, nil
}

// planFiles lists the data files of tbl's current snapshot that may hold
// rows matching filter, by partition and column bounds.
func planFiles(ctx context.Context, tbl *table.Table, filter iceberg.BooleanExpression) ([]table.FileScanTask, error) {
	scan := tbl.Scan(table.WithRowFilter(filter))
	defer scan.Close()
	return scan.PlanFiles(ctx)
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

// mergedRecords streams the Parquet files the merge engine wrote as
// records of the table's Arrow schema (target): the engine's column types
// are the table's, up to how Arrow spells them (a string's width, an
// extension type), which a cast settles. Each record goes to the consumer,
// which releases it (as table.WriteRecords does).
func mergedRecords(ctx context.Context, files []string, target *arrow.Schema) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		for _, path := range files {
			for rec, err := range readParquet(ctx, path, target) {
				if err != nil {
					yield(nil, fmt.Errorf("merged rows %s: %w", path, err))
					return
				}
				if !yield(rec, nil) {
					return
				}
			}
		}
	}
}

// readParquet streams a Parquet file as records of target's columns, by
// name, batch by batch.
func readParquet(ctx context.Context, path string, target *arrow.Schema) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		pf, err := file.OpenParquetFile(path, false)
		if err != nil {
			yield(nil, err)
			return
		}
		defer pf.Close()
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, memory.DefaultAllocator)
		if err != nil {
			yield(nil, err)
			return
		}
		rr, err := fr.GetRecordReader(ctx, nil, nil)
		if err != nil {
			yield(nil, err)
			return
		}
		defer rr.Release()
		for rr.Next() {
			rec, err := conform(ctx, rr.RecordBatch(), target)
			if !yield(rec, err) || err != nil {
				return
			}
		}
		if err := rr.Err(); err != nil {
			yield(nil, err)
		}
	}
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
