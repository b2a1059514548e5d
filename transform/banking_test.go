package transform

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

// bankingContext is goldenContext with a holder secret.
func bankingContext() Context {
	c := goldenContext()
	c.HolderSecret = HolderSecret("golden-holder-secret-32-bytes!!!")
	return c
}

// TestBankingGolden transforms every banking fixture and compares the rows
// with testdata/golden/<fixture>.golden (refresh with -update).
func TestBankingGolden(t *testing.T) {
	for name, body := range bankingCorpus(t) {
		t.Run(name, func(t *testing.T) {
			c := bankingContext()
			b, s, err := FromBankingJSON(body, c)
			if err != nil {
				t.Fatalf("FromBankingJSON: %v", err)
			}
			if err := checkBankingBatch(b, s, c); err != nil {
				t.Fatalf("invariant: %v", err)
			}
			compareGolden(t, name, render(b, s))
		})
	}
}

// TestInvalidBankingPayloads: a body that is not JSON, or not a banking
// payload (an investments one included), rejects the login with a typed
// error that echoes no content.
func TestInvalidBankingPayloads(t *testing.T) {
	files, _ := filepath.Glob("../testdata/invalid/*.json")
	bodies := map[string][]byte{
		"investments":  []byte(`{"Investments": [], "Message": "12345678"}`),
		"accounts obj": []byte(`{"Accounts": {"Holder": {"Name": "Qwertyuiop Canaryname"}}}`),
		"cut short":    []byte(`{"Accounts": [{"Holder": {"Name": "Qwertyuiop Canar`),
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies[filepath.Base(f)] = b
	}
	for name, body := range bodies {
		_, _, err := FromBankingJSON(body, bankingContext())
		if !errors.Is(err, payload.ErrSyntax) && !errors.Is(err, payload.ErrShape) {
			t.Errorf("%s: error %v, want ErrSyntax or ErrShape", name, err)
			continue
		}
		for _, secret := range []string{"12345678", "FlinksCapital", "twelve", "Qwertyuiop", "Canar"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error %q echoes the payload", name, err)
			}
		}
	}
}

// checkBankingBatch returns the first broken invariant of a banking batch:
// those of every batch (checkCommon); the login's one logins row, whose
// last_refresh_at dates the bank_balances scope, exactly one tuple, and
// every balance; one balance row per account; transactions and holders of
// loaded accounts; amount = credit - debit exactly; the Latest scopes;
// masked descriptions; the personal columns NULL unless holder details
// are kept, holder_key NULL without a secret; balance_reconciles rows whose
// verdict matches their difference; Stats that count the rows.
func checkBankingBatch(b schema.Batch, s Stats, c Context) error {
	if err := checkCommon(b, c); err != nil {
		return err
	}
	logins := b.Rows[schema.Logins.Name]
	if len(logins) != 1 || logins[0][0] != c.LoginID {
		return fmt.Errorf("logins rows %v, want the login's one", logins)
	}
	asOf := schema.DateOf(logins[0][schema.Logins.Index("last_refresh_at")].(time.Time))
	if sc := b.Scopes[schema.BankBalances.Name]; len(sc) != 1 || sc[0][0] != c.LoginID || !sc[0][1].(time.Time).Equal(asOf) {
		return fmt.Errorf("bank_balances scope %v, want exactly [[%s %s]]", sc, c.LoginID, asOf.Format(time.DateOnly))
	}
	accounts := map[string]bool{}
	for _, r := range b.Rows[schema.BankAccounts.Name] {
		accounts[r[1].(string)] = true
	}
	balanced := map[string]bool{}
	for _, r := range b.Rows[schema.BankBalances.Name] {
		if !r[2].(time.Time).Equal(asOf) {
			return fmt.Errorf("balance dated %v, not the as-of date", r[2])
		}
		balanced[r[1].(string)] = true
	}
	if !reflect.DeepEqual(accounts, balanced) {
		return fmt.Errorf("accounts %v and balances %v differ", accounts, balanced)
	}
	for _, tbl := range []*schema.Table{schema.BankTransactions, schema.AccountHolders} {
		for _, r := range b.Rows[tbl.Name] {
			if !accounts[r[1].(string)] {
				return fmt.Errorf("%s row references a missing account", tbl.Name)
			}
		}
	}
	tx := schema.BankTransactions
	for _, r := range b.Rows[tx.Name] {
		want := creditMinusDebit(r[tx.Index("credit")], r[tx.Index("debit")])
		got := r[tx.Index("amount")]
		if (want == nil) != (got == nil) || (want != nil && want.(schema.Decimal).Cmp(got.(schema.Decimal)) != 0) {
			return fmt.Errorf("amount %v is not credit - debit %v", got, want)
		}
	}
	if err := checkLatestScopes(b, c, schema.BankAccounts, schema.BankTransactions); err != nil {
		return err
	}
	if err := checkDescriptions(b, c, tx); err != nil {
		return err
	}
	h := schema.AccountHolders
	for _, r := range b.Rows[h.Name] {
		for _, name := range []string{"name", "email", "phone", "civic_address", "city", "postal_code", "po_box"} {
			if v := r[h.Index(name)]; v != nil && !c.KeepHolderPII {
				return fmt.Errorf("account_holders.%s stored without KeepHolderPII", name)
			}
		}
		if r[h.Index("holder_key")] != nil && len(c.HolderSecret) == 0 {
			return fmt.Errorf("holder_key without a secret")
		}
	}
	dq := schema.DataQuality
	for _, r := range b.Rows[dq.Name] {
		if r[dq.Index("check_name")] != CheckBalanceReconciles {
			return fmt.Errorf("banking check %v", r[dq.Index("check_name")])
		}
		diff, ok := r[dq.Index("difference")].(schema.Decimal)
		if passed := ok && diff.Abs().Cmp(ValueTolerance) <= 0; passed != r[dq.Index("passed")] {
			return fmt.Errorf("balance_reconciles passed = %v with difference %v", r[dq.Index("passed")], r[dq.Index("difference")])
		}
	}
	want := Stats{BankAccounts: len(b.Rows[schema.BankAccounts.Name]), BankBalances: len(b.Rows[schema.BankBalances.Name]),
		BankTransactions: len(b.Rows[tx.Name]), AccountHolders: len(b.Rows[h.Name]), Rejected: len(b.Rows[schema.RejectedRecords.Name]),
		QualityFailed: s.QualityFailed}
	if s != want {
		return fmt.Errorf("stats %+v, rows say %+v", s, want)
	}
	return nil
}

// The canaries of testdata/payloads/banking_pii.json: the holder's details,
// which appear in the Holder and in free text, members and member names
// across the payload. identityCanaries are never stored, whatever the flags.
var (
	holderCanaries   = []string{"qwertyuiop", "canaryname", "canary.person@canary-mail.test", "canary-mail", "013-3742", "15550133742", "evergreen canaryterrace", "canaryville", "k1a 0b1", "8675309", "canaryapt"}
	identityCanaries = []string{"046 454 286", "1970-01-01"}
)

// leaks returns where in the batch a canary appears (case-insensitively): a
// table, a column and the canary, for every string or JSON cell.
func leaks(b schema.Batch, canaries []string) []string {
	var out []string
	for name, rows := range b.Rows {
		t := schema.Lookup(name)
		for _, r := range rows {
			for i, v := range r {
				s, ok := v.(string)
				if !ok {
					continue
				}
				for _, canary := range canaries {
					if strings.Contains(strings.ToLower(s), canary) {
						out = append(out, name+"."+t.Columns[i].Name+": "+canary)
					}
				}
			}
		}
	}
	return out
}

// TestBankingPIICanaries: without KeepHolderPII, no column of any table,
// no rejected fragment and no extra holds a holder's name, e-mail, phone or
// address, whatever KeepAccountNumbers says; with it, account_holders
// holds them in clear; identity numbers and birth dates never.
func TestBankingPIICanaries(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(payloadDir, "banking_pii.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, keepNumbers := range []bool{false, true} {
		c := bankingContext()
		c.KeepAccountNumbers = keepNumbers
		b, s, err := FromBankingJSON(body, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkBankingBatch(b, s, c); err != nil {
			t.Fatalf("invariant: %v", err)
		}
		if got := leaks(b, append(holderCanaries, identityCanaries...)); len(got) > 0 {
			t.Errorf("KeepAccountNumbers=%v: holder details stored:\n%s", keepNumbers, strings.Join(got, "\n"))
		}
		if len(b.Rows[schema.RejectedRecords.Name]) == 0 || len(b.Rows[schema.AccountHolders.Name]) != 1 {
			t.Fatal("the fixture no longer quarantines a fragment or has a holder")
		}
	}

	c := bankingContext()
	c.KeepHolderPII = true
	b, s, err := FromBankingJSON(body, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkBankingBatch(b, s, c); err != nil {
		t.Fatalf("invariant: %v", err)
	}
	if got := leaks(b, identityCanaries); len(got) > 0 {
		t.Errorf("identity details stored with KeepHolderPII:\n%s", strings.Join(got, "\n"))
	}
	h := schema.AccountHolders
	row := b.Rows[h.Name][0]
	for col, want := range map[string]string{
		"name": "Qwertyuiop Canaryname", "email": "canary.person@canary-mail.test", "phone": "+1 (555) 013-3742",
		"civic_address": "742 Evergreen Canaryterrace", "city": "Canaryville", "postal_code": "K1A 0B1", "po_box": "PO Box 8675309",
		"province": "ON", "country": "CA",
	} {
		if got := row[h.Index(col)]; got != want {
			t.Errorf("KeepHolderPII: account_holders.%s = %v, want %q", col, got, want)
		}
	}
	tx := schema.BankTransactions
	if d := b.Rows[tx.Name][1][tx.Index("description")]; d != "CALL +1 (555) ***-3742 RE 742 Evergreen Canaryterrace K1A 0B1" {
		t.Errorf("KeepHolderPII: description %v, want as sent (but for runs of seven digits)", d)
	}
}

// TestHolderKeyAcrossAccountsAndLogins: one person's accounts share a
// holder_key, in one login and across logins, however the payload writes
// their name and e-mail; other people (and a joint account's pair) differ;
// a holder with neither name nor e-mail has none.
func TestHolderKeyAcrossAccountsAndLogins(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(payloadDir, "banking_non_ascii.json"))
	if err != nil {
		t.Fatal(err)
	}
	keys := func(login string) map[string]any {
		c := bankingContext()
		c.LoginID = login
		b, _, err := FromBankingJSON(body, c)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]any{}
		h := schema.AccountHolders
		for _, r := range b.Rows[h.Name] {
			out[r[1].(string)] = r[h.Index("holder_key")]
		}
		return out
	}
	a, b := keys("login-a"), keys("login-b")
	if !reflect.DeepEqual(a, b) {
		t.Errorf("holder keys differ across logins: %v vs %v", a, b)
	}
	if a["acct-zoe-1"] == nil || a["acct-zoe-1"] != a["acct-zoe-2"] {
		t.Errorf("one holder's accounts have keys %v and %v", a["acct-zoe-1"], a["acct-zoe-2"])
	}
	for _, other := range []string{"acct-joint", "acct-yamada"} {
		if a[other] == nil || a[other] == a["acct-zoe-1"] {
			t.Errorf("%s has key %v, want its own", other, a[other])
		}
	}
	if a["acct-joint"] == a["acct-yamada"] {
		t.Error("two holders share a key")
	}
	if k, ok := a["acct-nobody"]; !ok || k != nil {
		t.Errorf("a holder with neither name nor e-mail: key %v (row %v), want a row with NULL", k, ok)
	}
}

// TestBankingAsOfDate: balances are dated by the payload's Login.LastRefresh,
// else the session's (Context.LastRefresh), else the sync's date; the logins
// row records the same instant.
func TestBankingAsOfDate(t *testing.T) {
	session := time.Date(2025, 3, 3, 1, 0, 0, 0, time.UTC)
	synced := time.Date(2025, 3, 4, 6, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, login string
		session     time.Time
		want        time.Time
	}{
		{"payload's", `"Login": {"LastRefresh": "2025-02-14T23:59:59.9999999"},`, session, time.Date(2025, 2, 14, 23, 59, 59, 999999900, time.UTC)},
		{"payload's with an offset", `"Login": {"LastRefresh": "2025-02-14T23:30:00-05:00"},`, session, time.Date(2025, 2, 15, 4, 30, 0, 0, time.UTC)},
		{"session's: none in the payload", `"Login": {"Id": "x"},`, session, session},
		{"session's: unreadable in the payload", `"Login": {"LastRefresh": "soon"},`, session, session},
		{"sync's: none at all", ``, time.Time{}, synced},
	} {
		c := bankingContext()
		c.LastRefresh, c.SyncedAt = tt.session, synced
		body := `{` + tt.login + `"Accounts": [{"Id": "a", "Balance": {"Current": 1}}]}`
		b, s, err := FromBankingJSON([]byte(body), c)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkBankingBatch(b, s, c); err != nil {
			t.Fatalf("%s: invariant: %v", tt.name, err)
		}
		if got := b.Rows[schema.Logins.Name][0][schema.Logins.Index("last_refresh_at")].(time.Time); !got.Equal(tt.want) {
			t.Errorf("%s: last_refresh_at %v, want %v", tt.name, got, tt.want)
		}
		if got := b.Rows[schema.BankBalances.Name][0][2].(time.Time); !got.Equal(schema.DateOf(tt.want)) {
			t.Errorf("%s: as_of_date %v, want %v", tt.name, got, schema.DateOf(tt.want))
		}
	}
}

// TestBankingShuffleChangesNothing: shuffling the payload's arrays changes
// no row (duplicates of one Id keep their order, the one documented place
// where order matters).
func TestBankingShuffleChangesNothing(t *testing.T) {
	for name, body := range bankingCorpus(t) {
		t.Run(name, func(t *testing.T) {
			c := bankingContext()
			want := canonical(mustFromBankingJSON(t, shuffleArrays(t, body, nil), c))
			for seed := range uint64(8) {
				shuffled := shuffleArrays(t, body, rand.New(rand.NewPCG(seed, 99)))
				if got := canonical(mustFromBankingJSON(t, shuffled, c)); got != want {
					t.Fatalf("seed %d: rows changed with array order:\n%s\nwant:\n%s", seed, got, want)
				}
			}
		})
	}
}

// TestBankingKeysStableAcrossRuns: the same payload gives identical rows
// every time, and another run changes no key.
func TestBankingKeysStableAcrossRuns(t *testing.T) {
	for name, body := range bankingCorpus(t) {
		c := bankingContext()
		b1, s1 := mustFromBankingJSON(t, body, c)
		b2, s2 := mustFromBankingJSON(t, body, c)
		if !reflect.DeepEqual(b1, b2) || s1 != s2 {
			t.Errorf("%s: two transforms of one payload differ", name)
		}
		c.RunID = "another-run"
		b3, _ := mustFromBankingJSON(t, body, c)
		for _, tbl := range []*schema.Table{schema.BankAccounts, schema.BankBalances, schema.BankTransactions, schema.AccountHolders} {
			if k1, k3 := keysOf(tbl, b1), keysOf(tbl, b3); !reflect.DeepEqual(k1, k3) {
				t.Errorf("%s: %s keys changed with the run: %v vs %v", name, tbl.Name, k1, k3)
			}
		}
	}
}

func mustFromBankingJSON(t testing.TB, body []byte, c Context) (schema.Batch, Stats) {
	t.Helper()
	b, s, err := FromBankingJSON(body, c)
	if err != nil {
		t.Fatalf("FromBankingJSON: %v", err)
	}
	return b, s
}

// TestLoginRowCountsBothProducts: a login's sync_logins row counts its
// investment and bank accounts and transactions together.
func TestLoginRowCountsBothProducts(t *testing.T) {
	inv := Stats{Accounts: 2, Positions: 3, Transactions: 4, Rejected: 1}
	bank := Stats{BankAccounts: 5, BankBalances: 5, BankTransactions: 6, AccountHolders: 5, Rejected: 2, QualityFailed: 1}
	sum := inv.Add(bank)
	if sum != (Stats{Accounts: 2, Positions: 3, Transactions: 4, Rejected: 3, QualityFailed: 1, BankAccounts: 5, BankBalances: 5, BankTransactions: 6, AccountHolders: 5}) {
		t.Errorf("Add = %+v", sum)
	}
	row := LoginRow(LoginOutcome{RunID: "r", LoginID: "l", Status: "succeeded", Stats: sum})
	sl := schema.SyncLogins
	for col, want := range map[string]int64{"accounts": 7, "positions": 3, "transactions": 10, "rejected": 3} {
		if got := row[sl.Index(col)]; got != want {
			t.Errorf("sync_logins.%s = %v, want %d", col, got, want)
		}
	}
}

// FuzzBankingTransform: any body either fails with a typed error or gives
// rows that satisfy every invariant of checkBankingBatch, and, without
// KeepHolderPII, no free-text or JSON column holds a holder's detail as
// sent; nothing panics.
func FuzzBankingTransform(f *testing.F) {
	for _, dir := range []string{payloadDir, "../testdata/invalid"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, file := range files {
			if dir == payloadDir && !strings.HasPrefix(filepath.Base(file), bankingPrefix) {
				continue
			}
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, false, false)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, keepNumbers, keepPII bool) {
		c := bankingContext()
		c.KeepAccountNumbers, c.KeepHolderPII = keepNumbers, keepPII
		bk, err := payload.DecodeBanking(body)
		if err != nil {
			if !errors.Is(err, payload.ErrSyntax) && !errors.Is(err, payload.ErrShape) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		b, s := TransformBanking(bk, c)
		if err := checkBankingBatch(b, s, c); err != nil {
			t.Fatalf("invariant: %v", err)
		}
		if keepPII {
			return
		}
		if where := holderLeaks(b, bk); len(where) > 0 {
			t.Fatalf("holder details stored: %v", where)
		}
	})
}

// holderLeaks returns the free-text and JSON cells of b that hold, as sent,
// a holder detail of bk that the masker searches (its letters and digits
// number at least minPIIChars).
func holderLeaks(b schema.Batch, bk *payload.Banking) []string {
	var details []string
	for i := range bk.Accounts {
		h := bk.Accounts[i].Holder
		if h == nil {
			continue
		}
		vs := []payload.Value{h.Name, h.Email, h.PhoneNumber}
		if h.Address != nil {
			vs = append(vs, h.Address.CivicAddress, h.Address.PostalCode, h.Address.POBox)
		}
		for _, v := range vs {
			if s, ok, err := v.Ident(); ok && err == nil && len(piiSkeleton(s)) >= minPIIChars {
				details = append(details, s)
			}
		}
	}
	freeText := map[string][]string{
		schema.BankAccounts.Name:     {"institution", "title", "category", "type", "account_type", "extra"},
		schema.BankBalances.Name:     {"extra"},
		schema.BankTransactions.Name: {"description", "code", "extra"},
		schema.AccountHolders.Name:   {"name", "email", "phone", "civic_address", "city", "postal_code", "po_box", "extra"},
		schema.RejectedRecords.Name:  {"fragment"},
	}
	var out []string
	for table, cols := range freeText {
		tbl := schema.Lookup(table)
		for _, r := range b.Rows[table] {
			for _, col := range cols {
				s, _ := r[tbl.Index(col)].(string)
				for _, d := range details {
					if s != "" && strings.Contains(s, d) {
						out = append(out, table+"."+col)
					}
				}
			}
		}
	}
	return out
}
