package payload

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeErrors(t *testing.T) {
	for body, want := range map[string]error{
		``:                             ErrSyntax,
		`{"Investments": [`:            ErrSyntax,
		`{"Investments": []} x`:        ErrSyntax,
		`null`:                         ErrShape,
		`[]`:                           ErrShape,
		`{"Message": null}`:            ErrShape,
		`{"Investments": {}}`:          ErrShape,
		`{"Investments": "12345678"}`:  ErrShape,
		`{"Investments": null}`:        nil,
		`{"Investments": [1, {}, []]}`: nil,
	} {
		_, err := Decode([]byte(body))
		if !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("Decode(%q) = %v, want %v", body, err, want)
		}
		if err != nil && want == ErrShape && len(body) > 8 && strings.Contains(err.Error(), "12345678") {
			t.Errorf("error echoes the payload: %v", err)
		}
	}
}

// TestDecodeKeepsEverything: known members land in fields, unknown ones in
// Extra, wrong shapes in Problems with the element's original index.
func TestDecodeKeepsEverything(t *testing.T) {
	body := `{"Investments":[7,{"Name":"Bank","Id":14,"Country":"CA","Accounts":[
	  "x",
	  {"Id":"a","Cash":{"v":1},"Nick":"n","Positions":[null,{"Quantity":"1.5","Security":{"Id":"s","Exchange":"TSX"},"Lot":1}],
	   "Transactions":{"bad":true}}]}],"Message":"OK","RequestId":"r"}`
	inv, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Problems; !reflect.DeepEqual(got, []Problem{{"Investments[0]", "expected an object, got a number"}}) {
		t.Errorf("top problems %v", got)
	}
	if inv.Message.Text() != "OK" || string(inv.Extra["RequestId"]) != `"r"` {
		t.Errorf("message/extra: %q %v", inv.Message.Text(), inv.Extra)
	}
	in := inv.Institutions[0]
	if in.Index != 1 || string(in.Extra["Country"]) != `"CA"` || string(in.ID.Raw()) != "14" {
		t.Errorf("institution %+v", in)
	}
	if !reflect.DeepEqual(in.Problems, []Problem{{"Accounts[0]", "expected an object, got a string"}}) {
		t.Errorf("institution problems %v", in.Problems)
	}
	a := in.Accounts[0]
	if a.Index != 1 || string(a.Extra["Nick"]) != `"n"` || !a.Cash.Missing() {
		t.Errorf("account %+v", a)
	}
	wantProblems := []Problem{{"Cash", "expected a scalar, got an object"}, {"Positions[0]", "expected an object, got null"}, {"Transactions", "expected an array, got an object"}}
	if !reflect.DeepEqual(a.Problems, wantProblems) {
		t.Errorf("account problems %v, want %v", a.Problems, wantProblems)
	}
	p := a.Positions[0]
	if p.Index != 1 || string(p.Extra["Lot"]) != "1" || p.Security == nil || string(p.Security.Extra["Exchange"]) != `"TSX"` {
		t.Errorf("position %+v", p)
	}
	if d, ok, err := p.Quantity.Decimal(); !ok || err != nil || d.String() != "1.5" {
		t.Errorf("quantity %v %v %v", d, ok, err)
	}
}

// FuzzDecode: Decode never panics, fails only with ErrSyntax or ErrShape,
// and every Value it returns can be read in every way without panicking.
func FuzzDecode(f *testing.F) {
	for _, dir := range []string{"../testdata/payloads", "../testdata/invalid"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		inv, err := Decode(body)
		if errors.Is(err, ErrSyntax) == json.Valid(body) {
			t.Fatalf("Decode says syntax error %v, encoding/json says valid %v", err, json.Valid(body))
		}
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrShape) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		readAll(inv.Message)
		for _, in := range inv.Institutions {
			readAll(in.Name, in.ID)
			for _, a := range in.Accounts {
				readAll(a.ID, a.FullAccountID, a.AccountID, a.Name, a.Type, a.Registered, a.Currency, a.Cash, a.AccountValue, a.CurrencyValue)
				for _, p := range a.Positions {
					readAll(p.Quantity, p.Price, p.MarketValue, p.BookValue, p.AverageCost, p.Currency, p.AsOfDate)
					readSecurity(p.Security)
				}
				for _, x := range a.Transactions {
					readAll(x.ID, x.Date, x.SettlementDate, x.Type, x.Description, x.Quantity, x.Price, x.Fees, x.NetAmount, x.Currency)
					readSecurity(x.Security)
				}
			}
		}
	})
}

func readSecurity(s *Security) {
	if s != nil {
		readAll(s.ID, s.Symbol, s.Name, s.Cusip, s.Isin, s.Type, s.Currency)
	}
}

func readAll(vs ...Value) {
	for _, v := range vs {
		v.String()
		v.Text()
		v.Ident()
		v.Decimal()
		v.Bool()
		v.Date()
		v.Time()
		v.Null()
	}
}
