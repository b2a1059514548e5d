package payload

import "encoding/json"

// This file holds the ADOPTED part of the payload: the fields of Positions,
// Transactions and Security, which Flinks' public material does not confirm
// (flinks-api.md). Correct the shape here and nowhere else.

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

func decodePosition(i int, raw json.RawMessage) (Position, error) {
	m, err := object(raw)
	if err != nil {
		return Position{}, err
	}
	p := Position{Index: i, Raw: raw}
	d := decoder{problems: &p.Problems}
	p.Quantity = d.value(m, "Quantity")
	p.Price = d.value(m, "Price")
	p.MarketValue = d.value(m, "MarketValue")
	p.BookValue = d.value(m, "BookValue")
	p.AverageCost = d.value(m, "AverageCost")
	p.Currency = d.value(m, "Currency")
	p.AsOfDate = d.value(m, "AsOfDate")
	p.Security = d.security(m)
	p.Extra = rest(m)
	return p, nil
}

func decodeTransaction(i int, raw json.RawMessage) (Transaction, error) {
	m, err := object(raw)
	if err != nil {
		return Transaction{}, err
	}
	t := Transaction{Index: i, Raw: raw}
	d := decoder{problems: &t.Problems}
	t.ID = d.value(m, "Id")
	t.Date = d.value(m, "Date")
	t.SettlementDate = d.value(m, "SettlementDate")
	t.Type = d.value(m, "Type")
	t.Description = d.value(m, "Description")
	t.Quantity = d.value(m, "Quantity")
	t.Price = d.value(m, "Price")
	t.Fees = d.value(m, "Fees")
	t.NetAmount = d.value(m, "NetAmount")
	t.Currency = d.value(m, "Currency")
	t.Security = d.security(m)
	t.Extra = rest(m)
	return t, nil
}

// security takes the "Security" member out of m. Null or missing gives nil;
// anything but an object is recorded as a problem.
func (d *decoder) security(m map[string]json.RawMessage) *Security {
	raw, ok := m["Security"]
	if !ok {
		return nil
	}
	delete(m, "Security")
	if isNull(raw) {
		return nil
	}
	sm, err := object(raw)
	if err != nil {
		d.add("Security", err.Error())
		return nil
	}
	s := &Security{}
	sd := decoder{problems: &s.Problems}
	s.ID = sd.value(sm, "Id")
	s.Symbol = sd.value(sm, "Symbol")
	s.Name = sd.value(sm, "Name")
	s.Cusip = sd.value(sm, "Cusip")
	s.Isin = sd.value(sm, "Isin")
	s.Type = sd.value(sm, "Type")
	s.Currency = sd.value(sm, "Currency")
	s.Extra = rest(sm)
	return s
}
