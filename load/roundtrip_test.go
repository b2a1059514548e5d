package load_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/parquet"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// TestRoundTripPayloadSums loads every testdata/payloads/*.json through
// transform.FromJSON and the DuckDB sink, and checks that per login
// SUM(quantity) and SUM(market_value) of positions and SUM(net_amount) of
// transactions equal the exact sums of the numbers as written in the JSON
// text, leaving out the fragments the transform quarantined (by their
// rejected_records path).
func TestRoundTripPayloadSums(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "payloads", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no payloads (%v)", err)
	}
	files = slices.DeleteFunc(files, isBankingFixture) // TestRoundTripBankingExact loads those
	dir := t.TempDir()
	sink := openDuckDB(t, dir).(*duckdb.Sink)
	defer sink.Close()
	checked := 0
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		login := strings.TrimSuffix(filepath.Base(file), ".json")
		batch, _, err := transform.FromJSON(body, transform.Context{RunID: "run-roundtrip", LoginID: login, SyncedAt: time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Logf("%s: not loadable by design (%v)", filepath.Base(file), err)
			continue
		}
		if err := sink.Commit(context.Background(), []schema.Batch{batch}); err != nil {
			t.Errorf("%s: Commit: %v", filepath.Base(file), err)
			continue
		}
		want, err := jsonSums(body, rejectedPaths(batch))
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(file), err)
			continue
		}
		for name, query := range map[string]string{
			"positions.quantity":      "SELECT CAST(sum(quantity) AS VARCHAR) FROM positions WHERE login_id = ?",
			"positions.market_value":  "SELECT CAST(sum(market_value) AS VARCHAR) FROM positions WHERE login_id = ?",
			"transactions.net_amount": "SELECT CAST(sum(net_amount) AS VARCHAR) FROM transactions WHERE login_id = ?",
		} {
			got := sumOf(t, catalog(t, sink), query, login)
			if got.Cmp(want[name]) != 0 {
				t.Errorf("%s: SUM(%s) = %s, want %s from the JSON text", filepath.Base(file), name, got, want[name])
			}
		}
		t.Logf("%s: quantity %s, market_value %s, net_amount %s", filepath.Base(file),
			want["positions.quantity"], want["positions.market_value"], want["transactions.net_amount"])
		checked++
	}
	if checked < len(files)/2 {
		t.Errorf("only %d of %d payloads checked", checked, len(files))
	}
}

func sumOf(t *testing.T, db *sql.DB, query, login string) schema.Decimal {
	t.Helper()
	var text sql.NullString
	if err := db.QueryRow(query, login).Scan(&text); err != nil {
		t.Fatal(err)
	}
	if !text.Valid {
		return schema.Decimal{}
	}
	d, err := schema.ParseDecimal(text.String)
	if err != nil {
		t.Fatalf("%s: %v", text.String, err)
	}
	return d
}

// rejectedPaths maps each table to the JSON paths its quarantined fragments had.
func rejectedPaths(b schema.Batch) map[string][]string {
	paths := map[string][]string{}
	rr := schema.RejectedRecords
	for _, row := range b.Rows[rr.Name] {
		table, _ := row[rr.Index("table_name")].(string)
		path, _ := row[rr.Index("path")].(string)
		paths[table] = append(paths[table], path)
	}
	return paths
}

// quarantined reports whether the fragment at path, under the account at
// acct, was quarantined: a rejected path of its table equal to it or inside
// it, or (any table) its institution, its account or its account's Id.
func quarantined(path, acct, table string, rejected map[string][]string) bool {
	inst, _, _ := strings.Cut(acct, ".Accounts[")
	for t, paths := range rejected {
		for _, p := range paths {
			if p == inst || p == acct || p == acct+".Id" {
				return true
			}
			if t == table && (p == path || strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[")) {
				return true
			}
		}
	}
	return false
}

// jsonSums sums the payload's numbers as written, without the quarantined
// fragments: Positions[].Quantity and .MarketValue, Transactions[].NetAmount.
func jsonSums(body []byte, rejected map[string][]string) (map[string]schema.Decimal, error) {
	root, err := decodeKeepingNumbers(body)
	if err != nil {
		return nil, err
	}
	sums := exactSums{}
	add := sums.add
	for i, inst := range member(root, "Investments") {
		for j, acct := range member(inst, "Accounts") {
			base := fmt.Sprintf("$.Investments[%d].Accounts[%d]", i, j)
			for k, pos := range member(acct, "Positions") {
				if quarantined(fmt.Sprintf("%s.Positions[%d]", base, k), base, "positions", rejected) {
					continue
				}
				if err := add("positions.quantity", field(pos, "Quantity")); err != nil {
					return nil, err
				}
				if err := add("positions.market_value", field(pos, "MarketValue")); err != nil {
					return nil, err
				}
			}
			for k, tx := range member(acct, "Transactions") {
				if quarantined(fmt.Sprintf("%s.Transactions[%d]", base, k), base, "transactions", rejected) {
					continue
				}
				if err := add("transactions.net_amount", field(tx, "NetAmount")); err != nil {
					return nil, err
				}
			}
		}
	}
	return sums, nil
}

// decodeKeepingNumbers decodes body with every JSON number kept as written.
func decodeKeepingNumbers(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var root any
	err := dec.Decode(&root)
	return root, err
}

// exactSums adds numbers as written in a payload, by name, exactly.
type exactSums map[string]schema.Decimal

// add adds v, a JSON number or a string holding one, to the sum named name;
// a JSON null adds nothing.
func (s exactSums) add(name string, v any) error {
	var text string
	switch v := v.(type) {
	case nil:
		return nil
	case json.Number:
		text = string(v)
	case string:
		text = strings.TrimSpace(v)
	default:
		return fmt.Errorf("%s: a %T loaded", name, v)
	}
	d, err := schema.ParseDecimal(text)
	if err != nil {
		return fmt.Errorf("%s: %q loaded but is not a number", name, text)
	}
	s[name] = s[name].Add(d)
	return nil
}

// member returns the array under an object's member name, or nil.
func member(v any, name string) []any {
	list, _ := field(v, name).([]any)
	return list
}

// field returns an object's member, matching its name regardless of case.
func field(v any, name string) any {
	obj, _ := v.(map[string]any)
	if x, ok := obj[name]; ok {
		return x
	}
	for k, x := range obj {
		if strings.EqualFold(k, name) {
			return x
		}
	}
	return nil
}

// isBankingFixture reports whether a testdata/payloads file is a
// GetAccountsDetail payload (the others are /Investments ones).
func isBankingFixture(file string) bool { return strings.HasPrefix(filepath.Base(file), "banking_") }

// TestRoundTripBankingExact loads every banking fixture through
// transform.FromBankingJSON into the DuckDB sink and into the Parquet sink,
// then checks, in each warehouse, that every decimal of the four banking
// tables reads back exactly as the batch had it (12345678901234.5678 and
// 0.000000011 included), that per login SUM(debit), SUM(credit) and
// SUM(balance) equal the exact sums of the numbers as written in the JSON
// text (leaving out the quarantined fragments) and SUM(amount) their
// credit - debit, and that cash_flow_monthly (dated transactions) and
// bank_balances_latest read the same sums.
func TestRoundTripBankingExact(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "payloads", "banking_*.json"))
	if err != nil || len(files) < 5 {
		t.Fatalf("banking payloads: %v (%d)", err, len(files))
	}
	syncedAt := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	var batches []schema.Batch
	wants := map[string]map[string]schema.Decimal{}
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		login := strings.TrimSuffix(filepath.Base(file), ".json")
		batch, _, err := transform.FromBankingJSON(body, transform.Context{RunID: "run-banking", LoginID: login, SyncedAt: syncedAt,
			HolderSecret: transform.HolderSecret("roundtrip-holder-secret-32bytes!")})
		if err != nil {
			t.Fatalf("%s: %v", login, err)
		}
		batches = append(batches, batch)
		if wants[login], err = bankingJSONSums(body, rejectedPaths(batch)); err != nil {
			t.Fatalf("%s: %v", login, err)
		}
	}

	dir := t.TempDir()
	duck := openDuckDB(t, dir).(*duckdb.Sink)
	defer duck.Close()
	pq, err := parquet.Open(context.Background(), parquet.Options{Dir: filepath.Join(dir, "dataset"), Buckets: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, sink := range []load.Sink{duck, pq} {
		if err := sink.Commit(context.Background(), batches); err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
	if err := pq.Close(); err != nil {
		t.Fatal(err)
	}
	dataset, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	defer dataset.Close()
	dataset.SetMaxOpenConns(1) // the views live in the one in-memory database's connection
	if _, err := dataset.Exec(duckdb.ParquetViews(filepath.Join(dir, "dataset"))); err != nil {
		t.Fatal(err)
	}

	for name, db := range map[string]*sql.DB{"duckdb": catalog(t, duck), "parquet": dataset} {
		t.Run(name, func(t *testing.T) {
			for _, tbl := range []*schema.Table{schema.BankAccounts, schema.BankBalances, schema.BankTransactions} {
				checkExactColumns(t, db, tbl, batches)
			}
			for login, want := range wants {
				for col, query := range map[string]string{
					"debit":                          "SELECT CAST(sum(debit) AS VARCHAR) FROM bank_transactions WHERE login_id = ?",
					"credit":                         "SELECT CAST(sum(credit) AS VARCHAR) FROM bank_transactions WHERE login_id = ?",
					"amount":                         "SELECT CAST(sum(amount) AS VARCHAR) FROM bank_transactions WHERE login_id = ?",
					"balance":                        "SELECT CAST(sum(balance) AS VARCHAR) FROM bank_transactions WHERE login_id = ?",
					"net (cash_flow_monthly)":        "SELECT CAST(sum(net) AS VARCHAR) FROM cash_flow_monthly WHERE login_id = ?",
					"current (bank_balances_latest)": "SELECT CAST(sum(current) AS VARCHAR) FROM bank_balances_latest WHERE login_id = ?",
				} {
					key, _, _ := strings.Cut(col, " ")
					if got := sumOf(t, db, query, login); got.Cmp(want[key]) != 0 {
						t.Errorf("%s: SUM(%s) = %s, want %s from the JSON text", login, col, got, want[key])
					}
				}
			}
			var credits, debits, net sql.NullString
			if err := db.QueryRow(`SELECT CAST(sum(credits) AS VARCHAR), CAST(sum(debits) AS VARCHAR), CAST(sum(net) AS VARCHAR)
				FROM cash_flow_monthly WHERE login_id = 'banking_decimals'`).Scan(&credits, &debits, &net); err != nil {
				t.Fatal(err)
			}
			if credits.String != "12345678901234.917800000000000000" || debits.String != "150.090000011000000000" || net.String != "12345678901084.827799989000000000" {
				t.Errorf("cash_flow_monthly of banking_decimals: credits %s, debits %s, net %s", credits.String, debits.String, net.String)
			}
		})
	}
}

// checkExactColumns compares every decimal column of tbl, row by row (by
// key), with the batches' values: equal digit for digit, read back as text.
func checkExactColumns(t *testing.T, db *sql.DB, tbl *schema.Table, batches []schema.Batch) {
	t.Helper()
	var cols, keys []string
	for _, c := range tbl.Columns {
		if c.Type.Kind == schema.KindDecimal {
			cols = append(cols, fmt.Sprintf("CAST(%s AS VARCHAR)", duckdb.QuoteIdent(c.Name)))
		}
	}
	for _, k := range tbl.Key {
		keys = append(keys, fmt.Sprintf("CAST(%s AS VARCHAR)", duckdb.QuoteIdent(k)))
	}
	rows, err := db.Query(fmt.Sprintf("SELECT concat_ws('|', %s), %s FROM %s", strings.Join(keys, ", "), strings.Join(cols, ", "), duckdb.QuoteIdent(tbl.Name)))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	stored := map[string][]sql.NullString{}
	for rows.Next() {
		var key string
		vals := make([]sql.NullString, len(cols))
		dest := []any{&key}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		stored[key] = vals
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	n, decimals := 0, 0
	for _, b := range batches {
		for _, r := range b.Rows[tbl.Name] {
			var key []string
			for _, k := range tbl.Key {
				v := r[tbl.Index(k)]
				if d, ok := v.(time.Time); ok {
					v = d.Format(time.DateOnly)
				}
				key = append(key, fmt.Sprint(v))
			}
			got, ok := stored[strings.Join(key, "|")]
			if !ok {
				t.Errorf("%s: row %v not stored", tbl.Name, key)
				continue
			}
			i := 0
			for j, c := range tbl.Columns {
				if c.Type.Kind != schema.KindDecimal {
					continue
				}
				want, isDec := r[j].(schema.Decimal)
				switch {
				case !isDec && got[i].Valid:
					t.Errorf("%s %v: %s = %s, want NULL", tbl.Name, key, c.Name, got[i].String)
				case isDec:
					d, err := schema.ParseDecimal(got[i].String)
					if !got[i].Valid || err != nil || d.Cmp(want) != 0 {
						t.Errorf("%s %v: %s = %q, want %s exactly", tbl.Name, key, c.Name, got[i].String, want)
					}
					decimals++
				}
				i++
			}
			n++
		}
	}
	if n != len(stored) || decimals == 0 {
		t.Errorf("%s: %d rows stored, %d in the batches, %d decimals compared", tbl.Name, len(stored), n, decimals)
	}
}

// bankingJSONSums sums a banking payload's numbers as written, without the
// quarantined fragments: Transactions[].Debit, .Credit and .Balance, their
// credit - debit as "amount" (as "net" over the transactions with a Date),
// and each loaded account's Balance.Current as "current".
func bankingJSONSums(body []byte, rejected map[string][]string) (map[string]schema.Decimal, error) {
	root, err := decodeKeepingNumbers(body)
	if err != nil {
		return nil, err
	}
	sums := exactSums{}
	add := sums.add
	// gone reports whether the fragment at path of table, or a part of it,
	// was quarantined; exactly, whether the fragment at path itself was.
	gone := func(path, table string, exactly bool) bool {
		for _, p := range rejected[table] {
			if p == path || !exactly && (strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[")) {
				return true
			}
		}
		return false
	}
	for i, acct := range member(root, "Accounts") {
		base := fmt.Sprintf("$.Accounts[%d]", i)
		if _, isObject := acct.(map[string]any); !isObject || gone(base, "bank_accounts", true) || gone(base+".Id", "bank_accounts", true) {
			continue // not an object, a duplicate, or no usable Id
		}
		if balance, ok := field(acct, "Balance").(map[string]any); ok && !gone(base+".Balance.Current", "bank_balances", false) {
			if err := add("current", balance["Current"]); err != nil {
				return nil, err
			}
		}
		for k, tx := range member(acct, "Transactions") {
			if gone(fmt.Sprintf("%s.Transactions[%d]", base, k), "bank_transactions", false) {
				continue
			}
			for _, side := range []string{"Debit", "Credit", "Balance"} {
				if err := add(strings.ToLower(side), field(tx, side)); err != nil {
					return nil, err
				}
			}
			if field(tx, "Date") != nil { // cash_flow_monthly counts dated transactions only
				if err := add("dated credit", field(tx, "Credit")); err != nil {
					return nil, err
				}
				if err := add("dated debit", field(tx, "Debit")); err != nil {
					return nil, err
				}
			}
		}
	}
	sums["amount"] = sums["credit"].Sub(sums["debit"])
	sums["net"] = sums["dated credit"].Sub(sums["dated debit"])
	return sums, nil
}
