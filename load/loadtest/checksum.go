package loadtest

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// Checksum returns a digest of the whole of table as db holds it: its row
// count and an md5 over every column of every row (as schema defines the
// columns, cast to text, NULL distinct from any text) in key order. Two
// warehouses hold the same rows exactly when the checksums are equal, however
// the rows were written.
func Checksum(db *sql.DB, table string) (string, error) {
	return checksum(db, table, "")
}

// LoginChecksum is Checksum over the rows of one login (login_id = loginID).
func LoginChecksum(db *sql.DB, table, loginID string) (string, error) {
	return checksum(db, table, loginID)
}

// Checksums returns Checksum of every table in schema.Tables, by name, and
// fails tb if one cannot be computed.
func Checksums(tb testing.TB, db *sql.DB) map[string]string {
	tb.Helper()
	sums := map[string]string{}
	for _, t := range schema.Tables {
		sum, err := Checksum(db, t.Name)
		if err != nil {
			tb.Fatal(err)
		}
		sums[t.Name] = sum
	}
	return sums
}

func checksum(db *sql.DB, table, loginID string) (string, error) {
	t := schema.Lookup(table)
	if t == nil {
		return "", fmt.Errorf("loadtest: unknown table %q", table)
	}
	fields := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		fields[i] = fmt.Sprintf(`coalesce(CAST(%s AS VARCHAR), '\N')`, duckdb.QuoteIdent(c.Name))
	}
	keys := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = duckdb.QuoteIdent(k)
	}
	query := fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(concat_ws('|', %s), chr(10) ORDER BY %s)), '') FROM %s`,
		strings.Join(fields, ", "), strings.Join(keys, ", "), duckdb.QuoteIdent(t.Name))
	var args []any
	if loginID != "" {
		query += " WHERE login_id = ?"
		args = append(args, loginID)
	}
	var n int64
	var sum string
	if err := db.QueryRow(query, args...).Scan(&n, &sum); err != nil {
		return "", fmt.Errorf("loadtest: checksum of %s: %w", table, err)
	}
	return fmt.Sprintf("%d:%s", n, sum), nil
}
