package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/syncer/syncer/schema"
)

// ParquetEngine is the in-memory DuckDB with which the Parquet sink
// (load/parquet) merges a commit into the files it touches. For each table
// the sink stages the commit's rows (StageRows), scopes (StageScopes) and
// rounds (StageRounds), points the engine at the current version of the
// files the commit touches (ReadFiles), folds all rounds but the last of a
// Latest table (FoldRounds) and has the merged rows written, one new file
// per touched file (Write). The sink decides which file a row belongs to,
// where the new files go and how they are published; the engine holds the
// SQL. It never loads an extension, and has a single connection: use it
// from one goroutine.
type ParquetEngine struct {
	db      *sql.DB
	conn    *sql.Conn
	threads int // the current thread count, 0 until SetThreads
}

// OpenParquetEngine starts an engine that spills, should a large merge
// need to, into spillDir (inside the private dataset directory, swept at
// open, rather than the working directory), and reads and writes instants
// in UTC.
func OpenParquetEngine(ctx context.Context, spillDir string) (*ParquetEngine, error) {
	db, err := connect("", false, "")
	if err != nil {
		return nil, err
	}
	e := &ParquetEngine{db: db}
	e.conn, err = db.Conn(ctx)
	if err == nil {
		_, err = e.conn.ExecContext(ctx, "SET temp_directory = "+QuoteLiteral(spillDir))
	}
	if err == nil {
		// Instants are UTC: casts between TIMESTAMP and TIMESTAMPTZ must
		// not depend on the machine's time zone.
		_, err = e.conn.ExecContext(ctx, "SET TimeZone = 'UTC'")
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Close releases the engine.
func (e *ParquetEngine) Close() error {
	var err error
	if e.conn != nil {
		err = e.conn.Close()
	}
	if cerr := e.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// parallelRows is the commit size from which the engine merges with every
// CPU: below it, DuckDB's per-operator start-up costs more than threads gain
// (measured: a small COPY takes 2-3x the CPU with 2 threads as with 1).
const parallelRows = 50_000

// SizeFor sets the engine's threads for a commit of these batches: one for
// a small commit, every CPU from parallelRows rows.
func (e *ParquetEngine) SizeFor(ctx context.Context, batches []schema.Batch) error {
	rows := 0
	for _, b := range batches {
		for _, r := range b.Rows {
			rows += len(r)
		}
	}
	threads := 1
	if rows >= parallelRows {
		threads = runtime.NumCPU()
	}
	return e.SetThreads(ctx, threads)
}

// SetThreads sets the number of threads the engine merges with.
func (e *ParquetEngine) SetThreads(ctx context.Context, n int) error {
	if n == e.threads {
		return nil
	}
	if _, err := e.exec(ctx, fmt.Sprintf("SET threads = %d", n)); err != nil {
		return err
	}
	e.threads = n
	return nil
}

// StageRows (re)creates t's stage and fills it with rows: rows calls add
// for each row of the commit, in call order (a later row of a key wins),
// with the row's values as load.Value returns them, the number of the file
// the row belongs to and its batch's index in the call.
func (e *ParquetEngine) StageRows(ctx context.Context, t *schema.Table, rows func(add func(values []any, file, batch int32) error) error) error {
	if _, err := e.exec(ctx, createStageSQL(t)); err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	err := e.appendTo(stageTable, func(app *duckdb.Appender) error {
		seq := int64(0)
		vals := make([]driver.Value, len(t.Columns)+3)
		return rows(func(values []any, file, batch int32) error {
			for i, c := range t.Columns {
				vals[i] = appenderValue(c, values[i])
			}
			seq++
			vals[len(t.Columns)], vals[len(t.Columns)+1], vals[len(t.Columns)+2] = file, batch, seq
			if err := app.AppendRow(vals...); err != nil {
				return fmt.Errorf("%s: stage batch %d: %w", t.Name, batch, err)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, stmt := range typeStageSQL(t) {
		if _, err := e.exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: a value is not valid JSON: %w", t.Name, err)
		}
	}
	return nil
}

// StageScopes (re)creates t's scope table and fills it: scopes calls add
// for each scope tuple of the commit, with its values as load.Value returns
// them (laid out as t.ScopeColumns) and its batch's index in the call.
func (e *ParquetEngine) StageScopes(ctx context.Context, t *schema.Table, scopes func(add func(values []any, batch int32) error) error) error {
	if _, err := e.exec(ctx, createScopeSQL(t)); err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	cols := t.ScopeColumns()
	return e.appendTo(scopeTable, func(app *duckdb.Appender) error {
		vals := make([]driver.Value, len(cols)+1)
		return scopes(func(values []any, batch int32) error {
			for i, c := range cols {
				vals[i] = appenderValue(c, values[i])
			}
			vals[len(cols)] = batch
			if err := app.AppendRow(vals...); err != nil {
				return fmt.Errorf("%s: stage scope: %w", t.Name, err)
			}
			return nil
		})
	})
}

// StageRounds (re)creates the rounds table of a Latest table's commit: the
// round of each batch (load.LatestRounds; -1 for a batch with nothing for
// the table).
func (e *ParquetEngine) StageRounds(ctx context.Context, rounds []int) error {
	if _, err := e.exec(ctx, createRoundsSQL); err != nil {
		return err
	}
	return e.appendTo(roundsTable, func(app *duckdb.Appender) error {
		for bi, r := range rounds {
			if r < 0 {
				continue
			}
			if err := app.AppendRow(int32(bi), int32(r)); err != nil {
				return fmt.Errorf("stage rounds: %w", err)
			}
		}
		return nil
	})
}

// ReadFiles points the merge at the current version of t's files the
// commit touches: files maps each existing file's absolute path to its
// number (none: the commit touches no existing file). The files are read
// in place, one scan, no copy. complete says that every file has every
// column of t (the sink wrote them all); otherwise the engine looks, and a
// column no file has yet (added to the schema since) reads as NULL.
func (e *ParquetEngine) ReadFiles(ctx context.Context, t *schema.Table, files map[string]int32, complete bool) error {
	if len(files) == 0 {
		_, err := e.exec(ctx, emptyCurSQL(t))
		return err
	}
	present := map[string]bool{}
	if complete {
		for _, c := range t.Columns {
			present[c.Name] = true
		}
	} else {
		var err error
		if present, err = e.fileColumns(ctx, slices.Sorted(maps.Keys(files))); err != nil {
			return err
		}
	}
	_, err := e.exec(ctx, curViewSQL(t, files, present))
	return err
}

// fileColumns returns the names of the columns the files have (any of them).
func (e *ParquetEngine) fileColumns(ctx context.Context, files []string) (map[string]bool, error) {
	quoted := make([]string, len(files))
	for i, path := range files {
		quoted[i] = QuoteLiteral(path)
	}
	return nameSet(ctx, e.conn, "SELECT column_name FROM (DESCRIBE SELECT * FROM "+readFilesSQL(quoted)+")")
}

// FoldRounds merges every round of a Latest table's commit of n rounds but
// the last into the current rows, one after the other, each into a scratch
// table that then stands for them; Write merges the last. A commit of one
// round (one batch per login) does nothing here and streams from the files,
// as other tables do. The scratch tables of an earlier commit are dropped
// first.
func (e *ParquetEngine) FoldRounds(ctx context.Context, t *schema.Table, n int) error {
	if _, err := e.exec(ctx, "DROP TABLE IF EXISTS fold_0; DROP TABLE IF EXISTS fold_1"); err != nil {
		return err
	}
	for round := range n - 1 {
		fold := fmt.Sprintf("fold_%d", round%2)
		stmts := []string{
			fmt.Sprintf("CREATE OR REPLACE TABLE %s AS %s", fold, latestSelectSQL(t, fmt.Sprint(round))),
			fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM %s", curTable, fold),
		}
		for _, stmt := range stmts {
			if _, err := e.exec(ctx, stmt); err != nil {
				return err
			}
		}
	}
	return nil
}

// Write merges the staged commit into the current rows per t.Merge and
// writes the merged rows as one Parquet file per touched file, at
// dir/_pid=N/data_0.parquet for file N, sorted by key. A file none of whose
// rows remain is not written.
func (e *ParquetEngine) Write(ctx context.Context, t *schema.Table, dir string) error {
	_, err := e.exec(ctx, writeSQL(t, dir))
	return err
}

// WriteEmpty writes at path a Parquet file with t's columns and no rows.
func (e *ParquetEngine) WriteEmpty(ctx context.Context, t *schema.Table, path string) error {
	typed := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		typed[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", TypeSQL(c.Type), QuoteIdent(c.Name))
	}
	_, err := e.exec(ctx, fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet, COMPRESSION zstd)",
		storedSQL(t, "SELECT "+strings.Join(typed, ", ")+" WHERE false"), QuoteLiteral(path)))
	return err
}

// appendTo runs fill with an Appender on a scratch table and closes it,
// returning the first error (an Appender reports some only at Close),
// classed for the log (engineError).
func (e *ParquetEngine) appendTo(table string, fill func(*duckdb.Appender) error) error {
	return classed(e.conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", table)
		if err != nil {
			return fmt.Errorf("appender: %w", err)
		}
		err = fill(app)
		if cerr := app.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("stage %s: %w", table, cerr)
		}
		return err
	}))
}

// exec runs one statement of the engine; its error is classed for the log
// (engineError).
func (e *ParquetEngine) exec(ctx context.Context, q string) (sql.Result, error) {
	res, err := e.conn.ExecContext(ctx, q)
	return res, classed(err)
}
