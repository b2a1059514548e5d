package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// This file holds the banking product's payload: the 200 body of
// GetAccountsDetail (and of its Async poll), as Flinks' API reference
// documents it. It is read by the same lenient scanner as
// /Investments: wrong types become Problems, unknown members Extra, numbers
// stay exact text.

// Banking is the 200 body of GetAccountsDetail / GetAccountsDetailAsync.
type Banking struct {
	HTTPStatusCode  Value // "HttpStatusCode"
	InstitutionName Value
	InstitutionID   Value // "InstitutionId"
	Institution     Value
	Login           *BankLogin // nil when absent, null or not an object
	RequestID       Value      // "RequestId"
	Accounts        []BankAccount
	Extra           Fields
	Problems        []Problem
}

// BankLogin is the payload's "Login" object. Username is the person's login
// name at the bank: personal data, never stored. Its other members (Type,
// IsScheduledRefresh, ...) are kept in Extra.
type BankLogin struct {
	ID          Value // "Id": the LoginId
	Username    Value
	LastRefresh Value // when Flinks last refreshed the data; zone-less UTC
	Extra       Fields
	Problems    []Problem
}

// BankAccount is one element of "Accounts". AccountNumber is sensitive.
type BankAccount struct {
	Index             int   // position in the "Accounts" array, for JSON paths
	ID                Value // "Id": Flinks' stable id of the account
	Title             Value
	AccountNumber     Value
	LastFourDigits    Value
	TransitNumber     Value
	InstitutionNumber Value
	OverdraftLimit    Value
	Balance           *BankBalance // nil when absent, null or not an object
	Category          Value
	Type              Value
	Currency          Value
	AccountType       Value
	Holder            *Holder // nil when absent, null or not an object
	Transactions      []BankTransaction
	Extra             Fields
	Problems          []Problem
}

// BankBalance is an account's "Balance" object.
type BankBalance struct {
	Available, Current, Limit Value
	Extra                     Fields
	Problems                  []Problem
}

// Holder is an account's "Holder": personal data throughout. The payload
// has one per account; a joint account's holders come as one Holder (e.g.
// Name "A & B").
type Holder struct {
	Name        Value
	Email       Value
	PhoneNumber Value
	Address     *HolderAddress // nil when absent, null or not an object
	Extra       Fields
	Problems    []Problem
}

// HolderAddress is a Holder's "Address".
type HolderAddress struct {
	CivicAddress Value
	City         Value
	Province     Value
	PostalCode   Value
	POBox        Value // "POBox"
	Country      Value
	Extra        Fields
	Problems     []Problem
}

// BankTransaction is one element of an account's "Transactions". Debit and
// Credit are positive, one-sided amounts (normally one of them is null);
// Balance is the account's running balance after the transaction.
type BankTransaction struct {
	Index       int             // position in the "Transactions" array, for JSON paths
	Raw         json.RawMessage // the whole object as sent
	ID          Value           // "Id"
	Date        Value           // "YYYY-MM-DD" or "YYYY/MM/DD": read with Value.BankingDate
	Code        Value
	Description Value
	Debit       Value
	Credit      Value
	Balance     Value
	Extra       Fields
	Problems    []Problem
}

// shapeError is an ErrShape whose text names the payload that was expected.
type shapeError struct{ text string }

func (e *shapeError) Error() string        { return e.text }
func (e *shapeError) Is(target error) bool { return target == ErrShape }

// errNotBanking is ErrShape for a body that is not a GetAccountsDetail payload.
var errNotBanking error = &shapeError{text: "not a banking payload"}

// DecodeBanking parses one GetAccountsDetail 200 body in a single pass, as
// Decode does an /Investments one. Only input that is not JSON (ErrSyntax),
// or whose top level is not an object with an "Accounts" array or null
// (ErrShape), fails; the errors never contain payload values. The result
// refers to a private copy of body.
func DecodeBanking(body []byte) (*Banking, error) {
	d := &decoder{s: scanner{buf: bytes.Clone(body)}}
	bk, err := d.bankingTop()
	if errors.Is(err, errSyntax) {
		return nil, fmt.Errorf("%w (%d bytes)", ErrSyntax, len(body))
	}
	return bk, err
}

func (d *decoder) bankingTop() (*Banking, error) {
	s := &d.s
	if s.peek() != '{' {
		if err := s.skipSpaceAnd(); err != nil {
			return nil, err
		}
		if err := d.end(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: top level is not an object", errNotBanking)
	}
	bk := &Banking{}
	found, isList := false, false
	err := s.object(func(key []byte, escaped bool) error {
		name := memberName(key, escaped)
		var v *Value
		switch string(name) {
		case "Accounts":
			found = true
			isNull := s.peek() == 'n'
			var err error
			bk.Accounts, isList, err = list(d, &d.bankAccounts, &bk.Problems, "Accounts", d.bankAccount)
			isList = isList || isNull
			return err
		case "Login":
			var err error
			bk.Login, err = child(d, &bk.Problems, "Login", d.bankLogin)
			return err
		case "HttpStatusCode":
			v = &bk.HTTPStatusCode
		case "InstitutionName":
			v = &bk.InstitutionName
		case "InstitutionId":
			v = &bk.InstitutionID
		case "Institution":
			v = &bk.Institution
		case "RequestId":
			v = &bk.RequestID
		default:
			return d.extra(&bk.Extra, name)
		}
		return d.scalar(v, &bk.Problems, name)
	})
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: no Accounts member", errNotBanking)
	}
	if !isList {
		return nil, fmt.Errorf("%w: Accounts is not an array", errNotBanking)
	}
	return bk, nil
}

// child reads a member that must be an object into a new T with read. Null
// gives nil; any other JSON type is recorded as a problem at name and gives
// nil.
func child[T any](d *decoder, problems *[]Problem, name string, read func(*T) error) (*T, error) {
	switch d.s.peek() {
	case '{':
	case 'n':
		return nil, d.s.literal("null")
	default:
		raw, err := d.s.value()
		if err != nil {
			return nil, err
		}
		*problems = append(*problems, Problem{Path: name, Reason: "expected an object, got " + kindName(raw[0])})
		return nil, nil
	}
	out := new(T)
	return out, read(out)
}

func (d *decoder) bankLogin(l *BankLogin) error {
	return d.s.object(func(key []byte, escaped bool) error {
		name := memberName(key, escaped)
		var v *Value
		switch string(name) {
		case "Id":
			v = &l.ID
		case "Username":
			v = &l.Username
		case "LastRefresh":
			v = &l.LastRefresh
		default:
			return d.extra(&l.Extra, name)
		}
		return d.scalar(v, &l.Problems, name)
	})
}

func (d *decoder) bankAccount(i int, a *BankAccount) error {
	a.Index = i
	return d.s.object(func(key []byte, escaped bool) error {
		name := memberName(key, escaped)
		var v *Value
		var err error
		switch string(name) {
		case "Id":
			v = &a.ID
		case "Title":
			v = &a.Title
		case "AccountNumber":
			v = &a.AccountNumber
		case "LastFourDigits":
			v = &a.LastFourDigits
		case "TransitNumber":
			v = &a.TransitNumber
		case "InstitutionNumber":
			v = &a.InstitutionNumber
		case "OverdraftLimit":
			v = &a.OverdraftLimit
		case "Category":
			v = &a.Category
		case "Type":
			v = &a.Type
		case "Currency":
			v = &a.Currency
		case "AccountType":
			v = &a.AccountType
		case "Balance":
			a.Balance, err = child(d, &a.Problems, "Balance", d.bankBalance)
			return err
		case "Holder":
			a.Holder, err = child(d, &a.Problems, "Holder", d.holder)
			return err
		case "Transactions":
			a.Transactions, _, err = list(d, &d.bankTransactions, &a.Problems, "Transactions", d.bankTransaction)
			return err
		default:
			return d.extra(&a.Extra, name)
		}
		return d.scalar(v, &a.Problems, name)
	})
}

func (d *decoder) bankBalance(b *BankBalance) error {
	return d.s.object(func(key []byte, escaped bool) error {
		name := memberName(key, escaped)
		var v *Value
		switch string(name) {
		case "Available":
			v = &b.Available
		case "Current":
			v = &b.Current
		case "Limit":
			v = &b.Limit
		default:
			return d.extra(&b.Extra, name)
		}
		return d.scalar(v, &b.Problems, name)
	})
}

func (d *decoder) holder(h *Holder) error {
	return d.s.object(func(key []byte, escaped bool) error {
		name := memberName(key, escaped)
		var v *Value
		switch string(name) {
		case "Name":
			v = &h.Name
		case "Email":
			v = &h.Email
		case "PhoneNumber":
			v = &h.PhoneNumber
		case "Address":
			var err error
			h.Address, err = child(d, &h.Problems, "Address", d.holderAddress)
			return err
		default:
			return d.extra(&h.Extra, name)
		}
		return d.scalar(v, &h.Problems, name)
	})
}

func (d *decoder) holderAddress(a *HolderAddress) error {
	return d.s.object(func(key []byte, escaped bool) error {
		name := memberName(key, escaped)
		var v *Value
		switch string(name) {
		case "CivicAddress":
			v = &a.CivicAddress
		case "City":
			v = &a.City
		case "Province":
			v = &a.Province
		case "PostalCode":
			v = &a.PostalCode
		case "POBox":
			v = &a.POBox
		case "Country":
			v = &a.Country
		default:
			return d.extra(&a.Extra, name)
		}
		return d.scalar(v, &a.Problems, name)
	})
}

func (d *decoder) bankTransaction(i int, t *BankTransaction) error {
	start := d.s.pos
	t.Index = i
	err := d.s.object(func(key []byte, escaped bool) error {
		name := memberName(key, escaped)
		var v *Value
		switch string(name) {
		case "Id":
			v = &t.ID
		case "Date":
			v = &t.Date
		case "Code":
			v = &t.Code
		case "Description":
			v = &t.Description
		case "Debit":
			v = &t.Debit
		case "Credit":
			v = &t.Credit
		case "Balance":
			v = &t.Balance
		default:
			return d.extra(&t.Extra, name)
		}
		return d.scalar(v, &t.Problems, name)
	})
	t.Raw = d.s.buf[start:d.s.pos:d.s.pos]
	return err
}
