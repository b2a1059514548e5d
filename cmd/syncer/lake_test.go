package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/internal/lakeenv"
	"github.com/syncer/syncer/internal/shard"
	"github.com/syncer/syncer/load/iceberg"
	"github.com/syncer/syncer/schema"
)

// testLake is a lake of the test binary's servers: a fresh bucket on the
// S3 server and a fresh PostgreSQL database for its catalog.
type testLake struct {
	s3                 lakeenv.S3Env
	bucket             string
	warehouse, catalog string
}

// newTestLake makes a lake and points this process's AWS and libpq
// environment at its servers (t.Setenv), so the syncers the test starts
// inherit it.
func newTestLake(t testing.TB) testLake {
	t.Helper()
	s3, pg := lakeenv.S3(t), lakeenv.Postgres(t)
	s3.Setenv(t)
	pg.Setenv(t)
	bucket := s3.NewBucket(t)
	return testLake{s3: s3, bucket: bucket, warehouse: "s3://" + bucket + "/lake", catalog: pg.NewDatabase(t)}
}

// flags are the flags that make a command use the lake alone.
func (l testLake) flags() []string {
	return []string{"--no-db", "--iceberg", l.warehouse, "--catalog", l.catalog}
}

// open reads the lake's current tables in this process, as `syncer sql`
// does (iceberg.OpenCatalog), for the warehouse helpers' queries.
func (l testLake) open(t testing.TB) *sql.DB {
	t.Helper()
	db, release, err := iceberg.OpenCatalog(context.Background(), l.warehouse, l.catalog, nil)
	if err != nil {
		t.Fatalf("reading the lake: %v", err)
	}
	t.Cleanup(func() {
		if err := release(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// sharedHolderKey writes one holder key for every warehouse of a test, so
// their holder_keys compare, and returns the environment that names it.
func sharedHolderKey(t testing.TB, dir string) []string {
	t.Helper()
	keyFile := filepath.Join(dir, "holder.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("5a", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{holderKeyEnv + "=" + keyFile}
}

// compareData fails t unless got holds the same data tables as want: the
// same checksums (dataChecksums) and exact sums of every DECIMAL column.
func compareData(t testing.TB, what string, want, got *sql.DB) {
	t.Helper()
	compareSums(t, what, dataChecksums(t, want), dataChecksums(t, got))
	gotSums := decimalSums(t, got)
	for col, sum := range decimalSums(t, want) {
		if gotSums[col] != sum {
			t.Errorf("%s: sum(%s) = %s, want %s", what, col, gotSums[col], sum)
		}
	}
}

// commitsRetried is the commits_retried of the "iceberg sink closed" log
// line of a syncer that logged JSON.
func commitsRetried(t testing.TB, stderr string) int64 {
	t.Helper()
	line := logLine(t, stderr, "iceberg sink closed")
	return integer(t, "commits_retried", json.Number(fmt.Sprint(line["commits_retried"])))
}

// TestShardsIntoOneLake syncs 40 logins as 3 shard processes running at
// once into one lake (S3 and a PostgreSQL catalog, no DuckDB file), in
// groups small enough that their commits race: the lake must hold exactly
// what one unsharded sync into a DuckDB file holds (checksums of every
// data table, exact sums of every DECIMAL column), each login synced once
// by its shard's run; status over the lake shows every login, and with a
// shard only that shard's.
func TestShardsIntoOneLake(t *testing.T) {
	if testing.Short() {
		t.Skip("four syncs of 40 logins and a lake")
	}
	const shards = 3
	lake := newTestLake(t)
	srv := flinkstest.New(flinkstest.Config{Seed: 7, AsOf: proofAsOf})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ids := flinkstest.DemoLogins(7, 40)
	file := writeLogins(t, dir, ids)
	env := sharedHolderKey(t, dir)
	for i := range shards {
		if len(inShard(ids, i, shards)) == 0 {
			t.Fatalf("shard %d/%d of the list is empty: the test needs every shard", i, shards)
		}
	}

	one := filepath.Join(dir, "one.duckdb")
	if r := syncer(t, dir, env, append([]string{"sync"}, shardedArgs(srv, one, file)...)...); r.code != exitOK {
		t.Fatalf("unsharded sync:\n%s", r)
	}

	var procs []*process
	for i := range shards {
		args := append([]string{"sync", "--shard", fmt.Sprintf("%d/%d", i, shards)}, lake.flags()...)
		args = append(args, quickSyncArgs(srv.URL, file)...)
		procs = append(procs, startSyncer(t, dir, env, args...))
	}
	var retried int64
	for i, p := range procs {
		r := p.wait()
		if r.code != exitOK {
			t.Fatalf("shard %d/%d:\n%s", i, shards, r)
		}
		retried += commitsRetried(t, r.stderr)
	}
	t.Logf("%d shards at once: %d table commits retried after losing a race", shards, retried)

	want := openWarehouseRO(t, one)
	if n := queryInt(t, want, "SELECT count(*) FROM positions"); n == 0 {
		t.Fatal("the unsharded run wrote no positions")
	}
	got := lake.open(t)
	compareData(t, "lake", want, got)
	checkShardLedger(t, got, ids, shards)

	all := statusJSONOf(t, dir, env, lake.flags()...)
	if all.Shard != nil || !slices.Equal(all.ids(), sorted(ids...)) || all.Total != len(ids) || len(all.Runs) != shards {
		t.Errorf("status over the lake: shard %v, %d logins (total %d), %d runs; want no shard, all %d logins, %d runs",
			all.Shard, len(all.Logins), all.Total, len(all.Runs), len(ids), shards)
	}
	mine := sorted(inShard(ids, 1, shards)...)
	s1 := statusJSONOf(t, dir, env, append(lake.flags(), "--shard", "1/3")...)
	if s1.Shard == nil || *s1.Shard != "1/3" || !slices.Equal(s1.ids(), mine) || s1.Total != len(mine) {
		t.Errorf("status --shard 1/3 over the lake: shard %v, %d logins (total %d); want 1/3 and its %d logins",
			s1.Shard, len(s1.Logins), s1.Total, len(mine))
	}
}

// TestShardsStartTogetherOnANewLake starts 8 shards at the same moment on
// a lake whose catalog database is empty, as an Indexed Job's first run
// does: they race to create the catalog's tables, the namespace and the
// Iceberg tables, and each must exit 0 (7 of them with an empty run).
func TestShardsStartTogetherOnANewLake(t *testing.T) {
	const shards = 8
	lake := newTestLake(t)
	srv := flinkstest.New(flinkstest.Config{Seed: 13, AsOf: proofAsOf})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	id := flinkstest.DemoLogins(13, 1)[0]
	var procs []*process
	for i := range shards {
		args := append([]string{"sync", "--login", id, "--shard", fmt.Sprintf("%d/%d", i, shards), "--base-url", srv.URL,
			"--poll-interval", "1ms", "--commit-every", "1", "--log-format", "json"}, lake.flags()...)
		procs = append(procs, startSyncer(t, dir, nil, args...))
	}
	for i, p := range procs {
		if r := p.wait(); r.code != exitOK {
			t.Errorf("shard %d/%d:\n%s", i, shards, r)
		}
	}
}

// TestShardWritesOnlyItsPartitions: the large tables are partitioned by
// Iceberg's bucket of login_id (16 buckets), the hash shards select logins
// by, so with 8 shards each shard's rows fall in its own 2 buckets and a
// shard's commits should write data files only there (load/iceberg's
// tables.go says so): after shard 1/8 has synced, shard 0/8 syncing in
// several groups must not write a file into shard 1's partitions. A commit
// that rewrites other shards' partitions rewrites the whole table each
// time: the bytes written grow with the square of the logins.
func TestShardWritesOnlyItsPartitions(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 15, AsOf: proofAsOf})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ids := flinkstest.DemoLogins(15, 64)
	file := writeLogins(t, dir, ids)
	if len(inShard(ids, 0, 8)) < 4 || len(inShard(ids, 1, 8)) == 0 {
		t.Fatalf("shards 0/8 and 1/8 hold %d and %d logins: the test needs 4 and 1", len(inShard(ids, 0, 8)), len(inShard(ids, 1, 8)))
	}
	lakeDir := filepath.Join(dir, "lake")
	args := append([]string{"sync", "--no-db", "--iceberg", "file://" + lakeDir, "--catalog", "sqlite://" + filepath.Join(dir, "catalog.db")},
		quickSyncArgs(srv.URL, file)...)
	if r := syncer(t, dir, nil, append(args, "--shard", "1/8")...); r.code != exitOK {
		t.Fatalf("shard 1/8:\n%s", r)
	}
	before := bucketFiles(t, lakeDir)
	if r := syncer(t, dir, nil, append(args, "--shard", "0/8", "--commit-every", "2")...); r.code != exitOK {
		t.Fatalf("shard 0/8:\n%s", r)
	}
	after := bucketFiles(t, lakeDir)
	for part, n := range after {
		mine := part.bucket%8 == 0
		switch {
		case !mine && n != before[part]:
			t.Errorf("shard 0/8 wrote %d data files into %s, a partition of shard 1/8", n-before[part], part)
		case mine && n == before[part]:
			t.Errorf("shard 0/8 wrote no data file into its own partition %s", part)
		}
	}
}

// partition is a login-bucket partition of a table's data directory.
type partition struct {
	dir    string // TABLE/data/…/login_id_bucket=B
	bucket int
}

func (p partition) String() string { return p.dir }

// bucketFiles counts the data files in every login-bucket partition of a
// file:// lake's directory, every file ever written (a file:// lake keeps
// replaced files until lake maintain).
func bucketFiles(t *testing.T, lakeDir string) map[partition]int {
	t.Helper()
	files := map[partition]int{}
	err := filepath.WalkDir(lakeDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		dir, _ := filepath.Rel(lakeDir, filepath.Dir(p))
		_, b, ok := strings.Cut(filepath.Base(dir), "login_id_bucket=")
		if !ok {
			return nil
		}
		n, err := strconv.Atoi(b)
		if err != nil {
			return err
		}
		files[partition{dir: filepath.ToSlash(dir), bucket: n}]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// ledgerTables are the tables of the run ledger, committed last in each
// group.
var ledgerTables = []string{schema.SyncLogins.Name, schema.SyncLoginProducts.Name, schema.SyncRuns.Name}

// s3Tap is a proxy in front of the S3 server that stops a syncer in the
// middle of a commit, after it has committed at least one group: at the
// first data file of a data table that it writes after it has written a
// new metadata file of sync_logins (the ledger, committed last in a
// group, after the data tables), which the group's commit ends with, the tap
// stores the file, reports its key on tripped and never answers. A test
// kills the syncer then: the file it leaves is in no snapshot.
type s3Tap struct {
	*httptest.Server
	tripped chan string // the key of the file left, once
	release chan struct{}

	mu         sync.Mutex
	sawLedger  bool
	hasTripped bool
}

func newS3Tap(t *testing.T, endpoint string) *s3Tap {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	tap := &s3Tap{tripped: make(chan string, 1), release: make(chan struct{})}
	// The syncer signs the Host it sends (the tap's), which the proxy keeps.
	proxy := httputil.NewSingleHostReverseProxy(target)
	tap.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !tap.trips(r) {
			proxy.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			t.Errorf("the tap's PUT %s: %d %s", r.URL.Path, rec.Code, rec.Body)
		}
		tap.tripped <- strings.TrimPrefix(r.URL.Path, "/")
		<-tap.release
	}))
	t.Cleanup(tap.Close)
	t.Cleanup(func() { close(tap.release) }) // before Close, which waits for the handler
	return tap
}

// trips reports whether r is the request the tap stops at (see s3Tap).
func (tap *s3Tap) trips(r *http.Request) bool {
	if r.Method != http.MethodPut {
		return false
	}
	table, kind := lakeObject(r.URL.Path)
	tap.mu.Lock()
	defer tap.mu.Unlock()
	switch {
	case tap.hasTripped:
		return false
	case table == schema.SyncLogins.Name && kind == "metadata" && strings.HasSuffix(r.URL.Path, ".metadata.json") &&
		!strings.HasPrefix(path.Base(r.URL.Path), "00000-"): // a commit's, not the table's creation's
		tap.sawLedger = true
	case tap.sawLedger && kind == "data" && !slices.Contains(ledgerTables, table):
		tap.hasTripped = true
		return true
	}
	return false
}

// lakeObject returns the table and the kind (data, metadata) of an object
// key of the lake: …/flinks.db/TABLE/KIND/….
func lakeObject(key string) (table, kind string) {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		if p == iceberg.Namespace+".db" && i+2 < len(parts) {
			return parts[i+1], parts[i+2]
		}
	}
	return "", ""
}

// maintenance is what `lake maintain --format json` reports.
type maintenance struct {
	Tables []iceberg.TableMaintenance `json:"tables"`
}

// maintain decodes what a `syncer lake maintain --format json` did.
func maintain(t testing.TB, r result) maintenance {
	t.Helper()
	if r.code != exitOK {
		t.Fatalf("lake maintain:\n%s", r)
	}
	var m maintenance
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || len(m.Tables) == 0 {
		t.Fatalf("lake maintain --format json: %v\n%s", err, r)
	}
	return m
}

// orphans sums the orphan files m deleted.
func (m maintenance) orphans() (files int, bytes int64) {
	for _, t := range m.Tables {
		files += t.OrphansDeleted
		bytes += t.OrphanBytes
	}
	return files, bytes
}

// TestKilledShardConverges: a shard SIGKILLed in the middle of a commit,
// once it has committed a group, leaves the lake readable (the logins of
// the groups it committed, whole) and a data file no snapshot names; run
// again, the shard ends with the same data as an uninterrupted run of it
// (checksums, exact sums), every login succeeded; `lake maintain` deletes
// the file the killed attempt left and changes no data.
func TestKilledShardConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("three syncs and a lake")
	}
	lake := newTestLake(t)
	srv := flinkstest.New(flinkstest.Config{Seed: 12, AsOf: proofAsOf})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ids := flinkstest.DemoLogins(12, 24)
	file := writeLogins(t, dir, ids)
	env := sharedHolderKey(t, dir)
	mine := inShard(ids, 0, 2)
	if len(mine) < 6 {
		t.Fatalf("shard 0/2 holds %d logins: the test needs at least 3 groups of 2", len(mine))
	}

	uninterrupted := filepath.Join(dir, "uninterrupted.duckdb")
	if r := syncer(t, dir, env, append([]string{"sync", "--shard", "0/2"}, shardedArgs(srv, uninterrupted, file)...)...); r.code != exitOK {
		t.Fatalf("uninterrupted sync of shard 0/2:\n%s", r)
	}

	// The killed attempt commits in groups of 2, so that it has groups
	// left when the tap stops it; the re-run in the usual groups.
	args := append(append([]string{"sync", "--shard", "0/2"}, lake.flags()...), quickSyncArgs(srv.URL, file)...)
	tap := newS3Tap(t, lake.s3.Endpoint)
	p := startSyncer(t, dir, append(env, "AWS_ENDPOINT_URL="+tap.URL), append(args, "--commit-every", "2")...)
	exited := make(chan result, 1)
	go func() { exited <- p.wait() }()
	var left string
	select {
	case left = <-tap.tripped:
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	case r := <-exited:
		t.Fatalf("the shard finished before it began a second group:\n%s", r)
	}
	killed := <-exited
	if killed.code != -1 {
		t.Fatalf("want the shard killed\n%s", killed)
	}
	leftPath := filepath.Join(lake.s3.Root, filepath.FromSlash(left))
	if _, err := os.Stat(leftPath); err != nil {
		t.Fatalf("the file the killed attempt wrote: %v", err)
	}
	killedRun := fmt.Sprint(logLine(t, killed.stderr, "run starting")["run_id"])

	// The lake holds the groups the killed run committed, whole.
	partial := lake.open(t)
	committed := queryInt(t, partial, "SELECT count(*) FROM sync_logins WHERE run_id = ? AND status = 'succeeded'", killedRun)
	if committed == 0 || committed >= len(mine) {
		t.Fatalf("the killed run committed %d of its %d logins: want some, not all", committed, len(mine))
	}
	if n := queryInt(t, partial, `SELECT count(DISTINCT login_id) FROM bank_accounts WHERE login_id IN
		(SELECT login_id FROM sync_logins WHERE run_id = ?)`, killedRun); n != committed {
		t.Errorf("%d of the %d logins the killed run committed have bank accounts", n, committed)
	}
	t.Logf("killed after %d of %d logins were committed, in the middle of a commit that had written %s", committed, len(mine), left)

	rerun := syncer(t, dir, env, args...)
	if rerun.code != exitOK {
		t.Fatalf("re-run of shard 0/2:\n%s", rerun)
	}
	want := openWarehouseRO(t, uninterrupted)
	got := lake.open(t)
	compareData(t, "lake after the re-run", want, got)
	checkRerunLedger(t, got, killedRun, mine, committed)

	m := maintain(t, syncer(t, dir, env, "lake", "maintain", "--format", "json", "--orphan-age", "1ms", "--expire-after", "1ms",
		"--iceberg", lake.warehouse, "--catalog", lake.catalog))
	files, bytes := m.orphans()
	t.Logf("lake maintain deleted %d orphan files (%d bytes)", files, bytes)
	if _, err := os.Stat(leftPath); !os.IsNotExist(err) {
		t.Errorf("the file the killed attempt left is still there after lake maintain (%v); it deleted %d orphans", err, files)
	}
	compareData(t, "lake after maintain", want, lake.open(t))
}

// checkRerunLedger checks sync_logins after a killed run and its re-run:
// the killed run's rows are the committed logins of its shard, succeeded;
// the re-run (the one other run) synced every login of the shard once,
// succeeded.
func checkRerunLedger(t *testing.T, w *sql.DB, killedRun string, mine []string, committed int) {
	t.Helper()
	rows, err := w.Query("SELECT run_id, login_id, status FROM sync_logins")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	byRerun := map[string]int{}
	fromKilled := 0
	for rows.Next() {
		var run, login, status string
		if err := rows.Scan(&run, &login, &status); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(mine, login) || status != "succeeded" {
			t.Errorf("run %s: login %s %s, not a succeeded login of the shard", run, extract.HashLogin(login), status)
		}
		if s, ok := shard.OfRunID(run); !ok || s.Index != 0 || s.Count != 2 {
			t.Errorf("run %s is not a run of shard 0/2", run)
		}
		if run == killedRun {
			fromKilled++
		} else {
			byRerun[login]++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if fromKilled != committed {
		t.Errorf("the killed run has %d logins in sync_logins after the re-run, want the %d it committed", fromKilled, committed)
	}
	for _, id := range mine {
		if byRerun[id] != 1 {
			t.Errorf("the re-run synced login %s %d times, want once", extract.HashLogin(id), byRerun[id])
		}
	}
}
