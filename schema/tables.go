package schema

// Column helpers keep the table definitions below readable.
func col(name string, t Type, doc string) Column {
	return Column{Name: name, Type: t, Doc: doc, Since: 1}
}
func null(name string, t Type, doc string) Column {
	return Column{Name: name, Type: t, Nullable: true, Doc: doc, Since: 1}
}

var (
	text      = Type{Kind: KindVarchar}
	date      = Type{Kind: KindDate}
	instant   = Type{Kind: KindTimestamp}
	boolean   = Type{Kind: KindBoolean}
	count     = Type{Kind: KindBigInt}
	jsonExtra = Type{Kind: KindJSON}
)

// The warehouse tables. Names and the columns CONTRACT.md lists are a public
// promise; new columns may be added (with Since set to the new version).
var (
	Accounts = &Table{
		Name:  "accounts",
		Doc:   "One row per investment account: its latest state as of the last good sync.",
		Merge: Upsert,
		Key:   []string{"login_id", "account_id"},
		Columns: []Column{
			col("login_id", text, "Flinks LoginId the account was synced through."),
			col("account_id", text, "Flinks' stable id of the investment account (payload Accounts[].Id)."),
			null("institution", text, "Institution name (payload Investments[].Name)."),
			null("institution_id", text, "Flinks institution id (payload Investments[].Id)."),
			null("name", text, "Account name as the institution shows it."),
			null("type", text, "Account type as Flinks sends it (tfsa, rrsp, margin, ...)."),
			null("registered", boolean, "True for a tax-sheltered account."),
			null("currency", text, "Settlement currency, upper-case ISO code."),
			null("cash", Exact, "Cash balance."),
			null("account_value", Exact, "Cash plus securities at market value."),
			null("currency_value", Exact, "Account value in the account currency."),
			null("account_number", text, "Account number, masked to its last four digits unless full numbers are kept."),
			null("full_account_label", text, "Institution's label (name, number, currency), account number masked likewise."),
			col("run_id", text, "Run that last wrote this row."),
			col("synced_at", instant, "When that run fetched the data (UTC)."),
			null("extra", jsonExtra, "Payload fields with no column of their own, as JSON."),
		},
	}

	Positions = &Table{
		Name:        "positions",
		Doc:         "One row per holding of one security in one account on one as-of date. Every sync adds its date's snapshot; syncing the same date again replaces that login's snapshot for the date.",
		Merge:       ReplaceScope,
		Key:         []string{"login_id", "account_id", "security_key", "as_of_date"},
		ScopeBy:     []string{"login_id", "as_of_date"},
		PartitionBy: []string{"as_of_date"},
		Columns: []Column{
			col("login_id", text, "Flinks LoginId."),
			col("account_id", text, "Account holding the position (accounts.account_id)."),
			col("security_key", text, "The security held (securities.security_key)."),
			col("as_of_date", date, "Date of the snapshot: the payload's AsOfDate, else the sync date (UTC)."),
			null("quantity", Exact, "Units held; negative for a short position."),
			null("price", Exact, "Price per unit."),
			null("market_value", Exact, "Quantity times price, as reported."),
			null("book_value", Exact, "Cost basis, as reported."),
			null("average_cost", Exact, "Average cost per unit, as reported."),
			null("currency", text, "Currency of price and values, upper-case ISO code."),
			col("run_id", text, "Run that wrote this snapshot."),
			col("synced_at", instant, "When that run fetched the data (UTC)."),
			null("extra", jsonExtra, "Payload fields with no column of their own, as JSON."),
		},
	}

	Securities = &Table{
		Name:  "securities",
		Doc:   "One row per real-world security, however many accounts, logins and partial references name it. A later reference fills in identifiers and never erases known ones.",
		Merge: Coalesce,
		Key:   []string{"security_key"},
		Columns: []Column{
			col("security_key", text, "Deterministic key from the strongest identifier any reference to the security carries: id:<Flinks Id>, else isin:<ISIN>, cusip:<CUSIP>, symbol:<SYMBOL>@<CCY> (rule in transform/doc.go)."),
			null("flinks_security_id", text, "Flinks' id of the security, when sent."),
			null("symbol", text, "Ticker symbol."),
			null("isin", text, "ISIN."),
			null("cusip", text, "CUSIP."),
			null("name", text, "Security name."),
			null("type", text, "Security type as sent (etf, stock, bond, mutualfund, crypto, ...)."),
			null("currency", text, "Trading currency, upper-case ISO code."),
			col("run_id", text, "Run that last updated this row."),
			null("extra", jsonExtra, "Payload fields with no column of their own, as JSON."),
		},
	}

	Transactions = &Table{
		Name:  "transactions",
		Doc:   "One row per transaction, once, however many runs see it. The first sighting is kept.",
		Merge: InsertIfNew,
		Key:   []string{"login_id", "account_id", "transaction_id"},
		Columns: []Column{
			col("login_id", text, "Flinks LoginId."),
			col("account_id", text, "Account of the transaction (accounts.account_id)."),
			col("transaction_id", text, "Flinks' id of the transaction."),
			null("date", date, "Trade or booking date."),
			null("settlement_date", date, "Settlement date."),
			null("type", text, "Normalised type: buy, sell, dividend, interest, deposit, withdrawal, fee, transfer, split, reinvestment, other."),
			null("type_raw", text, "Type exactly as Flinks sent it."),
			null("description", text, "Description as sent."),
			null("security_key", text, "Security traded (securities.security_key); NULL for cash movements."),
			null("quantity", Exact, "Units; negative when units leave the account."),
			null("price", Exact, "Price per unit."),
			null("fees", Exact, "Fees charged."),
			null("net_amount", Exact, "Net cash effect on the account."),
			null("currency", text, "Currency of the amounts, upper-case ISO code."),
			col("run_id", text, "Run that first saw the transaction."),
			col("synced_at", instant, "When that run fetched the data (UTC)."),
			null("extra", jsonExtra, "Payload fields with no column of their own, as JSON."),
		},
	}

	SyncRuns = &Table{
		Name:  "sync_runs",
		Doc:   "One row per run of the syncer.",
		Merge: Upsert,
		Key:   []string{"run_id"},
		Columns: []Column{
			col("run_id", text, "Unique id of the run."),
			col("started_at", instant, "When the run started (UTC)."),
			null("finished_at", instant, "When the run finished (UTC); NULL while running or after a crash."),
			col("status", text, "running, succeeded, partial, failed or interrupted."),
			null("command", text, "sync, backfill, retry or schedule."),
			null("logins_total", count, "Logins the run set out to sync."),
			null("logins_succeeded", count, "Logins committed."),
			null("logins_failed", count, "Logins that ended in any other status."),
			null("requests", count, "HTTP requests made to Flinks."),
			null("error", text, "Why the run could not proceed, if it could not."),
		},
	}

	SyncLogins = &Table{
		Name:  "sync_logins",
		Doc:   "One row per login per run: the outcome of that login's sync.",
		Merge: Upsert,
		Key:   []string{"run_id", "login_id"},
		Columns: []Column{
			col("run_id", text, "Run (sync_runs.run_id)."),
			col("login_id", text, "Flinks LoginId."),
			col("status", text, "succeeded, failed, timed_out, needs_user_action, rejected or interrupted."),
			null("flinks_code", text, "FlinksCode of the answer that decided the outcome; NULL on success or when that answer had none."),
			col("attempts", count, "Sessions opened and requests retried for this login."),
			col("polls", count, "Data calls answered 202 (pending)."),
			null("error", text, "Why the login did not sync; never contains secrets or payload values."),
			null("started_at", instant, "First request for the login (UTC)."),
			null("finished_at", instant, "When the outcome was decided (UTC)."),
			null("accounts", count, "Account rows written."),
			null("positions", count, "Position rows written."),
			null("transactions", count, "Transaction rows in the payload."),
			null("rejected", count, "Fragments quarantined in rejected_records."),
		},
	}

	RejectedRecords = &Table{
		Name:  "rejected_records",
		Doc:   "Quarantine: payload fragments that could not be loaded, by JSON path. The rest of the login loads.",
		Merge: Upsert,
		Key:   []string{"run_id", "login_id", "path"},
		Columns: []Column{
			col("run_id", text, "Run that saw the fragment."),
			col("login_id", text, "Flinks LoginId."),
			col("path", text, "JSON path of the fragment, e.g. $.Investments[0].Accounts[1].Positions[3]."),
			null("table_name", text, "Table the fragment would have gone to."),
			col("reason", text, "What is wrong; never the sensitive value itself."),
			null("fragment", jsonExtra, "The fragment with sensitive fields masked, when it is safe to keep."),
		},
	}

	Logins = &Table{
		Name:  "logins",
		Doc:   "The registry of LoginIds the warehouse knows: a sync with no LoginIds given syncs all of them.",
		Merge: InsertIfNew,
		Key:   []string{"login_id"},
		Columns: []Column{
			col("login_id", text, "Flinks LoginId."),
			col("registered_at", instant, "When a run first registered the LoginId (UTC)."),
			null("registered_by", text, "Command of that run: sync, backfill, retry or schedule."),
			null("run_id", text, "Run that registered it."),
		},
	}

	DataQuality = &Table{
		Name:  "data_quality",
		Doc:   "Checks computed from each payload, recorded as data rather than failing the load.",
		Merge: Upsert,
		Key:   []string{"run_id", "login_id", "account_id", "check_name"},
		Columns: []Column{
			col("run_id", text, "Run."),
			col("login_id", text, "Flinks LoginId."),
			col("account_id", text, "Account checked."),
			col("check_name", text, "Check, e.g. value_reconciles: cash + sum(market_value) = account_value."),
			null("expected", Exact, "Value reported by Flinks."),
			null("actual", Exact, "Value computed from the rows."),
			null("difference", Exact, "actual - expected."),
			col("passed", boolean, "Whether the difference is within tolerance."),
		},
	}
)

// Tables lists every table in dependency order: the order in which a sink
// writes a batch, and the order of the data dictionary.
var Tables = []*Table{Logins, Accounts, Securities, Positions, Transactions, RejectedRecords, DataQuality, SyncLogins, SyncRuns}

// Lookup returns the table with the given name, or nil.
func Lookup(name string) *Table {
	for _, t := range Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}
