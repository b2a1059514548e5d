package schema

// col and null declare a NOT NULL and a nullable column added by schema
// version since: 1 for a column of the first version. A column added now
// takes a version no warehouse holds yet (Version()+1 once Version() is
// released) and goes after its table's other columns (TestColumnVersions,
// TestReleasedVersions).
func col(since int, name string, t Type, doc string) Column {
	return Column{Name: name, Type: t, Doc: doc, Since: since}
}
func null(since int, name string, t Type, doc string) Column {
	return Column{Name: name, Type: t, Nullable: true, Doc: doc, Since: since}
}

var (
	text      = Type{Kind: KindVarchar}
	date      = Type{Kind: KindDate}
	instant   = Type{Kind: KindTimestamp}
	boolean   = Type{Kind: KindBoolean}
	count     = Type{Kind: KindBigInt}
	jsonExtra = Type{Kind: KindJSON}
)

// The warehouse tables. Their names and columns are a public promise, the
// data dictionary (docs/data-dictionary.md) is generated from them: a column
// is never renamed, retyped or dropped; new columns may be added, each
// declared with the version that adds it.
var (
	Accounts = &Table{
		Name:      "accounts",
		LoginData: true,
		Doc: "One row per investment account a login has carried: its latest state as of the last good sync that carried it. " +
			"An account a succeeded sync of its login no longer carries is kept with those values and marked closed_at: " +
			"count open accounts with closed_at IS NULL.",
		Merge:   Latest,
		Key:     []string{"login_id", "account_id"},
		ScopeBy: []string{"login_id"},
		Marks:   &Marks{SeenAt: "synced_at", LastSeen: "last_seen_at", Gone: "closed_at", Lineage: []string{"run_id", "synced_at"}},
		Columns: []Column{
			col(1, "login_id", text, "Flinks LoginId the account was synced through."),
			col(1, "account_id", text, "Flinks' stable id of the investment account (payload Accounts[].Id)."),
			null(1, "institution", text, "Institution name (payload Investments[].Name)."),
			null(1, "institution_id", text, "Flinks institution id (payload Investments[].Id)."),
			null(1, "name", text, "Account name as the institution shows it."),
			null(1, "type", text, "Account type as Flinks sends it (tfsa, rrsp, margin, ...)."),
			null(1, "registered", boolean, "True for a tax-sheltered account."),
			null(1, "currency", text, "Settlement currency, upper-case ISO code."),
			null(1, "cash", Exact, "Cash balance."),
			null(1, "account_value", Exact, "Cash plus securities at market value."),
			null(1, "currency_value", Exact, "Account value in the account currency."),
			null(1, "account_number", text, "Account number, masked to its last four digits unless full numbers are kept."),
			null(1, "full_account_label", text, "Institution's label (name, number, currency), account number masked likewise."),
			col(1, "run_id", text, "Run that last wrote this row's values: the last succeeded sync that carried the account (closing it does not change it)."),
			col(1, "synced_at", instant, "When that run fetched the data (UTC)."),
			null(1, "extra", jsonExtra, "Payload fields with no column of their own, as JSON."),
			null(2, "last_seen_at", instant, "When the last succeeded sync that carried the account fetched it (UTC); NULL in a row written before schema version 2 until the account is seen again."),
			null(2, "closed_at", instant, "When the first succeeded sync of the login that no longer carried the account fetched its payload (UTC); NULL while the account is carried, and again when it returns."),
		},
	}

	Positions = &Table{
		Name:        "positions",
		LoginData:   true,
		Doc:         "One row per holding of one security in one account in one snapshot of its login. A sync replaces exactly the snapshot it fetched (its login and snapshot date: every account of the login, that date) and leaves every other date, the history, as it is; two syncs of the same unrefreshed data give one snapshot.",
		Merge:       ReplaceScope,
		History:     true,
		Key:         []string{"login_id", "account_id", "security_key", "as_of_date"},
		ScopeBy:     []string{"login_id", "as_of_date"},
		PartitionBy: []string{"as_of_date"},
		Columns: []Column{
			col(1, "login_id", text, "Flinks LoginId."),
			col(1, "account_id", text, "Account holding the position (accounts.account_id)."),
			col(1, "security_key", text, "The security held (securities.security_key)."),
			col(1, "as_of_date", date, "Snapshot date: the UTC date of the session's Login.LastRefresh (when Flinks last refreshed the login's data), the same for every position of the sync; the sync's UTC date only when Flinks gave none."),
			null(1, "quantity", Exact, "Units held; negative for a short position."),
			null(1, "price", Exact, "Price per unit."),
			null(1, "market_value", Exact, "Quantity times price, as reported."),
			null(1, "book_value", Exact, "Cost basis, as reported."),
			null(1, "average_cost", Exact, "Average cost per unit, as reported."),
			null(1, "currency", text, "Currency of price and values, upper-case ISO code."),
			col(1, "run_id", text, "Run that wrote this snapshot."),
			col(1, "synced_at", instant, "When that run fetched the data (UTC)."),
			null(1, "extra", jsonExtra, "Payload fields with no column of their own, as JSON."),
			null(2, "price_date", date, "The position's own AsOfDate: the date its price and values are of, which may differ from as_of_date (a fund priced a day behind); NULL when the payload has none."),
		},
	}

	Securities = &Table{
		Name:  "securities",
		Doc:   "One row per security key: one real-world security, however many accounts and partial references of a login name it; two references whose Id, ISIN or CUSIP differ are never one row. A later reference fills in identifiers and never erases known ones. Logins that know a security by different identifiers may key it differently: security_aliases links the keys, and securities_resolved merges their rows.",
		Merge: Coalesce,
		Key:   []string{"security_key"},
		Columns: []Column{
			col(1, "security_key", text, "Deterministic key from the strongest identifier the security's references carry that the payload gives no other security: id:<Flinks Id>, else isin:<ISIN>, cusip:<CUSIP>, symbol:<SYMBOL>@<CCY> (rule in transform/doc.go)."),
			null(1, "flinks_security_id", text, "Flinks' id of the security, when sent."),
			null(1, "symbol", text, "Ticker symbol."),
			null(1, "isin", text, "ISIN."),
			null(1, "cusip", text, "CUSIP."),
			null(1, "name", text, "Security name."),
			null(1, "type", text, "Security type as sent (etf, stock, bond, mutualfund, crypto, ...)."),
			null(1, "currency", text, "Trading currency, upper-case ISO code."),
			col(1, "run_id", text, "Run that last updated this row."),
			null(1, "extra", jsonExtra, "Payload fields with no column of their own, as JSON."),
		},
	}

	SecurityAliases = &Table{
		Name: "security_aliases",
		Doc: "Links between security keys that payloads revealed: the security keyed security_key also carries the identifier alias_key. " +
			"An identifier a payload gives to several securities is recorded under each of their keys (its own too when a reference is keyed by it), " +
			"which marks it ambiguous. The view resolved_security_keys resolves keys through this table (rules in transform/doc.go).",
		Merge: InsertIfNew,
		Key:   []string{"alias_key", "security_key"},
		Columns: []Column{
			col(2, "alias_key", text, "An identifier a security reference carried: id:<Flinks Id>, isin:<ISIN>, cusip:<CUSIP> or symbol:<SYMBOL>@<CCY> (never a symbol without currency)."),
			col(2, "security_key", text, "The key the transform gave the security carrying it in that payload (securities.security_key)."),
			col(2, "run_id", text, "Run that first recorded the link."),
			col(2, "first_seen_at", instant, "When that run fetched the payload (UTC)."),
		},
	}

	Transactions = &Table{
		Name:      "transactions",
		LoginData: true,
		Doc: "One row per transaction, once, however many runs see it. The latest sighting's values win; first_seen_at, updated_at and removed_at record its history. " +
			"A transaction a later payload lacks though it covers its date (that account's first to last transaction date in the payload) is kept and marked removed_at.",
		Merge:      Latest,
		History:    true,
		Key:        []string{"login_id", "account_id", "transaction_id"},
		ScopeBy:    []string{"login_id", "account_id"},
		ScopeRange: "date",
		Marks: &Marks{SeenAt: "synced_at", FirstSeen: "first_seen_at", Changed: "updated_at", Gone: "removed_at",
			Lineage: []string{"run_id", "synced_at"}},
		Columns: []Column{
			col(1, "login_id", text, "Flinks LoginId."),
			col(1, "account_id", text, "Account of the transaction (accounts.account_id)."),
			col(1, "transaction_id", text, "Flinks' id of the transaction."),
			null(1, "date", date, "Trade or booking date."),
			null(1, "settlement_date", date, "Settlement date."),
			null(1, "type", text, "Normalised type: buy, sell, dividend, interest, deposit, withdrawal, fee, transfer, split, reinvestment, other."),
			null(1, "type_raw", text, "Type exactly as Flinks sent it."),
			null(1, "description", text, "Description as sent, with every account number of the payload and any run of seven digits or more masked to its last four (rule in transform/doc.go, Masking)."),
			null(1, "security_key", text, "Security traded (securities.security_key); NULL for cash movements."),
			null(1, "quantity", Exact, "Units; negative when units leave the account."),
			null(1, "price", Exact, "Price per unit."),
			null(1, "fees", Exact, "Fees charged."),
			null(1, "net_amount", Exact, "Net cash effect on the account."),
			null(1, "currency", text, "Currency of the amounts, upper-case ISO code."),
			col(1, "run_id", text, "Run that last wrote this row's values: the first run that carried the transaction, or a later one whose payload changed a value or brought it back after removed_at (a re-sighting with the same values, or marking it removed, does not change it)."),
			col(1, "synced_at", instant, "When that run fetched the data (UTC)."),
			null(1, "extra", jsonExtra, "Payload fields with no column of their own, as JSON."),
			null(2, "first_seen_at", instant, "When the first run that carried the transaction fetched it (UTC). A row written before schema version 2 holds NULL until seen again, then its synced_at of then (version 1 kept the first sighting's)."),
			null(2, "updated_at", instant, "When the latest run whose payload changed one of the transaction's values (any column but the key, run_id, synced_at and these marks) fetched it (UTC); NULL while no value ever changed."),
			null(2, "removed_at", instant, "When the first run whose payload lacked the transaction, though it covered its date, fetched that payload (UTC); NULL while the source carries it, and again when it returns. The row keeps its last values."),
		},
	}

	SyncRuns = &Table{
		Name:  "sync_runs",
		Doc:   "One row per run of the syncer.",
		Merge: Upsert,
		Key:   []string{"run_id"},
		Columns: []Column{
			col(1, "run_id", text, "Unique id of the run."),
			col(1, "started_at", instant, "When the run started (UTC)."),
			null(1, "finished_at", instant, "When the run finished (UTC); NULL while running or after a crash."),
			col(1, "status", text, "running, succeeded, partial, failed or interrupted."),
			null(1, "command", text, "sync, backfill, retry, schedule or replay."),
			null(1, "logins_total", count, "Logins the run set out to sync."),
			null(1, "logins_succeeded", count, "Logins committed."),
			null(1, "logins_failed", count, "Logins that ended in any other status."),
			null(1, "requests", count, "HTTP requests made to Flinks."),
			null(1, "error", text, "Why the run could not proceed, if it could not."),
		},
	}

	SyncLogins = &Table{
		Name:    "sync_logins",
		Doc:     "One row per login per run: the outcome of that login's sync.",
		Merge:   Upsert,
		History: true,
		Key:     []string{"run_id", "login_id"},
		Columns: []Column{
			col(1, "run_id", text, "Run (sync_runs.run_id)."),
			col(1, "login_id", text, "Flinks LoginId."),
			col(1, "status", text, "succeeded, failed, timed_out, needs_user_action, rejected or interrupted."),
			null(1, "flinks_code", text, "FlinksCode of the answer that decided the outcome; NULL on success or when that answer had none."),
			col(1, "attempts", count, "Sessions opened and requests retried for this login."),
			col(1, "polls", count, "Data calls answered 202 (pending)."),
			null(1, "error", text, "Why the login did not sync; never contains secrets or payload values."),
			null(1, "started_at", instant, "First request for the login (UTC)."),
			null(1, "finished_at", instant, "When the outcome was decided (UTC)."),
			null(1, "accounts", count, "Account rows written (investment and bank accounts)."),
			null(1, "positions", count, "Position rows written."),
			null(1, "transactions", count, "Transaction rows in the payload (investment and bank transactions)."),
			null(1, "rejected", count, "Fragments quarantined in rejected_records."),
		},
	}

	SyncLoginProducts = &Table{
		Name: "sync_login_products",
		Doc: "One row per login per product per run: how that product (investments, banking) of the login's sync ended. " +
			"sync_logins.status is succeeded only when every product asked of the login succeeded; `syncer retry` syncs again only the products that failed.",
		Merge:   Upsert,
		History: true,
		Key:     []string{"run_id", "login_id", "product"},
		Columns: []Column{
			col(2, "run_id", text, "Run (sync_runs.run_id)."),
			col(2, "login_id", text, "Flinks LoginId."),
			col(2, "product", text, "investments or banking."),
			col(2, "status", text, "succeeded, failed, timed_out, needs_user_action or rejected, as sync_logins.status, for this product alone."),
			null(2, "flinks_code", text, "FlinksCode of the answer that decided the product's outcome; NULL on success or when that answer had none."),
			null(2, "error", text, "Why the product did not sync; never contains secrets, personal data or payload values."),
			null(2, "finished_at", instant, "When the outcome was decided (UTC)."),
		},
	}

	RejectedRecords = &Table{
		Name:    "rejected_records",
		Doc:     "Quarantine: payload fragments that could not be loaded, by JSON path. The rest of the login loads.",
		Merge:   Upsert,
		History: true,
		Key:     []string{"run_id", "login_id", "path"},
		Columns: []Column{
			col(1, "run_id", text, "Run that saw the fragment."),
			col(1, "login_id", text, "Flinks LoginId."),
			col(1, "path", text, "JSON path of the fragment, e.g. $.Investments[0].Accounts[1].Positions[3]."),
			null(1, "table_name", text, "Table the fragment would have gone to."),
			col(1, "reason", text, "What is wrong; never the sensitive value itself."),
			null(1, "fragment", jsonExtra, "The fragment with sensitive fields masked, when it is safe to keep."),
		},
	}

	Logins = &Table{
		Name:     "logins",
		Doc:      "The registry of LoginIds the warehouse knows: a sync with no LoginIds given syncs all of them. It also records when Flinks last refreshed each login's data.",
		Merge:    InsertIfNew,
		Key:      []string{"login_id"},
		Greatest: []string{"last_refresh_at"},
		Columns: []Column{
			col(1, "login_id", text, "Flinks LoginId."),
			col(1, "registered_at", instant, "When a run first registered the LoginId (UTC)."),
			null(1, "registered_by", text, "Command of that run: sync, backfill, retry, schedule or replay."),
			null(1, "run_id", text, "Run that registered it."),
			null(2, "last_refresh_at", instant, "When Flinks last refreshed the login's data (UTC): the newest Login.LastRefresh a succeeded sync saw (that sync's time when Flinks gave none), so the date of the login's newest snapshot; NULL until a sync succeeds. syncer status ages logins by it."),
		},
	}

	DataQuality = &Table{
		Name:    "data_quality",
		Doc:     "Checks computed from each payload, recorded as data rather than failing the load.",
		Merge:   Upsert,
		History: true,
		Key:     []string{"run_id", "login_id", "account_id", "check_name"},
		Columns: []Column{
			col(1, "run_id", text, "Run."),
			col(1, "login_id", text, "Flinks LoginId."),
			col(1, "account_id", text, "Account checked."),
			col(1, "check_name", text, "Check, e.g. value_reconciles: cash + sum(market_value) = account_value; security_ambiguous:<identifier>: the payload gives the identifier (e.g. symbol:ABC@CAD) to more than one security; balance_reconciles: a bank account's last transaction's running balance = its Balance.Current."),
			null(1, "expected", Exact, "Value reported by Flinks (for security_ambiguous: 1 key; for balance_reconciles: Balance.Current)."),
			null(1, "actual", Exact, "Value computed from the rows (for security_ambiguous: the keys the identifier is carried under; for balance_reconciles: the last transaction's running balance)."),
			null(1, "difference", Exact, "actual - expected."),
			col(1, "passed", boolean, "Whether the difference is within tolerance."),
		},
	}
)

// The registry's controls and the record of erasures (schema version 3).
var (
	LoginControls = &Table{
		Name: "login_controls",
		Doc: "One row per login an operator (or the auto-disable rule) disabled or enabled: its current state. " +
			"A disabled login keeps its registration and its data; sync with no LoginIds, retry and schedule skip it. A login with no row here is enabled.",
		Merge: Upsert,
		Key:   []string{"login_id"},
		Columns: []Column{
			col(3, "login_id", text, "Flinks LoginId (logins.login_id)."),
			col(3, "enabled", boolean, "False while the login is disabled."),
			col(3, "changed_at", instant, "When the login was last disabled or enabled (UTC)."),
			null(3, "changed_by", text, "Who changed it: the operator's name (syncer logins --by, else $USER) or auto-disable (sync's --disable-after-rejected)."),
			null(3, "reason", text, "Why the login was disabled, as the operator gave it, or how many rejected outcomes in a row disabled it; NULL once enabled."),
		},
	}

	Erasures = &Table{
		Name: "erasures",
		Doc: "One row per login erased by syncer forget, in each warehouse it was erased from: no personal data, only the login's hash, when, by whom and how many rows left each table. " +
			"A LoginId whose hash is here and that is not registered again (syncer logins add) is refused by sync.",
		Merge: Upsert,
		Key:   []string{"erasure_id", "login_hash"},
		Columns: []Column{
			col(3, "erasure_id", text, "Id of the syncer forget invocation (one per run of the command, shared by every warehouse it erased)."),
			col(3, "login_hash", text, "The erased LoginId's hash as logs name it: the first 12 hex digits of its SHA-256."),
			col(3, "erased_at", instant, "When the rows were deleted (UTC)."),
			null(3, "erased_by", text, "Who asked: syncer forget --by, else $USER; NULL when unknown."),
			col(3, "rows_removed", count, "Rows deleted from every table together (0 when a re-run found nothing left)."),
			null(3, "tables", jsonExtra, "Rows deleted per table, as a JSON object {\"table\": rows}, tables with none left out."),
		},
	}
)

// Tables lists every table in dependency order: the order in which a sink
// writes a batch, and the order of the data dictionary.
var Tables = []*Table{Logins, Accounts, Securities, SecurityAliases, Positions, Transactions,
	BankAccounts, BankBalances, BankTransactions, AccountHolders, RejectedRecords, DataQuality, SyncLogins, SyncLoginProducts, SyncRuns,
	LoginControls, Erasures}

// Lookup returns the table with the given name, or nil.
func Lookup(name string) *Table {
	for _, t := range Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}
