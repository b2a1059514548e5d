package payload

import "encoding/json"

// This file holds the ADOPTED part of the payload: the fields of Positions,
// Transactions and Security, which Flinks' public material does not confirm
// (the sandbox, extract/flinkstest, serves this shape). Correct the shape
// here and nowhere else.

// Position is one holding of an account.
type Position struct {
	Index       int             // position in the "Positions" array, for JSON paths
	Raw         json.RawMessage // the whole object as sent
	Quantity    Value
	Price       Value
	MarketValue Value
	BookValue   Value
	AverageCost Value
	Currency    Value
	AsOfDate    Value
	Security    *Security // nil when absent or null
	Extra       Fields
	Problems    []Problem
}

// Transaction is one activity entry of an account.
type Transaction struct {
	Index          int             // position in the "Transactions" array, for JSON paths
	Raw            json.RawMessage // the whole object as sent
	ID             Value           // "Id"
	Date           Value
	SettlementDate Value
	Type           Value
	Description    Value
	Quantity       Value
	Price          Value
	Fees           Value
	NetAmount      Value
	Currency       Value
	Security       *Security // nil for cash movements
	Extra          Fields
	Problems       []Problem
}

// Security identifies a security by any of Id, Isin, Cusip, Symbol; any may be
// null or missing, and a reference may carry only some of them.
type Security struct {
	ID       Value // "Id"
	Symbol   Value
	Name     Value
	Cusip    Value
	Isin     Value
	Type     Value
	Currency Value
	Extra    Fields
	Problems []Problem
}

func (d *decoder) position(i int, p *Position) error {
	start := d.s.pos
	p.Index = i
	err := d.s.object(func(key []byte, escaped bool) error {
		name := memberName(key, escaped)
		var v *Value
		switch string(name) {
		case "Quantity":
			v = &p.Quantity
		case "Price":
			v = &p.Price
		case "MarketValue":
			v = &p.MarketValue
		case "BookValue":
			v = &p.BookValue
		case "AverageCost":
			v = &p.AverageCost
		case "Currency":
			v = &p.Currency
		case "AsOfDate":
			v = &p.AsOfDate
		case "Security":
			var err error
			p.Security, err = d.security(&p.Problems)
			return err
		default:
			return d.extra(&p.Extra, name)
		}
		return d.scalar(v, &p.Problems, name)
	})
	p.Raw = d.s.buf[start:d.s.pos:d.s.pos]
	return err
}

func (d *decoder) transaction(i int, t *Transaction) error {
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
		case "SettlementDate":
			v = &t.SettlementDate
		case "Type":
			v = &t.Type
		case "Description":
			v = &t.Description
		case "Quantity":
			v = &t.Quantity
		case "Price":
			v = &t.Price
		case "Fees":
			v = &t.Fees
		case "NetAmount":
			v = &t.NetAmount
		case "Currency":
			v = &t.Currency
		case "Security":
			var err error
			t.Security, err = d.security(&t.Problems)
			return err
		default:
			return d.extra(&t.Extra, name)
		}
		return d.scalar(v, &t.Problems, name)
	})
	t.Raw = d.s.buf[start:d.s.pos:d.s.pos]
	return err
}

// security reads a "Security" member. Null gives nil; anything but an object
// is recorded as a problem and gives nil.
func (d *decoder) security(problems *[]Problem) (*Security, error) {
	switch d.s.peek() {
	case '{':
	case 'n':
		return nil, d.s.literal("null")
	default:
		raw, err := d.s.value()
		if err != nil {
			return nil, err
		}
		*problems = append(*problems, Problem{Path: "Security", Reason: "expected an object, got " + kindName(raw[0])})
		return nil, nil
	}
	s := &Security{}
	err := d.s.object(func(key []byte, escaped bool) error {
		name := memberName(key, escaped)
		var v *Value
		switch string(name) {
		case "Id":
			v = &s.ID
		case "Symbol":
			v = &s.Symbol
		case "Name":
			v = &s.Name
		case "Cusip":
			v = &s.Cusip
		case "Isin":
			v = &s.Isin
		case "Type":
			v = &s.Type
		case "Currency":
			v = &s.Currency
		default:
			return d.extra(&s.Extra, name)
		}
		return d.scalar(v, &s.Problems, name)
	})
	return s, err
}
