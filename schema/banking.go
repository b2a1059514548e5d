package schema

// The banking product's tables and views (GetAccountsDetail; the rules that
// fill them are in transform's package doc, "Banking"). They are in Tables
// and Views like every other; this file only keeps them together. Every
// column is new in schema version 2.
var (
	BankAccounts = &Table{
		Name:      "bank_accounts",
		LoginData: true,
		Doc: "One row per bank account a login has carried (GetAccountsDetail): its latest state as of the last good banking sync that carried it. " +
			"An account a succeeded banking sync of its login no longer carries is kept with those values and marked closed_at: " +
			"count open accounts with closed_at IS NULL.",
		Merge:   Latest,
		Key:     []string{"login_id", "account_id"},
		ScopeBy: []string{"login_id"},
		Marks:   &Marks{SeenAt: "synced_at", LastSeen: "last_seen_at", Gone: "closed_at", Lineage: []string{"run_id", "synced_at"}},
		Columns: []Column{
			col(2, "login_id", text, "Flinks LoginId the account was synced through."),
			col(2, "account_id", text, "Flinks' stable id of the bank account (payload Accounts[].Id)."),
			null(2, "institution", text, "Institution name (payload InstitutionName, else Institution)."),
			null(2, "institution_id", text, "Flinks institution id (payload InstitutionId)."),
			null(2, "title", text, "Account title as the institution shows it, with account numbers and the holders' details masked (rules in transform/doc.go)."),
			null(2, "category", text, "Category as Flinks sends it (Operations, Credits, ...)."),
			null(2, "type", text, "Account type as Flinks sends it (Chequing, ...)."),
			null(2, "currency", text, "Currency of the account, upper-case ISO code."),
			null(2, "account_type", text, "Personal or business, as Flinks sends it (AccountType)."),
			null(2, "balance_available", Exact, "Balance available to spend (Balance.Available), as of the sync."),
			null(2, "balance_current", Exact, "Current balance (Balance.Current), as of the sync."),
			null(2, "balance_limit", Exact, "Credit limit (Balance.Limit)."),
			null(2, "overdraft_limit", Exact, "Overdraft limit."),
			null(2, "transit_number", text, "Branch transit number, as sent."),
			null(2, "institution_number", text, "Institution number, as sent."),
			null(2, "account_number", text, "Account number, masked to its last four characters unless full numbers are kept (--keep-account-numbers)."),
			null(2, "last_four_digits", text, "Flinks' LastFourDigits as sent (anything before its last four characters masked)."),
			col(2, "run_id", text, "Run that last wrote this row's values: the last succeeded banking sync that carried the account (closing it does not change it)."),
			col(2, "synced_at", instant, "When that run fetched the data (UTC)."),
			null(2, "extra", jsonExtra, "Payload fields with no column of their own, as JSON, masked; the payload's and its Login's such members ride along under _payload and _login."),
			null(2, "last_seen_at", instant, "When the last succeeded banking sync that carried the account fetched it (UTC)."),
			null(2, "closed_at", instant, "When the first succeeded banking sync of the login that no longer carried the account fetched its payload (UTC); NULL while the account is carried, and again when it returns."),
		},
	}

	BankBalances = &Table{
		Name:      "bank_balances",
		LoginData: true,
		Doc: "One row per bank account per as-of date: the balances a banking sync saw, dated by when Flinks last refreshed the login's data. " +
			"A sync replaces exactly its login's as-of date (every account of the login) and keeps every other date, the history; two syncs of the same unrefreshed data give one date.",
		Merge:       ReplaceScope,
		History:     true,
		Key:         []string{"login_id", "account_id", "as_of_date"},
		ScopeBy:     []string{"login_id", "as_of_date"},
		PartitionBy: []string{"as_of_date"},
		Columns: []Column{
			col(2, "login_id", text, "Flinks LoginId."),
			col(2, "account_id", text, "Bank account (bank_accounts.account_id)."),
			col(2, "as_of_date", date, "As-of date: the UTC date of the payload's Login.LastRefresh (else the session's; the sync's UTC date only when Flinks gave none), the same for every account of the sync."),
			null(2, "available", Exact, "Balance available to spend (Balance.Available)."),
			null(2, "current", Exact, "Current balance (Balance.Current)."),
			null(2, "limit_amount", Exact, "Credit limit (Balance.Limit)."),
			null(2, "currency", text, "Currency of the balances: the account's, upper-case ISO code."),
			col(2, "run_id", text, "Run that wrote this date's balances."),
			col(2, "synced_at", instant, "When that run fetched the data (UTC)."),
			null(2, "extra", jsonExtra, "Members of Balance with no column of their own, as JSON."),
		},
	}

	BankTransactions = &Table{
		Name:      "bank_transactions",
		LoginData: true,
		Doc: "One row per bank transaction, once, however many runs see it. The latest sighting's values win; first_seen_at, updated_at and removed_at record its history. " +
			"A transaction a later payload lacks though it covers its date (that account's first to last transaction date in the payload) is kept and marked removed_at.",
		Merge:      Latest,
		History:    true,
		Key:        []string{"login_id", "account_id", "transaction_id"},
		ScopeBy:    []string{"login_id", "account_id"},
		ScopeRange: "date",
		Marks: &Marks{SeenAt: "synced_at", FirstSeen: "first_seen_at", Changed: "updated_at", Gone: "removed_at",
			Lineage: []string{"run_id", "synced_at"}},
		Columns: []Column{
			col(2, "login_id", text, "Flinks LoginId."),
			col(2, "account_id", text, "Bank account (bank_accounts.account_id)."),
			col(2, "transaction_id", text, "Flinks' id of the transaction."),
			null(2, "date", date, "Booking date (payload Date, YYYY-MM-DD or YYYY/MM/DD)."),
			null(2, "description", text, "Description as sent, with account numbers, runs of seven digits or more and the holders' details masked (rules in transform/doc.go)."),
			null(2, "code", text, "Transaction code as sent."),
			null(2, "debit", Exact, "Money out of the account, as sent (positive; NULL for a credit)."),
			null(2, "credit", Exact, "Money into the account, as sent (positive; NULL for a debit)."),
			null(2, "amount", Exact, "credit - debit, exact, a missing side counting as 0: positive when money comes in; NULL when both are NULL. A transaction with both sides keeps both."),
			null(2, "balance", Exact, "Running balance of the account after the transaction, as sent."),
			null(2, "currency", text, "Currency of the amounts: the account's, upper-case ISO code."),
			col(2, "run_id", text, "Run that last wrote this row's values: the first run that carried the transaction, or a later one whose payload changed a value or brought it back after removed_at."),
			col(2, "synced_at", instant, "When that run fetched the data (UTC)."),
			null(2, "extra", jsonExtra, "Payload fields with no column of their own, as JSON, masked."),
			null(2, "first_seen_at", instant, "When the first run that carried the transaction fetched it (UTC)."),
			null(2, "updated_at", instant, "When the latest run whose payload changed one of the transaction's values (any column but the key, run_id, synced_at and these marks) fetched it (UTC); NULL while no value ever changed."),
			null(2, "removed_at", instant, "When the first run whose payload lacked the transaction, though it covered its date, fetched that payload (UTC); NULL while the source carries it, and again when it returns. The row keeps its last values."),
		},
	}

	AccountHolders = &Table{
		Name:      "account_holders",
		LoginData: true,
		Doc: "One row per bank account's holder (the payload has one Holder per account; a joint account's holders come as one, e.g. \"A & B\"). " +
			"holder_key counts people without showing them: equal for one person's accounts across logins. " +
			"Name, e-mail, phone and street address are stored only with --keep-holder-pii, else NULL; a sync replaces the row.",
		Merge: Upsert,
		Key:   []string{"login_id", "account_id"},
		Columns: []Column{
			col(2, "login_id", text, "Flinks LoginId."),
			col(2, "account_id", text, "Bank account (bank_accounts.account_id)."),
			null(2, "holder_key", text, "HMAC-SHA256, keyed with the warehouse's holder secret, of the holder's normalised name and e-mail (rule in transform/doc.go), in hex: equal for one person across accounts and logins. NULL when the holder has neither."),
			null(2, "province", text, "Province or state of the holder's address, as sent."),
			null(2, "country", text, "Country of the holder's address, as sent."),
			null(2, "name", text, "Holder's name; NULL unless --keep-holder-pii."),
			null(2, "email", text, "Holder's e-mail address; NULL unless --keep-holder-pii."),
			null(2, "phone", text, "Holder's phone number; NULL unless --keep-holder-pii."),
			null(2, "civic_address", text, "Street address; NULL unless --keep-holder-pii."),
			null(2, "city", text, "City; NULL unless --keep-holder-pii."),
			null(2, "postal_code", text, "Postal code; NULL unless --keep-holder-pii."),
			null(2, "po_box", text, "Post-office box; NULL unless --keep-holder-pii."),
			col(2, "run_id", text, "Run that last wrote the row."),
			col(2, "synced_at", instant, "When that run fetched the data (UTC)."),
			null(2, "extra", jsonExtra, "Holder and address members with no column of their own, as JSON, only with --keep-holder-pii; else only how many there were ({\"withheld_members\": n})."),
		},
	}
)
