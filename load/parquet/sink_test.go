package parquet

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncer/syncer/internal/durable"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// The dataset read through the documented glob has the DuckDB tables' columns
// and types, and decimals come back digit for digit.
func TestParquetTypesAndExactDecimals(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, dir, 4)
	awkward := []string{"0.000000011", "12345678901234.5678", "0.123456789012345678", "-98765432109876543210.123456789012345678", "1e-18", "0"}
	var rows []schema.Row
	for i, q := range awkward {
		rows = append(rows, positionRow("login-a", "A1", "SEC"+string(rune('0'+i)), "2025-01-31", q))
	}
	commit(t, p, positionsBatch("run-1", "login-a", "2025-01-31", rows...))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	db := reader(t, dir)
	for _, tb := range schema.Tables {
		if tb != schema.Positions && tb != schema.Accounts {
			continue // no file: described through the view below
		}
		got := queryStrings(t, db, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('"+
			filepath.ToSlash(dir)+"/"+tb.Name+"/**/*.parquet', hive_partitioning = true))")
		var want []string
		for _, c := range tb.Columns {
			typ := duckdb.TypeSQL(c.Type)
			if c.Type.Kind == schema.KindTimestamp {
				typ = "TIMESTAMP WITH TIME ZONE" // UTC-adjusted in the files; the views give TIMESTAMP
			}
			want = append(want, c.Name+"|"+typ)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the raw glob reads columns\n%v\nwant\n%v", tb.Name, got, want)
		}
	}
	for _, tb := range schema.Tables {
		got := queryStrings(t, db, "SELECT column_name, column_type FROM (DESCRIBE "+tb.Name+")")
		var want []string
		for _, c := range tb.Columns {
			want = append(want, c.Name+"|"+duckdb.TypeSQL(c.Type))
		}
		if !slices.Equal(got, want) {
			t.Errorf("view %s: columns\n%v\nwant\n%v", tb.Name, got, want)
		}
	}

	got := queryStrings(t, db, "SELECT quantity::VARCHAR, as_of_date::VARCHAR, synced_at::VARCHAR FROM positions ORDER BY security_key")
	for i, q := range awkward {
		want, _ := dec(q).Rescale(18)
		if len(got) <= i || !strings.HasPrefix(got[i], exactText(want)+"|2025-01-31|2025-01-31 14:30:00.123456") {
			t.Errorf("row %d = %q, want quantity %s", i, got, q)
		}
	}
	if got := queryStrings(t, db, "SELECT count(*) FROM latest_positions"); got[0] != fmt.Sprint(len(awkward)) {
		t.Errorf("analyst view latest_positions has %s rows, want %d", got[0], len(awkward))
	}
	sum := queryStrings(t, db, "SELECT sum(quantity)::VARCHAR FROM positions")
	var total schema.Decimal
	for _, q := range awkward {
		total = total.Add(dec(q))
	}
	if u, _ := total.Rescale(18); sum[0] != exactText(u) {
		t.Errorf("SUM = %s, want %s", sum[0], total)
	}
}

// exactText renders an unscaled DECIMAL(38,18) value as DuckDB prints it.
func exactText(u interface{ String() string }) string {
	s := u.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) <= 18 {
		s = strings.Repeat("0", 19-len(s)) + s
	}
	s = s[:len(s)-18] + "." + s[len(s)-18:]
	if neg {
		s = "-" + s
	}
	return s
}

// Each table merges as its schema says, within one commit (later batch wins)
// and across commits.
func TestParquetMergeRules(t *testing.T) {
	sec := func(run string, vals map[string]any) schema.Row {
		vals["run_id"] = run
		return row(schema.Securities, vals)
	}
	login := func(run, id string) schema.Row {
		return row(schema.Logins, map[string]any{"login_id": id, "registered_at": testSyncedAt, "run_id": run})
	}
	txn := func(run, id, amount string) schema.Row {
		return row(schema.Transactions, map[string]any{"login_id": "L1", "account_id": "A1", "transaction_id": id,
			"net_amount": dec(amount), "run_id": run, "synced_at": testSyncedAt})
	}
	tests := []struct {
		name    string
		commits [][]schema.Batch
		query   string
		want    []string
	}{{
		name: "upsert keeps the latest account state",
		commits: [][]schema.Batch{
			{{RunID: "r1", LoginID: "L1", Rows: map[string][]schema.Row{"accounts": {accountRow("L1", "A1", "1"), accountRow("L1", "A2", "2")}}}},
			{{RunID: "r2", LoginID: "L1", Rows: map[string][]schema.Row{"accounts": {accountRow("L1", "A1", "3")}}},
				{RunID: "r2", LoginID: "L1", Rows: map[string][]schema.Row{"accounts": {accountRow("L1", "A1", "4")}}}},
		},
		query: "SELECT account_id, cash::DOUBLE FROM accounts ORDER BY 1",
		want:  []string{"A1|4", "A2|2"},
	}, {
		name: "insert-if-new keeps the first sighting",
		commits: [][]schema.Batch{
			{{RunID: "r1", Rows: map[string][]schema.Row{"logins": {login("r1", "L1"), login("r1", "L2")}}}},
			{{RunID: "r2", Rows: map[string][]schema.Row{"logins": {login("r2", "L1"), login("r2", "L3")}}}},
		},
		query: "SELECT login_id, run_id FROM logins ORDER BY 1",
		want:  []string{"L1|r1", "L2|r1", "L3|r2"},
	}, {
		name: "latest: the last sighting wins and the first is remembered",
		commits: [][]schema.Batch{
			{{RunID: "r1", LoginID: "L1", Rows: map[string][]schema.Row{"transactions": {txn("r1", "T1", "1"), txn("r1", "T1", "9")}}}},
			{{RunID: "r2", LoginID: "L1", Rows: map[string][]schema.Row{"transactions": {txn("r2", "T1", "2"), txn("r2", "T2", "5")}}}},
		},
		query: "SELECT transaction_id, net_amount::DOUBLE, run_id, first_seen_at IS NOT NULL, updated_at IS NOT NULL FROM transactions ORDER BY 1",
		want:  []string{"T1|2|r2|true|true", "T2|5|r2|true|false"},
	}, {
		name: "coalesce never erases a known identifier",
		commits: [][]schema.Batch{
			{{RunID: "r1", LoginID: "L1", Rows: map[string][]schema.Row{"securities": {sec("r1", map[string]any{"security_key": "S1", "symbol": "XIU", "isin": "CA1"})}}}},
			{{RunID: "r2", LoginID: "L2", Rows: map[string][]schema.Row{"securities": {
				sec("r2", map[string]any{"security_key": "S1", "name": "iShares"}),
				sec("r2", map[string]any{"security_key": "S1", "cusip": "C1", "name": "iShares S&P/TSX 60"}),
				sec("r2", map[string]any{"security_key": "S2", "symbol": "VFV"}),
			}}}},
		},
		query: "SELECT security_key, symbol, isin, cusip, name, run_id FROM securities ORDER BY 1",
		want:  []string{"S1|XIU|CA1|C1|iShares S&P/TSX 60|r2", "S2|VFV|NULL|NULL|NULL|r2"},
	}, {
		name: "replace-scope replaces a login's snapshot for the date, keeps other dates and logins",
		commits: [][]schema.Batch{
			{positionsBatch("r1", "L1", "2025-01-30", positionRow("L1", "A1", "S1", "2025-01-30", "1")),
				positionsBatch("r1", "L1", "2025-01-31", positionRow("L1", "A1", "S1", "2025-01-31", "2"), positionRow("L1", "A1", "S2", "2025-01-31", "3")),
				positionsBatch("r1", "L2", "2025-01-31", positionRow("L2", "A1", "S1", "2025-01-31", "4"))},
			{positionsBatch("r2", "L1", "2025-01-31", positionRow("L1", "A1", "S3", "2025-01-31", "5"))},
		},
		query: "SELECT login_id, as_of_date::VARCHAR, security_key, quantity::DOUBLE FROM positions ORDER BY ALL",
		want:  []string{"L1|2025-01-30|S1|1", "L1|2025-01-31|S3|5", "L2|2025-01-31|S1|4"},
	}, {
		name: "a later batch of the same commit replaces an earlier one's scope",
		commits: [][]schema.Batch{
			{positionsBatch("r1", "L1", "2025-01-31", positionRow("L1", "A1", "S1", "2025-01-31", "1")),
				positionsBatch("r2", "L1", "2025-01-31", positionRow("L1", "A1", "S2", "2025-01-31", "2"))},
		},
		query: "SELECT security_key FROM positions",
		want:  []string{"S2"},
	}, {
		name: "an empty snapshot empties the partition and removes its file",
		commits: [][]schema.Batch{
			{positionsBatch("r1", "L1", "2025-01-31", positionRow("L1", "A1", "S1", "2025-01-31", "1"))},
			{positionsBatch("r2", "L1", "2025-01-31")},
		},
		query: "SELECT count(*) FROM positions",
		want:  []string{"0"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := openTest(t, dir, 2)
			defer p.Close()
			for _, c := range tt.commits {
				commit(t, p, c...)
			}
			got := queryStrings(t, reader(t, dir), tt.query)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			// Committing everything again changes nothing.
			before := checksums(t, dir)
			for _, c := range tt.commits {
				commit(t, p, c...)
			}
			if after := checksums(t, dir); !mapsEqual(before, after) {
				t.Errorf("re-commit changed the dataset:\n%v\n%v", before, after)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Files sit at their documented fixed names, 0600 in 0700 directories even
// under umask 000, with no temp left, and the run manifest lists them.
func TestParquetLayoutModesAndManifest(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "ds")
	p := openTest(t, dir, 8)
	defer p.Close()
	commit(t, p, positionsBatch("run-7", "login-a", "2025-01-31", positionRow("login-a", "A1", "S1", "2025-01-31", "1")))

	b := layout{buckets: 8}.bucket("login-a")
	data := []string{
		"accounts/part-b00" + string(rune('0'+b)) + ".parquet",
		"positions/as_of_date=2025-01-31/part-b00" + string(rune('0'+b)) + ".parquet",
	}
	wantFiles := append([]string{"_dataset.json", "_lock", "_runs/run-7.json"}, data...)
	for _, tl := range p.tables {
		wantFiles = append(wantFiles, emptyRel(tl))
	}
	slices.Sort(wantFiles)
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = fs.ModeDir | 0o700
		} else {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, filepath.ToSlash(rel))
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(files, wantFiles) {
		t.Errorf("files %q, want %q", files, wantFiles)
	}
	var m runManifest
	raw, _ := os.ReadFile(filepath.Join(dir, "_runs/run-7.json"))
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Files, data) || m.RunID != "run-7" || m.Commits != 1 {
		t.Errorf("manifest %+v", m)
	}
}

// A commit that cannot be prepared publishes nothing and leaves no temp.
func TestParquetFailedCommitPublishesNothing(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, dir, 2)
	defer p.Close()
	good := positionsBatch("r1", "L1", "2025-01-31", positionRow("L1", "A1", "S1", "2025-01-31", "1"))
	commit(t, p, good)
	before := checksums(t, dir)

	tooPrecise := positionsBatch("r2", "L2", "2025-01-31", positionRow("L2", "A1", "S1", "2025-01-31", "0.0000000000000000001"))
	err := p.Commit(context.Background(), []schema.Batch{positionsBatch("r2", "L1", "2025-01-31"), tooPrecise})
	if err == nil || !strings.Contains(err.Error(), "column quantity") {
		t.Fatalf("Commit = %v, want an error naming the column", err)
	}
	if after := checksums(t, dir); !mapsEqual(before, after) {
		t.Errorf("failed commit changed the dataset:\n%v\n%v", before, after)
	}
	if n, _ := sweepTemps(dir); n != 0 {
		t.Errorf("%d temp files left", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "_runs", "r2.json")); err == nil {
		t.Error("the failed commit's run has a manifest")
	}
}

// Open rolls forward a commit interrupted while publishing, then sweeps the
// temps no journal names.
func TestParquetOpenRecovers(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, dir, 1)
	commit(t, p, positionsBatch("r1", "L1", "2025-01-31", positionRow("L1", "A1", "S1", "2025-01-31", "1")))
	p.Close()

	// Stage a new accounts file as a crashed publish would leave it: journal
	// durable, temp written, rename not done; plus an unrelated stale temp.
	final := "accounts/part-b000.parquet"
	staged := durable.TempName(final)
	data, _ := os.ReadFile(filepath.Join(dir, final))
	if err := durable.WriteTemp(filepath.Join(dir, staged), data); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, final))
	stale := filepath.Join(dir, durable.TempName("positions/as_of_date=2025-01-31/part-b000.parquet"))
	if err := durable.WriteTemp(stale, []byte("torn")); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(journal{Renames: []rename{{Temp: staged, Final: final}}})
	if err := durable.WriteAtomic(dir, journalFile, raw); err != nil {
		t.Fatal(err)
	}

	p = openTest(t, dir, 0)
	defer p.Close()
	if _, err := os.Stat(filepath.Join(dir, final)); err != nil {
		t.Errorf("journaled file not rolled forward: %v", err)
	}
	for _, gone := range []string{stale, filepath.Join(dir, journalFile), filepath.Join(dir, staged)} {
		if _, err := os.Stat(gone); err == nil {
			t.Errorf("%s still there", gone)
		}
	}
	if got := checksums(t, dir)["accounts"]; !strings.HasPrefix(got, "1 ") {
		t.Errorf("accounts checksum %q", got)
	}
}

func TestParquetOpenRules(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, dir, 4)
	if _, err := Open(context.Background(), Options{Dir: dir, LockWait: time.Nanosecond}); !errors.Is(err, load.ErrLocked) {
		t.Errorf("second writer: %v, want load.ErrLocked", err)
	}
	p.Close()
	if _, err := Open(context.Background(), Options{Dir: dir, Buckets: 8}); err == nil {
		t.Error("reopening with another bucket count succeeded")
	}
	p = openTest(t, dir, 0)
	if p.layout.buckets != 4 {
		t.Errorf("buckets = %d, want the dataset's 4", p.layout.buckets)
	}
	p.Close()
}

// A file written before a column was added is merged with NULL in it.
func TestParquetReadsFilesMissingANewColumn(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, dir, 1)
	commit(t, p, schema.Batch{RunID: "r1", LoginID: "L1", Rows: map[string][]schema.Row{"accounts": {accountRow("L1", "A1", "1")}}})
	p.Close()

	// Rewrite the file as an older version would have: without "extra".
	file := filepath.Join(dir, "accounts", "part-b000.parquet")
	db := reader(t, dir)
	if _, err := db.Exec("COPY (SELECT * EXCLUDE (extra) FROM read_parquet(" + duckdb.QuoteLiteral(file) + ")) TO " + duckdb.QuoteLiteral(file+".old") + " (FORMAT parquet)"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(file+".old", file); err != nil {
		t.Fatal(err)
	}

	p = openTest(t, dir, 0)
	defer p.Close()
	commit(t, p, schema.Batch{RunID: "r2", LoginID: "L2", Rows: map[string][]schema.Row{"accounts": {accountRow("L2", "A1", "2")}}})
	got := queryStrings(t, reader(t, dir), "SELECT login_id, cash::DOUBLE, extra IS NULL FROM accounts ORDER BY 1")
	if want := []string{"L1|1|true", "L2|2|true"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestParquetInstantsAreUTCAdjusted: instants are stored as UTC-adjusted
// Parquet timestamps, as the Parquet metadata says, and read back as the
// same UTC TIMESTAMP through the views whatever the reader's time zone.
func TestParquetInstantsAreUTCAdjusted(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, dir, 2)
	commit(t, p, positionsBatch("run-1", "login-a", "2025-01-31", positionRow("login-a", "A1", "S1", "2025-01-31", "1")))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	db := reader(t, dir)
	for _, table := range []string{"accounts", "positions"} {
		files, _ := filepath.Glob(filepath.Join(dir, table, "**", "part-*.parquet"))
		more, _ := filepath.Glob(filepath.Join(dir, table, "part-*.parquet"))
		files = append(files, more...)
		if len(files) == 0 {
			t.Fatalf("%s: no file", table)
		}
		for _, f := range append(files, filepath.Join(dir, table, "empty.parquet")) {
			if table == "positions" && strings.HasSuffix(f, "empty.parquet") {
				f = filepath.Join(dir, "positions", "as_of_date="+hiveNull, "empty.parquet")
			}
			got := queryStrings(t, db, "SELECT logical_type FROM parquet_schema("+duckdb.QuoteLiteral(f)+") WHERE name = 'synced_at'")
			if len(got) != 1 || !strings.Contains(got[0], "isAdjustedToUTC=1") {
				t.Errorf("%s: synced_at is stored as %q, want a UTC-adjusted timestamp", f, got)
			}
		}
	}
	if _, err := db.Exec("SET TimeZone = 'America/Toronto'"); err != nil {
		t.Fatal(err)
	}
	want := testSyncedAt.Format("2006-01-02 15:04:05.000000")
	for _, table := range []string{"accounts", "positions"} {
		got := queryStrings(t, db, "SELECT synced_at::VARCHAR, typeof(synced_at) FROM "+table)
		if len(got) != 1 || got[0] != want+"|TIMESTAMP" {
			t.Errorf("%s: synced_at reads %q in Toronto, want %q as a TIMESTAMP", table, got, want)
		}
	}
}

// TestParquetEmptyTablesAreReadable: every table's folder holds a file from
// the moment the dataset is opened, so the documented glob never fails with
// "No files found", before and after commits; and no empty _staging
// directory is left after a commit or Close.
func TestParquetEmptyTablesAreReadable(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	globAll := func(when string) {
		t.Helper()
		for _, tb := range schema.Tables {
			glob := filepath.ToSlash(dir) + "/" + tb.Name + "/**/*.parquet"
			if _, err := db.Exec("SELECT count(*) FROM read_parquet(" + duckdb.QuoteLiteral(glob) + ", hive_partitioning = true)"); err != nil {
				t.Errorf("%s: the documented glob over %s fails: %v", when, tb.Name, err)
			}
		}
	}
	noStaging := func(when string) {
		t.Helper()
		if _, err := os.Stat(filepath.Join(dir, stagingDir)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %s is still there (%v)", when, stagingDir, err)
		}
	}
	p := openTest(t, dir, 2)
	globAll("after open")
	commit(t, p, positionsBatch("run-1", "login-a", "2025-01-31", positionRow("login-a", "A1", "S1", "2025-01-31", "1")))
	globAll("after a commit")
	noStaging("after a commit")
	// A login's snapshot replaced by an empty one empties the positions table.
	commit(t, p, positionsBatch("run-2", "login-a", "2025-01-31"))
	if got := queryStrings(t, db, "SELECT count(*) FROM read_parquet("+duckdb.QuoteLiteral(filepath.ToSlash(dir)+"/positions/**/*.parquet")+", hive_partitioning = true)"); got[0] != "0" {
		t.Errorf("positions hold %s rows after the empty snapshot, want 0", got[0])
	}
	globAll("after the table emptied")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	noStaging("after Close")
	if got := queryStrings(t, db, "SELECT count(*) FROM read_parquet("+duckdb.QuoteLiteral(filepath.ToSlash(dir)+"/accounts/**/*.parquet")+", hive_partitioning = true)"); got[0] != "1" {
		t.Errorf("accounts hold %s rows, want 1", got[0])
	}
}
