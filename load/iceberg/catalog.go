// Package iceberg is the Apache Iceberg sink: the warehouse's tables as
// Iceberg tables in an object store (s3://bucket/prefix, or file:///path on
// one machine), registered in Iceberg's SQL catalog on PostgreSQL (the tables
// Spark's and Trino's JDBC catalogs read) or SQLite. Several syncers, each on
// a shard of the LoginIds, may commit to the same tables at once: a commit
// that loses the race to another reloads the table and applies again.
//
// It merges through duckdb.ParquetEngine, as the Parquet sink does, and
// holds no SQL.
package iceberg

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/apache/iceberg-go/io"
	_ "github.com/apache/iceberg-go/io/gocloud/s3" // s3:// warehouses
	"github.com/apache/iceberg-go/utils"
	"github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/syncer/syncer/internal/s3env"
)

// Namespace is the Iceberg namespace that holds the warehouse's tables:
// a reader names them flinks.accounts, flinks.positions, ….
const Namespace = "flinks"

// catalogName is the name the catalog's rows carry (catalog_name in
// iceberg_tables): a JDBC catalog reading them must be configured with it.
const catalogName = "syncer"

// Location errors a user can act on.
var (
	errCatalogScheme   = errors.New("--catalog must be postgres://host:port/db (credentials from PGUSER, PGPASSWORD or PGPASSFILE) or sqlite:///path")
	errWarehouseScheme = errors.New("--iceberg must be s3://bucket/prefix or file:///absolute/path")
)

// checkCatalogURI refuses a catalog URI the sink cannot open, and one that
// carries a password: credentials come from libpq's environment, never a
// flag (where ps and shell histories would show them).
func checkCatalogURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errCatalogScheme
	}
	switch u.Scheme {
	case "postgres", "postgresql":
		if _, ok := u.User.Password(); ok || u.Query().Has("password") {
			return errors.New("--catalog must not hold a password: set PGPASSWORD or PGPASSFILE instead")
		}
		return nil
	case "sqlite":
		if u.Path == "" || u.Host != "" {
			return errCatalogScheme
		}
		return nil
	}
	return errCatalogScheme
}

// checkWarehouseURI refuses a warehouse URI that is not s3:// or file://.
func checkWarehouseURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errWarehouseScheme
	}
	switch {
	case u.Scheme == "s3" && u.Host != "":
		return nil
	case u.Scheme == "file" && u.Host == "" && strings.HasPrefix(u.Path, "/"):
		return nil
	}
	return errWarehouseScheme
}

// lake is an open catalog and the database connection it runs on.
type lake struct {
	cat *sqlcat.Catalog
	db  *sql.DB
	// store is the object store's configuration (s3env.Config) for an
	// s3:// warehouse, nil for file://.
	store *aws.Config
}

// bind has the lake's operations under ctx reach the object store with
// l.store: iceberg-go builds a client for each table operation, from the
// configuration a context carries, else from the environment again (a
// new HTTP client each time, and the SDK's default retries).
func (l *lake) bind(ctx context.Context) context.Context {
	if l.store == nil {
		return ctx
	}
	return utils.WithAwsConfig(ctx, l.store)
}

// Close closes the catalog and its connections.
func (l *lake) Close() error {
	err := l.cat.Close()
	if cerr := l.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// openCatalog opens the SQL catalog at catalogURI for the warehouse at
// warehouseURI, creating the catalog's tables and the namespace if need be,
// then runs setup (if not nil) on it. Creation and setup hold the catalog's
// set-up lock (setupLock), so that syncers starting at once on a new
// catalog do not race to create the same tables.
func openCatalog(ctx context.Context, catalogURI, warehouseURI string, setup func(context.Context, catalog.Catalog) error) (*lake, error) {
	if err := checkCatalogURI(catalogURI); err != nil {
		return nil, err
	}
	if err := checkWarehouseURI(warehouseURI); err != nil {
		return nil, err
	}
	u, _ := url.Parse(catalogURI)
	var (
		db      *sql.DB
		dialect sqlcat.SupportedDialect
		err     error
	)
	if u.Scheme == "sqlite" {
		// WAL and a busy timeout: several syncers on one machine share it.
		db, err = sql.Open("sqlite", "file:"+u.Path+"?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)")
		dialect = sqlcat.SQLite
	} else {
		db, err = sql.Open("pgx", catalogURI)
		dialect = sqlcat.Postgres
	}
	if err != nil {
		return nil, fmt.Errorf("iceberg catalog: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("iceberg catalog %s: %w", redactURI(u), err)
	}
	if u.Scheme == "sqlite" {
		_ = os.Chmod(u.Path, 0o600)
	}
	l, err := setUp(ctx, db, dialect, u, warehouseURI, setup)
	if err != nil {
		if l != nil {
			l.Close()
		} else {
			db.Close()
		}
		return nil, err
	}
	return l, nil
}

// setUp makes the catalog on db and its namespace and runs setup (if not
// nil), holding the set-up lock (setupLock), which it releases before it
// returns. On error the lake, if one was made, is returned for the caller
// to close once the lock is released.
func setUp(ctx context.Context, db *sql.DB, dialect sqlcat.SupportedDialect, u *url.URL, warehouseURI string, setup func(context.Context, catalog.Catalog) error) (*lake, error) {
	unlock, err := setupLock(ctx, db, dialect)
	if err != nil {
		return nil, fmt.Errorf("iceberg catalog %s: set-up lock: %w", redactURI(u), err)
	}
	defer unlock()
	cat, err := sqlcat.NewCatalog(catalogName, db, dialect, storeProperties(warehouseURI))
	if err != nil {
		return nil, fmt.Errorf("iceberg catalog %s: %w", redactURI(u), err)
	}
	l := &lake{cat: cat, db: db}
	if strings.HasPrefix(warehouseURI, "s3://") {
		cfg, err := s3env.Config(ctx)
		if err != nil {
			return l, fmt.Errorf("iceberg: object store: %w", err)
		}
		l.store = &cfg
	}
	if err := cat.CreateNamespace(ctx, catalog.ToIdentifier(Namespace), nil); err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
		return l, fmt.Errorf("iceberg catalog: namespace %s: %w", Namespace, err)
	}
	if setup != nil {
		if err := setup(l.bind(ctx), cat); err != nil {
			return l, err
		}
	}
	return l, nil
}

// setupLockKey names the PostgreSQL advisory lock that serializes set-up.
const setupLockKey int64 = 0x73796e636572 // "syncer"

// setupLock takes, on a PostgreSQL catalog, a session advisory lock that
// one syncer at a time holds while it creates the catalog's tables, the
// namespace and the lake's tables: 8 shards starting at once on a new
// catalog otherwise race, and PostgreSQL refuses the losers' CREATE TABLE
// IF NOT EXISTS ("relation … already exists", 42P07; or a unique
// violation on pg_type, 23505). The returned func releases it. SQLite
// needs none: its writers already take turns.
func setupLock(ctx context.Context, db *sql.DB, dialect sqlcat.SupportedDialect) (unlock func(), err error) {
	if dialect != sqlcat.Postgres {
		return func() {}, nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", setupLockKey); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", setupLockKey); err != nil {
			// Drop the session rather than pool it: ending the session
			// releases its lock.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}

// storeProperties are the catalog properties that place the tables and
// reach the object store. Credentials and the region come from the AWS
// SDK's standard environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_REGION, profiles); a custom endpoint (s3env.Endpoint) is addressed
// path-style.
func storeProperties(warehouseURI string) iceberg.Properties {
	p := iceberg.Properties{"warehouse": strings.TrimSuffix(warehouseURI, "/")}
	if v := s3env.Endpoint(); v != "" {
		p[io.S3EndpointURL] = v
	}
	return p
}

// redactURI names a catalog in messages without its user or query.
func redactURI(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	return c.String()
}
