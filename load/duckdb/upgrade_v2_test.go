package duckdb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// TestMigrateKeepsSnapshots upgrades a version 1 warehouse (the frozen
// testdata/warehouse_v1.sql, plus a registered login) to the current
// version: the old snapshot keeps its as_of_date, the version 2 columns
// (positions.price_date, logins.last_refresh_at) are NULL in old rows, and a
// sync of the new version adds its own snapshot and last refresh without
// touching the old snapshot or the registration.
func TestMigrateKeepsSnapshots(t *testing.T) {
	v1, err := os.ReadFile(filepath.Join("testdata", "warehouse_v1.sql"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The frozen script predates the logins table; version 1 created it
	// with its version 1 columns.
	execScript(t, warehousePath(dir), string(v1)+";\n"+duckdb.CreateTableSQLAt(schema.Logins, 1)+`;
INSERT INTO logins (login_id, registered_at, registered_by, run_id) VALUES ('login-old', TIMESTAMP '2025-12-01 00:00:00', 'backfill', 'run-old');`)

	const positionsQ = `SELECT string_agg(CAST(as_of_date AS VARCHAR) || ' ' || security_key || ' ' || coalesce(CAST(price_date AS VARCHAR), 'NULL'), ', ' ORDER BY as_of_date)
		FROM positions WHERE login_id = 'login-old'`
	const loginsQ = `SELECT CAST(registered_at AS VARCHAR) || ' ' || registered_by || ' ' || coalesce(CAST(last_refresh_at AS VARCHAR), 'NULL')
		FROM logins WHERE login_id = 'login-old'`

	sink := openDuckDB(t, dir).(*duckdb.Sink)
	var positions, logins string
	if err := catalog(t, sink).QueryRow(positionsQ).Scan(&positions); err != nil {
		t.Fatal(err)
	}
	if err := catalog(t, sink).QueryRow(loginsQ).Scan(&logins); err != nil {
		t.Fatal(err)
	}
	if want := "2025-12-31 sec-old NULL"; positions != want {
		t.Errorf("upgraded positions: %s, want %s", positions, want)
	}
	if want := "2025-12-01 00:00:00 backfill NULL"; logins != want {
		t.Errorf("upgraded logins: %s, want %s", logins, want)
	}

	body := `{"Investments":[{"Accounts":[{"Id":"acct-old","Currency":"cad","Positions":[{"Quantity":2,"Currency":"cad","AsOfDate":"2026-01-04","Security":{"Id":"sec-new"}}]}]}]}`
	b, _, err := transform.FromJSON([]byte(body), transform.Context{RunID: "run-new", LoginID: "login-old",
		SyncedAt: time.Date(2026, 1, 6, 2, 0, 0, 0, time.UTC), LastRefresh: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Commit(context.Background(), []schema.Batch{b}); err != nil {
		t.Fatal(err)
	}
	sink.Close()
	read := readDuckDB(t, dir)
	defer read.Close()
	if err := read.QueryRow(positionsQ).Scan(&positions); err != nil {
		t.Fatal(err)
	}
	if err := read.QueryRow(loginsQ).Scan(&logins); err != nil {
		t.Fatal(err)
	}
	if want := "2025-12-31 sec-old NULL, 2026-01-05 id:sec-new 2026-01-04"; positions != want {
		t.Errorf("positions after a version 2 sync: %s, want %s", positions, want)
	}
	if want := "2025-12-01 00:00:00 backfill 2026-01-05 09:00:00"; logins != want {
		t.Errorf("logins after a version 2 sync: %s, want %s", logins, want)
	}
}
