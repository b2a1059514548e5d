package load

import (
	"time"

	"github.com/syncer/syncer/schema"
)

// Batches for the journal and Multi tests (the Parquet sink's tests build
// theirs alike).

// row builds a row of t from column values by name; absent columns are NULL.
func row(t *schema.Table, vals map[string]any) schema.Row {
	r := make(schema.Row, len(t.Columns))
	for name, v := range vals {
		i := t.Index(name)
		if i < 0 {
			panic("no column " + name + " in " + t.Name)
		}
		r[i] = v
	}
	return r
}

func dec(s string) schema.Decimal { return schema.MustDecimal(s) }

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

var testSyncedAt = time.Date(2025, 1, 31, 14, 30, 0, 123456000, time.UTC)

func positionRow(login, account, security, asOf, qty string) schema.Row {
	return row(schema.Positions, map[string]any{
		"login_id": login, "account_id": account, "security_key": security, "as_of_date": day(asOf),
		"quantity": dec(qty), "price": dec("10.5"), "market_value": dec(qty),
		"currency": "CAD", "run_id": "run-1", "synced_at": testSyncedAt,
	})
}

func accountRow(login, account, cash string) schema.Row {
	return row(schema.Accounts, map[string]any{
		"login_id": login, "account_id": account, "name": "TFSA " + account, "currency": "CAD",
		"cash": dec(cash), "run_id": "run-1", "synced_at": testSyncedAt, "registered": true,
	})
}

// positionsBatch is one login's batch: its accounts and a positions snapshot
// for asOf (replacing that login's snapshot for the date).
func positionsBatch(run, login, asOf string, positions ...schema.Row) schema.Batch {
	return schema.Batch{
		RunID: run, LoginID: login,
		Rows: map[string][]schema.Row{
			schema.Accounts.Name:  {accountRow(login, "A1", "100.25")},
			schema.Positions.Name: positions,
		},
		Scopes: map[string][]schema.Row{schema.Positions.Name: {{login, day(asOf)}}},
	}
}
