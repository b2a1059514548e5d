package lakeenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRequired: only SYNCER_REQUIRE_LAKE set to a true value turns a
// missing server into a failure.
func TestRequired(t *testing.T) {
	for value, want := range map[string]bool{"": false, "0": false, "false": false, "1": true, "true": true, "yes": false} {
		t.Setenv(RequireEnv, value)
		if got := required(); got != want {
			t.Errorf("%s=%q: required() = %v, want %v", RequireEnv, value, got, want)
		}
	}
}

// TestFindPostgres: PostgreSQL's binaries are taken from the newest
// version's directory that holds both initdb and postgres (15 before 9.6:
// versions compare as numbers).
func TestFindPostgres(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"9.6/bin/initdb", "9.6/bin/postgres", "15/bin/initdb", "15/bin/postgres", "16/bin/initdb"} {
		path := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", t.TempDir())
	got, err := findPostgres(filepath.Join(root, "*", "bin"))
	if err != nil || got != filepath.Join(root, "15", "bin") {
		t.Errorf("findPostgres = %q, %v; want %s", got, err, filepath.Join(root, "15", "bin"))
	}
	if _, err := findPostgres(filepath.Join(t.TempDir(), "*", "bin")); err == nil || !strings.Contains(err.Error(), "apt-get install") {
		t.Errorf("no PostgreSQL anywhere: %v, want an error that says how to install it", err)
	}
}

// TestUnavailableServers: with a server's binaries nowhere to be found, or
// one that cannot start, a test that asks for it is skipped with a message
// that says what is wrong (the server's own last words, or what to
// install); with SYNCER_REQUIRE_LAKE=1 (CI) it fails with the same message
// instead.
func TestUnavailableServers(t *testing.T) {
	empty, broken := t.TempDir(), t.TempDir()
	script := "#!/bin/sh\necho 'listen tcp: address already in use' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(broken, "versitygw"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mode, path string
		want       []string
	}{
		{"missing-s3", empty, []string{"versitygw is not on PATH", "install it with: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"}},
		{"missing-postgres", empty, []string{"(initdb, postgres) is not on PATH", "install it with: apt-get install postgresql"}},
		{"missing-s3", broken, []string{"versitygw exited before it was ready (exit status 1); its log ends:", "listen tcp: address already in use"}},
	} {
		says := func(out string) bool {
			return !slices.ContainsFunc(c.want, func(w string) bool { return !strings.Contains(out, w) })
		}
		env := []string{"PATH=" + c.path, "GOPATH=" + empty, "GOBIN="}
		out, err := helper(t, c.mode, append(env, RequireEnv+"=")...)
		if err != nil || !strings.Contains(out, "--- SKIP: TestHelperProcess") || !says(out) {
			t.Errorf("%s, PATH=%s, not required: exit %v, output:\n%s\nwant a skip that says %q", c.mode, c.path, err, out, c.want)
		}
		out, err = helper(t, c.mode, append(env, RequireEnv+"=1")...)
		if err == nil || !strings.Contains(out, "--- FAIL: TestHelperProcess") || !says(out) {
			t.Errorf("%s, PATH=%s, required: exit %v, output:\n%s\nwant a failure that says %q", c.mode, c.path, err, out, c.want)
		}
	}
}

// TestWithoutMain: a test binary whose TestMain does not go through Run
// would leave the servers running: asking for one fails the test and says
// what to write.
func TestWithoutMain(t *testing.T) {
	out, err := helper(t, "no-main")
	if err == nil || !strings.Contains(out, "--- FAIL: TestHelperProcess") || !strings.Contains(out, "must call lakeenv.Main(m)") {
		t.Errorf("exit %v, output:\n%s\nwant a failure that names lakeenv.Main", err, out)
	}
}

// helper runs TestHelperProcess in a new process of this test binary, in
// the given mode, with env added to this process's environment.
func helper(t *testing.T, mode string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v")
	cmd.Env = append(append(os.Environ(), "LAKEENV_HELPER="+mode), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
