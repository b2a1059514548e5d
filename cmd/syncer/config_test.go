package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncer/syncer/extract/flinkstest"
)

// TestConfigurationErrorsFailBeforeAnyRequest: every configuration mistake
// gets its exit status and a message saying what to fix, and the sandbox
// sees no request at all.
func TestConfigurationErrorsFailBeforeAnyRequest(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 1})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	good := flinkstest.DemoLogins(1, 1)[0]
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badLogins := write("bad.txt", "# header\n"+good+"\nnot-a-login-id\n")
	notDuckDB := write("not.duckdb", "this is not a DuckDB file, it is text\n")
	aFile := write("file", "x")
	db := filepath.Join(dir, "w.duckdb")
	base := []string{"--base-url", srv.URL, "--db", db}

	cases := []struct {
		name string
		args []string
		env  []string
		code int
		msg  string
	}{
		{"malformed LoginId in file", append([]string{"sync", "--logins", badLogins}, base...), nil, exitFailed, "line 3: not a LoginId"},
		{"unreadable LoginId file", append([]string{"sync", "--logins", filepath.Join(dir, "missing.txt")}, base...), nil, exitFailed, "cannot read the LoginId file"},
		{"malformed --login", append([]string{"sync", "--login", "12345"}, base...), nil, exitUsage, "--login #1 is not a LoginId"},
		{"missing secret key file", append([]string{"sync", "--login", good, "--secret-key-file", filepath.Join(dir, "nope")}, base...), nil, exitFailed, "secret key file"},
		{"missing API key file from env", append([]string{"sync", "--login", good}, base...), []string{"FLINKS_API_KEY_FILE=" + filepath.Join(dir, "nope")}, exitFailed, "API key file"},
		{"bad cron spec", append([]string{"schedule", "--cron", "every night"}, base...), nil, exitUsage, "is not a cron spec"},
		{"schedule without cron", append([]string{"schedule"}, base...), nil, exitUsage, "needs --cron"},
		{"parquet directory is a file", append([]string{"sync", "--login", good, "--parquet", aFile}, base...), nil, exitFailed, aFile},
		{"no-db without parquet", append([]string{"sync", "--login", good, "--no-db"}, base...), nil, exitUsage, "--no-db needs --parquet"},
		{"bad log format", append([]string{"sync", "--login", good, "--log-format", "xml"}, base...), nil, exitUsage, "--log-format"},
		{"bad memory limit", append([]string{"sync", "--login", good, "--memory-limit", "banana"}, base...), nil, exitUsage, `--memory-limit: "banana" is not a size`},
		{"bad memory limit from env", append([]string{"sync", "--login", good}, base...), []string{"SYNCER_MEMORY_LIMIT=1MiB"}, exitUsage, `--memory-limit: "1MiB" is under the minimum`},
		{"negative rate", append([]string{"sync", "--login", good, "--rate", "-1"}, base...), nil, exitUsage, "--rate"},
		{"not a DuckDB file", []string{"sync", "--login", good, "--base-url", srv.URL, "--db", notDuckDB, "--lock-wait", "1s"}, nil, exitFailed, "not.duckdb"},
		{"backfill without logins", append([]string{"backfill"}, base...), nil, exitUsage, "needs --logins"},
		{"unknown command", []string{"frobnicate"}, nil, exitUsage, "unknown command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := syncer(t, dir, c.env, c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
				t.Errorf("want exit %d and %q on stderr\n%s", c.code, c.msg, r)
			}
			if n := srv.Count("", ""); n != 0 {
				t.Fatalf("%d requests reached Flinks", n)
			}
		})
	}
}

// TestBadInputLosesNothing: a failed start never damages a warehouse that
// already holds data.
func TestBadInputLosesNothing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	if r := syncer(t, dir, nil, "sync", "--sandbox", "--db", db, "--poll-interval", "1ms"); r.code != exitOK {
		t.Fatalf("seeding the warehouse:\n%s", r)
	}
	before := syncer(t, dir, nil, "sql", "--db", db, "--format", "csv", "SELECT count(*) FROM accounts")
	bad := filepath.Join(dir, "bad.txt")
	_ = os.WriteFile(bad, []byte("garbage\n"), 0o600)
	if r := syncer(t, dir, nil, "sync", "--sandbox", "--db", db, "--logins", bad); r.code != exitFailed {
		t.Fatalf("bad logins file: want exit 1\n%s", r)
	}
	after := syncer(t, dir, nil, "sql", "--db", db, "--format", "csv", "SELECT count(*) FROM accounts")
	if before.stdout != after.stdout || before.code != 0 {
		t.Errorf("accounts before %q, after %q", before.stdout, after.stdout)
	}
}
