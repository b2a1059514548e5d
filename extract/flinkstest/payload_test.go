package flinkstest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestPayloadIsDeterministic(t *testing.T) {
	login := DemoLogins(1, 1)[0]
	a := Payload(1, login, testAsOf)
	if !bytes.Equal(a, Payload(1, login, testAsOf)) {
		t.Fatal("two calls differ")
	}
	if !bytes.Equal(a, Payload(1, strings.ToUpper(login), testAsOf)) {
		t.Error("LoginId case changes the data")
	}
	if bytes.Equal(a, Payload(2, login, testAsOf)) {
		t.Error("another seed gives the same data")
	}
	if bytes.Equal(a, Payload(1, DemoLogins(1, 2)[1], testAsOf)) {
		t.Error("another login gives the same data")
	}
	if !bytes.Equal(a, Payload(1, login, testAsOf.Add(13*3600e9))) {
		t.Error("the time of day changes the data")
	}
}

func TestPayloadGolden(t *testing.T) {
	cases := map[string]string{
		"healthy-seed1.json":   DemoLogins(1, 4)[3],
		"malformed-seed1.json": FaultLogin(FaultMalformed, 1),
	}
	for name, login := range cases {
		got := Payload(1, login, testAsOf)
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: payload changed (%d bytes, golden %d); if on purpose, run go test -update", name, len(got), len(want))
		}
	}
}

func decode(t testing.TB, body []byte) *payload.Investments {
	t.Helper()
	inv, err := payload.Decode(body)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return inv
}

func dec(t testing.TB, v payload.Value) schema.Decimal {
	t.Helper()
	d, ok, err := v.Decimal()
	if err != nil || !ok {
		t.Fatalf("not a number: %s (%v)", v.Raw(), err)
	}
	return d
}

// fracDigits is the number of digits after the point in a JSON number.
func fracDigits(v payload.Value) int {
	_, frac, ok := strings.Cut(string(v.Raw()), ".")
	if !ok {
		return 0
	}
	return len(frac)
}

// TestPayloadCoversTheEdgeCases checks, over many logins, that every shape
// the transform must handle appears, and that healthy payloads decode
// without a single problem.
func TestPayloadCoversTheEdgeCases(t *testing.T) {
	seen := map[string]int{}
	secLogins := map[string]map[string]bool{}
	accounts, mismatched := 0, 0
	for _, login := range DemoLogins(3, 400) {
		body := Payload(3, login, testAsOf)
		if !utf8.Valid(body) {
			t.Fatal("payload is not UTF-8")
		}
		inv := decode(t, body)
		if len(inv.Problems) > 0 {
			t.Fatalf("problems: %+v", inv.Problems)
		}
		n := 0
		for _, in := range inv.Institutions {
			n += len(in.Accounts)
			if len(in.Problems) > 0 {
				t.Fatalf("institution problems: %+v", in.Problems)
			}
		}
		seen["accounts="+string(rune('0'+n))]++
		if len(inv.Institutions) == 2 {
			seen["two institutions"]++
		}
		for _, in := range inv.Institutions {
			for _, a := range in.Accounts {
				accounts++
				if len(a.Problems) > 0 {
					t.Fatalf("account problems: %+v", a.Problems)
				}
				if a.Extra != nil {
					seen["account extra"]++
				}
				if a.Cash.Null() || a.AccountValue.Null() {
					t.Fatal("account without Cash or AccountValue")
				}
				if string(a.Cash.Raw()) == "12345678901234.5678" {
					seen["huge cash"]++
				}
				sum := dec(t, a.Cash)
				for _, p := range a.Positions {
					if len(p.Problems) > 0 || p.Security == nil || len(p.Security.Problems) > 0 {
						t.Fatalf("position problems: %+v", p)
					}
					q := dec(t, p.Quantity)
					sum = sum.Add(dec(t, p.MarketValue))
					if q.Cmp(schema.Decimal{}) < 0 {
						seen["negative quantity"]++
					}
					if fracDigits(p.Quantity) >= 6 {
						seen["quantity 6+ digits"]++
					}
					if fracDigits(p.Quantity) >= 8 {
						seen["quantity 8+ digits"]++
					}
					if fracDigits(p.Price) >= 9 {
						seen["price 9+ digits"]++
					}
					if p.BookValue.Null() {
						seen["null BookValue"]++
					}
					if p.AverageCost.Missing() {
						seen["missing AverageCost"]++
					}
					if p.Extra != nil {
						seen["position extra"]++
					}
					if p.Security.Extra != nil {
						seen["security extra"]++
					}
					if p.Security.Cusip.Missing() {
						seen["missing Cusip"]++
					} else if p.Security.Cusip.Null() {
						seen["null Cusip"]++
					}
					if p.Security.Isin.Null() {
						seen["null Isin"]++
					}
					name := p.Security.Name.Text()
					if !isASCII(name) {
						seen["non-ASCII name"]++
					}
					id := p.Security.ID.Text()
					if secLogins[id] == nil {
						secLogins[id] = map[string]bool{}
					}
					secLogins[id][login] = true
				}
				if sum.Cmp(dec(t, a.AccountValue)) != 0 {
					mismatched++
				}
				for _, tx := range a.Transactions {
					if len(tx.Problems) > 0 {
						t.Fatalf("transaction problems: %+v", tx.Problems)
					}
					if _, ok, err := tx.Date.Date(); !ok || err != nil || tx.ID.Null() {
						t.Fatalf("transaction without a date or Id: %+v", tx)
					}
					switch s := tx.Security; {
					case s == nil:
						seen["cash transaction"]++
					case !s.ID.Missing() && !s.Symbol.Missing() && s.Name.Missing():
						seen["ref Id+Symbol"]++
					case s.ID.Missing() && !s.Symbol.Missing():
						seen["ref Symbol only"]++
					case s.ID.Missing() && !s.Isin.Missing():
						seen["ref Isin only"]++
					case !s.Name.Missing():
						seen["ref full"]++
					}
					if !tx.Quantity.Null() && dec(t, tx.Quantity).Cmp(schema.Decimal{}) < 0 {
						seen["negative tx quantity"]++
					}
					if tx.SettlementDate.Missing() {
						seen["missing SettlementDate"]++
					} else if tx.SettlementDate.Null() {
						seen["null SettlementDate"]++
					}
					if tx.Fees.Null() && !tx.Fees.Missing() {
						seen["null Fees"]++
					}
					if tx.Extra != nil {
						seen["transaction extra"]++
					}
					if !isASCII(tx.Description.Text()) {
						seen["non-ASCII description"]++
					}
				}
			}
		}
	}
	for _, want := range []string{"accounts=0", "accounts=1", "accounts=5", "two institutions", "account extra", "huge cash",
		"negative quantity", "quantity 6+ digits", "quantity 8+ digits", "price 9+ digits", "null BookValue", "missing AverageCost",
		"position extra", "security extra", "missing Cusip", "null Cusip", "null Isin", "non-ASCII name", "cash transaction",
		"ref Id+Symbol", "ref Symbol only", "ref Isin only", "ref full", "negative tx quantity", "missing SettlementDate",
		"null SettlementDate", "null Fees", "transaction extra", "non-ASCII description"} {
		if seen[want] == 0 {
			t.Errorf("no %s in 400 logins", want)
		}
	}
	shared := 0
	for _, logins := range secLogins {
		if len(logins) >= 5 {
			shared++
		}
	}
	if shared < 20 {
		t.Errorf("only %d securities are held by 5 or more logins", shared)
	}
	if mismatched == 0 || mismatched*10 > accounts {
		t.Errorf("%d of %d accounts have AccountValue != Cash + sum(MarketValue); want a few", mismatched, accounts)
	}
	t.Logf("%d accounts, %d mismatched, %d securities shared by 5+ logins; %v", accounts, mismatched, shared, seen)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestTransactionsRollAcrossDays(t *testing.T) {
	next := testAsOf.AddDate(0, 0, 1)
	for _, login := range DemoLogins(5, 50) {
		day1, day2 := decode(t, Payload(5, login, testAsOf)), decode(t, Payload(5, login, next))
		tx2 := map[string]string{}
		acc1, acc2 := accountIDs(day1), accountIDs(day2)
		if strings.Join(acc1, ",") != strings.Join(acc2, ",") {
			t.Fatalf("accounts changed from one day to the next")
		}
		for _, in := range day2.Institutions {
			for _, a := range in.Accounts {
				for _, tx := range a.Transactions {
					tx2[tx.ID.Text()] = string(tx.Date.Raw()) + string(tx.NetAmount.Raw())
				}
			}
		}
		oldest := `"` + testAsOf.AddDate(0, 0, -TransactionWindowDays+1).Format("2006-01-02") + `"`
		for _, in := range day1.Institutions {
			for _, a := range in.Accounts {
				for _, tx := range a.Transactions {
					if string(tx.Date.Raw()) == oldest {
						continue // slid out of the window
					}
					if got, ok := tx2[tx.ID.Text()]; !ok || got != string(tx.Date.Raw())+string(tx.NetAmount.Raw()) {
						t.Fatalf("transaction of %s missing or changed the next day", tx.Date.Raw())
					}
				}
			}
		}
	}
	// Prices move from day to day.
	login := DemoLogins(5, 1)[0]
	if bytes.Equal(Payload(5, login, testAsOf), Payload(5, login, next)) {
		t.Error("the next day's payload is identical")
	}
}

func accountIDs(inv *payload.Investments) []string {
	var ids []string
	for _, in := range inv.Institutions {
		for _, a := range in.Accounts {
			ids = append(ids, a.ID.Text())
		}
	}
	return ids
}

func TestMalformedPayloadHasTheBrokenFragments(t *testing.T) {
	inv := decode(t, Payload(1, FaultLogin(FaultMalformed, 2), testAsOf))
	a := inv.Institutions[0].Accounts[0]
	if _, _, err := a.Positions[0].Quantity.Decimal(); err == nil {
		t.Errorf("first Quantity reads as a number: %s", a.Positions[0].Quantity.Raw())
	}
	noID, badDate := 0, 0
	for _, tx := range a.Transactions {
		if tx.ID.Missing() {
			noID++
		}
		if _, _, err := tx.Date.Date(); err != nil {
			badDate++
		}
	}
	if noID != 1 || badDate != 1 {
		t.Errorf("%d transactions without Id, %d with a bad date; want 1 and 1", noID, badDate)
	}
	// A transient malformed login serves the healthy body once the fault is spent.
	if bytes.Equal(Payload(1, TransientFaultLogin(FaultMalformed, 1, 2), testAsOf), appendPayload(nil, 1, TransientFaultLogin(FaultMalformed, 1, 2), testAsOf, true)) {
		t.Error("Payload of a transient malformed login is the malformed body")
	}
}

func TestUniverse(t *testing.T) {
	if len(universe) != 200 {
		t.Errorf("%d securities", len(universe))
	}
	ids, symbols, types := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, s := range universe {
		if ids[s.id] || symbols[s.symbol] {
			t.Errorf("duplicate %s / %s", s.id, s.symbol)
		}
		ids[s.id], symbols[s.symbol], types[s.typ] = true, true, true
		if s.cusip != "" && (len(s.cusip) != 9 || cusipCheck(s.cusip) != int(s.cusip[8]-'0')) {
			t.Errorf("%s: bad CUSIP %s", s.symbol, s.cusip)
		}
		if s.isin != "" && (len(s.isin) != 12 || isinCheck(s.isin[:11]) != int(s.isin[11]-'0')) {
			t.Errorf("%s: bad ISIN %s", s.symbol, s.isin)
		}
		if s.price.u <= 0 {
			t.Errorf("%s: price %s", s.symbol, s.price)
		}
	}
	for _, typ := range []string{"etf", "stock", "bond", "mutualfund", "crypto"} {
		if !types[typ] {
			t.Errorf("no %s", typ)
		}
	}
	// Known real identifiers: Apple.
	if cusipCheck("03783310") != 0 || isinCheck("US037833100") != 5 {
		t.Error("check digit algorithms disagree with Apple's CUSIP 037833100 / ISIN US0378331005")
	}
}

func TestNumbersAreExactText(t *testing.T) {
	tests := []struct {
		got  num
		want string
	}{
		{num{u: 3812, s: 2}, "38.12"},
		{num{u: -5, s: 2}, "-0.05"},
		{num{u: 11, s: 9}, "0.000000011"},
		{num{u: 123456789012345678, s: 4}, "12345678901234.5678"},
		{num{u: 100}, "100"},
		{num{u: 0, s: 2}, "0.00"},
		{num{u: 15, s: 1}.mulRound(num{u: 15, s: 1}, 1), "2.3"},                           // 2.25 rounds half away from zero
		{num{u: -15, s: 1}.mulRound(num{u: 15, s: 1}, 1), "-2.3"},                         // and so for negatives
		{num{u: 500000000, s: 8}.mulRound(num{u: 9512345, s: 2}, 2), "475617.25"},         // 5 BTC
		{num{u: 999999999999, s: 6}.mulRound(num{u: 99999999, s: 4}, 2), "9999999899.99"}, // needs 128 bits
		{num{u: 123456789012345678, s: 4}.add(num{u: 1, s: 2}), "12345678901234.5778"},
	}
	for _, tt := range tests {
		if s := tt.got.String(); s != tt.want {
			t.Errorf("got %s, want %s", s, tt.want)
		}
	}
}

func TestDemoLoginsAndText(t *testing.T) {
	a, b := DemoLogins(1, 30), DemoLogins(1, 30)
	seen := map[string]bool{}
	for i, id := range a {
		if id != b[i] || !isGUID(id) || seen[id] {
			t.Fatalf("login %d: %s", i, id)
		}
		if spec, isFault := parseFaultLogin(id); isFault {
			t.Fatalf("demo login %s is a fault login %+v", id, spec)
		}
		seen[id] = true
	}
	text := DemoText("http://127.0.0.1:8089", 1)
	for _, want := range []string{"syncer sync --base-url http://127.0.0.1:8089 --login " + a[0], a[1], FaultLogin(FaultMFA, 1), "fa11FFFF-KKKK",
		"--products investments,banking --login " + a[0], "--retired-investments", "--products banking"} {
		if !strings.Contains(text, want) {
			t.Errorf("DemoText lacks %q:\n%s", want, text)
		}
	}
}
