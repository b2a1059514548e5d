package transform

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/syncer/syncer/schema"
)

// keysFor transforms one payload whose positions name the given securities
// (JSON objects, with the position currency after a '|', e.g.
// `{"Symbol":"X"}|usd`), each in an account of its own so that two
// references to one security stay two rows, and returns each position's
// security_key, "" for a quarantined one.
func keysFor(t *testing.T, refs ...string) []string {
	t.Helper()
	var accts []string
	for i, r := range refs {
		sec, cur, _ := strings.Cut(r, "|")
		accts = append(accts, fmt.Sprintf(`{"Id":"a%d","Positions":[{"Quantity":1,"Currency":%q,"Security":%s}]}`, i, cur, sec))
	}
	body := `{"Investments":[{"Accounts":[` + strings.Join(accts, ",") + `]}]}`
	b, _ := mustFromJSON(t, []byte(body), goldenContext())
	if err := checkBatch(b, goldenContext()); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(refs))
	for _, r := range b.Rows[schema.Positions.Name] {
		i, _ := strconv.Atoi(strings.TrimPrefix(r[1].(string), "a"))
		keys[i] = r[2].(string)
	}
	return keys
}

func TestSecurityKeyResolution(t *testing.T) {
	for _, tc := range []struct {
		name string
		refs []string
		want []string
	}{
		{"id wins", []string{`{"Id":"sec-x","Isin":"CA1","Symbol":"X"}|cad`}, []string{"id:sec-x"}},
		{"partial through isin", []string{`{"Id":"sec-x","Isin":"ca1"}|cad`, `{"Isin":"CA1 "}|cad`}, []string{"id:sec-x", "id:sec-x"}},
		{"partial through symbol and currency", []string{`{"Id":"sec-x","Symbol":"X"}|cad`, `{"Symbol":"x"}|cad`, `{"Symbol":"X"}|usd`},
			[]string{"id:sec-x", "id:sec-x", "symbol:X@USD"}},
		{"transitive", []string{`{"Id":"sec-x","Isin":"CA1"}|cad`, `{"Isin":"CA1","Cusip":"C1"}|cad`, `{"Cusip":"C1"}|cad`},
			[]string{"id:sec-x", "id:sec-x", "id:sec-x"}},
		{"isin then cusip then symbol", []string{`{"Isin":"CA1","Cusip":"C1"}|cad`, `{"Cusip":"C2","Symbol":"Y"}|cad`, `{"Symbol":"Z"}|`},
			[]string{"isin:CA1", "cusip:C2", "symbol:Z@"}},
		{"symbol borrows its only currency", []string{`{"Symbol":"Q","Currency":"usd"}|usd`, `{"Symbol":"Q"}|`}, []string{"symbol:Q@USD", "symbol:Q@USD"}},
		{"ambiguous isin links nothing", []string{`{"Id":"a","Isin":"CA1"}|cad`, `{"Id":"b","Isin":"CA1"}|cad`, `{"Isin":"CA1"}|cad`},
			[]string{"id:a", "id:b", "isin:CA1"}},
		{"numeric id", []string{`{"Id":123}|cad`, `{"Id":"123"}|cad`}, []string{"id:123", "id:123"}},
		{"same symbol, two isins", []string{`{"Symbol":"ABC","Isin":"CA0000000001"}|cad`, `{"Symbol":"ABC","Isin":"CA0000000002"}|cad`},
			[]string{"isin:CA0000000001", "isin:CA0000000002"}},
		{"same symbol, two cusips", []string{`{"Symbol":"ABC","Cusip":"C1"}|cad`, `{"Symbol":"ABC","Cusip":"C2"}|cad`},
			[]string{"cusip:C1", "cusip:C2"}},
		{"ambiguous symbol stays its own key", []string{`{"Symbol":"ABC","Isin":"I1"}|cad`, `{"Symbol":"ABC","Isin":"I2"}|cad`, `{"Symbol":"ABC"}|cad`},
			[]string{"isin:I1", "isin:I2", "symbol:ABC@CAD"}},
		{"symbol links references that do not conflict", []string{`{"Symbol":"ABC","Isin":"I1"}|cad`, `{"Symbol":"ABC","Cusip":"C1"}|cad`, `{"Symbol":"ABC"}|cad`},
			[]string{"isin:I1", "isin:I1", "isin:I1"}},
		{"one id, two isins", []string{`{"Id":"1","Isin":"I1"}|cad`, `{"Id":"1","Isin":"I2"}|cad`, `{"Id":"1"}|cad`},
			[]string{"isin:I1", "isin:I2", "id:1"}},
		{"conflict through a chain of strong identifiers", []string{`{"Id":"1","Isin":"I1"}|cad`, `{"Isin":"I1","Cusip":"C1"}|cad`, `{"Id":"2","Cusip":"C1"}|cad`},
			[]string{"id:1", "id:1", "id:2"}},
		{"symbols never link conflicting references transitively", []string{`{"Isin":"I1","Symbol":"S1"}|cad`, `{"Isin":"I1","Symbol":"S2"}|cad`,
			`{"Cusip":"C1","Symbol":"S1"}|cad`, `{"Cusip":"C2","Symbol":"S2"}|cad`}, []string{"isin:I1", "isin:I1", "cusip:C1", "cusip:C2"}},
		{"every identifier shared", []string{`{"Id":"1","Isin":"I1"}|cad`, `{"Id":"1","Isin":"I2"}|cad`, `{"Id":"2","Isin":"I1"}|cad`, `{"Id":"3","Isin":"I2"}|cad`},
			[]string{"id:1+isin:I1", "id:1+isin:I2", "id:2", "id:3"}},
		{"no identifier", []string{`{"Name":"x"}|cad`, `null|cad`}, []string{"", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := keysFor(t, tc.refs...)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("keys %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSecurityRowsMergeFullestFirst: one row per key, each column from the
// fullest reference that has it.
func TestSecurityRowsMergeFullestFirst(t *testing.T) {
	body := `{"Investments":[{"Accounts":[{"Id":"a","Currency":"cad",
	  "Positions":[{"Quantity":1,"Currency":"cad","Security":{"Id":"s","Symbol":"S"}}],
	  "Transactions":[{"Id":"t1","Security":{"Id":"s","Isin":"CA1","Name":"Full Name","Type":"etf","Currency":"cad"}},
	                  {"Id":"t2","Security":{"Symbol":"S","Name":"Short"}, "Currency":"cad"}]}]}]}`
	b, _ := mustFromJSON(t, []byte(body), goldenContext())
	rows := b.Rows[schema.Securities.Name]
	if len(rows) != 1 {
		t.Fatalf("%d securities rows, want 1", len(rows))
	}
	want := []any{"id:s", "s", "S", "CA1", nil, "Full Name", "etf", "CAD"}
	for i, w := range want {
		if rows[0][i] != w {
			t.Errorf("column %s = %v, want %v", schema.Securities.Columns[i].Name, rows[0][i], w)
		}
	}
}

// positionsOf returns the positions of a batch by account and security_key,
// as "quantity price".
func positionsOf(b schema.Batch) map[string]string {
	out := map[string]string{}
	for _, r := range b.Rows[schema.Positions.Name] {
		out[r[1].(string)+" "+r[2].(string)] = fmt.Sprint(cell(r[4]), " ", cell(r[5]))
	}
	return out
}

// failedChecks returns the failed data_quality rows as "account check_name actual".
func failedChecks(b schema.Batch) []string {
	var out []string
	for _, r := range b.Rows[schema.DataQuality.Name] {
		if r[7] == false {
			out = append(out, fmt.Sprint(r[2], " ", r[3], " ", cell(r[5])))
		}
	}
	return out
}

// TestTwoSecuritiesOneSymbolOneAccount: two securities sharing a symbol in one
// account on one date stay two positions, each with its own quantity and
// price, and the symbol's ambiguity is reported.
func TestTwoSecuritiesOneSymbolOneAccount(t *testing.T) {
	body := `{"Investments":[{"Accounts":[{"Id":"a","Currency":"cad","Positions":[
	  {"Quantity":10,"Price":5,"MarketValue":50,"Currency":"cad","AsOfDate":"2025-01-31","Security":{"Symbol":"ABC","Isin":"CA0000000001"}},
	  {"Quantity":7,"Price":6,"MarketValue":42,"Currency":"cad","AsOfDate":"2025-01-31","Security":{"Symbol":"ABC","Isin":"CA0000000002"}}]}]}]}`
	c := goldenContext()
	b, _ := mustFromJSON(t, []byte(body), c)
	if err := checkBatch(b, c); err != nil {
		t.Fatal(err)
	}
	got := positionsOf(b)
	want := map[string]string{"a isin:CA0000000001": "dec:10 dec:5", "a isin:CA0000000002": "dec:7 dec:6"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("positions %v, want %v", got, want)
	}
	if n := len(b.Rows[schema.Securities.Name]); n != 2 {
		t.Errorf("%d securities rows, want 2", n)
	}
	if got, want := strings.Join(failedChecks(b), ","), "a security_ambiguous:symbol:ABC@CAD dec:2"; got != want {
		t.Errorf("failed checks %q, want %q", got, want)
	}
}

// TestTwoCusipsOneSymbolAcrossAccounts: two CUSIPs that share a symbol in two
// accounts keep their own keys, in positions and transactions, and each
// account reports the ambiguity under its own data_quality key.
func TestTwoCusipsOneSymbolAcrossAccounts(t *testing.T) {
	body := `{"Investments":[{"Accounts":[
	  {"Id":"a","Positions":[{"Quantity":1,"Currency":"usd","Security":{"Symbol":"ABC","Cusip":"000000001"}}],
	   "Transactions":[{"Id":"t1","Currency":"usd","Security":{"Symbol":"ABC","Cusip":"000000001"}}]},
	  {"Id":"b","Positions":[{"Quantity":2,"Currency":"usd","Security":{"Symbol":"ABC","Cusip":"000000002"}}],
	   "Transactions":[{"Id":"t2","Currency":"usd","Security":{"Symbol":"ABC","Cusip":"000000002"}},
	                   {"Id":"t3","Currency":"usd","Security":{"Symbol":"DEF","Isin":"US0000000001"}},
	                   {"Id":"t4","Currency":"usd","Security":{"Symbol":"DEF","Isin":"US0000000002"}}]}]}]}`
	c := goldenContext()
	b, _ := mustFromJSON(t, []byte(body), c)
	if err := checkBatch(b, c); err != nil {
		t.Fatal(err)
	}
	keys := map[string]any{}
	for _, r := range b.Rows[schema.Positions.Name] {
		keys["position "+r[1].(string)] = r[2]
	}
	for _, r := range b.Rows[schema.Transactions.Name] {
		keys["transaction "+r[2].(string)] = r[8]
	}
	want := map[string]any{
		"position a": "cusip:000000001", "position b": "cusip:000000002",
		"transaction t1": "cusip:000000001", "transaction t2": "cusip:000000002",
		"transaction t3": "isin:US0000000001", "transaction t4": "isin:US0000000002",
	}
	if fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	checks := failedChecks(b)
	wantChecks := []string{
		"a security_ambiguous:symbol:ABC@USD dec:2",
		"b security_ambiguous:symbol:ABC@USD dec:2",
		"b security_ambiguous:symbol:DEF@USD dec:2",
	}
	if strings.Join(checks, ",") != strings.Join(wantChecks, ",") {
		t.Errorf("failed checks %q, want %q", checks, wantChecks)
	}
}

// TestSecurityAliasRows: a payload records every link it reveals from a
// weaker identifier to its security's key, and an ambiguous identifier
// under every key it is carried under, itself included.
func TestSecurityAliasRows(t *testing.T) {
	body := `{"Investments":[{"Accounts":[{"Id":"a","Currency":"cad",
	  "Positions":[
	    {"Quantity":1,"Currency":"cad","Security":{"Id":"123","Isin":"CA46428D1087","Symbol":"XIC","Name":"iShares Core S&P/TSX"}},
	    {"Quantity":1,"Currency":"cad","Security":{"Symbol":"ABC","Isin":"I1"}},
	    {"Quantity":1,"Currency":"cad","Security":{"Symbol":"ABC","Isin":"I2"}}],
	  "Transactions":[
	    {"Id":"t1","Currency":"cad","Security":{"Symbol":"XIC"}},
	    {"Id":"t2","Currency":"cad","Security":{"Isin":"CA46428D1087"}},
	    {"Id":"t3","Currency":"cad","Security":{"Symbol":"ABC"}},
	    {"Id":"t4","Security":{"Symbol":"NVDA","Isin":"US67066G1040"}}]}]}]}`
	c := goldenContext()
	b, _ := mustFromJSON(t, []byte(body), c)
	if err := checkBatch(b, c); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range b.Rows[schema.SecurityAliases.Name] {
		if r[2] != c.RunID || r[3] != c.SyncedAt {
			t.Errorf("alias row %v: run_id and first_seen_at are not the run's", r)
		}
		got = append(got, r[0].(string)+" -> "+r[1].(string))
	}
	want := []string{
		"isin:CA46428D1087 -> id:123",
		"symbol:ABC@CAD -> isin:I1",
		"symbol:ABC@CAD -> isin:I2",
		"symbol:ABC@CAD -> symbol:ABC@CAD",
		"symbol:XIC@CAD -> id:123",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("aliases:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
