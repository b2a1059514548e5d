package main

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"

	"github.com/syncer/syncer/load"
	ddb "github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/parquet"
)

// openReadOnly opens the warehouse for reading: the DuckDB file read-only,
// or with --no-db the Parquet dataset as views. Nothing run through it can
// write, attach, install, load or change a setting; it reads no file but
// the warehouse's and, with --parquet, the dataset's. Waiting for a held
// file is logged to log.
func openReadOnly(ctx context.Context, f *warehouseFlags, log *slog.Logger) (*sql.DB, error) {
	if f.noDB {
		return parquet.OpenCatalog(ctx, f.parquet)
	}
	var readDirs []string
	if f.parquet != "" {
		readDirs = append(readDirs, f.parquet)
	}
	return load.OpenDuckDBReader(ctx, load.ReaderOptions{Path: f.db, LockWait: f.lockWait, ReadDirs: readDirs, Logger: log})
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
	db, err := openReadOnly(ctx, &f, f.logger(env.stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ddb.CheckReadOnly(ctx, db, fs.Arg(0)); err != nil {
		var ro *ddb.ReadOnlyError
		if errors.As(err, &ro) {
			return usagef("%v", err)
		}
		return err
	}
	res, err := query(ctx, db, fs.Arg(0))
	if err != nil {
		return err
	}
	if *format == "json" {
		return res.writeJSON(env.stdout)
	}
	return res.table().write(env.stdout, strings.Replace(*format, "table", "text", 1))
}
