package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// proofAsOf is the fixed as-of date of the proof tests' sandboxes.
var proofAsOf = time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)

// dataTables are the tables that hold data (not the run ledger).
var dataTables = []*schema.Table{schema.Accounts, schema.Positions, schema.Securities, schema.Transactions,
	schema.BankAccounts, schema.BankBalances, schema.BankTransactions, schema.AccountHolders,
	schema.RejectedRecords, schema.DataQuality, schema.Logins}

// runColumns say which run wrote a row and when; they differ between runs
// over the same data and are left out of dataChecksum.
var runColumns = []string{"run_id", "synced_at", "registered_at"}

// dataChecksum digests the data of table: the distinct rows of its columns
// other than runColumns, in order. Tables keyed by run (rejected_records,
// data_quality) gain one copy of the same row per run; DISTINCT folds them,
// so two warehouses compare equal when they hold the same facts. The marks
// of a Latest table (schema.Marks: first seen, closed, removed, ...) are
// instants of runs too: only whether each is set is compared.
func dataChecksum(t testing.TB, db *sql.DB, table *schema.Table) string {
	t.Helper()
	var marks []string
	if m := table.Marks; m != nil {
		marks = []string{m.FirstSeen, m.LastSeen, m.Changed, m.Gone}
	}
	var fields []string
	for _, c := range table.Columns {
		switch {
		case slices.Contains(runColumns, c.Name):
		case slices.Contains(marks, c.Name):
			fields = append(fields, fmt.Sprintf(`CAST(%s IS NOT NULL AS VARCHAR)`, duckdb.QuoteIdent(c.Name)))
		default:
			fields = append(fields, fmt.Sprintf(`coalesce(CAST(%s AS VARCHAR), '\N')`, duckdb.QuoteIdent(c.Name)))
		}
	}
	q := fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(r, chr(10) ORDER BY r)), '')
		FROM (SELECT DISTINCT concat_ws('|', %s) AS r FROM %s)`, strings.Join(fields, ", "), duckdb.QuoteIdent(table.Name))
	var n int64
	var sum string
	if err := db.QueryRow(q).Scan(&n, &sum); err != nil {
		t.Fatalf("data checksum of %s: %v", table.Name, err)
	}
	return fmt.Sprintf("%d:%s", n, sum)
}

// dataChecksums is dataChecksum of every data table, by name.
func dataChecksums(t testing.TB, db *sql.DB) map[string]string {
	t.Helper()
	sums := map[string]string{}
	for _, table := range dataTables {
		sums[table.Name] = dataChecksum(t, db, table)
	}
	return sums
}

// compareSums reports every table whose checksum differs from want's.
func compareSums(t testing.TB, what string, want, got map[string]string) {
	t.Helper()
	for table, sum := range want {
		if got[table] != sum {
			t.Errorf("%s: %s differs: got %s, want %s", what, table, got[table], sum)
		}
	}
}

// tripwire is a sandbox over loopback that calls its trip function when
// the request count reaches a chosen number: a trigger tied to the run's
// progress that needs no sleeps.
type tripwire struct {
	*httptest.Server
	sandbox *flinkstest.Server
	count   atomic.Int64
	at      atomic.Int64 // 0: never
	mu      sync.Mutex
	trip    func()
}

func newTripwire(t *testing.T, cfg flinkstest.Config) *tripwire {
	tw := &tripwire{sandbox: flinkstest.NewHandler(cfg)}
	tw.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := tw.count.Add(1); n == tw.at.Load() {
			tw.mu.Lock()
			trip := tw.trip
			tw.mu.Unlock()
			if trip != nil {
				trip()
			}
		}
		tw.sandbox.ServeHTTP(w, r)
	}))
	t.Cleanup(tw.Close)
	return tw
}

// arm makes the n-th request from now on call trip (before it is answered).
func (tw *tripwire) arm(n int64, trip func()) {
	tw.mu.Lock()
	tw.trip = trip
	tw.mu.Unlock()
	tw.at.Store(tw.count.Load() + n)
}

// process is a syncer started in the background.
type process struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr bytes.Buffer
}

func startSyncer(t *testing.T, dir string, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(os.Args[0], args...)}
	p.cmd.Dir = dir
	p.cmd.Env = append(append(os.Environ(), "SYNCER_TEST_MAIN=1"), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	return p
}

// wait waits for the process and returns what it did; a process killed by
// a signal has code -1.
func (p *process) wait() result {
	err := p.cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return result{code: code, stdout: p.stdout.String(), stderr: p.stderr.String()}
}
