package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/schema"
)

// craftWarehouse commits batches to the DuckDB warehouse at path (created
// if missing), as a run's loader would, and closes it.
func craftWarehouse(t *testing.T, path string, batches ...schema.Batch) {
	t.Helper()
	ctx := context.Background()
	sink, err := duckdb.Open(ctx, duckdb.Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Commit(ctx, batches); err != nil {
		sink.Close()
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}

// typedWarehouse is a warehouse of one generated login whose first account
// holds cash 12345678901234.5678 (stored as DECIMAL(38,18)).
func typedWarehouse(t *testing.T) (dir, db string) {
	dir = t.TempDir()
	db = filepath.Join(dir, "w.duckdb")
	batches := loadtest.Batches(1, 1, loadtest.Day1)
	accounts := batches[0].Rows[schema.Accounts.Name]
	for _, a := range accounts {
		if a[schema.Accounts.Index("account_id")] == "acct-0-0" {
			a[schema.Accounts.Index("cash")] = schema.MustDecimal("12345678901234.5678")
		}
	}
	craftWarehouse(t, db, batches...)
	return dir, db
}

// typedQuery selects one value of every kind from the warehouse's
// acct-0-0, and a column name twice.
const typedQuery = `SELECT account_id, cash, 9007199254740993 AS big,
	170141183460469231731687303715884105727::HUGEINT AS huge, closed_at AS closed, closed_at IS NULL AS open,
	DATE '2026-03-02' AS day, TIMESTAMP '2026-03-02 06:00:00.5' AS ts, TIMESTAMPTZ '2026-03-02 08:00:00+02' AS tstz,
	[cash, 1.5] AS list, {'z': cash, 'a': NULL, 'b': [true, false]} AS obj,
	'{"x": 12345678901234.5678901234567, "y": [1, 2]}'::JSON AS doc, [{'n': '{"v": 0.10}'::JSON}] AS nested,
	MAP {'k': 2} AS m, 'a"b' AS "quo""te", 1.25::DOUBLE AS dbl, 1 AS big, '00000000-0000-0000-0000-00000000002a'::UUID AS id
FROM accounts WHERE account_id = 'acct-0-0' -- a trailing comment`

// TestSQLJSONIsTyped: `sql --format json` gives numbers as JSON numbers with
// every digit (a DECIMAL(38,18) as the warehouse holds it, integers past
// 2^53, HUGEINT), booleans, null, dates, RFC 3339 UTC instants, lists,
// structs and maps as JSON in their own order, JSON columns as the JSON
// they hold (nested too, digits kept), keys in SELECT order, a repeated
// column name made unique; an empty result is [].
func TestSQLJSONIsTyped(t *testing.T) {
	dir, db := typedWarehouse(t)
	r := syncer(t, dir, nil, "sql", "--db", db, "--format", "json", typedQuery)
	if r.code != exitOK {
		t.Fatalf("sql --format json: %s", r)
	}
	want := `{"account_id":"acct-0-0","cash":12345678901234.567800000000000000,"big":9007199254740993,` +
		`"huge":170141183460469231731687303715884105727,"closed":null,"open":true,"day":"2026-03-02",` +
		`"ts":"2026-03-02T06:00:00.5Z","tstz":"2026-03-02T06:00:00Z",` +
		`"list":[12345678901234.567800000000000000,1.500000000000000000],"obj":{"z":12345678901234.567800000000000000,"a":null,"b":[true,false]},` +
		`"doc":{"x":12345678901234.5678901234567,"y":[1,2]},"nested":[{"n":{"v":0.10}}],"m":{"k":2},"quo\"te":"a\"b","dbl":1.25,` +
		`"big_1":1,"id":"00000000-0000-0000-0000-00000000002a"}`
	if got := strings.TrimSpace(r.stdout); got != "[\n  "+want+"\n]" {
		t.Errorf("sql --format json:\n got %s\nwant [\n  %s\n]", got, want)
	}
	var rows []map[string]any
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber()
	if err := dec.Decode(&rows); err != nil || len(rows) != 1 {
		t.Fatalf("not one JSON row (%v):\n%s", err, r.stdout)
	}
	if n := rows[0]["big"].(json.Number); n.String() != "9007199254740993" {
		t.Errorf("big = %s", n)
	}

	empty := syncer(t, dir, nil, "sql", "--db", db, "--format", "json", "SELECT * FROM accounts WHERE false")
	if empty.code != exitOK || empty.stdout != "[]\n" {
		t.Errorf("an empty result: want []\n%s", empty)
	}
}

// TestSQLCSVAndTableStayExact: csv and table print the same values exactly,
// nested values as JSON.
func TestSQLCSVAndTableStayExact(t *testing.T) {
	dir, db := typedWarehouse(t)
	q := `SELECT cash, 9007199254740993 AS big, 170141183460469231731687303715884105727::HUGEINT AS huge,
		[cash] AS list, {'z': 1, 'a': '{"v": 0.10}'::JSON} AS obj, '00000000-0000-0000-0000-00000000002a'::UUID AS id
		FROM accounts WHERE account_id = 'acct-0-0'`
	r := syncer(t, dir, nil, "sql", "--db", db, "--format", "csv", q)
	want := "cash,big,huge,list,obj,id\n12345678901234.5678,9007199254740993,170141183460469231731687303715884105727," +
		`[12345678901234.567800000000000000],"{""z"":1,""a"":{""v"":0.10}}",00000000-0000-0000-0000-00000000002a` + "\n"
	if r.code != exitOK || r.stdout != want {
		t.Errorf("sql --format csv: want\n%s\ngot %s", want, r)
	}
	table := syncer(t, dir, nil, "sql", "--db", db, q)
	for _, cell := range []string{"12345678901234.5678", "9007199254740993", "170141183460469231731687303715884105727",
		"[12345678901234.567800000000000000]", `{"z":1,"a":{"v":0.10}}`} {
		if !strings.Contains(table.stdout, cell) {
			t.Errorf("sql (table) does not show %s:\n%s", cell, table)
		}
	}
}

// TestUniqueNames: repeated column names become unique as DuckDB names a
// subquery's columns.
func TestUniqueNames(t *testing.T) {
	if got := uniqueNames([]string{"a", "a", "a_1", "b", "a"}); !slices.Equal(got, []string{"a", "a_1", "a_1_1", "b", "a_2"}) {
		t.Errorf("uniqueNames = %v", got)
	}
}
