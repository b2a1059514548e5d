package lakeenv

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PGEnv is the test binary's PostgreSQL server on loopback, as a client
// reaches it. The server asks for a password (scram-sha-256); User's is in
// the password file PassFile, which Env hands to libpq-style clients.
type PGEnv struct {
	Host     string // 127.0.0.1
	Port     int
	User     string // a superuser
	PassFile string // a 0600 libpq password file (host:port:*:user:password) for this server

	srv *pgServer
}

// pgServer is a running PostgreSQL.
type pgServer struct {
	proc     *proc
	env      PGEnv
	password string
	bin      string       // the directory of its binaries
	dbs      atomic.Int64 // databases made by NewDatabase, for their names
	ready    time.Duration
}

// Postgres returns the test binary's PostgreSQL server, starting it if no
// test has yet. Where it cannot be started, the test is skipped (or fails:
// see the package's doc).
func Postgres(t testing.TB) PGEnv {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	srv, err := server(t, &pgsrv, &pgerr, startPostgres)
	if err != nil {
		unavailable(t, err)
	}
	return srv.env
}

// NewDatabase creates a database no other test has, named after the test,
// and returns its URI, postgres://HOST:PORT/DB, which holds no
// credentials: a client takes them from Env's variables.
func (e PGEnv) NewDatabase(t testing.TB) string {
	t.Helper()
	name := dbName(e.srv.dbs.Add(1), t.Name())
	conn, err := e.srv.connect(t.Context(), "postgres")
	if err != nil {
		t.Fatalf("lakeenv: creating database %s: %v", name, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("lakeenv: creating database %s: %v", name, err)
	}
	return e.uri(name)
}

// Env returns the libpq environment that gives a client the server's
// credentials (PGUSER, PGPASSFILE), as KEY=VALUE for a child process's
// environment (append it to os.Environ()).
func (e PGEnv) Env() []string {
	return []string{"PGUSER=" + e.User, "PGPASSFILE=" + e.PassFile}
}

// Setenv sets Env's variables for the rest of the test (t.Setenv: not in
// parallel tests).
func (e PGEnv) Setenv(t testing.TB) { setenv(t, e.Env()) }

// uri is database db's URI, without credentials.
func (e PGEnv) uri(db string) string { return fmt.Sprintf("postgres://%s:%d/%s", e.Host, e.Port, db) }

// connect connects to database db as the superuser, whatever the test's
// environment says.
func (s *pgServer) connect(ctx context.Context, db string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(s.env.uri(db) + "?sslmode=disable")
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Password = s.env.User, s.password
	return pgx.ConnectConfig(ctx, cfg)
}

// stop stops the server: SIGQUIT (PostgreSQL's immediate shutdown, which
// ends its children before the postmaster), and SIGKILL to its process
// group after 10 s.
func (s *pgServer) stop() { s.proc.stop(syscall.SIGQUIT, 10*time.Second) }

// String says what was started where, and how long it took to be ready.
func (s *pgServer) String() string {
	return fmt.Sprintf("PostgreSQL (%s) at %s:%d, ready in %v (initdb included)", s.bin, s.env.Host, s.env.Port, s.ready.Round(time.Millisecond))
}

// pgUser is the superuser the server is made with.
const pgUser = "syncer"

// startPostgres makes a cluster in dir/pg (initdb, with a fresh password
// for pgUser), starts it on a free loopback port, TCP only, tuned for
// tests (no fsync), writes a password file for clients, and returns it
// once it accepts a connection.
func startPostgres(dir string) (*pgServer, error) {
	bin, err := findPostgres(pgBinGlob)
	if err != nil {
		return nil, err
	}
	as, err := postgresAccount()
	if err != nil {
		return nil, err
	}
	home, data := filepath.Join(dir, "pg"), filepath.Join(dir, "pg", "data")
	password := rand.Text()
	pwfile := filepath.Join(home, "password")
	began := time.Now()
	if err := makeHome(dir, home, pwfile, password, as); err != nil {
		return nil, err
	}
	if err := runTool(2*time.Minute, as, baseEnv(), filepath.Join(bin, "initdb"), "-D", data, "-U", pgUser, "--pwfile", pwfile,
		"--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"); err != nil {
		return nil, err
	}
	if err := os.Remove(pwfile); err != nil {
		return nil, fmt.Errorf("lakeenv: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env := PGEnv{Host: "127.0.0.1", Port: port, User: pgUser, PassFile: filepath.Join(dir, "pgpass")}
	line := fmt.Sprintf("%s:%d:*:%s:%s\n", env.Host, env.Port, env.User, password)
	if err := os.WriteFile(env.PassFile, []byte(line), 0o600); err != nil {
		return nil, fmt.Errorf("lakeenv: %w", err)
	}
	p, err := startProc("PostgreSQL", filepath.Join(dir, "postgres.log"), as, baseEnv(),
		filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses="+env.Host, "-c", "unix_socket_directories=",
		"-c", "max_connections=200", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	if err != nil {
		return nil, err
	}
	srv := &pgServer{proc: p, env: env, password: password, bin: bin}
	srv.env.srv = srv
	probe := func(ctx context.Context) error {
		conn, err := srv.connect(ctx, "postgres")
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	}
	if err := p.waitReady(time.Minute, probe); err != nil {
		return nil, err
	}
	srv.ready = time.Since(began)
	return srv, nil
}

// postgresAccount is the user to run PostgreSQL as: nil (the test's own)
// unless the test runs as root, which PostgreSQL refuses: then the user
// postgres that Debian's package makes.
func postgresAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("lakeenv: PostgreSQL refuses to run as root, and there is no user postgres to run it as (%v); install it with: apt-get install postgresql (Debian, Ubuntu), which makes the user", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("lakeenv: user postgres has uid %q, gid %q: not numbers", u.Uid, u.Gid)
	}
	return &account{uid: uint32(uid), gid: uint32(gid)}, nil
}

// makeHome makes home, PostgreSQL's directory under the private directory
// dir, and in it pwfile holding password for initdb; both belong to as
// when not nil, and dir is then made searchable (not readable) by others
// so that as reaches home: every directory above dir must be searchable
// already.
func makeHome(dir, home, pwfile, password string, as *account) error {
	if err := os.Mkdir(home, 0o700); err != nil {
		return fmt.Errorf("lakeenv: %w", err)
	}
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("lakeenv: %w", err)
	}
	if as == nil {
		return nil
	}
	for up := filepath.Dir(dir); ; up = filepath.Dir(up) {
		if info, err := os.Stat(up); err != nil || info.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("lakeenv: PostgreSQL runs as user postgres, which cannot reach %s: %s is not searchable by others; set TMPDIR to a directory it can reach, such as /tmp", dir, up)
		}
		if up == filepath.Dir(up) {
			break
		}
	}
	for _, path := range []string{home, pwfile} {
		if err := os.Chown(path, int(as.uid), int(as.gid)); err != nil {
			return fmt.Errorf("lakeenv: %w", err)
		}
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		return fmt.Errorf("lakeenv: %w", err)
	}
	return nil
}

// dbName is the n-th database's name for the test named test: lower-case
// letters, digits and underscores, at most 63 bytes, unique by n.
func dbName(n int64, test string) string {
	name := fmt.Sprintf("lake_%d_%s", n, slug(test, '_'))
	return strings.TrimRight(name[:min(63, len(name))], "_")
}
