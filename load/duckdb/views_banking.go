package duckdb

// The banking views.
var (
	BankBalancesLatest = &View{
		Name: "bank_balances_latest",
		Doc: "Each bank account's balances on its login's latest as-of date. An account without a row on that date has none here, rather than an older balance; " +
			"nor has an account closed since (bank_accounts.closed_at set by a later sync).",
		SQL: `SELECT b.*
FROM (SELECT * FROM bank_balances QUALIFY as_of_date = max(as_of_date) OVER (PARTITION BY login_id)) AS b
WHERE NOT EXISTS (SELECT 1 FROM bank_accounts AS a
	WHERE a.login_id = b.login_id AND a.account_id = b.account_id AND a.closed_at IS NOT NULL)`,
		Columns: []ViewColumn{{"*", "The columns of bank_balances."}},
	}

	CashFlowMonthly = &View{
		Name: "cash_flow_monthly",
		Doc: "Money in and out per login, bank account, calendar month and currency (amounts in different currencies are never added together), " +
			"over the transactions the source still carries (removed_at IS NULL) that have a date.",
		SQL: `SELECT
	login_id,
	account_id,
	CAST(date_trunc('month', date) AS DATE) AS month,
	currency,
	coalesce(sum(credit), 0) AS credits,
	coalesce(sum(debit), 0) AS debits,
	coalesce(sum(amount), 0) AS net,
	count(*) AS transactions
FROM bank_transactions
WHERE removed_at IS NULL AND date IS NOT NULL
GROUP BY ALL`,
		Columns: []ViewColumn{
			{"login_id", "Flinks LoginId."},
			{"account_id", "Bank account (bank_accounts.account_id)."},
			{"month", "First day of the month."},
			{"currency", "Currency of the amounts (NULL when the account did not say)."},
			{"credits", "Exact sum of credit."},
			{"debits", "Exact sum of debit."},
			{"net", "credits - debits, exact."},
			{"transactions", "Number of transactions summed."},
		},
	}
)
