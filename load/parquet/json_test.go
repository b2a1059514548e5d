package parquet

import (
	"testing"

	"github.com/syncer/syncer/schema"
)

// TestParquetKeepsJSONText: a JSON column reads back as the same JSON text
// (not a JSON string holding it), as DuckDB stores it.
func TestParquetKeepsJSONText(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, dir, 4)
	extra := `{"Nickname":"Épargne 日本 ✓","Fee":0.000000011}`
	r := accountRow("login-1", "acct-1", "10.5")
	r[schema.Accounts.Index("extra")] = extra
	commit(t, p, schema.Batch{RunID: "run-1", LoginID: "login-1", Rows: map[string][]schema.Row{schema.Accounts.Name: {r}}})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	got := queryStrings(t, reader(t, dir), `SELECT CAST(extra AS VARCHAR) FROM accounts`)
	if len(got) != 1 || got[0] != extra {
		t.Errorf("extra read back as %q, want %q", got, extra)
	}
}
