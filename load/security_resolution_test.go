package load_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/parquet"
	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// holdings is one login's /Investments payload: one account holding one unit
// of each Security (JSON objects), in CAD.
func holdings(login string, securities ...string) []byte {
	var ps []string
	for _, s := range securities {
		ps = append(ps, fmt.Sprintf(`{"Quantity":1,"Price":2,"MarketValue":2,"Currency":"cad","Security":%s}`, s))
	}
	return []byte(`{"Investments":[{"Name":"Bank","Accounts":[{"Id":"acct-` + login + `","Currency":"cad","Positions":[` +
		strings.Join(ps, ",") + `]}]}]}`)
}

// securitySinks loads payloads (LoginId -> body), one commit per login in
// LoginId order, through each sink, and returns a read view of each: the
// DuckDB warehouse, and the Parquet dataset as `syncer sql --parquet` reads it.
func securitySinks(t *testing.T, payloads map[string][]byte) map[string]*sql.DB {
	t.Helper()
	ctx := context.Background()
	var batches []schema.Batch
	for _, login := range slices.Sorted(maps.Keys(payloads)) {
		b, _, err := transform.FromJSON(payloads[login], transform.Context{RunID: "run-sec", LoginID: login, SyncedAt: time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatalf("%s: %v", login, err)
		}
		batches = append(batches, b)
	}
	commit := func(sink load.Sink) {
		t.Helper()
		for _, b := range batches {
			if err := sink.Commit(ctx, []schema.Batch{b}); err != nil {
				sink.Close()
				t.Fatalf("Commit %s: %v", b.LoginID, err)
			}
		}
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
	}
	dbs := map[string]*sql.DB{}

	ddir := t.TempDir()
	commit(openDuckDB(t, ddir))
	dbs["duckdb"] = readDuckDB(t, ddir)

	pdir := t.TempDir()
	p, err := parquet.Open(ctx, parquet.Options{Dir: pdir, Buckets: 4, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	commit(p)
	if dbs["parquet"], err = parquet.OpenCatalog(ctx, pdir); err != nil {
		t.Fatal(err)
	}
	for _, db := range dbs {
		t.Cleanup(func() { db.Close() })
	}
	return dbs
}

// rowsOf runs a query whose columns are all text and returns its rows, each
// as its values joined with " | " (NULL as "NULL").
func rowsOf(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
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
		out = append(out, strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSecurityKeysResolveAcrossLogins: one real security that three logins
// key three ways (id:, isin:, symbol:) is one security_key in
// latest_positions, so the README's JOIN securities finds its name for every
// holding; and a name only an alias's row knows reaches the resolved key
// through securities_resolved. In DuckDB and through the Parquet views.
func TestSecurityKeysResolveAcrossLogins(t *testing.T) {
	dbs := securitySinks(t, map[string][]byte{
		"login-a": holdings("a", `{"Id":"sec-xic","Isin":"CA46428D1087","Symbol":"XIC","Currency":"CAD","Name":"iShares Core S&P/TSX Capped Composite ETF","Type":"etf"}`),
		"login-b": holdings("b", `{"Isin":"CA46428D1087"}`),
		"login-c": holdings("c", `{"Symbol":"XIC"}`),
		"login-d": holdings("d", `{"Id":"sec-zed","Symbol":"ZED"}`),
		"login-e": holdings("e", `{"Symbol":"ZED","Name":"Zed Corp"}`),
		// FFF: login-h's symbol has two aliases (isin:, id:) that agree.
		"login-f": holdings("f", `{"Isin":"CA0000000099","Symbol":"FFF"}`),
		"login-g": holdings("g", `{"Id":"sec-fff","Isin":"CA0000000099","Symbol":"FFF","Name":"Fff Inc"}`),
		"login-h": holdings("h", `{"Symbol":"FFF"}`),
	})
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) {
			sameRows(t, "latest_positions JOIN securities", rowsOf(t, db, `
				SELECT p.login_id, p.security_key, s.name
				FROM latest_positions p JOIN securities s USING (security_key)
				WHERE p.login_id IN ('login-a', 'login-b', 'login-c', 'login-f', 'login-g', 'login-h') ORDER BY p.login_id`), []string{
				"login-a | id:sec-xic | iShares Core S&P/TSX Capped Composite ETF",
				"login-b | id:sec-xic | iShares Core S&P/TSX Capped Composite ETF",
				"login-c | id:sec-xic | iShares Core S&P/TSX Capped Composite ETF",
				"login-f | id:sec-fff | Fff Inc",
				"login-g | id:sec-fff | Fff Inc",
				"login-h | id:sec-fff | Fff Inc",
			})
			sameRows(t, "loaded_security_key", rowsOf(t, db, `
				SELECT login_id, loaded_security_key FROM latest_positions ORDER BY login_id`), []string{
				"login-a | id:sec-xic", "login-b | isin:CA46428D1087", "login-c | symbol:XIC@CAD",
				"login-d | id:sec-zed", "login-e | symbol:ZED@CAD",
				"login-f | isin:CA0000000099", "login-g | id:sec-fff", "login-h | symbol:FFF@CAD",
			})
			sameRows(t, "latest_positions JOIN securities_resolved", rowsOf(t, db, `
				SELECT p.login_id, p.security_key, s.name, s.symbol, s.isin
				FROM latest_positions p JOIN securities_resolved s USING (security_key) ORDER BY p.login_id`), []string{
				"login-a | id:sec-xic | iShares Core S&P/TSX Capped Composite ETF | XIC | CA46428D1087",
				"login-b | id:sec-xic | iShares Core S&P/TSX Capped Composite ETF | XIC | CA46428D1087",
				"login-c | id:sec-xic | iShares Core S&P/TSX Capped Composite ETF | XIC | CA46428D1087",
				"login-d | id:sec-zed | Zed Corp | ZED | NULL",
				"login-e | id:sec-zed | Zed Corp | ZED | NULL",
				"login-f | id:sec-fff | Fff Inc | FFF | CA0000000099",
				"login-g | id:sec-fff | Fff Inc | FFF | CA0000000099",
				"login-h | id:sec-fff | Fff Inc | FFF | CA0000000099",
			})
			sameRows(t, "positions_resolved", rowsOf(t, db, `SELECT DISTINCT security_key FROM positions_resolved ORDER BY 1`),
				[]string{"id:sec-fff", "id:sec-xic", "id:sec-zed"})
		})
	}
}

// TestSecurityResolutionNeverLinksConflicts: two securities that share a
// symbol stay two rows in one account, a symbol-only holding stays
// unresolved though another login ties the symbol to one of them, and two
// ISINs that two logins each tie to one Flinks Id are not merged. In DuckDB
// and through the Parquet views.
func TestSecurityResolutionNeverLinksConflicts(t *testing.T) {
	dbs := securitySinks(t, map[string][]byte{
		// Two ISINs under one symbol in one account, and an unresolvable symbol.
		"login-l": holdings("l", `{"Symbol":"ABC","Isin":"CA0000000011"}`, `{"Symbol":"ABC","Isin":"CA0000000012"}`),
		"login-m": holdings("m", `{"Symbol":"ABC"}`),
		"login-n": holdings("n", `{"Symbol":"ABC","Isin":"CA0000000011","Name":"ABC One"}`),
		// One Flinks Id with two ISINs, each reported by its own login.
		"login-p": holdings("p", `{"Id":"sec-1","Isin":"CA0000000013"}`),
		"login-q": holdings("q", `{"Id":"sec-1","Isin":"CA0000000014"}`),
		"login-r": holdings("r", `{"Isin":"CA0000000013","Symbol":"RRR"}`),
		"login-s": holdings("s", `{"Isin":"CA0000000014"}`),
		"login-t": holdings("t", `{"Symbol":"RRR"}`),
	})
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) {
			sameRows(t, "latest_positions", rowsOf(t, db, `
				SELECT login_id, security_key, CAST(quantity AS VARCHAR) FROM latest_positions ORDER BY login_id, security_key`), []string{
				"login-l | isin:CA0000000011 | 1.000000000000000000",
				"login-l | isin:CA0000000012 | 1.000000000000000000",
				"login-m | symbol:ABC@CAD | 1.000000000000000000",
				"login-n | isin:CA0000000011 | 1.000000000000000000",
				"login-p | id:sec-1 | 1.000000000000000000",
				"login-q | id:sec-1 | 1.000000000000000000",
				"login-r | isin:CA0000000013 | 1.000000000000000000",
				"login-s | isin:CA0000000014 | 1.000000000000000000",
				"login-t | symbol:RRR@CAD | 1.000000000000000000",
			})
			sameRows(t, "data_quality", rowsOf(t, db, `
				SELECT login_id, account_id, check_name, CAST(actual AS INTEGER) FROM data_quality WHERE NOT passed ORDER BY ALL`), []string{
				"login-l | acct-l | security_ambiguous:symbol:ABC@CAD | 2",
			})
		})
	}
}

// TestResolvedSecurityKeysRule pins the resolution rule of the view
// resolved_security_keys over hand-made security_aliases rows.
func TestResolvedSecurityKeysRule(t *testing.T) {
	secRow := func(key string) schema.Row {
		return schema.Row{key, nil, nil, nil, nil, nil, nil, nil, "run-rule", nil}
	}
	alias := func(from, to string) schema.Row {
		return schema.Row{from, to, "run-rule", time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)}
	}
	b := schema.Batch{RunID: "run-rule", LoginID: "login-rule", Rows: map[string][]schema.Row{}}
	for _, k := range []string{"id:a", "id:b", "isin:C1", "isin:C2", "isin:D", "id:e", "cusip:E1", "id:f1", "id:f2",
		"isin:G", "id:g", "cusip:G", "id:j", "isin:J1", "isin:J2"} {
		b.Rows[schema.Securities.Name] = append(b.Rows[schema.Securities.Name], secRow(k))
	}
	for _, a := range [][2]string{
		{"symbol:A@CAD", "isin:A"}, {"isin:A", "id:a"}, // a chain
		{"symbol:B@CAD", "isin:B"}, {"symbol:B@CAD", "id:b"}, {"isin:B", "id:b"}, // two aliases that agree
		{"symbol:C@CAD", "isin:C1"}, {"symbol:C@CAD", "isin:C2"}, // two securities
		{"symbol:D@CAD", "isin:D"}, {"symbol:D@CAD", "symbol:D@CAD"}, // also keyed by itself: ambiguous
		{"isin:E", "id:e"}, {"isin:E", "cusip:E1"}, // to a weaker key: ambiguous
		{"symbol:F@CAD", "isin:F"}, {"isin:F", "id:f1"}, {"isin:F", "id:f2"}, // through an ambiguous key
		{"symbol:G@CAD", "isin:G"}, {"isin:G", "id:g"}, {"isin:G", "cusip:G"}, // stops at an ambiguous key
		{"symbol:H@CAD", "isin:H"},                                                                 // no securities row to resolve to
		{"isin:J1", "id:j"}, {"isin:J2", "id:j"}, {"symbol:J@CAD", "isin:J1"}, {"cusip:J", "id:j"}, // two ISINs of one id
	} {
		b.Rows[schema.SecurityAliases.Name] = append(b.Rows[schema.SecurityAliases.Name], alias(a[0], a[1]))
	}
	dir := t.TempDir()
	sink := openDuckDB(t, dir)
	if err := sink.Commit(context.Background(), []schema.Batch{b}); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	db := readDuckDB(t, dir)
	defer db.Close()
	sameRows(t, "resolved_security_keys", rowsOf(t, db, "SELECT alias_key, security_key FROM resolved_security_keys ORDER BY ALL"), []string{
		"cusip:J | id:j",
		"isin:A | id:a",
		"isin:B | id:b",
		"symbol:A@CAD | id:a",
		"symbol:B@CAD | id:b",
		"symbol:G@CAD | isin:G",
	})
}
