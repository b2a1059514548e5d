package parquet

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// syncBatch is what a succeeded sync of login commits for a payload holding
// one position of security, refreshed by Flinks at lastRefresh.
func syncBatch(t testing.TB, login, security string, syncedAt, lastRefresh time.Time) schema.Batch {
	t.Helper()
	body := `{"Investments":[{"Accounts":[{"Id":"acct-old","Currency":"cad","Positions":[{"Quantity":2,"Currency":"cad","AsOfDate":"2026-01-04","Security":{"Id":"` + security + `"}}]}]}]}`
	b, _, err := transform.FromJSON([]byte(body), transform.Context{RunID: "run-new", LoginID: login, SyncedAt: syncedAt, LastRefresh: lastRefresh})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParquetUpgradeKeepsSnapshots: a dataset written before positions had
// price_date and logins had last_refresh_at (schema version 1) reads with
// those columns NULL, before and after a sync of the new version, which
// keeps the old snapshot's as_of_date and registration and adds its own.
func TestParquetUpgradeKeepsSnapshots(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, dir, 2)
	old := positionsBatch("run-old", "login-old", "2025-12-31", positionRow("login-old", "acct-old", "sec-old", "2025-12-31", "1"))
	old.Rows[schema.Logins.Name] = []schema.Row{row(schema.Logins, map[string]any{
		"login_id": "login-old", "registered_at": time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), "registered_by": "backfill", "run_id": "run-old"})}
	commit(t, p, old)
	p.Close()
	// Rewrite every file as version 1 wrote it: without the version 2 columns.
	db := reader(t, dir)
	for _, tbl := range []*schema.Table{schema.Positions, schema.Logins} {
		files, _ := filepath.Glob(filepath.Join(dir, tbl.Name, "*", "*.parquet"))
		more, _ := filepath.Glob(filepath.Join(dir, tbl.Name, "*.parquet"))
		files = append(files, more...)
		if len(files) == 0 {
			t.Fatalf("no %s files", tbl.Name)
		}
		var v2 []string
		for _, c := range tbl.Columns {
			if c.Since >= 2 {
				v2 = append(v2, duckdb.QuoteIdent(c.Name))
			}
		}
		for _, f := range files {
			if _, err := db.Exec("COPY (SELECT * EXCLUDE (" + strings.Join(v2, ", ") + ") FROM read_parquet(" + duckdb.QuoteLiteral(f) + ")) TO " + duckdb.QuoteLiteral(f+".v1") + " (FORMAT parquet)"); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(f+".v1", f); err != nil {
				t.Fatal(err)
			}
		}
	}

	const positionsQ = "SELECT login_id, CAST(as_of_date AS VARCHAR), security_key, CAST(price_date AS VARCHAR) FROM positions ORDER BY as_of_date"
	const loginsQ = "SELECT login_id, CAST(registered_at AS VARCHAR), registered_by, CAST(last_refresh_at AS VARCHAR) FROM logins"
	if got, want := queryStrings(t, reader(t, dir), positionsQ), []string{"login-old|2025-12-31|sec-old|NULL"}; !slices.Equal(got, want) {
		t.Errorf("version 1 positions read as %q, want %q", got, want)
	}
	if got, want := queryStrings(t, reader(t, dir), loginsQ), []string{"login-old|2025-12-01 00:00:00|backfill|NULL"}; !slices.Equal(got, want) {
		t.Errorf("version 1 logins read as %q, want %q", got, want)
	}

	p = openTest(t, dir, 0)
	commit(t, p, syncBatch(t, "login-old", "sec-new", time.Date(2026, 1, 6, 2, 0, 0, 0, time.UTC), time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)))
	p.Close()
	if got, want := queryStrings(t, reader(t, dir), positionsQ), []string{"login-old|2025-12-31|sec-old|NULL", "login-old|2026-01-05|id:sec-new|2026-01-04"}; !slices.Equal(got, want) {
		t.Errorf("positions after a version 2 sync: %q, want %q", got, want)
	}
	if got, want := queryStrings(t, reader(t, dir), loginsQ), []string{"login-old|2025-12-01 00:00:00|backfill|2026-01-05 09:00:00"}; !slices.Equal(got, want) {
		t.Errorf("logins after a version 2 sync: %q, want %q", got, want)
	}
}
