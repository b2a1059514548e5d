package loadtest

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math/big"
	"testing"

	"github.com/syncer/syncer/schema"
)

// awkward are decimals whose scales differ from the columns' 18 and from each
// other, including the extremes DECIMAL(38,18) holds.
var awkward = []schema.Decimal{
	schema.MustDecimal("0.000000000000000001"),
	schema.MustDecimal("-0.000000000000000001"),
	schema.MustDecimal("99999999999999999999.999999999999999999"),
	schema.MustDecimal("-12345678901234567890.123456789012345678"),
	schema.MustDecimal("0.1"),
	schema.MustDecimal("1E+5"),
	schema.MustDecimal("0"),
	schema.MustDecimal("-7.5"),
	{Unscaled: big.NewInt(12345), Scale: 2}, // the Appender scale trap: 123.45, not 0.12345
	{Unscaled: big.NewInt(1230000), Scale: 4},
	{Unscaled: big.NewInt(-5), Scale: 0},
}

// decimalBatch holds one position per awkward value, in quantity, price and
// market_value.
func decimalBatch(login string) schema.Batch {
	runID := RunID(seed, Day1)
	b := schema.Batch{RunID: runID, LoginID: login, Rows: map[string][]schema.Row{},
		Scopes: map[string][]schema.Row{"positions": {{login, Day1}}}}
	for i, d := range awkward {
		b.Rows["positions"] = append(b.Rows["positions"], fill(schema.Positions, map[string]any{
			"login_id": login, "account_id": "acct", "security_key": fmt.Sprintf("sec-%02d", i), "as_of_date": Day1,
			"quantity": d, "price": d, "market_value": d, "currency": "CAD", "run_id": runID, "synced_at": Day1,
		}))
	}
	return b
}

func (s *suite) testDecimals(t *testing.T) {
	dir := t.TempDir()
	login := "login-decimals"
	s.load(t, dir, []schema.Batch{decimalBatch(login)})
	s.read(t, dir, func(db *sql.DB) {
		sum := schema.Decimal{}
		for i, want := range awkward {
			sum = sum.Add(want)
			for _, column := range []string{"quantity", "price", "market_value"} {
				text := queryString(t, db, fmt.Sprintf("SELECT CAST(%s AS VARCHAR) FROM positions WHERE login_id = ? AND security_key = ?", column), login, fmt.Sprintf("sec-%02d", i))
				got, err := schema.ParseDecimal(text)
				if err != nil || got.Cmp(want) != 0 {
					t.Errorf("%s %s read back as %s, want %s", column, want, text, want)
				}
			}
		}
		text := queryString(t, db, "SELECT CAST(sum(quantity) AS VARCHAR) FROM positions WHERE login_id = ?", login)
		if got, err := schema.ParseDecimal(text); err != nil || got.Cmp(sum) != 0 {
			t.Errorf("SUM(quantity) = %s, want exactly %s", text, sum)
		}
	})
}

// rejects are batches a sink must refuse whole, each with what is wrong.
func rejects() map[string]schema.Batch {
	bad := func(mutate func(b *schema.Batch)) schema.Batch {
		b := Batches(seed, 2, Day1)[1]
		rows := map[string][]schema.Row{}
		for name, list := range b.Rows {
			for _, r := range list {
				rows[name] = append(rows[name], append(schema.Row{}, r...))
			}
		}
		b.Rows = rows
		mutate(&b)
		return b
	}
	set := func(b *schema.Batch, t *schema.Table, column string, v any) {
		b.Rows[t.Name][0][t.Index(column)] = v
	}
	return map[string]schema.Batch{
		"NULL in a NOT NULL column": bad(func(b *schema.Batch) { set(b, schema.Accounts, "run_id", nil) }),
		"19 digits after the point": bad(func(b *schema.Batch) { set(b, schema.Positions, "quantity", schema.MustDecimal("1E-19")) }),
		"21 digits before the point": bad(func(b *schema.Batch) {
			set(b, schema.Positions, "market_value", schema.MustDecimal("100000000000000000000"))
		}),
		"a float64 for a decimal": bad(func(b *schema.Batch) { set(b, schema.Accounts, "cash", 12.5) }),
		"a string for a date":     bad(func(b *schema.Batch) { set(b, schema.Positions, "as_of_date", "2026-03-02") }),
		"a row one column short": bad(func(b *schema.Batch) {
			b.Rows["accounts"][0] = b.Rows["accounts"][0][:len(schema.Accounts.Columns)-1]
		}),
		"an unknown table": bad(func(b *schema.Batch) { b.Rows["no_such_table"] = []schema.Row{{"x"}} }),
		"an accounts scope without its instant": bad(func(b *schema.Batch) {
			b.Scopes = maps.Clone(b.Scopes)
			b.Scopes[schema.Accounts.Name] = []schema.Row{{b.LoginID}}
		}),
		"a transactions scope without its range": bad(func(b *schema.Batch) {
			b.Scopes = maps.Clone(b.Scopes)
			b.Scopes[schema.Transactions.Name] = []schema.Row{{b.LoginID, "acct-1-0", nil, nil, Day1}}
		}),
	}
}

func (s *suite) testFailedCommit(t *testing.T) {
	for name, bad := range rejects() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			good := Batches(seed, 3, Day1)
			sink := s.h.Open(t, dir)
			if err := sink.Commit(context.Background(), []schema.Batch{good[0], bad}); err == nil {
				t.Error("Commit accepted a batch with " + name)
			}
			// The sink stays usable after a failed Commit.
			if err := sink.Commit(context.Background(), []schema.Batch{good[2]}); err != nil {
				t.Errorf("Commit after a failed Commit: %v", err)
			}
			if err := sink.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			s.read(t, dir, func(db *sql.DB) {
				for _, tbl := range loginTables {
					if got := queryInt(t, db, "SELECT count(*) FROM "+tbl.Name+" WHERE login_id IN (?, ?)", LoginID(0), LoginID(1)); got != 0 {
						t.Errorf("%s has %d rows of the failed Commit", tbl.Name, got)
					}
				}
				if got := queryInt(t, db, "SELECT count(*) FROM accounts WHERE login_id = ?", LoginID(2)); got == 0 {
					t.Error("the Commit after the failed one wrote nothing")
				}
			})
		})
	}
}

func (s *suite) testCancelled(t *testing.T) {
	dir := t.TempDir()
	sink := s.h.Open(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sink.Commit(ctx, Batches(seed, 3, Day1)); err == nil {
		t.Error("Commit with a cancelled context succeeded")
	}
	if err := sink.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s.read(t, dir, func(db *sql.DB) {
		if got := queryInt(t, db, "SELECT count(*) FROM accounts"); got != 0 {
			t.Errorf("a cancelled Commit wrote %d accounts", got)
		}
	})
}
