package load_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
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
	dir := t.TempDir()
	sink := openDuckDB(t, dir).(*load.DuckDB)
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
			got := sumOf(t, sink.DB(), query, login)
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
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	sums := map[string]schema.Decimal{}
	add := func(name string, v any) error {
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
		sums[name] = sums[name].Add(d)
		return nil
	}
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
