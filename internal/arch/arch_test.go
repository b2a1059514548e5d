// Package arch holds the tests that keep the house's shape (STYLE.md,
// docs/architecture.md): which package may import which, and where DuckDB's
// SQL and its driver may appear.
package arch

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/syncer/syncer/"

// allowed lists, for every package of the module, the packages of the
// module its non-test files may import: imports point one way, cmd ->
// pipeline -> extract | transform | load -> schema, and the sinks
// (load/duckdb, load/parquet) -> load. Nothing imports cmd or pipeline;
// pipeline knows no sink, only load's interfaces; transform imports neither
// load nor extract. internal/clock and internal/logs, leaves, are open to
// all; internal/shard, a leaf, serves cmd/syncer; internal/s3env, a leaf, the S3
// clients of load/iceberg and archive. internal/lakeenv starts
// test servers: for tests only (testOnly). A new package must be added
// here, with its place.
var allowed = map[string][]string{
	"schema":             {},
	"internal/lakeenv":   {},
	"payload":            {"schema"},
	"internal/clock":     {},
	"internal/logs":      {},
	"internal/shard":     {},
	"internal/s3env":     {},
	"extract":            {"payload", "internal/clock", "internal/logs"},
	"extract/flinkstest": {},
	"transform":          {"payload", "schema"},
	"internal/durable":   {},
	"load":               {"schema", "internal/clock", "internal/logs", "internal/durable"},
	"load/duckdb":        {"load", "schema", "internal/clock", "internal/logs", "internal/durable"},
	"load/parquet":       {"load", "load/duckdb", "schema", "internal/clock", "internal/logs", "internal/durable"},
	"load/iceberg":       {"load", "load/duckdb", "schema", "internal/clock", "internal/logs", "internal/s3env"},
	"load/loadtest":      {"load", "load/duckdb", "schema", "transform"},
	"archive":            {"extract", "internal/clock", "internal/durable", "internal/s3env"},
	"pipeline":           {"extract", "transform", "load", "schema", "payload", "archive", "internal/clock", "internal/logs"},
	"cmd/syncer": {"pipeline", "extract", "extract/flinkstest", "transform", "load", "load/duckdb", "load/parquet",
		"load/iceberg", "schema", "payload", "archive", "internal/clock", "internal/logs", "internal/shard"},
}

// testOnly are the packages of the module that only tests may import.
var testOnly = []string{"internal/lakeenv"}

// packages returns the module's package directories, relative to the root.
func packages(t *testing.T) (root string, dirs []string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		if p, err := build.ImportDir(path, 0); err == nil && len(p.GoFiles) > 0 {
			rel, _ := filepath.Rel(root, path)
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return root, dirs
}

// TestImportDirections: no package imports one it may not (see allowed),
// no non-test file imports a testOnly package, and only load/duckdb links
// the DuckDB driver.
func TestImportDirections(t *testing.T) {
	root, dirs := packages(t)
	for _, dir := range dirs {
		ok, known := allowed[dir]
		if !known {
			t.Errorf("package %s has no place in allowed: say which packages it may import", dir)
			continue
		}
		p, err := build.ImportDir(filepath.Join(root, dir), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "github.com/duckdb/") && dir != "load/duckdb" {
				t.Errorf("%s imports %s: only load/duckdb speaks to DuckDB", dir, imp)
			}
			rel, ours := strings.CutPrefix(imp, module)
			if ours && slices.Contains(testOnly, rel) {
				t.Errorf("%s imports %s, which only tests may import", dir, rel)
				continue
			}
			if ours && !slices.Contains(ok, rel) {
				t.Errorf("%s imports %s, which it may not (allowed: %v)", dir, rel, ok)
			}
		}
	}
}

// duckdbSQL matches text that is DuckDB SQL: a statement's opening words,
// or a function only DuckDB has. Keywords are upper case, as this code
// writes them, so prose does not match.
var duckdbSQL = regexp.MustCompile(`\bSELECT\b[\s\S]*\bFROM\b|\bINSERT INTO\b|\bCREATE (OR REPLACE )?(TEMP )?(TABLE|VIEW)\b|` +
	`\bALTER TABLE\b|\bDELETE FROM\b|\bUPDATE \S+ SET\b|\bQUALIFY\b|\bCOPY \(|\bread_parquet\(|\bSET [a-z_]+ ?=|\bPRAGMA\b|duckdb_(tables|columns|views)\(`)

// notSQL are the string literals outside load/duckdb that look like SQL but
// are not run: text for people.
var notSQL = map[string][]string{
	// sql's help shows a query to type.
	"cmd/syncer/readcmds.go": {`SELECT type, count(*) FROM accounts GROUP BY type`},
	// The refusal names the statements that do run.
	"load/reader.go": {`(SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE, PRAGMA table_info)`},
}

// TestNoSQLOutsideDuckDB: no non-test file outside load/duckdb holds DuckDB
// SQL in a string literal (load/loadtest, the conformance suite, reads
// what sinks wrote through the SQL of the harness's reader, as tests do).
func TestNoSQLOutsideDuckDB(t *testing.T) {
	root, dirs := packages(t)
	for _, dir := range dirs {
		if dir == "load/duckdb" || dir == "load/loadtest" {
			continue
		}
		p, err := build.ImportDir(filepath.Join(root, dir), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range p.GoFiles {
			file := filepath.Join(dir, name)
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, file), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil || !duckdbSQL.MatchString(s) {
					return true
				}
				if slices.ContainsFunc(notSQL[filepath.ToSlash(file)], func(ok string) bool { return strings.Contains(s, ok) }) {
					return true
				}
				t.Errorf("%s holds SQL (%q): it belongs in load/duckdb", filepath.ToSlash(file), strings.TrimSpace(s)[:min(60, len(strings.TrimSpace(s)))])
				return true
			})
		}
	}
}
