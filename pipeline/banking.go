package pipeline

import (
	"time"

	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// bankingBatch turns a GetAccountsDetail body into the banking tables' rows,
// with the run's holder options.
func (r *runner) bankingBatch(body []byte, c transform.Context) (schema.Batch, transform.Stats, error) {
	c.KeepHolderPII, c.HolderSecret = r.o.KeepHolderPII, r.o.HolderSecret
	return transform.FromBankingJSON(body, c)
}

// mergeBatch adds b's rows and scopes to into. The logins registry gets one
// row per login however many products carried one: the one with the newest
// last_refresh_at.
func mergeBatch(into *schema.Batch, b schema.Batch) {
	for name, rows := range b.Rows {
		if name == schema.Logins.Name && len(into.Rows[name]) > 0 {
			into.Rows[name] = newestLoginRows(into.Rows[name], rows)
			continue
		}
		into.Rows[name] = append(into.Rows[name], rows...)
	}
	for name, scopes := range b.Scopes {
		into.Scopes[name] = append(into.Scopes[name], scopes...)
	}
}

// newestLoginRows merges two logins rows of one login into the one with the
// newest last_refresh_at (NULL is oldest).
func newestLoginRows(a, b []schema.Row) []schema.Row {
	if len(a) != 1 || len(b) != 1 {
		return append(a, b...)
	}
	i := schema.Logins.Index("last_refresh_at")
	ta, _ := a[0][i].(time.Time)
	tb, _ := b[0][i].(time.Time)
	if tb.After(ta) {
		return b
	}
	return a
}
