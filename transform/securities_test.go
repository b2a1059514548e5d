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
