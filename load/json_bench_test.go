package load_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load"
	ddb "github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/load/parquet"
	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// jsonCorpus is a directory of recorded /Investments bodies, one file per
// login, named <LoginId>.json.
type jsonCorpus struct {
	dir   string
	files []string // absolute paths, in login order
	bytes int64
}

// corpusLogins is the size of the JSON comparison's corpus: one iteration of
// each sub-benchmark takes seconds to tens of seconds on 2 cores. -short
// uses shortCorpusLogins, enough to check the benchmark itself (under -race).
const corpusLogins, shortCorpusLogins = 4000, 200

func corpusSize() int {
	if testing.Short() {
		return shortCorpusLogins
	}
	return corpusLogins
}

// groupLogins is how many logins ours commits per Commit call into DuckDB,
// as the pipeline's group commit does. Into Parquet it commits
// parquet.DefaultCommitEvery, as syncer sync does with --parquet.
const groupLogins = 250

var corpusAsOf = time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)

// writeJSONCorpus records n healthy sandbox payloads into a temp dir.
func writeJSONCorpus(b *testing.B, n int) jsonCorpus {
	b.Helper()
	c := jsonCorpus{dir: b.TempDir()}
	for i := range n {
		login := fmt.Sprintf("%08x-5eed-4b1d-8c0a-%012x", i, i)
		body := flinkstest.Payload(1, login, corpusAsOf)
		path := filepath.Join(c.dir, login+".json")
		if err := os.WriteFile(path, body, 0o600); err != nil {
			b.Fatal(err)
		}
		c.files = append(c.files, path)
		c.bytes += int64(len(body))
	}
	return c
}

// loginOf is the LoginId a corpus file was recorded for.
func loginOf(path string) string { return strings.TrimSuffix(filepath.Base(path), ".json") }

// tableCounts is the row count of the compared tables in a warehouse.
type tableCounts struct{ accounts, positions, securities, transactions int64 }

// total counts the rows both ways land alike (securities differ: ours
// resolves partial references into more precise keys).
func (t tableCounts) total() int64 { return t.accounts + t.positions + t.transactions }

func countTables(b *testing.B, db *sql.DB) tableCounts {
	b.Helper()
	var c tableCounts
	for _, q := range []struct {
		table string
		n     *int64
	}{{"accounts", &c.accounts}, {"positions", &c.positions}, {"securities", &c.securities}, {"transactions", &c.transactions}} {
		if err := db.QueryRow("SELECT count(*) FROM " + q.table).Scan(q.n); err != nil {
			b.Fatal(err)
		}
	}
	return c
}

// BenchmarkJSONToWarehouse loads the same corpus of recorded payloads
// several ways in one run: ours into DuckDB (read file, transform.FromJSON,
// Commit groups of groupLogins), ours re-syncing that warehouse, the Go
// floors (decode only; decode and transform, nothing loaded), the DuckDB
// Appender's floor (the rows, transformed beforehand, appended into tables
// without keys: all-rows/s counts every table's), DuckDB's own JSON reader
// (read_json + unnest into the same tables), the floor of a Parquet
// dataset that writes each row once, and ours into Parquet (in groups of
// parquet.DefaultCommitEvery, as syncer sync commits there).
// Each iteration but the re-sync's starts from an empty warehouse; MB/s is
// JSON bytes in, rows/s counts the
// rows of accounts, positions and transactions that land, and read_json's
// inexact-rows the rows whose money differs from ours (DuckDB parses JSON
// numbers as DOUBLE, even into VARCHAR or DECIMAL columns).
//
//	go test ./load -run '^$' -bench JSONToWarehouse -benchtime 1x -count 3
func BenchmarkJSONToWarehouse(b *testing.B) {
	c := writeJSONCorpus(b, corpusSize())
	var oursCounts tableCounts
	oursPath := warehousePath(b.TempDir()) // the last iteration's warehouse, kept for comparison

	b.Run("ours/duckdb", func(b *testing.B) {
		b.SetBytes(c.bytes)
		b.ReportAllocs()
		var rows int64
		var phases loadPhases
		logger := slog.New(&phases)
		for b.Loop() {
			b.StopTimer()
			path := oursPath
			if err := os.RemoveAll(path); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			sink, err := ddb.Open(context.Background(), ddb.Options{Path: path, Logger: logger})
			if err != nil {
				b.Fatal(err)
			}
			if err := loadCorpus(c, sink, &phases, firstRun, groupLogins); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			oursCounts = countWarehouse(b, path)
			rows += oursCounts.total()
			b.StartTimer()
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		phases.report(b)
		reportMemory(b)
	})

	// The nightly case: the same logins synced again the next day over the
	// warehouse ours/duckdb left (copied untimed): every account,
	// transaction and security key is known (the merges update or skip),
	// and the day's positions are added.
	b.Run("ours/duckdb-resync", func(b *testing.B) {
		if oursCounts.accounts == 0 {
			b.Skip("needs ours/duckdb to run first: it builds the warehouse re-synced")
		}
		b.SetBytes(c.bytes)
		b.ReportAllocs()
		var phases loadPhases
		logger := slog.New(&phases)
		for b.Loop() {
			b.StopTimer()
			path := warehousePath(b.TempDir())
			loadtest.CopyFile(b, oursPath, path)
			b.StartTimer()
			sink, err := ddb.Open(context.Background(), ddb.Options{Path: path, Logger: logger})
			if err != nil {
				b.Fatal(err)
			}
			if err := loadCorpus(c, sink, &phases, resyncRun, groupLogins); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			// Positions are a snapshot per day: the next day's are added.
			if got := countWarehouse(b, path); got.accounts != oursCounts.accounts || got.transactions != oursCounts.transactions || got.positions != 2*oursCounts.positions {
				b.Fatalf("re-sync left %+v rows, the first sync %+v", got, oursCounts)
			}
			b.StartTimer()
		}
		phases.report(b)
		reportMemory(b)
	})

	// The floors: reading every file and decoding it with the decoder
	// ours uses (payload.Decode: exact decimals, no rows), then also
	// transforming it into rows (transform.FromJSON), on one goroutine with
	// nothing loaded. Ours into a warehouse cannot beat the second.
	b.Run("go-decode-only", func(b *testing.B) {
		b.SetBytes(c.bytes)
		b.ReportAllocs()
		for b.Loop() {
			for _, path := range c.files {
				body, err := os.ReadFile(path)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := payload.Decode(body); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("go-transform-only", func(b *testing.B) {
		b.SetBytes(c.bytes)
		b.ReportAllocs()
		for b.Loop() {
			for _, path := range c.files {
				body, err := os.ReadFile(path)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := transform.FromJSON(body, firstRun.context(path)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})

	// The floor of any load through DuckDB's Appender: the corpus's rows,
	// transformed beforehand (untimed), appended as they are into tables of
	// the warehouse's columns without keys or indexes, in one transaction
	// per group of groupLogins logins as ours commits, then in a single
	// transaction: no staging, no merge, no checks. Ours into DuckDB cannot
	// beat the first on this machine.
	for _, size := range []int{groupLogins, len(c.files)} {
		b.Run(fmt.Sprintf("duckdb-appender-only/group=%d", size), func(b *testing.B) {
			b.SetBytes(c.bytes)
			groups := transformCorpus(b, c, size)
			var rows int64
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				db := unkeyedWarehouse(b)
				start := processCPU()
				b.StartTimer()
				rows += appendCorpus(b, db, groups)
				b.StopTimer()
				cpu += processCPU() - start
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "all-rows/s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}

	b.Run("duckdb-read_json", func(b *testing.B) {
		if oursCounts.accounts == 0 {
			b.Skip("needs ours/duckdb to run first: its row counts are the reference")
		}
		b.SetBytes(c.bytes)
		var rows, inexact int64
		for b.Loop() {
			b.StopTimer()
			path := emptyWarehouse(b)
			b.StartTimer()
			db, err := sql.Open("duckdb", path)
			if err != nil {
				b.Fatal(err)
			}
			if err := readJSONWithDuckDB(db, c.dir); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			got := countTables(b, db)
			inexact = moneyDifferences(b, db, oursPath)
			var version string
			if err := db.QueryRow("SELECT version()").Scan(&version); err != nil {
				b.Fatal(err)
			}
			b.Logf("DuckDB %s; corpus %d logins, %d bytes; rows %+v", version, len(c.files), c.bytes, got)
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
			if got.accounts != oursCounts.accounts || got.positions != oursCounts.positions || got.transactions != oursCounts.transactions {
				b.Fatalf("read_json landed %+v rows, ours %+v", got, oursCounts)
			}
			rows += got.total()
			b.StartTimer()
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(inexact), "inexact-rows")
		reportMemory(b)
	})

	// How much of duckdb-read_json is the reading alone: parsing every file
	// into the nested type, no unnest, no insert.
	b.Run("duckdb-read_json-parse-only", func(b *testing.B) {
		b.SetBytes(c.bytes)
		db, err := sql.Open("duckdb", "")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		glob := strings.ReplaceAll(filepath.Join(c.dir, "*.json"), "'", "''")
		q := `SELECT count(*), sum(len(Investments)) FROM read_json('` + glob + `', format = 'auto', records = true,
			filename = true, columns = {Investments: 'STRUCT(Name VARCHAR, Id VARCHAR, Accounts STRUCT(` +
			accountFields + `, ` + positionsType + `, ` + transactionsType + `)[])[]'})`
		for b.Loop() {
			var files, institutions int64
			if err := db.QueryRow(q).Scan(&files, &institutions); err != nil {
				b.Fatal(err)
			}
			if files != int64(len(c.files)) {
				b.Fatalf("read %d files, want %d", files, len(c.files))
			}
		}
	})

	// The floor of a Parquet dataset that writes each row once (a file per
	// table and commit, nothing merged or rewritten), in groups as ours
	// commits there, the rows transformed beforehand (untimed).
	b.Run("parquet-write-once", func(b *testing.B) {
		b.SetBytes(c.bytes)
		groups := transformCorpus(b, c, parquet.DefaultCommitEvery)
		var rows int64
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			dir := b.TempDir()
			start := processCPU()
			b.StartTimer()
			rows += writeOnceParquet(b, dir, groups)
			b.StopTimer()
			cpu += processCPU() - start
			b.StartTimer()
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "all-rows/s")
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	})

	b.Run("ours/parquet", func(b *testing.B) {
		b.SetBytes(c.bytes)
		b.ReportAllocs()
		var rows int64
		var phases loadPhases
		for b.Loop() {
			dir := b.TempDir()
			sink, err := parquet.Open(context.Background(), parquet.Options{Dir: filepath.Join(dir, "dataset"), Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			if err := loadCorpus(c, sink, &phases, firstRun, parquet.DefaultCommitEvery); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			got := countParquet(b, filepath.Join(dir, "dataset"))
			if oursCounts.accounts != 0 && (got.accounts != oursCounts.accounts || got.positions != oursCounts.positions || got.transactions != oursCounts.transactions) {
				b.Fatalf("Parquet holds %+v rows, DuckDB %+v", got, oursCounts)
			}
			rows += got.total()
			b.StartTimer()
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		phases.report(b)
		reportMemory(b)
	})
}

// transformCorpus transforms every file of c and returns the batches in
// groups of size logins.
func transformCorpus(b *testing.B, c jsonCorpus, size int) [][]schema.Batch {
	b.Helper()
	var groups [][]schema.Batch
	for i, path := range c.files {
		body, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		batch, _, err := transform.FromJSON(body, firstRun.context(path))
		if err != nil {
			b.Fatal(err)
		}
		if i%size == 0 {
			groups = append(groups, make([]schema.Batch, 0, size))
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], batch)
	}
	return groups
}

// emptyWarehouse creates a DuckDB warehouse file with every table and no
// row, and returns its path.
func emptyWarehouse(b *testing.B) string {
	b.Helper()
	path := warehousePath(b.TempDir())
	sink, err := ddb.Open(context.Background(), ddb.Options{Path: path, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// unkeyedWarehouse opens a fresh DuckDB file holding every warehouse table
// with its columns and types, and no key, index or constraint.
func unkeyedWarehouse(b *testing.B) *sql.DB {
	b.Helper()
	db, err := sql.Open("duckdb", emptyWarehouse(b))
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE SCHEMA floor"); err != nil {
		b.Fatal(err)
	}
	for _, t := range schema.Tables {
		if _, err := db.Exec(fmt.Sprintf("CREATE TABLE floor.%s AS SELECT * FROM main.%s LIMIT 0", t.Name, t.Name)); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// appendCorpus appends every row of groups into db's floor tables through
// an Appender per table and group, one transaction per group, and returns
// the rows appended.
func appendCorpus(b *testing.B, db *sql.DB, groups [][]schema.Batch) int64 {
	b.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var rows int64
	for _, group := range groups {
		if _, err := conn.ExecContext(context.Background(), "BEGIN TRANSACTION"); err != nil {
			b.Fatal(err)
		}
		for _, t := range schema.Tables {
			rows += appendRows(b, conn, "floor", t, group)
		}
		if _, err := conn.ExecContext(context.Background(), "COMMIT"); err != nil {
			b.Fatal(err)
		}
	}
	return rows
}

// appendRows appends t's rows of group into the table of t's name in
// schemaName through one Appender, and returns how many.
func appendRows(b *testing.B, conn *sql.Conn, schemaName string, t *schema.Table, group []schema.Batch) int64 {
	b.Helper()
	var rows int64
	values := make([]driver.Value, 0, len(t.Columns))
	err := conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "", schemaName, t.Name)
		if err != nil {
			return err
		}
		defer app.Close() // on an early return; after the Close below it only reports a double close
		for _, batch := range group {
			for _, row := range batch.Rows[t.Name] {
				values = values[:0]
				for i, col := range t.Columns {
					v, err := load.Value(col, row[i])
					if err != nil {
						return err
					}
					if d, ok := v.(schema.Decimal); ok {
						v = duckdb.Decimal{Width: uint8(col.Type.Width), Scale: uint8(col.Type.Scale), Value: d.Unscaled}
					}
					values = append(values, v)
				}
				if err := app.AppendRow(values...); err != nil {
					return err
				}
				rows++
			}
		}
		return app.Close()
	})
	if err != nil {
		b.Fatalf("table %s: %v", t.Name, err)
	}
	return rows
}

// writeOnceParquet writes every row of groups as Parquet files, each row
// once: per group and table, the rows are appended to an in-memory DuckDB
// table and copied to a file of their own (zstd, as the sink writes). It
// returns the rows written.
func writeOnceParquet(b *testing.B, dir string, groups [][]schema.Batch) int64 {
	b.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
	var rows int64
	for g, group := range groups {
		for _, t := range schema.Tables {
			if !slices.ContainsFunc(group, func(x schema.Batch) bool { return len(x.Rows[t.Name]) > 0 }) {
				continue
			}
			defs := make([]string, len(t.Columns))
			for i, c := range t.Columns {
				typ := c.Type
				if typ.Kind == schema.KindJSON {
					typ = schema.Type{Kind: schema.KindVarchar} // the Appender would encode a Go string again
				}
				defs[i] = ddb.QuoteIdent(c.Name) + " " + ddb.TypeSQL(typ)
			}
			exec(fmt.Sprintf("CREATE OR REPLACE TABLE main.%s (%s)", t.Name, strings.Join(defs, ", ")))
			rows += appendRows(b, conn, "main", t, group)
			if err := os.MkdirAll(filepath.Join(dir, t.Name), 0o700); err != nil {
				b.Fatal(err)
			}
			exec(fmt.Sprintf("COPY main.%s TO %s (FORMAT parquet, COMPRESSION zstd)", t.Name,
				ddb.QuoteLiteral(filepath.Join(dir, t.Name, fmt.Sprintf("group-%04d.parquet", g)))))
			exec("DROP TABLE main." + t.Name)
		}
	}
	return rows
}

// loadPhases adds up where ours spends its time, per iteration: reading
// and transforming files (on its own goroutine, overlapping the commits),
// Commit calls, Close, the process's CPU time; and, from the DuckDB sink's "committed" debug lines,
// the staging (Appender) and merge (SQL) parts of the commits.
type loadPhases struct {
	mu                       sync.Mutex
	transform, commit, close time.Duration
	staging, merge           time.Duration
	cpu                      time.Duration // the process's, while loading
	iterations               int
}

func (p *loadPhases) add(d *time.Duration, v time.Duration) {
	p.mu.Lock()
	*d += v
	p.mu.Unlock()
}

func (p *loadPhases) report(b *testing.B) {
	n := float64(max(p.iterations, 1))
	b.ReportMetric(p.transform.Seconds()/n, "transform-s/op")
	b.ReportMetric(p.commit.Seconds()/n, "commit-s/op")
	b.ReportMetric(p.close.Seconds()/n, "close-s/op")
	b.ReportMetric(p.cpu.Seconds()/n, "cpu-s/op")
	if p.staging+p.merge > 0 {
		b.ReportMetric(p.staging.Seconds()/n, "stage-s/op")
		b.ReportMetric(p.merge.Seconds()/n, "merge-s/op")
	}
}

func (p *loadPhases) Enabled(context.Context, slog.Level) bool { return true }
func (p *loadPhases) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p *loadPhases) WithGroup(string) slog.Handler            { return p }
func (p *loadPhases) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "committed" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "staging":
			p.add(&p.staging, a.Value.Duration())
		case "merge":
			p.add(&p.merge, a.Value.Duration())
		}
		return true
	})
	return nil
}

// corpusRun is a sync of the corpus: its run id and when it synced.
type corpusRun struct {
	id       string
	syncedAt time.Time
}

// firstRun syncs the corpus into an empty warehouse; resyncRun syncs the
// same answers again the next day, as a nightly run over known logins.
var (
	firstRun  = corpusRun{"bench-run", corpusAsOf.Add(6 * time.Hour)}
	resyncRun = corpusRun{"bench-run-2", corpusAsOf.Add(30 * time.Hour)}
)

// context is the transform's context for the corpus file at path in run r.
func (r corpusRun) context(path string) transform.Context {
	return transform.Context{RunID: r.id, LoginID: loginOf(path), SyncedAt: r.syncedAt}
}

// processCPU is the CPU time this process has used so far, user and
// system, DuckDB's threads included. On a shared machine it varies less
// than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadCorpus is ours, the way the pipeline runs it: one goroutine reads and
// transforms the files size logins at a time while the caller commits the
// previous group; then the sink is closed (DuckDB checkpoints).
func loadCorpus(c jsonCorpus, sink load.Sink, phases *loadPhases, run corpusRun, size int) error {
	phases.iterations++
	cpu := processCPU()
	defer func() { phases.add(&phases.cpu, processCPU()-cpu) }()
	groups := make(chan []schema.Batch, 1)
	errs := make(chan error, 1)
	go func() {
		defer close(groups)
		for first := 0; first < len(c.files); first += size {
			start := time.Now()
			group := make([]schema.Batch, 0, size)
			for _, path := range c.files[first:min(first+size, len(c.files))] {
				body, err := os.ReadFile(path)
				if err != nil {
					errs <- err
					return
				}
				batch, _, err := transform.FromJSON(body, run.context(path))
				if err != nil {
					errs <- err
					return
				}
				group = append(group, batch)
			}
			phases.add(&phases.transform, time.Since(start))
			groups <- group
		}
	}()
	var commitErr error
	for group := range groups {
		if commitErr == nil {
			start := time.Now()
			commitErr = sink.Commit(context.Background(), group)
			phases.add(&phases.commit, time.Since(start))
		}
	}
	select {
	case err := <-errs:
		commitErr = err
	default:
	}
	start := time.Now()
	err := sink.Close()
	phases.add(&phases.close, time.Since(start))
	if commitErr == nil {
		commitErr = err
	}
	return commitErr
}

// moneyDifferences counts the rows of accounts, positions and transactions
// in db whose money columns differ from those of the warehouse at oursPath.
func moneyDifferences(b *testing.B, db *sql.DB, oursPath string) int64 {
	b.Helper()
	if _, err := db.Exec("ATTACH '" + strings.ReplaceAll(oursPath, "'", "''") + "' AS ours (READ_ONLY)"); err != nil {
		b.Fatal(err)
	}
	defer db.Exec("DETACH ours")
	var n int64
	const q = `SELECT
		(SELECT count(*) FROM accounts a JOIN ours.accounts o USING (login_id, account_id)
			WHERE a.cash IS DISTINCT FROM o.cash OR a.account_value IS DISTINCT FROM o.account_value
			OR a.currency_value IS DISTINCT FROM o.currency_value) +
		(SELECT count(*) FROM positions p JOIN ours.positions o USING (login_id, account_id, security_key, as_of_date)
			WHERE p.quantity IS DISTINCT FROM o.quantity OR p.price IS DISTINCT FROM o.price
			OR p.market_value IS DISTINCT FROM o.market_value OR p.book_value IS DISTINCT FROM o.book_value
			OR p.average_cost IS DISTINCT FROM o.average_cost) +
		(SELECT count(*) FROM transactions t JOIN ours.transactions o USING (login_id, account_id, transaction_id)
			WHERE t.quantity IS DISTINCT FROM o.quantity OR t.price IS DISTINCT FROM o.price
			OR t.fees IS DISTINCT FROM o.fees OR t.net_amount IS DISTINCT FROM o.net_amount)`
	if err := db.QueryRow(q).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

func countWarehouse(b *testing.B, path string) tableCounts {
	b.Helper()
	db, err := ddb.OpenReadOnly(context.Background(), path, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	return countTables(b, db)
}

func countParquet(b *testing.B, dir string) tableCounts {
	b.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ddb.ParquetViews(dir)); err != nil {
		b.Fatal(err)
	}
	return countTables(b, db)
}

func reportMemory(b *testing.B) {
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "Go-heap-sys-MB")
}

// The explicit read_json types of an /Investments body, one per target
// table, each with only the fields that table needs (read_json skips the
// others without building them). Every number is read as VARCHAR and CAST
// to the warehouse's DECIMAL(38,18) in SQL; it is still not exact: DuckDB
// parses a JSON number as a DOUBLE before making text of it.
const (
	accountFields = `Id VARCHAR, FullAccountId VARCHAR, AccountId VARCHAR, Name VARCHAR, Type VARCHAR, Registered BOOLEAN,
	Currency VARCHAR, Cash VARCHAR, AccountValue VARCHAR, CurrencyValue VARCHAR`
	positionsType = `Positions STRUCT(Quantity VARCHAR, Price VARCHAR, MarketValue VARCHAR, BookValue VARCHAR, AverageCost VARCHAR,
		Currency VARCHAR, AsOfDate DATE,
		Security STRUCT(Id VARCHAR, Symbol VARCHAR, Name VARCHAR, Cusip VARCHAR, Isin VARCHAR, Type VARCHAR, Currency VARCHAR))[]`
	transactionsType = `Transactions STRUCT(Id VARCHAR, Date DATE, SettlementDate DATE, Type VARCHAR, Description VARCHAR,
		Quantity VARCHAR, Price VARCHAR, Fees VARCHAR, NetAmount VARCHAR, Currency VARCHAR,
		Security STRUCT(Id VARCHAR, Symbol VARCHAR))[]`
)

// readAccounts is the SQL of every account of the corpus files matching
// glob, as rows (login_id, institution, institution_id, a), where a is a
// STRUCT of fields.
func readAccounts(glob, fields string) string {
	return `(SELECT login_id, inv.Name AS institution, inv.Id AS institution_id, unnest(inv.Accounts) AS a
		FROM (SELECT regexp_extract(filename, '([^/]+)\.json$', 1) AS login_id, unnest(Investments) AS inv
			FROM read_json('` + glob + `', format = 'auto', records = true, filename = true,
				columns = {Investments: 'STRUCT(Name VARCHAR, Id VARCHAR, Accounts STRUCT(` + fields + `)[])[]'})))`
}

// secKeySQL is a simplified security_key of a reference r: its strongest
// identifier (ours also resolves partial references within a payload).
const secKeySQL = `coalesce('id:' || nullif(trim(r.Id), ''), 'isin:' || upper(nullif(trim(r.Isin), '')),
	'cusip:' || upper(nullif(trim(r.Cusip), '')), 'symbol:' || upper(trim(r.Symbol)) || '@' || upper(r.Currency))`

// readJSONStatements load the corpus in dir with DuckDB's own JSON reader:
// per table, read_json of the fields it needs, then unnest of Investments →
// Accounts (→ Positions or Transactions) straight into the warehouse table
// (positions through a flat temp table that securities are also taken from),
// in one transaction, then a checkpoint (as ours' Close does). Materialising
// the nested accounts once for all tables measured ~3× slower; a view over
// one read, about the same.
func readJSONStatements(dir string) []string {
	dec := "CAST(%s AS DECIMAL(38,18))"
	d := func(expr string) string { return fmt.Sprintf(dec, expr) }
	glob := strings.ReplaceAll(filepath.Join(dir, "*.json"), "'", "''")
	return []string{
		"BEGIN TRANSACTION",
		`INSERT INTO accounts BY NAME SELECT login_id, a.Id AS account_id, institution, institution_id,
			a.Name AS name, a.Type AS type, a.Registered AS registered, upper(a.Currency) AS currency,
			` + d("a.Cash") + ` AS cash, ` + d("a.AccountValue") + ` AS account_value, ` + d("a.CurrencyValue") + ` AS currency_value,
			'****' || right(a.AccountId, 4) AS account_number,
			replace(a.FullAccountId, a.AccountId, '****' || right(a.AccountId, 4)) AS full_account_label,
			'bench-run' AS run_id, TIMESTAMP '2025-01-31 06:00:00' AS synced_at
		FROM ` + readAccounts(glob, accountFields),
		`CREATE TEMP TABLE pos AS SELECT login_id, a.Id AS account_id, a.Currency AS account_currency, unnest(a.Positions) AS p
		FROM ` + readAccounts(glob, "Id VARCHAR, Currency VARCHAR, "+positionsType),
		`INSERT INTO positions BY NAME SELECT login_id, account_id,
			` + strings.ReplaceAll(secKeySQL, "r.", "p.Security.") + ` AS security_key,
			coalesce(p.AsOfDate, DATE '2025-01-31') AS as_of_date,
			` + d("p.Quantity") + ` AS quantity, ` + d("p.Price") + ` AS price, ` + d("p.MarketValue") + ` AS market_value,
			` + d("p.BookValue") + ` AS book_value, ` + d("p.AverageCost") + ` AS average_cost,
			upper(coalesce(p.Currency, account_currency)) AS currency,
			'bench-run' AS run_id, TIMESTAMP '2025-01-31 06:00:00' AS synced_at
		FROM pos`,
		`INSERT INTO transactions BY NAME SELECT login_id, account_id, t.Id AS transaction_id,
			t.Date AS date, t.SettlementDate AS settlement_date,
			CASE WHEN lower(trim(t.Type)) IN ('buy','sell','dividend','interest','deposit','withdrawal','fee','transfer','split','reinvestment')
				THEN lower(trim(t.Type)) ELSE 'other' END AS type,
			t.Type AS type_raw, t.Description AS description,
			CASE WHEN t.Security IS NOT NULL THEN coalesce('id:' || nullif(trim(t.Security.Id), ''),
				'symbol:' || upper(trim(t.Security.Symbol)) || '@' || upper(coalesce(t.Currency, account_currency))) END AS security_key,
			` + d("t.Quantity") + ` AS quantity, ` + d("t.Price") + ` AS price, ` + d("t.Fees") + ` AS fees, ` + d("t.NetAmount") + ` AS net_amount,
			upper(coalesce(t.Currency, account_currency)) AS currency,
			'bench-run' AS run_id, TIMESTAMP '2025-01-31 06:00:00' AS synced_at
		FROM (SELECT login_id, a.Id AS account_id, a.Currency AS account_currency, unnest(a.Transactions) AS t
			FROM ` + readAccounts(glob, "Id VARCHAR, Currency VARCHAR, "+transactionsType) + `)`,
		`INSERT INTO securities BY NAME SELECT DISTINCT ON (security_key)
			` + strings.ReplaceAll(secKeySQL, "r.", "p.Security.") + ` AS security_key,
			p.Security.Id AS flinks_security_id, upper(p.Security.Symbol) AS symbol, upper(p.Security.Isin) AS isin,
			upper(p.Security.Cusip) AS cusip, p.Security.Name AS name, p.Security.Type AS type,
			upper(coalesce(p.Security.Currency, p.Currency)) AS currency, 'bench-run' AS run_id
		FROM pos WHERE p.Security IS NOT NULL`,
		"DROP TABLE pos",
		"COMMIT",
		"CHECKPOINT",
	}
}

// readJSONWithDuckDB runs readJSONStatements on one connection of db.
func readJSONWithDuckDB(db *sql.DB, dir string) error {
	conn, err := db.Conn(context.Background())
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range readJSONStatements(dir) {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	return nil
}
