// Package lakeenv gives tests the real servers the Iceberg lake needs: an S3
// server (versitygw) and PostgreSQL (the SQL catalog), started on loopback
// ports in a private temporary directory the first time a test of the test
// binary asks for one, and stopped after the tests.
//
// A package whose tests use them calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { lakeenv.Main(m) }
//
// (or os.Exit(lakeenv.Run(m)) beside other set-up), then, in a test:
//
//	s3 := lakeenv.S3(t)            // endpoint, region, keys
//	bucket := s3.NewBucket(t)      // a fresh bucket
//	pg := lakeenv.Postgres(t)
//	catalog := pg.NewDatabase(t)   // postgres://127.0.0.1:PORT/DB, no credentials
//	s3.Setenv(t); pg.Setenv(t)     // AWS_* and PGUSER/PGPASSFILE for what the test runs
//
// Where a server's binaries cannot be found or it cannot start, S3 and
// Postgres skip the test with a message that says what is missing and how
// to install it, unless SYNCER_REQUIRE_LAKE=1 (CI sets it): then the test
// fails with the same message.
//
// It is for tests only: no package's non-test code may import it
// (internal/arch checks).
package lakeenv

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// RequireEnv names the environment variable that, set to a true value
// ("1"), makes an unavailable server fail the tests instead of skipping
// them.
const RequireEnv = "SYNCER_REQUIRE_LAKE"

var (
	// running is true while Run runs the tests: the servers may start.
	running atomic.Bool

	mu sync.Mutex // guards workdir, s3srv, pgsrv and the errors
	// workdir is the private directory (0700, or 0711 for PostgreSQL's
	// user) that holds both servers' data; made on first use.
	workdir string
	s3srv   *s3Server
	s3err   error
	pgsrv   *pgServer
	pgerr   error
)

// Main runs the tests of m and exits with their code, having stopped the
// servers the tests started and removed their directory. For TestMain.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run runs the tests of m, then stops the servers they started and removes
// their directory, and returns m.Run's code: for a TestMain that does more
// than Main. A test that panics ends the binary before Run can stop
// anything; the servers die with it all the same (they are started with a
// parent-death signal), but their directory stays in the temporary
// directory.
func Run(m *testing.M) int {
	running.Store(true)
	code := m.Run()
	running.Store(false)
	stopAll()
	return code
}

// stopAll stops both servers, if started, and removes the directory.
func stopAll() {
	mu.Lock()
	defer mu.Unlock()
	if s3srv != nil {
		s3srv.stop()
	}
	if pgsrv != nil {
		pgsrv.stop()
	}
	if workdir != "" {
		if err := os.RemoveAll(workdir); err != nil {
			fmt.Fprintf(os.Stderr, "lakeenv: removing %s: %v\n", workdir, err)
		}
	}
	s3srv, s3err, pgsrv, pgerr, workdir = nil, nil, nil, nil, ""
}

// errNoMain is the error of a test binary whose TestMain does not go
// through Run: nothing would stop the servers.
var errNoMain = errors.New("lakeenv: the package's TestMain must call lakeenv.Main(m) (or os.Exit(lakeenv.Run(m))), which stops the servers after the tests")

// service is what the servers have in common, for server.
type service interface {
	comparable
	stop()
	// String describes the server started: what, where, how fast.
	String() string
}

// server returns the one server of the test binary that *srv holds,
// starting it with start (in the shared working directory) on the first
// call, which it logs to t; a start that failed is not tried again: its
// error goes to every caller. The caller holds mu.
func server[S service](t testing.TB, srv *S, failed *error, start func(dir string) (S, error)) (S, error) {
	t.Helper()
	var none S
	if !running.Load() {
		t.Fatal(errNoMain)
	}
	if *failed != nil || *srv != none {
		return *srv, *failed
	}
	if workdir == "" {
		if workdir, *failed = makeWorkdir(); *failed != nil {
			return none, *failed
		}
	}
	*srv, *failed = start(workdir)
	if *failed == nil {
		t.Logf("lakeenv: %v", *srv)
	}
	return *srv, *failed
}

// makeWorkdir makes a private temporary directory for the servers' data.
func makeWorkdir() (string, error) {
	dir, err := os.MkdirTemp("", "syncer-lake-")
	if err != nil {
		return "", fmt.Errorf("lakeenv: %w", err)
	}
	return dir, nil
}

// required reports whether an unavailable server must fail the tests:
// RequireEnv holds a true value (strconv.ParseBool).
func required() bool {
	v, err := strconv.ParseBool(os.Getenv(RequireEnv))
	return err == nil && v
}

// unavailable ends the test because a server it needs cannot be had: a
// skip, or a failure when required() (CI), with err's message, which says
// what is missing and how to install it.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if required() {
		t.Fatalf("%v (%s=1: lake tests must not skip)", err, RequireEnv)
	}
	t.Skipf("%v (lake tests skip without it; %s=1, as CI sets, makes this a failure)", err, RequireEnv)
}
