package main

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load/loadtest"
)

// tmpfs mounts a tmpfs of size (like "2m") at a new directory, or skips the
// test when mounting is not allowed here.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

func resize(t *testing.T, dir, size string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
}

// TestProofDiskFull fills a small tmpfs holding the warehouse: the run that
// meets the full disk exits 1 saying so, without a panic; the logins
// committed before keep their rows exactly; and once there is room again
// the same sync completes.
func TestProofDiskFull(t *testing.T) {
	if !fullProof {
		t.Skip("fills a tmpfs: run with -tags proof")
	}
	for _, sink := range proofSinks() {
		t.Run(sink.name, func(t *testing.T) {
			srv := flinkstest.New(flinkstest.Config{Seed: 22, AsOf: proofAsOf})
			t.Cleanup(srv.Close)
			size := map[string]string{"duckdb": "5m", "parquet": "512k"}[sink.name] // room for the first run only
			small := tmpfs(t, size)
			dir := t.TempDir()
			flags := append(fastFlags(srv, ""), sink.args(small)...) // the sink's flags come last and win
			first := flinkstest.DemoLogins(22, 5)
			if r := syncer(t, dir, nil, append([]string{"sync", "--logins", writeLogins(t, dir, first)}, flags...)...); r.code != exitOK {
				t.Fatalf("first run: want exit 0\n%s", r)
			}
			before := loginSums(t, sink.open(t, small), first)

			many := writeLogins(t, dir, flinkstest.DemoLogins(23, 300))
			r := syncer(t, dir, nil, append([]string{"sync", "--logins", many}, flags...)...)
			if r.code != exitFailed || !strings.Contains(strings.ToLower(r.stderr), "no space left on device") {
				t.Fatalf("a full disk: want exit 1 saying no space left on device\n%s", r)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Fatalf("crashed on a full disk:\n%s", r)
			}
			after := loginSums(t, sink.open(t, small), first)
			compareSums(t, "on the full disk", before, after)

			resize(t, small, "512m")
			if r := syncer(t, dir, nil, append([]string{"sync", "--logins", many}, flags...)...); r.code != exitOK {
				t.Fatalf("with room again: want exit 0\n%s", r)
			}
			compareSums(t, "with room again", before, loginSums(t, sink.open(t, small), first))
		})
	}
}

// loginSums is the checksum of each login's rows in the per-login tables.
func loginSums(t *testing.T, db *sql.DB, logins []string) map[string]string {
	t.Helper()
	defer db.Close()
	sums := map[string]string{}
	for _, table := range []string{"accounts", "positions", "transactions"} {
		for _, id := range logins {
			sum, err := loadtest.LoginChecksum(db, table, id)
			if err != nil {
				t.Fatal(err)
			}
			sums[table+" "+id[:8]] = sum
		}
	}
	return sums
}

// TestProofBadInput runs commands with bad paths and bad LoginId files
// against a warehouse holding one good run: each exits with a clear error
// (exit 1, or 2 for a usage mistake) that names the problem, never a panic,
// and the warehouse keeps every committed row.
func TestProofBadInput(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 24, AsOf: proofAsOf})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	good := flinkstest.DemoLogins(24, 5)
	if r := syncer(t, dir, nil, append([]string{"sync", "--logins", writeLogins(t, dir, good)}, fastFlags(srv, db)...)...); r.code != exitOK {
		t.Fatalf("first run: want exit 0\n%s", r)
	}
	w := openWarehouseRO(t, db)
	before := dataChecksums(t, w)
	w.Close()

	aFile := filepath.Join(dir, "a-file")
	if err := os.WriteFile(aFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	malformed := filepath.Join(dir, "malformed.txt")
	body := "# ok so far\n\n" + good[0] + "\n" + good[0] + "\n" + "  " + strings.ToUpper(good[1]) + "  \n" + "c0ffee00-1209-4f19-641c-08d6d48\n"
	if err := os.WriteFile(malformed, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	sync := append([]string{"sync"}, fastFlags(srv, db)...)
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"missing LoginId file", append(sync, "--logins", filepath.Join(dir, "nope.txt")), exitFailed, "nope.txt"},
		{"LoginId file is a directory", append(sync, "--logins", dir), exitFailed, "is a directory"},
		{"malformed LoginId", append(sync, "--logins", malformed), exitFailed, "line 6: not a LoginId"},
		{"malformed --login", append(sync, "--login", "not-a-guid"), exitUsage, "not a LoginId"},
		{"missing secret key file", append(sync, "--secret-key-file", filepath.Join(dir, "no-secret")), exitFailed, "no-secret"},
		{"warehouse under a file", []string{"sync", "--db", filepath.Join(aFile, "w.duckdb"), "--base-url", srv.URL, "--login", good[0]}, exitFailed, "a-file"},
		{"Parquet dataset is a file", append(sync, "--parquet", aFile, "--login", good[0]), exitFailed, "a-file"},
		{"sql on a missing warehouse", []string{"sql", "--db", filepath.Join(dir, "none.duckdb"), "SELECT 1"}, exitFailed, "none.duckdb"},
		{"status on a file that is not DuckDB", []string{"status", "--db", aFile}, exitFailed, "a-file"},
	} {
		r := syncer(t, dir, nil, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.says) {
			t.Errorf("%s: want exit %d saying %q\n%s", tc.name, tc.code, tc.says, r)
		}
		if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
			t.Errorf("%s: crashed\n%s", tc.name, r)
		}
		if strings.Contains(r.stderr, "c0ffee00-1209-4f19-641c-08d6d48") || strings.Contains(r.stderr, good[0]) {
			t.Errorf("%s: the error repeats a LoginId\n%s", tc.name, r)
		}
	}
	w = openWarehouseRO(t, db)
	compareSums(t, "after the bad inputs", before, dataChecksums(t, w))
}
