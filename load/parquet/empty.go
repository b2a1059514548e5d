package parquet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/syncer/syncer/internal/durable"
	"github.com/syncer/syncer/schema"
)

// emptyFile is the name of a file with no rows and the table's columns that
// every table's directory holds, so that the documented glob
// (DIR/<table>/**/*.parquet) always finds a file, even for a table with no
// rows: DuckDB fails on a glob that matches none, and Spark cannot infer the
// schema of an empty folder. It is written once, when the dataset is opened
// and lacks it, and never replaced or removed, so no reader ever sees it
// come or go. In a Hive-partitioned table it sits under the null partition
// (as_of_date=__HIVE_DEFAULT_PARTITION__), so every file of the table has
// the same partition keys.
const emptyFile = "empty.parquet"

// hiveNull is the directory value of a null Hive partition, as Hive, Spark,
// Trino and DuckDB read it.
const hiveNull = "__HIVE_DEFAULT_PARTITION__"

// emptyRel is the dataset-relative path of the table's empty file.
func emptyRel(tl tableLayout) string {
	parts := []string{tl.table.Name}
	for _, i := range tl.hive {
		parts = append(parts, tl.table.Columns[i].Name+"="+hiveNull)
	}
	return path.Join(append(parts, emptyFile)...)
}

// writeEmptyFiles writes the empty file of every table that lacks it: temp
// file, fsync, rename, fsync the directory.
func (p *Sink) writeEmptyFiles(ctx context.Context) error {
	for _, tl := range p.tables {
		rel := emptyRel(tl)
		if _, err := os.Stat(p.abs(rel)); err == nil {
			continue
		}
		if err := p.writeEmptyFile(ctx, tl.table, rel); err != nil {
			return fmt.Errorf("parquet: %s: empty file: %w", tl.table.Name, err)
		}
	}
	return nil
}

func (p *Sink) writeEmptyFile(ctx context.Context, t *schema.Table, rel string) error {
	final := p.abs(rel)
	if err := durable.MkdirAll(filepath.Dir(final)); err != nil {
		return err
	}
	tmp := p.abs(durable.TempName(rel))
	if err := p.engine.WriteEmpty(ctx, t, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := durable.SyncFile(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return err
	}
	return durable.SyncDir(filepath.Dir(final))
}

// removeStaging removes the staging directory (and the engine's spill
// directory in it) when nothing is left in them, so a dataset at rest has
// no empty _staging/.
func (p *Sink) removeStaging() {
	for _, rel := range []string{stagingDir + "/spill", stagingDir} {
		if err := os.Remove(p.abs(rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return // not empty: a commit's files, which the next open sweeps
		}
	}
}
