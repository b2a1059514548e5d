package transform

import (
	"encoding/json"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

// accountCols is the order in which accountRow gives the accounts columns.
var accountCols = schema.Accounts.Layout(
	"login_id", "account_id", "institution", "institution_id", "name", "type", "registered", "currency",
	"cash", "account_value", "currency_value", "account_number", "full_account_label",
	"run_id", "synced_at", "extra",
	"last_seen_at", "closed_at",
)

// accountsScopeCols is the order of the accounts scope's columns.
var accountsScopeCols = schema.Accounts.ScopeLayout("login_id", schema.ScopeAt)

// accountRow builds the accounts row. A member that cannot be read is loaded
// as NULL and quarantined by path: the account still loads, since its
// positions and transactions hang on it.
func (t *transformer) accountRow(a *account, in *payload.Institution) schema.Row {
	src := a.src
	r := reader{base: a.path, box: t.box}
	ir := reader{base: a.ipath}
	institution := a.mask.hide(ir.text("Name", in.Name))
	institutionID := ir.ident("Id", in.ID)
	name := a.mask.hide(r.text("Name", src.Name))
	typ := a.mask.hide(r.text("Type", src.Type))
	registered := r.boolean("Registered", src.Registered)
	currency := r.currency("Currency", src.Currency)
	cash := r.decimal("Cash", src.Cash)
	value := r.decimal("AccountValue", src.AccountValue)
	currencyValue := r.decimal("CurrencyValue", src.CurrencyValue)
	var label any
	if s, ok := r.text("FullAccountId", src.FullAccountID).(string); ok {
		label = a.mask.text(s)
	}
	if _, _, err := src.AccountID.Ident(); err != nil {
		r.fail("AccountId", err)
	}
	for _, e := range append(ir.errs, r.errs...) {
		t.rejected.add(e.path, schema.Accounts.Name, e.reason+"; loaded as NULL", nil)
	}
	if d, ok := cash.(schema.Decimal); ok {
		a.cash = &d
	}
	if d, ok := value.(schema.Decimal); ok {
		a.value = &d
	}
	var more map[string]any
	if len(in.Extra) > 0 {
		// The institution's unknown members ride along on each of its accounts.
		more = map[string]any{"_institution": rawJSON(a.mask.extra(in.Extra, nil))}
	}
	return accountCols.Row(
		t.loginID, a.id, institution, institutionID, name, typ, registered, currency,
		cash, value, currencyValue, a.mask.accountNumber(), label,
		t.runID, t.syncedAt, a.mask.extra(src.Extra, more),
		t.syncedAt, nil, // last_seen_at, closed_at: as a first sighting leaves them (the sink derives them)
	)
}

// rawJSON embeds a JSON string produced by masker.extra in another document.
func rawJSON(v any) any {
	if s, ok := v.(string); ok {
		return json.RawMessage(s)
	}
	return nil
}
