package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load/parquet"
	"github.com/syncer/syncer/schema"
)

// registryRig is a sandbox and a warehouse (DuckDB, and with parquet a
// Parquet dataset too) for the registry's and forget's tests.
type registryRig struct {
	t       *testing.T
	srv     *flinkstest.Server
	dir, db string
	ds      string // the Parquet dataset, "" when none
}

func newRegistryRig(t *testing.T, cfg flinkstest.Config, withParquet bool) *registryRig {
	srv := flinkstest.New(cfg)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	r := &registryRig{t: t, srv: srv, dir: dir, db: filepath.Join(dir, "w.duckdb")}
	if withParquet {
		r.ds = filepath.Join(dir, "ds")
	}
	return r
}

// where are the warehouse flags.
func (r *registryRig) where() []string {
	if r.ds != "" {
		return []string{"--db", r.db, "--parquet", r.ds}
	}
	return []string{"--db", r.db}
}

// run runs a command that takes the warehouse flags.
func (r *registryRig) run(args ...string) result {
	r.t.Helper()
	return syncer(r.t, r.dir, []string{"USER=operator-7"}, append(args, r.where()...)...)
}

// sync runs a sync (or backfill, retry) against the sandbox, both products.
func (r *registryRig) sync(command string, args ...string) result {
	r.t.Helper()
	full := append([]string{command}, fastFlags(r.srv, r.db)...)
	if r.ds != "" {
		full = append(full, "--parquet", r.ds)
	}
	full = append(full, "--products", "investments,banking")
	return syncer(r.t, r.dir, nil, append(full, args...)...)
}

// authorized is how many Authorize requests named login so far.
func (r *registryRig) authorized(login string) int {
	return r.srv.Count(flinkstest.EndpointAuthorize, login)
}

// A disabled login is never requested by sync with no list or retry, and
// a sync that names it is refused before any request; enabled again, it
// is synced again.
func TestDisabledLoginsAreNeverRequested(t *testing.T) {
	logins := flinkstest.DemoLogins(42, 3)
	flaky := flinkstest.FaultLogin(flinkstest.FaultRetryLater, 1)
	r := newRegistryRig(t, flinkstest.Config{Seed: 42, AsOf: e2eAsOf}, false)
	if res := r.sync("sync", "--logins", writeLogins(t, r.dir, append(logins, flaky))); res.code != exitPartial {
		t.Fatalf("first sync: %s", res)
	}
	off := logins[0]
	if res := r.run("logins", "disable", "--reason", "bank disconnected", off, flaky); res.code != exitOK {
		t.Fatalf("logins disable: %s", res)
	}
	list := r.run("logins", "list", "--status", "disabled", "--format", "csv")
	if list.code != exitOK || !strings.Contains(list.stdout, extract.HashLogin(off)) || !strings.Contains(list.stdout, "bank disconnected") ||
		strings.Contains(list.stdout, logins[1]) {
		t.Fatalf("logins list --status disabled: %s", list)
	}

	before, other := r.authorized(off), r.authorized(logins[1])
	if res := r.sync("sync"); res.code != exitOK {
		t.Fatalf("sync with no list: %s", res)
	}
	if n := r.authorized(off) - before; n != 0 {
		t.Errorf("sync with no list requested the disabled login %d times", n)
	}
	if r.authorized(logins[1]) == other {
		t.Error("sync with no list did not sync the enabled logins")
	}
	flakyBefore := r.authorized(flaky)
	if res := r.sync("retry"); res.code != exitOK || !strings.Contains(res.stdout, "nothing to retry") {
		t.Fatalf("retry with its only candidate disabled: %s", res)
	}
	if r.authorized(flaky) != flakyBefore {
		t.Error("retry requested the disabled login")
	}
	res := r.sync("sync", "--login", off)
	if res.code != exitUsage || !strings.Contains(res.stderr, extract.HashLogin(off)) || strings.Contains(res.stderr, off) {
		t.Fatalf("sync --login of a disabled login alone: want exit 2 (nothing to sync) naming its hash only\n%s", res)
	}
	res = r.sync("sync", "--logins", writeLogins(t, r.dir, logins[:2]))
	if res.code != exitOK || !strings.Contains(res.stderr, `"disabled logins skipped"`) || !strings.Contains(res.stderr, extract.HashLogin(off)) {
		t.Fatalf("sync --logins naming a disabled login: want it skipped with a warning\n%s", res)
	}
	if r.authorized(off) != before {
		t.Error("a sync that named the disabled login requested it")
	}

	if res := r.run("logins", "enable", off); res.code != exitOK {
		t.Fatalf("logins enable: %s", res)
	}
	if res := r.sync("sync"); res.code != exitPartial { // the flaky login is still disabled; off is back
		if res.code != exitOK {
			t.Fatalf("sync after enable: %s", res)
		}
	}
	if r.authorized(off) == before {
		t.Error("the login enabled again was not synced")
	}
}

// --disable-after-rejected N disables a login once its last N attempts
// ended rejected, counting attempts before the flag was given; without the
// flag no login is disabled.
func TestAutoDisableAfterRejected(t *testing.T) {
	good := flinkstest.DemoLogins(42, 1)[0]
	bad := flinkstest.FaultLogin(flinkstest.FaultTruncatedJSON, 1) // rejected: a 200 that is not JSON
	r := newRegistryRig(t, flinkstest.Config{Seed: 42, AsOf: e2eAsOf}, false)
	file := writeLogins(t, r.dir, []string{good, bad})
	for i := range 2 {
		if res := r.sync("sync", "--logins", file); res.code != exitPartial {
			t.Fatalf("sync %d: %s", i+1, res)
		}
	}
	if res := r.run("logins", "list", "--status", "disabled", "--format", "csv"); strings.Count(res.stdout, "\n") != 1 {
		t.Fatalf("a login was disabled without --disable-after-rejected: %s", res)
	}
	if res := r.sync("sync", "--disable-after-rejected", "3"); res.code != exitPartial {
		t.Fatalf("third sync: %s", res)
	}
	list := r.run("logins", "list", "--status", "disabled", "--format", "json")
	if !strings.Contains(list.stdout, extract.HashLogin(bad)) || strings.Contains(list.stdout, extract.HashLogin(good)) ||
		!strings.Contains(list.stdout, "rejected 3 times in a row") {
		t.Fatalf("after 3 rejected syncs with --disable-after-rejected 3: %s", list)
	}
	before := r.authorized(bad)
	if res := r.sync("sync", "--disable-after-rejected", "3"); res.code != exitOK {
		t.Fatalf("sync after the auto-disable: %s", res)
	}
	if r.authorized(bad) != before {
		t.Error("the auto-disabled login was requested again")
	}
}

// needles are the personal values of a login a warehouse must no longer
// hold once it is forgotten: its LoginId and its account ids.
func needles(t *testing.T, db *sql.DB, login string) []string {
	t.Helper()
	out := []string{login}
	for _, q := range []string{`SELECT DISTINCT account_id FROM accounts WHERE login_id = ?`,
		`SELECT DISTINCT account_id FROM bank_accounts WHERE login_id = ?`} {
		rows, err := db.Query(q, login)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		rows.Close()
	}
	if len(out) < 3 {
		t.Fatalf("login %s has %d accounts in all: the test needs both products", extract.HashLogin(login), len(out)-1)
	}
	return out
}

// traces returns every value of the query's rows, in every column, that
// contains one of the needles, as "where: column".
func traces(t *testing.T, db *sql.DB, where, q string, needles []string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var hits []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			text := fmt.Sprint(v)
			if b, ok := v.([]byte); ok {
				text = string(b)
			}
			for _, n := range needles {
				if strings.Contains(strings.ToLower(text), strings.ToLower(n)) {
					hits = append(hits, where+": "+cols[i])
				}
			}
		}
	}
	return hits
}

// checkNoTraces fails the test when the warehouse holds one of the needles
// (allTraces).
func (r *registryRig) checkNoTraces(needles []string) {
	r.t.Helper()
	if hits := r.allTraces(needles); len(hits) > 0 {
		r.t.Errorf("the forgotten login is still in %d places, e.g. %v", len(hits), hits[:min(len(hits), 10)])
	}
}

// allTraces returns where a table of the DuckDB warehouse, or any Parquet
// file of the dataset (every file, not only those the tables' globs read),
// holds one of the needles, in any column.
func (r *registryRig) allTraces(needles []string) []string {
	t := r.t
	t.Helper()
	db := openWarehouseRO(t, r.db)
	var hits []string
	for _, tbl := range schema.Tables {
		hits = append(hits, traces(t, db, "duckdb "+tbl.Name, "SELECT * FROM "+tbl.Name, needles)...)
	}
	db.Close()
	if r.ds != "" {
		cat, err := parquet.OpenCatalog(context.Background(), r.ds)
		if err != nil {
			t.Fatal(err)
		}
		defer cat.Close()
		files := 0
		err = filepath.WalkDir(r.ds, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
				return err
			}
			files++
			rel, _ := filepath.Rel(r.ds, path)
			hits = append(hits, traces(t, cat, "parquet "+rel, fmt.Sprintf("SELECT * FROM read_parquet('%s')", path), needles)...)
			return nil
		})
		if err != nil || files == 0 {
			t.Fatalf("walking the dataset: %v (%d files)", err, files)
		}
	}
	return hits
}

// forget erases one login of three from DuckDB and Parquet: no column of
// any table or file names it or its accounts afterwards, the others keep
// their rows, erasures records it by hash only, a re-run changes nothing
// but its record, and a sync of it is refused until it is registered again.
func TestForgetErasesEveryTrace(t *testing.T) {
	// The login to forget has malformed fragments, so rejected_records holds rows of it too.
	gone := flinkstest.FaultLogin(flinkstest.FaultMalformed, 1)
	logins := append(flinkstest.DemoLogins(42, 2), gone)
	r := newRegistryRig(t, flinkstest.Config{Seed: 42, AsOf: e2eAsOf}, true)
	if res := r.sync("sync", "--logins", writeLogins(t, r.dir, logins)); res.code != exitOK {
		t.Fatalf("sync: %s", res)
	}
	db := openWarehouseRO(t, r.db)
	find := needles(t, db, gone)
	kept := queryInt(t, db, `SELECT count(*) FROM accounts WHERE login_id <> ?`, gone)
	if n := queryInt(t, db, `SELECT count(*) FROM rejected_records WHERE login_id = ?`, gone); n == 0 {
		t.Fatal("no rejected_records row of the login to erase")
	}
	db.Close()

	if hits := r.allTraces(find); len(hits) < 20 {
		t.Fatalf("the scan finds the login in only %d places before forget: %v", len(hits), hits)
	}
	if res := r.run("forget", gone); res.code != exitUsage || !strings.Contains(res.stderr, "--yes") {
		t.Fatalf("forget without --yes and no terminal: want exit 2\n%s", res)
	}
	res := r.run("forget", "--yes", gone)
	if res.code != exitOK || !strings.Contains(res.stdout, extract.HashLogin(gone)) || strings.Contains(res.stdout+res.stderr, gone) {
		t.Fatalf("forget --yes: %s", res)
	}
	r.checkNoTraces(find)
	db = openWarehouseRO(t, r.db)
	if n := queryInt(t, db, `SELECT count(*) FROM accounts`); n != kept {
		t.Errorf("%d accounts left, want the other logins' %d", n, kept)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM erasures WHERE login_hash = ? AND rows_removed > 0 AND erased_by = 'operator-7'`,
		extract.HashLogin(gone)); n != 1 {
		t.Errorf("%d erasures rows with the rows removed, want 1", n)
	}
	db.Close()

	if again := r.run("forget", "--yes", gone); again.code != exitOK || !strings.Contains(again.stdout, "0 rows") {
		t.Fatalf("forget again: %s", again)
	}
	r.checkNoTraces(find)
	if res := r.sync("sync", "--login", gone); res.code != exitUsage || !strings.Contains(res.stderr, "logins add") {
		t.Fatalf("sync of a forgotten login: want exit 2\n%s", res)
	}
	if res := r.run("logins", "add", "--login", gone); res.code != exitOK {
		t.Fatalf("logins add: %s", res)
	}
	if res := r.sync("sync", "--login", gone); res.code != exitOK {
		t.Fatalf("sync of a login registered again: %s", res)
	}
}

// forget SIGKILLed after erasing the first login from the DuckDB file,
// before the Parquet dataset, converges when run again: both warehouses
// end with no trace of either login.
func TestForgetConvergesAfterAKill(t *testing.T) {
	logins := flinkstest.DemoLogins(42, 3)
	r := newRegistryRig(t, flinkstest.Config{Seed: 42, AsOf: e2eAsOf}, true)
	if res := r.sync("sync", "--logins", writeLogins(t, r.dir, logins)); res.code != exitOK {
		t.Fatalf("sync: %s", res)
	}
	db := openWarehouseRO(t, r.db)
	find := append(needles(t, db, logins[0]), needles(t, db, logins[2])...)
	db.Close()

	args := append([]string{"forget", "--yes", logins[0], logins[2]}, r.where()...)
	killed := syncer(t, r.dir, []string{"SYNCER_TEST_KILL_AFTER_ERASE=0,0"}, args...)
	if killed.code != -1 {
		t.Fatalf("forget was not killed after its first erasure: %s", killed)
	}
	cat, err := parquet.OpenCatalog(context.Background(), r.ds)
	if err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, cat, `SELECT count(*) FROM accounts WHERE login_id = ?`, logins[0]); n == 0 {
		t.Fatal("the kill came after the Parquet erasure: the test no longer kills mid-way")
	}
	cat.Close()
	db = openWarehouseRO(t, r.db)
	if n := queryInt(t, db, `SELECT count(*) FROM accounts WHERE login_id = ?`, logins[0]); n != 0 {
		t.Fatal("the kill came before the DuckDB erasure")
	}
	db.Close()

	if res := syncer(t, r.dir, nil, args...); res.code != exitOK {
		t.Fatalf("forget again after the kill: %s", res)
	}
	r.checkNoTraces(find)
}

// fileSums is the SHA-256 of every file under dir, by path.
func fileSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		sums[path] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// requests is how many requests the sandbox answered, per endpoint.
func (r *registryRig) requests() map[string]int {
	out := map[string]int{}
	for _, e := range []string{flinkstest.EndpointGenerateToken, flinkstest.EndpointAuthorize, flinkstest.EndpointInvestments,
		flinkstest.EndpointAccountsDetail, flinkstest.EndpointAccountsDetailAsync} {
		out[e] = r.srv.Count(e, "")
	}
	return out
}

// syncer check says what a sync would do (the enabled logins, the
// warehouses, the schema version) without a data request and without
// changing a byte of any file; --authorize opens one session and asks no
// data; a missing warehouse is not created.
func TestCheckMakesNoRequestAndWritesNothing(t *testing.T) {
	logins := flinkstest.DemoLogins(42, 3)
	r := newRegistryRig(t, flinkstest.Config{Seed: 42, AsOf: e2eAsOf}, true)
	if res := r.sync("sync", "--logins", writeLogins(t, r.dir, logins)); res.code != exitOK {
		t.Fatalf("sync: %s", res)
	}
	if res := r.run("logins", "disable", logins[0]); res.code != exitOK {
		t.Fatalf("logins disable: %s", res)
	}
	files, asked := fileSums(t, r.dir), r.requests()
	check := func(extra ...string) result {
		args := append([]string{"check", "--base-url", r.srv.URL, "--products", "investments,banking"}, extra...)
		return syncer(t, r.dir, nil, append(args, r.where()...)...)
	}
	res := check()
	if res.code != exitOK || !strings.Contains(res.stdout, "would fetch 2 login(s)") || !strings.Contains(res.stdout, "version 3") {
		t.Fatalf("check: %s", res)
	}
	if got := r.requests(); !maps.Equal(got, asked) {
		t.Errorf("check made requests: %v, before %v", got, asked)
	}
	res = check("--authorize", logins[1])
	if res.code != exitOK || !strings.Contains(res.stdout, extract.HashLogin(logins[1])+" accepted") || strings.Contains(res.stdout+res.stderr, logins[1]) {
		t.Fatalf("check --authorize: %s", res)
	}
	got := r.requests()
	if got[flinkstest.EndpointAuthorize] != asked[flinkstest.EndpointAuthorize]+1 {
		t.Errorf("check --authorize made %d Authorize requests, want 1", got[flinkstest.EndpointAuthorize]-asked[flinkstest.EndpointAuthorize])
	}
	for _, e := range []string{flinkstest.EndpointInvestments, flinkstest.EndpointAccountsDetail, flinkstest.EndpointAccountsDetailAsync} {
		if got[e] != asked[e] {
			t.Errorf("check --authorize made %d %s requests, want none", got[e]-asked[e], e)
		}
	}
	if after := fileSums(t, r.dir); !maps.Equal(after, files) {
		t.Errorf("check changed the files: %d before, %d after, or their bytes", len(files), len(after))
	}

	empty := t.TempDir()
	res = syncer(t, empty, nil, "check", "--base-url", r.srv.URL, "--db", filepath.Join(empty, "new.duckdb"), "--login", logins[1])
	if res.code != exitOK || !strings.Contains(res.stdout, "would be created") {
		t.Fatalf("check of a warehouse to create: %s", res)
	}
	if left := fileSums(t, empty); len(left) != 0 {
		t.Errorf("check of a missing warehouse created %v", left)
	}
}
