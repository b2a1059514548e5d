package parquet

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// row builds a row of t from column values by name; absent columns are NULL.
func row(t *schema.Table, vals map[string]any) schema.Row {
	r := make(schema.Row, len(t.Columns))
	for name, v := range vals {
		i := t.Index(name)
		if i < 0 {
			panic("no column " + name + " in " + t.Name)
		}
		r[i] = v
	}
	return r
}

func dec(s string) schema.Decimal { return schema.MustDecimal(s) }

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

var testSyncedAt = time.Date(2025, 1, 31, 14, 30, 0, 123456000, time.UTC)

func positionRow(login, account, security, asOf, qty string) schema.Row {
	return row(schema.Positions, map[string]any{
		"login_id": login, "account_id": account, "security_key": security, "as_of_date": day(asOf),
		"quantity": dec(qty), "price": dec("10.5"), "market_value": dec(qty),
		"currency": "CAD", "run_id": "run-1", "synced_at": testSyncedAt,
	})
}

func accountRow(login, account, cash string) schema.Row {
	return row(schema.Accounts, map[string]any{
		"login_id": login, "account_id": account, "name": "TFSA " + account, "currency": "CAD",
		"cash": dec(cash), "run_id": "run-1", "synced_at": testSyncedAt, "registered": true,
	})
}

// positionsBatch is one login's batch: its accounts and a positions snapshot
// for asOf (replacing that login's snapshot for the date).
func positionsBatch(run, login, asOf string, positions ...schema.Row) schema.Batch {
	return schema.Batch{
		RunID: run, LoginID: login,
		Rows: map[string][]schema.Row{
			schema.Accounts.Name:  {accountRow(login, "A1", "100.25")},
			schema.Positions.Name: positions,
		},
		Scopes: map[string][]schema.Row{schema.Positions.Name: {{login, day(asOf)}}},
	}
}

func openTest(t testing.TB, dir string, buckets int) *Sink {
	t.Helper()
	p, err := Open(context.Background(), Options{Dir: dir, Buckets: buckets})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func commit(t testing.TB, p *Sink, batches ...schema.Batch) {
	t.Helper()
	if err := p.Commit(context.Background(), batches); err != nil {
		t.Fatal(err)
	}
}

// reader is an analyst's DuckDB over the dataset, through duckdb.ParquetViews.
func reader(t testing.TB, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(duckdb.ParquetViews(dir)); err != nil {
		t.Fatalf("ParquetViews: %v", err)
	}
	return db
}

// queryStrings runs q and renders each row as its values cast to text,
// joined by "|".
func queryStrings(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			parts[i] = "NULL"
			if v.Valid {
				parts[i] = v.String
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checksums returns, per table, its row count and a digest of its sorted
// rows, as read through the documented glob.
func checksums(t testing.TB, dir string) map[string]string {
	t.Helper()
	db := reader(t, dir)
	out := map[string]string{}
	for _, tb := range schema.Tables {
		got := queryStrings(t, db, fmt.Sprintf(
			"SELECT count(*)::VARCHAR || ' ' || coalesce(md5(string_agg(r::VARCHAR, chr(10) ORDER BY r::VARCHAR)), '') FROM %s r", duckdb.QuoteIdent(tb.Name)))
		out[tb.Name] = got[0]
	}
	return out
}
