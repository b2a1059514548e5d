package payload

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeBankingErrors(t *testing.T) {
	for body, want := range map[string]error{
		``:                             ErrSyntax,
		`{"Accounts": [`:               ErrSyntax,
		`{"Accounts": []} x`:           ErrSyntax,
		`null`:                         ErrShape,
		`[]`:                           ErrShape,
		`{"HttpStatusCode": 200}`:      ErrShape,
		`{"Accounts": {}}`:             ErrShape,
		`{"Accounts": "Testing 7641"}`: ErrShape,
		`{"Accounts": null}`:           nil,
		`{"Accounts": [1, {}, []]}`:    nil,
	} {
		_, err := DecodeBanking([]byte(body))
		if !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("DecodeBanking(%q) = %v, want %v", body, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "Testing") {
			t.Errorf("error echoes the payload: %v", err)
		}
		if errors.Is(err, ErrShape) && !strings.Contains(err.Error(), "banking") {
			t.Errorf("shape error %q does not say it wanted a banking payload", err)
		}
	}
}

// TestDecodeBankingKeepsEverything: known members land in fields, unknown
// ones in Extra, wrong shapes in Problems with the element's original index;
// numbers keep their exact text.
func TestDecodeBankingKeepsEverything(t *testing.T) {
	body := `{"HttpStatusCode":200,"InstitutionName":"FlinksCapital","InstitutionId":14,"Institution":"FlinksCapital",
	 "Login":{"Username":"Greatday","IsScheduledRefresh":false,"LastRefresh":"2025-01-31T17:40:54.569261","Type":"Personal","Id":"l-1"},
	 "RequestId":"r","Links":[],
	 "Accounts":["x",{"Id":"a","Title":"Chequing","AccountNumber":"7641238","LastFourDigits":null,"TransitNumber":"12347",
	   "InstitutionNumber":"777","OverdraftLimit":100.5,"Balance":{"Available":12345678901234.5678,"Current":"5105.5","Limit":null,"Hold":1},
	   "Category":"Operations","Type":"Chequing","Currency":"CAD","AccountType":"Personal","Nick":"n",
	   "Holder":{"Name":"Zoë Ünïcode","Email":"z@example.com","PhoneNumber":9051234567,"Pronoun":"she",
	     "Address":{"CivicAddress":"25 york street","City":"TOR","Province":"ON","PostalCode":"M5J 2V5","POBox":null,"Country":"CA","Unit":"4"}},
	   "Transactions":[null,{"Id":"t","Date":"2025/01/31","Code":null,"Description":"PAYROLL","Debit":null,"Credit":0.000000011,"Balance":5105.6,"Memo":"m"}]},
	  {"Id":"b","Balance":[1],"Holder":"Somebody","Transactions":{"bad":true}}]}`
	bk, err := DecodeBanking([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if bk.InstitutionName.Text() != "FlinksCapital" || string(bk.InstitutionID.Raw()) != "14" || string(bk.Extra["Links"]) != "[]" {
		t.Errorf("top level %+v", bk)
	}
	if !reflect.DeepEqual(bk.Problems, []Problem{{"Accounts[0]", "expected an object, got a string"}}) {
		t.Errorf("top problems %v", bk.Problems)
	}
	if bk.Login == nil || bk.Login.Username.Text() != "Greatday" || string(bk.Login.Extra["Type"]) != `"Personal"` {
		t.Fatalf("login %+v", bk.Login)
	}
	if at, ok, err := bk.Login.LastRefresh.Time(); !ok || err != nil || !at.Equal(time.Date(2025, 1, 31, 17, 40, 54, 569261000, time.UTC)) {
		t.Errorf("LastRefresh %v %v %v", at, ok, err)
	}
	a := bk.Accounts[0]
	if a.Index != 1 || a.Title.Text() != "Chequing" || string(a.Extra["Nick"]) != `"n"` || string(a.OverdraftLimit.Raw()) != "100.5" {
		t.Errorf("account %+v", a)
	}
	if a.Balance == nil || string(a.Balance.Available.Raw()) != "12345678901234.5678" || string(a.Balance.Extra["Hold"]) != "1" || !a.Balance.Limit.Null() {
		t.Errorf("balance %+v", a.Balance)
	}
	if d, ok, err := a.Balance.Available.Decimal(); !ok || err != nil || d.String() != "12345678901234.5678" {
		t.Errorf("available %v %v %v", d, ok, err)
	}
	h := a.Holder
	if h == nil || h.Name.Text() != "Zoë Ünïcode" || string(h.PhoneNumber.Raw()) != "9051234567" || string(h.Extra["Pronoun"]) != `"she"` {
		t.Fatalf("holder %+v", h)
	}
	if h.Address == nil || h.Address.PostalCode.Text() != "M5J 2V5" || string(h.Address.Extra["Unit"]) != `"4"` || !h.Address.POBox.Null() {
		t.Errorf("address %+v", h.Address)
	}
	if !reflect.DeepEqual(a.Problems, []Problem{{"Transactions[0]", "expected an object, got null"}}) {
		t.Errorf("account problems %v", a.Problems)
	}
	x := a.Transactions[0]
	if x.Index != 1 || string(x.Extra["Memo"]) != `"m"` || !strings.HasPrefix(string(x.Raw), `{"Id":"t"`) || !strings.HasSuffix(string(x.Raw), `"m"}`) {
		t.Errorf("transaction %+v", x)
	}
	if d, ok, err := x.Date.BankingDate(); !ok || err != nil || !d.Equal(time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date %v %v %v", d, ok, err)
	}
	if d, _, _ := x.Credit.Decimal(); d.String() != "0.000000011" {
		t.Errorf("credit %v", d)
	}
	b := bk.Accounts[1]
	want := []Problem{{"Balance", "expected an object, got an array"}, {"Holder", "expected an object, got a string"}, {"Transactions", "expected an array, got an object"}}
	if !reflect.DeepEqual(b.Problems, want) || b.Balance != nil || b.Holder != nil {
		t.Errorf("account problems %v, want %v", b.Problems, want)
	}
}

// TestBankingDate: both of Flinks' date forms, and nothing looser.
func TestBankingDate(t *testing.T) {
	day := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	for text, want := range map[string]bool{
		`"2024-02-29"`: true, `"2024/02/29"`: true, `"2024-02-29T13:47:46.5227901"`: true,
		`"2023/02/29"`: false, `"2024/2/29"`: false, `"2024/02-29"`: false, `"2024-02/29"`: false, `"0000/01/01"`: false,
		`"2024/02/29x"`: false, `20240229`: false,
	} {
		d, ok, err := RawValue(text).BankingDate()
		if got := ok && err == nil; got != want || (want && !d.Equal(day)) {
			t.Errorf("BankingDate(%s) = %v %v %v, want ok=%v", text, d, ok, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "2024") {
			t.Errorf("error echoes the value: %v", err)
		}
	}
	if _, _, err := RawValue(`"2024/02/29"`).Date(); err == nil {
		t.Error("Date (investments) accepts YYYY/MM/DD; only BankingDate should")
	}
}

// FuzzDecodeBanking: DecodeBanking never panics, fails only with ErrSyntax
// or ErrShape, and every Value it returns can be read without panicking.
func FuzzDecodeBanking(f *testing.F) {
	f.Add([]byte(`{"Accounts":[{"Id":"a","Balance":{"Current":1},"Holder":{"Address":{}},"Transactions":[{"Id":"t","Date":"2025/01/31"}]}],"Login":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		bk, err := DecodeBanking(body)
		if errors.Is(err, ErrSyntax) == json.Valid(body) {
			t.Fatalf("ErrSyntax = %v for valid = %v", err, json.Valid(body))
		}
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrShape) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		read := func(v Value) {
			v.String()
			v.Decimal()
			v.BankingDate()
			v.Time()
			v.Ident()
		}
		if bk.Login != nil {
			read(bk.Login.LastRefresh)
		}
		for _, a := range bk.Accounts {
			read(a.ID)
			if a.Balance != nil {
				read(a.Balance.Current)
			}
			if a.Holder != nil && a.Holder.Address != nil {
				read(a.Holder.Address.PostalCode)
			}
			for _, x := range a.Transactions {
				read(x.Date)
				read(x.Debit)
			}
		}
	})
}
