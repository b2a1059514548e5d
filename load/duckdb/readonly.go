package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/syncer/syncer/load"
)

// lockDown makes db unable to reach anything but what it already has open
// and the directories in readDirs: external access is switched off (no file
// written or read elsewhere, no ATTACH, no INSTALL or LOAD of an extension)
// and the configuration is locked, so no later statement can switch it back
// on or change any other setting. DuckDB lets a query write inside an
// allowed directory too, so readers that run a person's SQL also refuse
// every statement that is not a query (CheckReadOnly).
func lockDown(ctx context.Context, db *sql.DB, readDirs []string) error {
	var stmts []string
	if len(readDirs) > 0 {
		quoted := make([]string, len(readDirs))
		for i, d := range readDirs {
			abs, err := filepath.Abs(d)
			if err != nil {
				return err
			}
			// A trailing separator: the setting is a prefix, and /data/ds
			// must not let /data/ds-other through.
			quoted[i] = QuoteLiteral(strings.TrimRight(abs, string(filepath.Separator)) + string(filepath.Separator))
		}
		stmts = append(stmts, "SET allowed_directories = ["+strings.Join(quoted, ", ")+"]")
	}
	stmts = append(stmts, "SET enable_external_access = false", "SET lock_configuration = true")
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("making the warehouse read-only: %w", err)
		}
	}
	return nil
}

// statementNames names the statement kinds a person is likely to try.
var statementNames = map[duckdb.StmtType]string{
	duckdb.STATEMENT_TYPE_INSERT: "INSERT", duckdb.STATEMENT_TYPE_UPDATE: "UPDATE", duckdb.STATEMENT_TYPE_DELETE: "DELETE",
	duckdb.STATEMENT_TYPE_EXPLAIN: "EXPLAIN", duckdb.STATEMENT_TYPE_PREPARE: "PREPARE", duckdb.STATEMENT_TYPE_CREATE: "CREATE",
	duckdb.STATEMENT_TYPE_EXECUTE: "EXECUTE", duckdb.STATEMENT_TYPE_ALTER: "ALTER", duckdb.STATEMENT_TYPE_TRANSACTION: "a transaction statement",
	duckdb.STATEMENT_TYPE_COPY: "COPY", duckdb.STATEMENT_TYPE_ANALYZE: "ANALYZE", duckdb.STATEMENT_TYPE_VARIABLE_SET: "SET VARIABLE",
	duckdb.STATEMENT_TYPE_CREATE_FUNC: "CREATE FUNCTION", duckdb.STATEMENT_TYPE_DROP: "DROP", duckdb.STATEMENT_TYPE_EXPORT: "EXPORT",
	duckdb.STATEMENT_TYPE_PRAGMA: "PRAGMA", duckdb.STATEMENT_TYPE_VACUUM: "VACUUM", duckdb.STATEMENT_TYPE_CALL: "CALL (or CHECKPOINT)",
	duckdb.STATEMENT_TYPE_SET: "SET", duckdb.STATEMENT_TYPE_LOAD: "INSTALL or LOAD", duckdb.STATEMENT_TYPE_ATTACH: "ATTACH",
	duckdb.STATEMENT_TYPE_DETACH: "DETACH",
}

// CheckReadOnly returns a *load.ReadOnlyError unless query is exactly one
// statement that DuckDB reports as a query (SELECT, which SHOW, DESCRIBE,
// SUMMARIZE and table-valued PRAGMAs are too). It prepares the statement
// without running it; an error preparing it (a syntax error, a table that
// does not exist, a file outside the allowed directories) is returned as is.
// Statements DuckDB runs while preparing (none today) are not its concern:
// use it on a database opened through lockDown.
func CheckReadOnly(ctx context.Context, db *sql.DB, query string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if strings.TrimSpace(strings.Trim(strings.TrimSpace(query), ";")) == "" {
		return &load.ReadOnlyError{Statement: "an empty query"}
	}
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return errors.New("duckdb: not a DuckDB connection")
		}
		stmt, err := c.Prepare(query) // refuses several statements, unlike PrepareContext
		if err != nil {
			if strings.Contains(err.Error(), "multi-statement") {
				return &load.ReadOnlyError{Statement: "a list of several statements"}
			}
			return err
		}
		defer stmt.Close()
		kind, err := stmt.(*duckdb.Stmt).StatementType()
		if err != nil {
			return err
		}
		if kind == duckdb.STATEMENT_TYPE_SELECT {
			return nil
		}
		name, ok := statementNames[kind]
		if !ok {
			name = fmt.Sprintf("a statement of type %d", kind)
		}
		return &load.ReadOnlyError{Statement: name}
	})
}

// QueryColumn is one column of a query's result: its name and its DuckDB
// type, nested types included (struct fields in their order, JSON by its
// alias), or nil when the driver cannot describe it.
type QueryColumn struct {
	Name string
	Type duckdb.TypeInfo
}

// DescribeQuery returns the columns query's result has, in order, by
// preparing it without running it. Use it on a statement CheckReadOnly let
// through.
func DescribeQuery(ctx context.Context, db *sql.DB, query string) ([]QueryColumn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var cols []QueryColumn
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return errors.New("duckdb: not a DuckDB connection")
		}
		prepared, err := c.Prepare(query)
		if err != nil {
			return err
		}
		defer prepared.Close()
		stmt := prepared.(*duckdb.Stmt)
		n, err := stmt.ColumnCount()
		if err != nil {
			return err
		}
		for i := range n {
			name, err := stmt.ColumnName(i)
			if err != nil {
				return err
			}
			info, err := stmt.ColumnTypeInfo(i)
			if err != nil {
				info = nil // a type the driver cannot describe: the caller renders what it scans
			}
			cols = append(cols, QueryColumn{Name: name, Type: info})
		}
		return nil
	})
	return cols, err
}
