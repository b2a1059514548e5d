package loadtest

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/syncer/syncer/schema"
)

// SharedSecurity is the security_key every generated login holds, so that
// one security is referenced by every login of a run.
const SharedSecurity = "sec-shared"

// securityPool is how many other securities the generated logins share.
const securityPool = 60

// RunID is the run id the generator uses for day's run.
func RunID(seed int64, day time.Time) string {
	return fmt.Sprintf("run-%d-%s", seed, schema.DateOf(day).Format("20060102"))
}

// LoginID is the LoginId of the generator's i-th login.
func LoginID(i int) string { return fmt.Sprintf("login-%04d", i) }

// Batches returns one batch per login (LoginID(0) ... LoginID(logins-1)) for
// the run of the given day, deterministic in (seed, logins, day). Each login
// has 1 to 3 accounts with a positions snapshot dated day (scope declared),
// securities drawn from a shared pool (partial references included: some
// leave isin or name NULL; some positions priced a day behind, some without
// price_date), transactions of day and the two days before (so consecutive
// days see the same transactions again), its sync_logins row (succeeded) and
// its logins registry row, with a last_refresh_at on day. Values use awkward
// decimal scales.
//
// The batch declares that it holds all of the login's accounts (accounts
// scope) and, per account, all of its transactions dated day-2 ... day
// (transactions scope). The source changes from day to day as a real one
// does, so that consecutive days exercise every mark of the Latest merge:
// the third account of every login i with i%6 == 5 is closed on the odd
// days after Day1 (absent from the batch) and back the day after; for every
// login i with i%4 == 3, each day's first transaction is corrected after its
// first day (amount and type) and its second transaction is withdrawn after
// its first day (absent within the covered range).
func Batches(seed int64, logins int, day time.Time) []schema.Batch {
	day = schema.DateOf(day)
	batches := make([]schema.Batch, logins)
	for i := range batches {
		batches[i] = loginBatch(seed, i, day)
	}
	return batches
}

// BatchesFrom returns the batches Batches(seed, first+n, day) ends with:
// those of logins first ... first+n-1, without building the others.
func BatchesFrom(seed int64, first, n int, day time.Time) []schema.Batch {
	day = schema.DateOf(day)
	batches := make([]schema.Batch, n)
	for i := range batches {
		batches[i] = loginBatch(seed, first+i, day)
	}
	return batches
}

// Failed returns the batch a sink receives when the login of b failed in
// b's run: only its sync_logins row, with the given status ("failed",
// "rejected", ...), and nothing else, no scopes either.
func Failed(b schema.Batch, status string) schema.Batch {
	out := schema.Batch{RunID: b.RunID, LoginID: b.LoginID, Rows: map[string][]schema.Row{}}
	out.Rows[schema.SyncLogins.Name] = []schema.Row{fill(schema.SyncLogins, map[string]any{
		"run_id": b.RunID, "login_id": b.LoginID, "status": status,
		"flinks_code": "OPERATION_PENDING", "attempts": int64(3), "polls": int64(0),
		"error": "retries exhausted (test)",
	})}
	return out
}

// RunOpened and RunClosed are the batches a run commits at its start and
// end: its sync_runs row, running and then finished.
func RunOpened(runID string, started time.Time) schema.Batch {
	return runBatch(runID, map[string]any{"run_id": runID, "started_at": started.UTC(), "status": "running", "command": "sync"})
}

// RunClosed: see RunOpened.
func RunClosed(runID string, started, finished time.Time, status string, succeeded, failed int) schema.Batch {
	return runBatch(runID, map[string]any{
		"run_id": runID, "started_at": started.UTC(), "finished_at": finished.UTC(), "status": status, "command": "sync",
		"logins_total": int64(succeeded + failed), "logins_succeeded": int64(succeeded), "logins_failed": int64(failed),
		"requests": int64(2 * (succeeded + failed)),
	})
}

func runBatch(runID string, values map[string]any) schema.Batch {
	return schema.Batch{RunID: runID, Rows: map[string][]schema.Row{schema.SyncRuns.Name: {fill(schema.SyncRuns, values)}}}
}

// fill builds a row of t from named values. Columns not named are NULL, or
// the zero value of their kind when NOT NULL, so a column added to the schema
// later does not break the generator.
func fill(t *schema.Table, values map[string]any) schema.Row {
	row := make(schema.Row, len(t.Columns))
	for i, c := range t.Columns {
		v, ok := values[c.Name]
		switch {
		case ok:
			row[i] = v
		case !c.Nullable:
			row[i] = zero(c.Type.Kind)
		}
	}
	for name := range values {
		if t.Index(name) < 0 {
			panic(fmt.Sprintf("loadtest: table %s has no column %s", t.Name, name))
		}
	}
	return row
}

func zero(k schema.Kind) any {
	switch k {
	case schema.KindDecimal:
		return schema.Decimal{}
	case schema.KindDate, schema.KindTimestamp:
		return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	case schema.KindBoolean:
		return false
	case schema.KindBigInt:
		return int64(0)
	case schema.KindJSON:
		return "{}"
	}
	return ""
}

// dec returns unscaled × 10^-scale.
func dec(unscaled int64, scale int32) schema.Decimal {
	return schema.Decimal{Unscaled: big.NewInt(unscaled), Scale: scale}
}

// mul returns a × b exactly.
func mul(a, b schema.Decimal) schema.Decimal {
	ua, ub := a.Unscaled, b.Unscaled
	if ua == nil || ub == nil {
		return schema.Decimal{}
	}
	return schema.Decimal{Unscaled: new(big.Int).Mul(ua, ub), Scale: a.Scale + b.Scale}
}

func dayNumber(day time.Time) int64 { return day.Unix() / 86400 }

func rng(parts ...int64) *rand.Rand {
	var a, b uint64 = 0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9
	for i, p := range parts {
		if i%2 == 0 {
			a = a*31 + uint64(p)
		} else {
			b = b*37 + uint64(p)
		}
	}
	return rand.New(rand.NewPCG(a, b))
}

func loginBatch(seed int64, i int, day time.Time) schema.Batch {
	login, runID := LoginID(i), RunID(seed, day)
	synced := day.Add(6*time.Hour + time.Duration(i)*time.Millisecond)
	r := rng(seed, int64(i), dayNumber(day))
	b := schema.Batch{
		RunID: runID, LoginID: login,
		Rows: map[string][]schema.Row{},
		Scopes: map[string][]schema.Row{
			schema.Positions.Name: {{login, day}},
			schema.Accounts.Name:  {{login, synced}},
		},
	}
	add := func(t *schema.Table, values map[string]any) {
		b.Rows[t.Name] = append(b.Rows[t.Name], fill(t, values))
	}
	add(schema.Logins, map[string]any{"login_id": login, "registered_at": synced, "registered_by": "sync", "run_id": runID,
		"last_refresh_at": day.Add(3*time.Hour + time.Duration(i)*time.Second)})

	seen := map[string]bool{}
	reference := func(key string) {
		if seen[key] {
			return
		}
		seen[key] = true
		add(schema.Securities, securityRow(key, i, runID))
	}
	var accounts, positions, transactions int
	for a := range 1 + i%3 {
		if accountClosed(i, a, day) {
			continue
		}
		accounts++
		acct := fmt.Sprintf("acct-%d-%d", i, a)
		cash := dec(r.Int64N(100_000_000)-1_000_000, int32(r.IntN(4)))
		value := cash
		keys := []string{}
		if a == 0 {
			keys = append(keys, SharedSecurity)
		}
		for range 2 + r.IntN(6) {
			k := fmt.Sprintf("sec-%03d", r.IntN(securityPool))
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			qty := dec(r.Int64N(2_000_000_000)-100_000_000, int32(r.IntN(11)))
			price := dec(1+r.Int64N(50_000_000), int32(2+r.IntN(5)))
			mv := mul(qty, price)
			value = value.Add(mv)
			pos := map[string]any{
				"login_id": login, "account_id": acct, "security_key": k, "as_of_date": day,
				"quantity": qty, "price": price, "market_value": mv,
				"book_value": dec(r.Int64N(1_000_000_000), int32(r.IntN(3))),
				"currency":   "CAD", "run_id": runID, "synced_at": synced,
			}
			if r.IntN(3) > 0 {
				pos["average_cost"] = dec(r.Int64N(10_000_000), 4)
			}
			if r.IntN(4) == 0 {
				pos["extra"] = fmt.Sprintf(`{"lot":%d}`, r.IntN(100))
			}
			if p := r.IntN(3); p > 0 {
				pos["price_date"] = day.AddDate(0, 0, 1-p) // the snapshot's date, or a day behind
			}
			add(schema.Positions, pos)
			reference(k)
			positions++
		}
		add(schema.Accounts, map[string]any{
			"login_id": login, "account_id": acct, "institution": "Test Bank", "institution_id": "TB",
			"name": fmt.Sprintf("Account %d", a), "type": []string{"tfsa", "rrsp", "margin"}[a%3],
			"registered": a%3 != 2, "currency": "CAD", "cash": cash, "account_value": value, "currency_value": value,
			"account_number": fmt.Sprintf("****%04d", (i*7+a)%10000), "run_id": runID, "synced_at": synced,
		})
		b.Scopes[schema.Transactions.Name] = append(b.Scopes[schema.Transactions.Name],
			schema.Row{login, acct, day.AddDate(0, 0, -2), day, synced})
		sourceTransactions(i, day, func(txDay time.Time, n int, corrected bool) {
			tx := transactionRow(seed, login, acct, txDay, n, runID, synced)
			if corrected {
				correct(tx)
			}
			if k, ok := tx["security_key"].(string); ok {
				reference(k)
			}
			add(schema.Transactions, tx)
			transactions++
		})
	}
	bankRows(b, add, seed, i, day, synced)
	add(schema.SyncLogins, map[string]any{
		"run_id": runID, "login_id": login, "status": "succeeded", "attempts": int64(1), "polls": int64(r.IntN(3)),
		"started_at": synced.Add(-time.Second), "finished_at": synced,
		"accounts": int64(accounts), "positions": int64(positions), "transactions": int64(transactions), "rejected": int64(0),
	})
	return b
}

// bankRows adds login i's banking rows for day to b, as a sync of both
// products does: one or two bank accounts (the second one closed on the days
// accountClosed closes a third investment account), their balances on day
// (scope: the login's day), one holder per account (the same person for both,
// so one holder_key), and transactions of day and the two days before with
// one-sided and two-sided amounts, corrected and withdrawn day to day as the
// investment transactions are (scope: each account's three days).
func bankRows(b schema.Batch, add func(*schema.Table, map[string]any), seed int64, i int, day, synced time.Time) {
	login, runID := b.LoginID, b.RunID
	r := rng(seed, int64(i), dayNumber(day), 7)
	b.Scopes[schema.BankAccounts.Name] = []schema.Row{{login, synced}}
	b.Scopes[schema.BankBalances.Name] = []schema.Row{{login, day}}
	for a := range 1 + i%2 {
		if accountClosed(i, a+1, day) {
			continue
		}
		acct := fmt.Sprintf("bank-%d-%d", i, a)
		current := dec(r.Int64N(10_000_000_000)-1_000_000_000, int32(r.IntN(4)))
		add(schema.BankAccounts, map[string]any{
			"login_id": login, "account_id": acct, "institution": "Test Bank", "institution_id": "777",
			"title": fmt.Sprintf("Chequing %d", a), "category": "Operations", "type": "Chequing", "currency": "CAD",
			"account_type": "Personal", "balance_available": current.Add(dec(r.Int64N(100_000), 2)), "balance_current": current,
			"overdraft_limit": dec(r.Int64N(100_000), 1), "transit_number": "12345", "institution_number": "777",
			"account_number": fmt.Sprintf("****%04d", (i*11+a)%10000), "run_id": runID, "synced_at": synced,
		})
		add(schema.BankBalances, map[string]any{
			"login_id": login, "account_id": acct, "as_of_date": day, "available": current, "current": current,
			"currency": "CAD", "run_id": runID, "synced_at": synced,
		})
		add(schema.AccountHolders, map[string]any{
			"login_id": login, "account_id": acct, "holder_key": fmt.Sprintf("%064x", hash(login)&0xffffffff),
			"province": "ON", "country": "CA", "run_id": runID, "synced_at": synced,
		})
		b.Scopes[schema.BankTransactions.Name] = append(b.Scopes[schema.BankTransactions.Name],
			schema.Row{login, acct, day.AddDate(0, 0, -2), day, synced})
		sourceTransactions(i, day, func(txDay time.Time, n int, corrected bool) {
			tr := rng(seed, hash(acct), dayNumber(txDay), int64(n))
			tx := map[string]any{
				"login_id": login, "account_id": acct, "transaction_id": fmt.Sprintf("btx-%s-%d-%d", acct, dayNumber(txDay), n),
				"date": txDay, "description": fmt.Sprintf("PAYMENT %d", n), "currency": "CAD",
				"balance": dec(tr.Int64N(1_000_000_000), 2), "run_id": runID, "synced_at": synced,
			}
			debit, credit := dec(tr.Int64N(1_000_000_000), int32(tr.IntN(9))), dec(tr.Int64N(1_000_000), 2)
			switch n {
			case 0:
				tx["debit"], tx["amount"] = debit, dec(0, 0).Sub(debit)
			default: // both sides set, as some institutions send
				tx["debit"], tx["credit"], tx["amount"] = debit, credit, credit.Sub(debit)
			}
			if corrected {
				tx["description"] = "PAYMENT CORRECTED"
			}
			add(schema.BankTransactions, tx)
		})
	}
}

// sourceTransactions calls each for the transactions login i's source holds
// for one account on day: two a day over day-2 ... day, in that order, but
// for logins i%4 == 3, whose source has withdrawn the second of each earlier
// day and corrected the first (corrected set).
func sourceTransactions(i int, day time.Time, each func(txDay time.Time, n int, corrected bool)) {
	for back := 2; back >= 0; back-- {
		txDay := day.AddDate(0, 0, -back)
		for n := range 2 {
			changes := i%4 == 3 && back > 0
			if changes && n == 1 {
				continue // withdrawn by the source after its first day
			}
			each(txDay, n, changes)
		}
	}
}

// accountClosed reports whether login i's account a is absent from the
// source on day: the third account of logins i%6 == 5, on the odd days
// after Day1.
func accountClosed(i, a int, day time.Time) bool {
	return i%6 == 5 && a == 2 && (dayNumber(day)-dayNumber(Day1))%2 == 1
}

// correct applies the source's correction of a transaction after its first
// day: the amount grows by 1.25 and the type becomes a withdrawal.
func correct(tx map[string]any) {
	tx["net_amount"] = tx["net_amount"].(schema.Decimal).Add(dec(-125, 2))
	tx["type"], tx["type_raw"] = "withdrawal", "WITHDRAWAL"
}

// securityRow is login i's reference to the security key: the identifiers
// depend only on the key, but some logins leave some of them unknown.
func securityRow(key string, i int, runID string) map[string]any {
	row := map[string]any{"security_key": key, "symbol": "SYM-" + key, "type": "stock", "currency": "CAD", "run_id": runID}
	if i%2 == 0 {
		row["isin"] = "CA" + key
	}
	if i%3 != 1 {
		row["name"] = "Security " + key
	}
	return row
}

// transactionRow is a transaction whose values depend only on its identity,
// so every run that sees it sends the same row (apart from run_id and
// synced_at).
func transactionRow(seed int64, login, acct string, day time.Time, n int, runID string, synced time.Time) map[string]any {
	r := rng(seed, int64(len(acct)), dayNumber(day), int64(n), hash(acct))
	tx := map[string]any{
		"login_id": login, "account_id": acct, "transaction_id": fmt.Sprintf("tx-%s-%d-%d", acct, dayNumber(day), n),
		"date": day, "settlement_date": day.AddDate(0, 0, 2), "type": "buy", "type_raw": "BUY",
		"quantity": dec(r.Int64N(1_000_000), int32(r.IntN(8))), "price": dec(1+r.Int64N(1_000_000), 3),
		"fees": dec(r.Int64N(1000), 2), "net_amount": dec(-r.Int64N(1_000_000_000), 5),
		"currency": "CAD", "run_id": runID, "synced_at": synced,
	}
	if n == 1 {
		tx["extra"] = fmt.Sprintf(`{"memo":"m-%d","lot":%d}`, r.IntN(1000), r.IntN(100))
	}
	if n == 1 && r.IntN(2) == 0 {
		tx["type"], tx["type_raw"] = "deposit", "CONTRIBUTION"
		delete(tx, "quantity")
		delete(tx, "price")
	} else {
		tx["security_key"] = fmt.Sprintf("sec-%03d", r.IntN(securityPool))
	}
	return tx
}

func hash(s string) int64 {
	var h int64 = 1469598103
	for i := 0; i < len(s); i++ {
		h = h*1099511 + int64(s[i])
	}
	return h
}
