package lakeenv_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncer/syncer/internal/lakeenv"
)

// TestPostgresDatabase: a fresh database's URI carries no credentials; with
// the environment's PGUSER and password file, pgx connects to it and runs a
// query; another database does not see its tables.
func TestPostgresDatabase(t *testing.T) {
	pg := lakeenv.Postgres(t)
	uri := pg.NewDatabase(t)
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "postgres" || u.User != nil || u.RawQuery != "" || u.Host != pg.Host+":"+strconv.Itoa(pg.Port) {
		t.Errorf("URI %q: want postgres://%s:%d/DB with no credentials", uri, pg.Host, pg.Port)
	}
	pg.Setenv(t)
	conn, err := pgx.Connect(t.Context(), uri)
	if err != nil {
		t.Fatalf("connect with the URI and the environment: %v", err)
	}
	defer conn.Close(t.Context())
	var db, user string
	if err := conn.QueryRow(t.Context(), "SELECT current_database(), current_user").Scan(&db, &user); err != nil {
		t.Fatal(err)
	}
	if "/"+db != u.Path || user != pg.User {
		t.Errorf("connected to %s as %s, want %s as %s", db, user, u.Path, pg.User)
	}
	if _, err := conn.Exec(t.Context(), "CREATE TABLE iceberg_tables (name text PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}

	other, err := pgx.Connect(t.Context(), pg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(t.Context())
	var n int
	if err := other.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE tablename = 'iceberg_tables'").Scan(&n); err != nil || n != 0 {
		t.Errorf("another fresh database sees %d iceberg_tables (%v), want 0", n, err)
	}
}

// TestPostgresPassFile: the password comes from the 0600 password file the
// environment names, and without it the server refuses: credentials never
// need to be in a URI or a flag.
func TestPostgresPassFile(t *testing.T) {
	pg := lakeenv.Postgres(t)
	uri := pg.NewDatabase(t)
	env := pg.Env()
	want := []string{"PGUSER=" + pg.User, "PGPASSFILE=" + pg.PassFile}
	if strings.Join(env, " ") != strings.Join(want, " ") {
		t.Errorf("Env() = %q, want %q", env, want)
	}
	if info, err := os.Stat(pg.PassFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("password file %s: %v, %v; want mode 0600", pg.PassFile, info, err)
	}

	t.Setenv("PGUSER", pg.User)
	t.Setenv("PGPASSWORD", "")
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "absent"))
	if conn, err := pgx.Connect(t.Context(), uri); err == nil {
		conn.Close(t.Context())
		t.Fatal("connected with no password: the server must ask for one, or the password file proves nothing")
	}
	pg.Setenv(t)
	conn, err := pgx.Connect(t.Context(), uri)
	if err != nil {
		t.Fatalf("connect with the password file: %v", err)
	}
	conn.Close(t.Context())
}

// TestParallelNew: tests running in parallel each get their own bucket and
// database.
func TestParallelNew(t *testing.T) {
	s3env, pg := lakeenv.S3(t), lakeenv.Postgres(t)
	var buckets, dbs [8]string
	t.Run("group", func(t *testing.T) {
		for i := range 8 {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				buckets[i], dbs[i] = s3env.NewBucket(t), pg.NewDatabase(t)
			})
		}
	})
	seen := map[string]bool{}
	for _, name := range append(buckets[:], dbs[:]...) {
		if seen[name] {
			t.Errorf("%q given twice", name)
		}
		seen[name] = true
	}
}
