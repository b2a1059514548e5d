package main

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load/parquet"
)

// crashSink is a warehouse kind the crash property runs against.
type crashSink struct {
	name string
	args func(dir string) []string
	open func(t *testing.T, dir string) *sql.DB
}

var crashSinks = []crashSink{
	{"duckdb", func(dir string) []string { return []string{"--db", filepath.Join(dir, "w.duckdb")} },
		func(t *testing.T, dir string) *sql.DB { return openWarehouseRO(t, filepath.Join(dir, "w.duckdb")) }},
	{"parquet", func(dir string) []string { return []string{"--no-db", "--parquet", filepath.Join(dir, "dataset")} },
		func(t *testing.T, dir string) *sql.DB {
			db, err := parquet.OpenCatalog(context.Background(), filepath.Join(dir, "dataset"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}},
}

// crashSandbox is the healthy sandbox of the crash property: a fixed as-of
// date and 0 to 2 polls per login. Each run gets a fresh one (same data),
// as a real Flinks would have forgotten a killed run's sessions.
func crashSandbox(t *testing.T) *tripwire {
	return newTripwire(t, flinkstest.Config{Seed: 11, AsOf: proofAsOf, Pending: flinkstest.PendingDist{Min: 0, Max: 2}})
}

// crashArgs sync both products, so the crash property covers the banking
// tables too.
func crashArgs(tw *tripwire, sink crashSink, dir, logins string) []string {
	return append([]string{"sync", "--logins", logins, "--base-url", tw.URL, "--commit-every", "10", "--products", "investments,banking",
		"--poll-interval", "1ms", "--backoff", "1ms", "--rate", "5000", "--concurrency", "8", "--log-format", "json"},
		sink.args(dir)...)
}

// checkCrashConverges is the crash property: for each seed, a sync of
// nLogins is SIGKILLed when the sandbox's request count reaches a number
// drawn from the seed (anywhere from the first request to the last, so
// kills land before, between and during group commits); the same sync is
// then re-run to completion, and the data tables must equal, by checksum,
// those of one uninterrupted run.
func checkCrashConverges(t *testing.T, sink crashSink, seeds []uint64, nLogins int) {
	logins := flinkstest.DemoLogins(11, nLogins)
	refDir := t.TempDir()
	ref := crashSandbox(t)
	// One holder key for every warehouse of the property, so holder_keys compare.
	keyFile := filepath.Join(refDir, "holder.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("5a", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"SYNCER_HOLDER_KEY_FILE=" + keyFile}
	if r := syncer(t, refDir, env, crashArgs(ref, sink, refDir, writeLogins(t, refDir, logins))...); r.code != exitOK {
		t.Fatalf("reference run: want exit 0\n%s", r)
	}
	requests := ref.count.Load()
	want := dataChecksums(t, sink.open(t, refDir))
	if want["accounts"] == "0:" || want["bank_transactions"] == "0:" {
		t.Fatal("the reference run wrote no accounts or no bank transactions")
	}

	for _, seed := range seeds {
		dir := t.TempDir()
		file := writeLogins(t, dir, logins)
		kill := rand.New(rand.NewPCG(seed, 0)).Int64N(requests) + 1

		tw := crashSandbox(t)
		p := startSyncer(t, dir, env, crashArgs(tw, sink, dir, file)...)
		tw.arm(kill, func() { _ = p.cmd.Process.Kill() })
		killed := p.wait()
		if killed.code != -1 {
			t.Fatalf("seed %d: the run was not killed at request %d of %d\n%s", seed, kill, requests, killed)
		}

		again := crashSandbox(t)
		if r := syncer(t, dir, env, crashArgs(again, sink, dir, file)...); r.code != exitOK {
			t.Fatalf("seed %d: re-run after a kill at request %d: want exit 0\n%s", seed, kill, r)
		}
		db := sink.open(t, dir)
		compareSums(t, sink.name+" after a kill at request "+strconv.FormatInt(kill, 10), want, dataChecksums(t, db))
		if n := queryInt(t, db, `SELECT count(*) FROM sync_logins WHERE status = 'succeeded'
			AND run_id = (SELECT run_id FROM sync_runs WHERE finished_at IS NOT NULL ORDER BY started_at DESC LIMIT 1)`); n != nLogins {
			t.Errorf("seed %d: the re-run committed %d logins, want %d", seed, n, nLogins)
		}
		_ = db.Close()
		t.Logf("%s seed %d: killed at request %d of %d, converged", sink.name, seed, kill, requests)
	}
}

// TestProofCrashConverges is the crash property: with the proof build tag,
// 10 seeded kills per sink (DuckDB and Parquet) over 200 logins; in the
// default suite, one kill of a DuckDB run over 30 logins (load's own crash
// tests kill the Parquet commit protocol at each of its steps).
func TestProofCrashConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and re-runs the syncer")
	}
	sinks, seeds, logins := crashSinks[:1], []uint64{1}, 30
	if fullProof {
		sinks, seeds, logins = crashSinks, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 200
	}
	for _, sink := range sinks {
		t.Run(sink.name, func(t *testing.T) { checkCrashConverges(t, sink, seeds, logins) })
	}
}

// proofSinks are the sinks a proof runs against: DuckDB, and with the proof
// build tag Parquet too.
func proofSinks() []crashSink {
	if fullProof {
		return crashSinks
	}
	return crashSinks[:1]
}

// eachSink runs check as a subtest per proof sink.
func eachSink(t *testing.T, check func(*testing.T, crashSink)) {
	for _, sink := range proofSinks() {
		t.Run(sink.name, func(t *testing.T) { check(t, sink) })
	}
}
