// Package payload holds the Flinks /Investments response types and their
// decoder: the one place where the payload's shape is written down.
//
// The top level and the account fields are confirmed by Flinks' documentation.
// The fields inside Positions, Transactions and Security are ADOPTED, not
// confirmed (see flinks-api.md): they live only in position.go so they can be
// corrected without touching the rest of the pipeline.
//
// Decoding is lenient below the top level: a field of the wrong JSON type, an
// array element that is not an object, or a number that is not a number is
// recorded as a Problem on the enclosing object (with its JSON path) instead
// of failing the whole payload, and fields this package does not know are kept
// in Extra. Only input that is not JSON at all, or whose top level is not
// {"Investments": [...]}, fails Decode.
package payload

import (
	"encoding/json"
	"errors"
	"fmt"
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

// Decode parses one /Investments 200 body.
func Decode(body []byte) (*Investments, error) {
	if !json.Valid(body) {
		return nil, fmt.Errorf("%w (%d bytes)", ErrSyntax, len(body))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("%w: top level is not an object", ErrShape)
	}
	raw, ok := top["Investments"]
	if !ok {
		return nil, fmt.Errorf("%w: no Investments member", ErrShape)
	}
	inv := &Investments{}
	d := decoder{problems: &inv.Problems}
	var ok2 bool
	inv.Institutions, ok2 = decodeList(&d, "Investments", raw, decodeInstitution)
	if !ok2 && !isNull(raw) {
		return nil, fmt.Errorf("%w: Investments is not an array", ErrShape)
	}
	delete(top, "Investments")
	inv.Message = d.value(top, "Message")
	inv.Extra = rest(top)
	return inv, nil
}

func decodeInstitution(i int, raw json.RawMessage) (Institution, error) {
	m, err := object(raw)
	if err != nil {
		return Institution{}, err
	}
	in := Institution{Index: i}
	d := decoder{problems: &in.Problems}
	in.Name = d.value(m, "Name")
	in.ID = d.value(m, "Id")
	if a, ok := m["Accounts"]; ok {
		in.Accounts, _ = decodeList(&d, "Accounts", a, decodeAccount)
		delete(m, "Accounts")
	}
	in.Extra = rest(m)
	return in, nil
}

func decodeAccount(i int, raw json.RawMessage) (Account, error) {
	m, err := object(raw)
	if err != nil {
		return Account{}, err
	}
	a := Account{Index: i}
	d := decoder{problems: &a.Problems}
	a.ID = d.value(m, "Id")
	a.FullAccountID = d.value(m, "FullAccountId")
	a.AccountID = d.value(m, "AccountId")
	a.Name = d.value(m, "Name")
	a.Type = d.value(m, "Type")
	a.Registered = d.value(m, "Registered")
	a.Currency = d.value(m, "Currency")
	a.Cash = d.value(m, "Cash")
	a.AccountValue = d.value(m, "AccountValue")
	a.CurrencyValue = d.value(m, "CurrencyValue")
	if p, ok := m["Positions"]; ok {
		a.Positions, _ = decodeList(&d, "Positions", p, decodePosition)
		delete(m, "Positions")
	}
	if t, ok := m["Transactions"]; ok {
		a.Transactions, _ = decodeList(&d, "Transactions", t, decodeTransaction)
		delete(m, "Transactions")
	}
	a.Extra = rest(m)
	return a, nil
}

// decoder collects the problems of one object while its members are read.
type decoder struct{ problems *[]Problem }

func (d *decoder) add(path, reason string) {
	*d.problems = append(*d.problems, Problem{Path: path, Reason: reason})
}

// value takes member key out of m as a scalar Value. A member that is an
// object or array is recorded as a problem and left out.
func (d *decoder) value(m map[string]json.RawMessage, key string) Value {
	raw, ok := m[key]
	if !ok {
		return Value{}
	}
	delete(m, key)
	v := Value{raw: raw, present: true}
	if k := v.kind(); k == '{' || k == '[' {
		d.add(key, "expected a scalar, got "+kindName(k))
		return Value{}
	}
	return v
}

// object decodes raw as a JSON object, or says what it is instead.
func object(raw json.RawMessage) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("expected an object, got %s", kindName(Value{raw: raw}.kind()))
	}
	return m, nil
}

// decodeList decodes a JSON array element by element. An element that fails
// is recorded as a problem at name[i] and left out; the others are kept. It
// returns false when raw is not an array at all.
func decodeList[T any](d *decoder, name string, raw json.RawMessage, each func(int, json.RawMessage) (T, error)) ([]T, bool) {
	if isNull(raw) {
		return nil, false
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		d.add(name, "expected an array, got "+kindName(Value{raw: raw}.kind()))
		return nil, false
	}
	out := make([]T, 0, len(elems))
	for i, e := range elems {
		v, err := each(i, e)
		if err != nil {
			d.add(fmt.Sprintf("%s[%d]", name, i), err.Error())
			continue
		}
		out = append(out, v)
	}
	return out, true
}

func rest(m map[string]json.RawMessage) Fields {
	if len(m) == 0 {
		return nil
	}
	return Fields(m)
}

func isNull(raw json.RawMessage) bool { return Value{raw: raw}.kind() == 'n' }
