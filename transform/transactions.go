package transform

import (
	"time"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

// transactionCols is the order in which transactionRows gives the
// transactions columns.
var transactionCols = schema.Transactions.Layout(
	"login_id", "account_id", "transaction_id", "date", "settlement_date", "type", "type_raw", "description", "security_key",
	"quantity", "price", "fees", "net_amount", "currency", "run_id", "synced_at", "extra",
	"first_seen_at", "updated_at", "removed_at",
)

// transactionsScopeCols is the order of a transactions scope's columns.
var transactionsScopeCols = schema.Transactions.ScopeLayout("login_id", "account_id", schema.ScopeFrom, schema.ScopeTo, schema.ScopeAt)

// transactionRows loads the account's transactions. One without an Id, or
// with a member that cannot be read, is quarantined; of several readable
// transactions with the same Id, the first in payload order loads and the
// others are quarantined.
func (t *transformer) transactionRows(a *account) {
	seen := map[string]bool{}
	a.transactionsWhole = !unreadable(a.src.Problems, "Transactions")
	for i := range a.src.Transactions {
		x := &a.src.Transactions[i]
		at := &elemPath{a.path, "Transactions", x.Index}
		r := reader{elem: at, box: t.box}
		for _, pr := range x.Problems {
			r.errs = append(r.errs, fieldErr{path: join(at.String(), pr.Path), reason: pr.Reason})
		}
		t.securityProblems(at, x.Security)
		id := r.ident("Id", x.ID)
		if id == nil && !hasErr(r.errs, at.String()+".Id") {
			r.errs = append(r.errs, fieldErr{path: at.String() + ".Id", reason: "transaction has no Id"})
		}
		date := r.date("Date", x.Date)
		settled := r.date("SettlementDate", x.SettlementDate)
		typeRaw := a.mask.hide(r.text("Type", x.Type))
		description := a.mask.describe(r.text("Description", x.Description))
		currency := r.currency("Currency", x.Currency)
		qty := r.decimal("Quantity", x.Quantity)
		price := r.decimal("Price", x.Price)
		fees := r.decimal("Fees", x.Fees)
		net := r.decimal("NetAmount", x.NetAmount)
		if len(r.errs) > 0 {
			t.quarantine(a, schema.Transactions.Name, "transaction", x.Raw, r.errs)
			a.transactionsWhole = false
			continue
		}
		if seen[id.(string)] {
			t.rejected.add(at.String(), schema.Transactions.Name, "duplicate transaction Id in the account; the first occurrence is kept", a.mask.fragment(x.Raw))
			continue
		}
		seen[id.(string)] = true

		var typ any
		if s, ok := typeRaw.(string); ok {
			typ, typeRaw = t.box.txType(s)
		}
		var security any
		var more map[string]any
		if x.Security != nil {
			if key, ref := t.securities.key(a.transactionRefs[i]); key != "" {
				security = t.box.str(key)
				t.securities.use(key, x.Security, ref)
			} else {
				// A security with no identifier cannot be keyed; keep what it says.
				more = map[string]any{"Security": securityJSON(x.Security, a.mask)}
			}
		}
		if d, ok := date.(time.Time); ok {
			if a.firstDate.IsZero() || d.Before(a.firstDate) {
				a.firstDate = d
			}
			if d.After(a.lastDate) {
				a.lastDate = d
			}
		}
		t.transactions = append(t.transactions, t.txRow.row(
			t.loginID, a.id, id, date, settled, typ, typeRaw, description, security,
			qty, price, fees, net, currency, t.runID, t.syncedAt, a.mask.extra(x.Extra, more),
			t.syncedAt, nil, nil, // first_seen_at, updated_at, removed_at: as a first sighting leaves them (the sink derives them)
		))
	}
}

// transactionScope returns the account's transactions scope: the login, the
// account, the first and last date of its loaded transactions, and the sync
// instant; nil when one of its transactions could not be loaded (the batch
// cannot tell which is missing) or none has a date.
func (t *transformer) transactionScope(a *account) schema.Row {
	if !a.transactionsWhole || a.firstDate.IsZero() {
		return nil
	}
	return transactionsScopeCols.Row(t.loginID, a.id, a.firstDate, a.lastDate, t.syncedAt)
}

func hasErr(errs []fieldErr, path string) bool {
	for _, e := range errs {
		if e.path == path {
			return true
		}
	}
	return false
}

// securityJSON renders a security reference that has no identifier, for extra.
func securityJSON(s *payload.Security, m masker) any {
	f := payload.Fields{}
	for name, v := range map[string]payload.Value{"Name": s.Name, "Type": s.Type, "Currency": s.Currency} {
		if !v.Missing() {
			f[name] = v.Raw()
		}
	}
	for k, v := range s.Extra {
		f[k] = v
	}
	return rawJSON(m.extra(f, nil))
}
