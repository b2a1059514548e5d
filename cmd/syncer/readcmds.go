package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/syncer/syncer/load"
)

// openReadOnly opens the primary warehouse for reading: the DuckDB file
// read-only, or with --no-db the Parquet dataset as views. Nothing run
// through it can write, attach, install, load or change a setting; it reads
// no file but the warehouse's and the other enabled warehouses' (with
// --parquet, the dataset's). Waiting for a held file is logged to log.
func openReadOnly(ctx context.Context, f *warehouseFlags, log *slog.Logger) (load.Reader, error) {
	enabled := f.enabled()
	var readDirs []string
	for _, l := range enabled[1:] {
		readDirs = append(readDirs, l.ReadDirs()...)
	}
	return enabled[0].OpenReader(ctx, load.ReadOptions{LockWait: f.lockWait, ReadDirs: readDirs, Logger: log})
}

func runSQL(ctx context.Context, env *environment, args []string) error {
	var f warehouseFlags
	fs := newFlagSet(env, "sql", "QUERY [flags]",
		"Runs one query against the warehouse, read-only, and prints the result. Statements that write,\n"+
			"attach, install, load or change settings are refused; with --parquet DIR, read_parquet can read DIR.\n"+
			"Example: syncer sql \"SELECT type, count(*) FROM accounts GROUP BY type\"")
	f.addFlags(fs, env)
	format := fs.String("format", "table", "output format: table, csv or json (typed values: numbers with every digit, nested values as JSON)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("sql takes exactly one QUERY argument (quote it)")
	}
	if *format != "table" && *format != "csv" && *format != "json" {
		return usagef("--format must be table, csv or json")
	}
	rd, err := openReadOnly(ctx, &f, f.logger(env.stderr))
	if err != nil {
		return err
	}
	defer rd.Close()
	res, err := rd.Query(ctx, fs.Arg(0))
	var ro *load.ReadOnlyError
	switch {
	case errors.As(err, &ro):
		return usagef("%v", err)
	case err != nil:
		return err
	case *format == "json":
		return writeJSONRows(env.stdout, res.Columns(), res.Len(), res.AppendJSON)
	}
	return resultTable(res).write(env.stdout, strings.Replace(*format, "table", "text", 1))
}

// resultTable lays a query's result out as a table: its columns, numbers
// right-aligned, each value as text.
func resultTable(res load.Result) *table {
	cols := res.Columns()
	t := &table{header: cols, right: make([]bool, len(cols))}
	for i := range cols {
		t.right[i] = res.Numeric(i)
	}
	for row := range res.Len() {
		cells := make([]string, len(cols))
		for col := range cells {
			cells[col] = res.Text(row, col)
		}
		t.add(cells...)
	}
	return t
}
