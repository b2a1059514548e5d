package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/pipeline"
)

// openReadOnly opens the warehouse for reading: the DuckDB file read-only,
// or with --no-db the Parquet dataset as views. Nothing run through it can
// write, attach, install, load or change a setting; it reads no file but
// the warehouse's and, with --parquet, the dataset's. Waiting for a held
// file is logged to log.
func openReadOnly(ctx context.Context, f *warehouseFlags, log *slog.Logger) (*sql.DB, error) {
	if f.noDB {
		return load.OpenParquetCatalog(ctx, f.parquet)
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
	if err := load.CheckReadOnly(ctx, db, fs.Arg(0)); err != nil {
		var ro *load.ReadOnlyError
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

func runStatus(ctx context.Context, env *environment, args []string) error {
	var f warehouseFlags
	fs := newFlagSet(env, "status", "[flags]",
		"Shows one row per login (last success, when Flinks last refreshed its data, the data's age,\n"+
			"last outcome and FlinksCode, consecutive failures, each product's last outcome), stalest\n"+
			"first, then the last runs.\n"+
			"Logins whose data was not refreshed within --stale are marked STALE.")
	f.addFlags(fs, env)
	stale := fs.Duration("stale", pipeline.DefaultStaleAfter, "data age (since Flinks last refreshed it) past which a login is marked stale")
	runs := fs.Int("runs", 10, "how many recent runs to show")
	format := fs.String("format", "table", "output format: table, csv or json (logins only)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	db, err := openReadOnly(ctx, &f, f.logger(env.stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	logins, err := pipeline.LoginStatuses(ctx, db)
	if err != nil {
		return err
	}
	now := time.Now()
	lt := &table{header: []string{"login_id", "last_success", "last_refresh", "age", "last_status", "flinks_code", "failures", "stale", "products"},
		right: []bool{false, false, false, true, false, false, true, false, false}}
	staleCount := 0
	for _, s := range logins {
		age, mark := "never", ""
		if d := s.Age(now); d >= 0 {
			age = humanAge(d)
		}
		if d := s.Age(now); d < 0 || d > *stale {
			mark = "STALE"
			staleCount++
		}
		lt.add(s.LoginID, nullTime(s.LastSuccess), nullTime(s.LastRefresh), age, s.LastStatus, s.LastFlinksCode.String,
			fmt.Sprint(s.ConsecutiveFailures), mark, s.LastProducts.String)
	}
	if *format != "table" {
		return lt.write(env.stdout, *format)
	}
	fmt.Fprintf(env.stdout, "%d logins, %d stale (data not refreshed within %s)\n\n", len(logins), staleCount, *stale)
	if err := lt.write(env.stdout, "text"); err != nil {
		return err
	}
	recent, err := pipeline.RecentRuns(ctx, db, *runs)
	if err != nil {
		return err
	}
	rt := &table{header: []string{"run_id", "command", "status", "started_at", "wall", "logins", "succeeded", "failed"},
		right: []bool{false, false, false, false, true, true, true, true}}
	for _, r := range recent {
		wall := ""
		if r.FinishedAt.Valid {
			wall = r.FinishedAt.Time.Sub(r.StartedAt).Round(time.Millisecond).String()
		}
		rt.add(r.RunID, r.Command.String, r.Status, r.StartedAt.UTC().Format(time.RFC3339), wall,
			nullInt(r.Total), nullInt(r.Succeeded), nullInt(r.Failed))
	}
	fmt.Fprintln(env.stdout)
	return rt.write(env.stdout, "text")
}

// nullTime renders an instant in RFC 3339 UTC, NULL as empty.
func nullTime(t sql.NullTime) string {
	if !t.Valid {
		return ""
	}
	return t.Time.UTC().Format(time.RFC3339)
}

func nullInt(n sql.NullInt64) string {
	if !n.Valid {
		return ""
	}
	return fmt.Sprint(n.Int64)
}

func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
