// Package payload holds the Flinks response types and their decoders: the
// one place where the payloads' shapes are written down. Decode reads an
// /Investments body; DecodeBanking a GetAccountsDetail one (banking.go).
//
// The top level and the account fields are confirmed by Flinks' documentation.
// The fields inside Positions, Transactions and Security are ADOPTED, not
// confirmed by Flinks' public documentation (the sandbox, extract/flinkstest,
// serves the adopted shape): they live only in position.go so they can be
// corrected without touching the rest of the pipeline.
//
// Decoding is lenient below the top level: a field of the wrong JSON type, an
// array element that is not an object, or a number that is not a number is
// recorded as a Problem on the enclosing object (with its JSON path) instead
// of failing the whole payload, and fields this package does not know are kept
// in Extra. Only input that is not JSON at all, or whose top level is not
// {"Investments": [...]} ({"Accounts": [...]} for DecodeBanking), fails.
package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Investments is the 200 body of POST /Investments.
type Investments struct {
	Institutions []Institution // "Investments"
	Message      Value
	Extra        Fields
	Problems     []Problem
}

// Institution is one element of "Investments".
type Institution struct {
	Index    int // position in the "Investments" array, for JSON paths
	Name     Value
	ID       Value // "Id"
	Accounts []Account
	Extra    Fields
	Problems []Problem
}

// Account is one investment account. AccountID and FullAccountID carry the
// account number and are sensitive.
type Account struct {
	Index         int   // position in the "Accounts" array, for JSON paths
	ID            Value // "Id": Flinks' stable id of the account
	FullAccountID Value // "FullAccountId": institution's label, contains the number
	AccountID     Value // "AccountId": the account number, cleaned
	Name          Value
	Type          Value
	Registered    Value
	Currency      Value
	Cash          Value
	AccountValue  Value
	CurrencyValue Value
	Positions     []Position
	Transactions  []Transaction
	Extra         Fields
	Problems      []Problem
}

// Fields holds object members this package does not know, kept verbatim.
type Fields map[string]json.RawMessage

// Problem is a part of the payload that could not be read as its expected
// type. Path is relative to the object that records it ("Positions[3]",
// "Cash"); Reason never contains the value itself.
type Problem struct {
	Path   string
	Reason string
}

// ErrShape is wrapped by Decode when the input is JSON but not an
// investments payload: the login cannot be used.
var ErrShape = errors.New("not an investments payload")

// ErrSyntax is wrapped by Decode when the input is not valid JSON, which
// includes a body cut short in transit.
var ErrSyntax = errors.New("payload is not valid JSON")

// Decode parses one /Investments 200 body in a single pass. The result
// refers to a private copy of body, so the caller may reuse body afterwards.
func Decode(body []byte) (*Investments, error) {
	d := &decoder{s: scanner{buf: bytes.Clone(body)}}
	inv, err := d.top()
	if errors.Is(err, errSyntax) {
		return nil, fmt.Errorf("%w (%d bytes)", ErrSyntax, len(body))
	}
	return inv, err
}

// decoder reads the payload's objects straight from the scanner.
type decoder struct {
	s scanner
	// Scratch slices for list; no list nests another of its own type.
	institutions []Institution
	accounts     []Account
	positions    []Position
	transactions []Transaction
	// The same for the banking payload (banking.go).
	bankAccounts     []BankAccount
	bankTransactions []BankTransaction
}

func (d *decoder) top() (*Investments, error) {
	s := &d.s
	if s.peek() != '{' {
		if err := s.skipSpaceAnd(); err != nil {
			return nil, err
		}
		if err := d.end(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: top level is not an object", ErrShape)
	}
	inv := &Investments{}
	found, isList := false, false
	err := s.object(func(key []byte, escaped bool) error {
		name := memberName(key, escaped)
		switch string(name) {
		case "Investments":
			found = true
			isNull := s.peek() == 'n'
			var err error
			inv.Institutions, isList, err = list(d, &d.institutions, &inv.Problems, "Investments", d.institution)
			isList = isList || isNull
			return err
		case "Message":
			return d.scalar(&inv.Message, &inv.Problems, name)
		}
		return d.extra(&inv.Extra, name)
	})
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: no Investments member", ErrShape)
	}
	if !isList {
		return nil, fmt.Errorf("%w: Investments is not an array", ErrShape)
	}
	return inv, nil
}

// end fails unless only space follows.
func (d *decoder) end() error {
	d.s.skipSpace()
	if d.s.pos < len(d.s.buf) {
		return d.s.fail("trailing data")
	}
	return nil
}

func (d *decoder) institution(i int, in *Institution) error {
	in.Index = i
	return d.s.object(func(key []byte, escaped bool) error {
		name := memberName(key, escaped)
		switch string(name) {
		case "Name":
			return d.scalar(&in.Name, &in.Problems, name)
		case "Id":
			return d.scalar(&in.ID, &in.Problems, name)
		case "Accounts":
			var err error
			in.Accounts, _, err = list(d, &d.accounts, &in.Problems, "Accounts", d.account)
			return err
		}
		return d.extra(&in.Extra, name)
	})
}

func (d *decoder) account(i int, a *Account) error {
	a.Index = i
	return d.s.object(func(key []byte, escaped bool) error {
		name := memberName(key, escaped)
		var v *Value
		switch string(name) {
		case "Id":
			v = &a.ID
		case "FullAccountId":
			v = &a.FullAccountID
		case "AccountId":
			v = &a.AccountID
		case "Name":
			v = &a.Name
		case "Type":
			v = &a.Type
		case "Registered":
			v = &a.Registered
		case "Currency":
			v = &a.Currency
		case "Cash":
			v = &a.Cash
		case "AccountValue":
			v = &a.AccountValue
		case "CurrencyValue":
			v = &a.CurrencyValue
		case "Positions":
			var err error
			a.Positions, _, err = list(d, &d.positions, &a.Problems, "Positions", d.position)
			return err
		case "Transactions":
			var err error
			a.Transactions, _, err = list(d, &d.transactions, &a.Problems, "Transactions", d.transaction)
			return err
		default:
			return d.extra(&a.Extra, name)
		}
		return d.scalar(v, &a.Problems, name)
	})
}

// scalar reads a member that must be a scalar. An object or array is
// recorded as a problem and the member reads as missing.
func (d *decoder) scalar(v *Value, problems *[]Problem, name []byte) error {
	raw, err := d.s.value()
	if err != nil {
		return err
	}
	if k := raw[0]; k == '{' || k == '[' {
		*problems = append(*problems, Problem{Path: string(name), Reason: "expected a scalar, got " + kindName(k)})
		*v = Value{}
		return nil
	}
	*v = Value{raw: raw}
	return nil
}

// extra keeps an unknown member verbatim.
func (d *decoder) extra(f *Fields, name []byte) error {
	raw, err := d.s.value()
	if err != nil {
		return err
	}
	if *f == nil {
		*f = Fields{}
	}
	(*f)[string(name)] = raw
	return nil
}

// list reads an array of objects element by element. An element that is not
// an object is recorded as a problem at name[i] and left out; the others are
// kept. isList is false when the member is not an array (null included).
func list[T any](d *decoder, scratch *[]T, problems *[]Problem, name string, each func(int, *T) error) (out []T, isList bool, err error) {
	s := &d.s
	switch s.peek() {
	case '[':
	case 'n':
		return nil, false, s.literal("null")
	default:
		raw, err := s.value()
		if err != nil {
			return nil, false, err
		}
		*problems = append(*problems, Problem{Path: name, Reason: "expected an array, got " + kindName(raw[0])})
		return nil, false, nil
	}
	// Elements are decoded in place into a scratch slice reused across
	// lists, then copied once into an exact-size result: the structs are
	// large, and growing a slice of them element by element is costly.
	work := (*scratch)[:0]
	defer func() {
		out = append(make([]T, 0, len(work)), work...)
		clear(work)
		*scratch = work[:0]
	}()
	err = s.array(func(i int) error {
		if s.pos < len(s.buf) && s.buf[s.pos] == '{' {
			var zero T
			work = append(work, zero)
			return each(i, &work[len(work)-1])
		}
		raw, err := s.value()
		if err != nil {
			return err
		}
		*problems = append(*problems, Problem{Path: name + "[" + strconv.Itoa(i) + "]", Reason: "expected an object, got " + kindName(raw[0])})
		return nil
	})
	return out, true, err
}

// memberName returns a member's name from its key: the text between the
// quotes, unescaped when needed.
func memberName(key []byte, escaped bool) []byte {
	if !escaped {
		return key[1 : len(key)-1]
	}
	var name string
	_ = json.Unmarshal(key, &name) // the scanner has validated it
	return []byte(name)
}
