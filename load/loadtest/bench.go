package loadtest

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/syncer/syncer/schema"
)

// PositionBatches returns batches for logins first ... first+logins-1 of the
// run of day, each holding only perLogin positions (over 4 accounts) and
// their scope: the bulk of a large sync, for throughput benchmarks. Rows
// are built on demand, so a benchmark can stream millions of them.
func PositionBatches(first, logins, perLogin int, day time.Time) []schema.Batch {
	day = schema.DateOf(day)
	runID := RunID(seed, day)
	synced := day.Add(6 * time.Hour)
	batches := make([]schema.Batch, logins)
	for i := range batches {
		login := LoginID(first + i)
		r := rng(seed, int64(first+i), dayNumber(day))
		rows := make([]schema.Row, perLogin)
		for p := range rows {
			qty := dec(r.Int64N(2_000_000_000)-100_000_000, int32(r.IntN(11)))
			price := dec(1+r.Int64N(50_000_000), int32(2+r.IntN(5)))
			rows[p] = fill(schema.Positions, map[string]any{
				"login_id": login, "account_id": fmt.Sprintf("acct-%d-%d", first+i, p%4),
				"security_key": fmt.Sprintf("sec-%06d", p), "as_of_date": day,
				"quantity": qty, "price": price, "market_value": mul(qty, price),
				"book_value": dec(r.Int64N(1_000_000_000), 2), "currency": "CAD",
				"run_id": runID, "synced_at": synced,
			})
		}
		batches[i] = schema.Batch{RunID: runID, LoginID: login,
			Rows:   map[string][]schema.Row{schema.Positions.Name: rows},
			Scopes: map[string][]schema.Row{schema.Positions.Name: {{login, day}}}}
	}
	return batches
}

// CopyFile copies the file at from to to (0600), such as a warehouse a
// benchmark loads once, untimed, and then starts each iteration from.
func CopyFile(tb testing.TB, from, to string) {
	tb.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		tb.Fatal(err)
	}
}
