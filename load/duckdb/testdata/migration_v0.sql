CREATE TABLE IF NOT EXISTS "schema_version" (
	version INTEGER NOT NULL,
	migrated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS "logins" (
	"login_id" VARCHAR NOT NULL,
	"registered_at" TIMESTAMP NOT NULL,
	"registered_by" VARCHAR,
	"run_id" VARCHAR,
	"last_refresh_at" TIMESTAMP,
	PRIMARY KEY ("login_id")
);

CREATE TABLE IF NOT EXISTS "accounts" (
	"login_id" VARCHAR NOT NULL,
	"account_id" VARCHAR NOT NULL,
	"institution" VARCHAR,
	"institution_id" VARCHAR,
	"name" VARCHAR,
	"type" VARCHAR,
	"registered" BOOLEAN,
	"currency" VARCHAR,
	"cash" DECIMAL(38,18),
	"account_value" DECIMAL(38,18),
	"currency_value" DECIMAL(38,18),
	"account_number" VARCHAR,
	"full_account_label" VARCHAR,
	"run_id" VARCHAR NOT NULL,
	"synced_at" TIMESTAMP NOT NULL,
	"extra" JSON,
	"last_seen_at" TIMESTAMP,
	"closed_at" TIMESTAMP,
	PRIMARY KEY ("login_id", "account_id")
);

CREATE TABLE IF NOT EXISTS "securities" (
	"security_key" VARCHAR NOT NULL,
	"flinks_security_id" VARCHAR,
	"symbol" VARCHAR,
	"isin" VARCHAR,
	"cusip" VARCHAR,
	"name" VARCHAR,
	"type" VARCHAR,
	"currency" VARCHAR,
	"run_id" VARCHAR NOT NULL,
	"extra" JSON,
	PRIMARY KEY ("security_key")
);

CREATE TABLE IF NOT EXISTS "security_aliases" (
	"alias_key" VARCHAR NOT NULL,
	"security_key" VARCHAR NOT NULL,
	"run_id" VARCHAR NOT NULL,
	"first_seen_at" TIMESTAMP NOT NULL,
	PRIMARY KEY ("alias_key", "security_key")
);

CREATE TABLE IF NOT EXISTS "positions" (
	"login_id" VARCHAR NOT NULL,
	"account_id" VARCHAR NOT NULL,
	"security_key" VARCHAR NOT NULL,
	"as_of_date" DATE NOT NULL,
	"quantity" DECIMAL(38,18),
	"price" DECIMAL(38,18),
	"market_value" DECIMAL(38,18),
	"book_value" DECIMAL(38,18),
	"average_cost" DECIMAL(38,18),
	"currency" VARCHAR,
	"run_id" VARCHAR NOT NULL,
	"synced_at" TIMESTAMP NOT NULL,
	"extra" JSON,
	"price_date" DATE
);

CREATE TABLE IF NOT EXISTS "transactions" (
	"login_id" VARCHAR NOT NULL,
	"account_id" VARCHAR NOT NULL,
	"transaction_id" VARCHAR NOT NULL,
	"date" DATE,
	"settlement_date" DATE,
	"type" VARCHAR,
	"type_raw" VARCHAR,
	"description" VARCHAR,
	"security_key" VARCHAR,
	"quantity" DECIMAL(38,18),
	"price" DECIMAL(38,18),
	"fees" DECIMAL(38,18),
	"net_amount" DECIMAL(38,18),
	"currency" VARCHAR,
	"run_id" VARCHAR NOT NULL,
	"synced_at" TIMESTAMP NOT NULL,
	"extra" JSON,
	"first_seen_at" TIMESTAMP,
	"updated_at" TIMESTAMP,
	"removed_at" TIMESTAMP
);

CREATE TABLE IF NOT EXISTS "bank_accounts" (
	"login_id" VARCHAR NOT NULL,
	"account_id" VARCHAR NOT NULL,
	"institution" VARCHAR,
	"institution_id" VARCHAR,
	"title" VARCHAR,
	"category" VARCHAR,
	"type" VARCHAR,
	"currency" VARCHAR,
	"account_type" VARCHAR,
	"balance_available" DECIMAL(38,18),
	"balance_current" DECIMAL(38,18),
	"balance_limit" DECIMAL(38,18),
	"overdraft_limit" DECIMAL(38,18),
	"transit_number" VARCHAR,
	"institution_number" VARCHAR,
	"account_number" VARCHAR,
	"last_four_digits" VARCHAR,
	"run_id" VARCHAR NOT NULL,
	"synced_at" TIMESTAMP NOT NULL,
	"extra" JSON,
	"last_seen_at" TIMESTAMP,
	"closed_at" TIMESTAMP,
	PRIMARY KEY ("login_id", "account_id")
);

CREATE TABLE IF NOT EXISTS "bank_balances" (
	"login_id" VARCHAR NOT NULL,
	"account_id" VARCHAR NOT NULL,
	"as_of_date" DATE NOT NULL,
	"available" DECIMAL(38,18),
	"current" DECIMAL(38,18),
	"limit_amount" DECIMAL(38,18),
	"currency" VARCHAR,
	"run_id" VARCHAR NOT NULL,
	"synced_at" TIMESTAMP NOT NULL,
	"extra" JSON
);

CREATE TABLE IF NOT EXISTS "bank_transactions" (
	"login_id" VARCHAR NOT NULL,
	"account_id" VARCHAR NOT NULL,
	"transaction_id" VARCHAR NOT NULL,
	"date" DATE,
	"description" VARCHAR,
	"code" VARCHAR,
	"debit" DECIMAL(38,18),
	"credit" DECIMAL(38,18),
	"amount" DECIMAL(38,18),
	"balance" DECIMAL(38,18),
	"currency" VARCHAR,
	"run_id" VARCHAR NOT NULL,
	"synced_at" TIMESTAMP NOT NULL,
	"extra" JSON,
	"first_seen_at" TIMESTAMP,
	"updated_at" TIMESTAMP,
	"removed_at" TIMESTAMP
);

CREATE TABLE IF NOT EXISTS "account_holders" (
	"login_id" VARCHAR NOT NULL,
	"account_id" VARCHAR NOT NULL,
	"holder_key" VARCHAR,
	"province" VARCHAR,
	"country" VARCHAR,
	"name" VARCHAR,
	"email" VARCHAR,
	"phone" VARCHAR,
	"civic_address" VARCHAR,
	"city" VARCHAR,
	"postal_code" VARCHAR,
	"po_box" VARCHAR,
	"run_id" VARCHAR NOT NULL,
	"synced_at" TIMESTAMP NOT NULL,
	"extra" JSON,
	PRIMARY KEY ("login_id", "account_id")
);

CREATE TABLE IF NOT EXISTS "rejected_records" (
	"run_id" VARCHAR NOT NULL,
	"login_id" VARCHAR NOT NULL,
	"path" VARCHAR NOT NULL,
	"table_name" VARCHAR,
	"reason" VARCHAR NOT NULL,
	"fragment" JSON
);

CREATE TABLE IF NOT EXISTS "data_quality" (
	"run_id" VARCHAR NOT NULL,
	"login_id" VARCHAR NOT NULL,
	"account_id" VARCHAR NOT NULL,
	"check_name" VARCHAR NOT NULL,
	"expected" DECIMAL(38,18),
	"actual" DECIMAL(38,18),
	"difference" DECIMAL(38,18),
	"passed" BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS "sync_logins" (
	"run_id" VARCHAR NOT NULL,
	"login_id" VARCHAR NOT NULL,
	"status" VARCHAR NOT NULL,
	"flinks_code" VARCHAR,
	"attempts" BIGINT NOT NULL,
	"polls" BIGINT NOT NULL,
	"error" VARCHAR,
	"started_at" TIMESTAMP,
	"finished_at" TIMESTAMP,
	"accounts" BIGINT,
	"positions" BIGINT,
	"transactions" BIGINT,
	"rejected" BIGINT
);

CREATE TABLE IF NOT EXISTS "sync_login_products" (
	"run_id" VARCHAR NOT NULL,
	"login_id" VARCHAR NOT NULL,
	"product" VARCHAR NOT NULL,
	"status" VARCHAR NOT NULL,
	"flinks_code" VARCHAR,
	"error" VARCHAR,
	"finished_at" TIMESTAMP
);

CREATE TABLE IF NOT EXISTS "sync_runs" (
	"run_id" VARCHAR NOT NULL,
	"started_at" TIMESTAMP NOT NULL,
	"finished_at" TIMESTAMP,
	"status" VARCHAR NOT NULL,
	"command" VARCHAR,
	"logins_total" BIGINT,
	"logins_succeeded" BIGINT,
	"logins_failed" BIGINT,
	"requests" BIGINT,
	"error" VARCHAR,
	PRIMARY KEY ("run_id")
);

CREATE TABLE IF NOT EXISTS "login_controls" (
	"login_id" VARCHAR NOT NULL,
	"enabled" BOOLEAN NOT NULL,
	"changed_at" TIMESTAMP NOT NULL,
	"changed_by" VARCHAR,
	"reason" VARCHAR,
	PRIMARY KEY ("login_id")
);

CREATE TABLE IF NOT EXISTS "erasures" (
	"erasure_id" VARCHAR NOT NULL,
	"login_hash" VARCHAR NOT NULL,
	"erased_at" TIMESTAMP NOT NULL,
	"erased_by" VARCHAR,
	"rows_removed" BIGINT NOT NULL,
	"tables" JSON,
	PRIMARY KEY ("erasure_id", "login_hash")
);

COMMENT ON TABLE "logins" IS 'The registry of LoginIds the warehouse knows: a sync with no LoginIds given syncs all of them. It also records when Flinks last refreshed each login''s data.';

COMMENT ON COLUMN "logins"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "logins"."registered_at" IS 'When a run first registered the LoginId (UTC).';

COMMENT ON COLUMN "logins"."registered_by" IS 'Command of that run: sync, backfill, retry, schedule or replay.';

COMMENT ON COLUMN "logins"."run_id" IS 'Run that registered it.';

COMMENT ON COLUMN "logins"."last_refresh_at" IS 'When Flinks last refreshed the login''s data (UTC): the newest Login.LastRefresh a succeeded sync saw (that sync''s time when Flinks gave none), so the date of the login''s newest snapshot; NULL until a sync succeeds. syncer status ages logins by it.';

COMMENT ON TABLE "accounts" IS 'One row per investment account a login has carried: its latest state as of the last good sync that carried it. An account a succeeded sync of its login no longer carries is kept with those values and marked closed_at: count open accounts with closed_at IS NULL.';

COMMENT ON COLUMN "accounts"."login_id" IS 'Flinks LoginId the account was synced through.';

COMMENT ON COLUMN "accounts"."account_id" IS 'Flinks'' stable id of the investment account (payload Accounts[].Id).';

COMMENT ON COLUMN "accounts"."institution" IS 'Institution name (payload Investments[].Name).';

COMMENT ON COLUMN "accounts"."institution_id" IS 'Flinks institution id (payload Investments[].Id).';

COMMENT ON COLUMN "accounts"."name" IS 'Account name as the institution shows it.';

COMMENT ON COLUMN "accounts"."type" IS 'Account type as Flinks sends it (tfsa, rrsp, margin, ...).';

COMMENT ON COLUMN "accounts"."registered" IS 'True for a tax-sheltered account.';

COMMENT ON COLUMN "accounts"."currency" IS 'Settlement currency, upper-case ISO code.';

COMMENT ON COLUMN "accounts"."cash" IS 'Cash balance.';

COMMENT ON COLUMN "accounts"."account_value" IS 'Cash plus securities at market value.';

COMMENT ON COLUMN "accounts"."currency_value" IS 'Account value in the account currency.';

COMMENT ON COLUMN "accounts"."account_number" IS 'Account number, masked to its last four digits unless full numbers are kept.';

COMMENT ON COLUMN "accounts"."full_account_label" IS 'Institution''s label (name, number, currency), account number masked likewise.';

COMMENT ON COLUMN "accounts"."run_id" IS 'Run that last wrote this row''s values: the last succeeded sync that carried the account (closing it does not change it).';

COMMENT ON COLUMN "accounts"."synced_at" IS 'When that run fetched the data (UTC).';

COMMENT ON COLUMN "accounts"."extra" IS 'Payload fields with no column of their own, as JSON.';

COMMENT ON COLUMN "accounts"."last_seen_at" IS 'When the last succeeded sync that carried the account fetched it (UTC); NULL in a row written before schema version 2 until the account is seen again.';

COMMENT ON COLUMN "accounts"."closed_at" IS 'When the first succeeded sync of the login that no longer carried the account fetched its payload (UTC); NULL while the account is carried, and again when it returns.';

COMMENT ON TABLE "securities" IS 'One row per security key: one real-world security, however many accounts and partial references of a login name it; two references whose Id, ISIN or CUSIP differ are never one row. A later reference fills in identifiers and never erases known ones. Logins that know a security by different identifiers may key it differently: security_aliases links the keys, and securities_resolved merges their rows.';

COMMENT ON COLUMN "securities"."security_key" IS 'Deterministic key from the strongest identifier the security''s references carry that the payload gives no other security: id:<Flinks Id>, else isin:<ISIN>, cusip:<CUSIP>, symbol:<SYMBOL>@<CCY> (rule in transform/doc.go).';

COMMENT ON COLUMN "securities"."flinks_security_id" IS 'Flinks'' id of the security, when sent.';

COMMENT ON COLUMN "securities"."symbol" IS 'Ticker symbol.';

COMMENT ON COLUMN "securities"."isin" IS 'ISIN.';

COMMENT ON COLUMN "securities"."cusip" IS 'CUSIP.';

COMMENT ON COLUMN "securities"."name" IS 'Security name.';

COMMENT ON COLUMN "securities"."type" IS 'Security type as sent (etf, stock, bond, mutualfund, crypto, ...).';

COMMENT ON COLUMN "securities"."currency" IS 'Trading currency, upper-case ISO code.';

COMMENT ON COLUMN "securities"."run_id" IS 'Run that last updated this row.';

COMMENT ON COLUMN "securities"."extra" IS 'Payload fields with no column of their own, as JSON.';

COMMENT ON TABLE "security_aliases" IS 'Links between security keys that payloads revealed: the security keyed security_key also carries the identifier alias_key. An identifier a payload gives to several securities is recorded under each of their keys (its own too when a reference is keyed by it), which marks it ambiguous. The view resolved_security_keys resolves keys through this table (rules in transform/doc.go).';

COMMENT ON COLUMN "security_aliases"."alias_key" IS 'An identifier a security reference carried: id:<Flinks Id>, isin:<ISIN>, cusip:<CUSIP> or symbol:<SYMBOL>@<CCY> (never a symbol without currency).';

COMMENT ON COLUMN "security_aliases"."security_key" IS 'The key the transform gave the security carrying it in that payload (securities.security_key).';

COMMENT ON COLUMN "security_aliases"."run_id" IS 'Run that first recorded the link.';

COMMENT ON COLUMN "security_aliases"."first_seen_at" IS 'When that run fetched the payload (UTC).';

COMMENT ON TABLE "positions" IS 'One row per holding of one security in one account in one snapshot of its login. A sync replaces exactly the snapshot it fetched (its login and snapshot date: every account of the login, that date) and leaves every other date, the history, as it is; two syncs of the same unrefreshed data give one snapshot.';

COMMENT ON COLUMN "positions"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "positions"."account_id" IS 'Account holding the position (accounts.account_id).';

COMMENT ON COLUMN "positions"."security_key" IS 'The security held (securities.security_key).';

COMMENT ON COLUMN "positions"."as_of_date" IS 'Snapshot date: the UTC date of the session''s Login.LastRefresh (when Flinks last refreshed the login''s data), the same for every position of the sync; the sync''s UTC date only when Flinks gave none.';

COMMENT ON COLUMN "positions"."quantity" IS 'Units held; negative for a short position.';

COMMENT ON COLUMN "positions"."price" IS 'Price per unit.';

COMMENT ON COLUMN "positions"."market_value" IS 'Quantity times price, as reported.';

COMMENT ON COLUMN "positions"."book_value" IS 'Cost basis, as reported.';

COMMENT ON COLUMN "positions"."average_cost" IS 'Average cost per unit, as reported.';

COMMENT ON COLUMN "positions"."currency" IS 'Currency of price and values, upper-case ISO code.';

COMMENT ON COLUMN "positions"."run_id" IS 'Run that wrote this snapshot.';

COMMENT ON COLUMN "positions"."synced_at" IS 'When that run fetched the data (UTC).';

COMMENT ON COLUMN "positions"."extra" IS 'Payload fields with no column of their own, as JSON.';

COMMENT ON COLUMN "positions"."price_date" IS 'The position''s own AsOfDate: the date its price and values are of, which may differ from as_of_date (a fund priced a day behind); NULL when the payload has none.';

COMMENT ON TABLE "transactions" IS 'One row per transaction, once, however many runs see it. The latest sighting''s values win; first_seen_at, updated_at and removed_at record its history. A transaction a later payload lacks though it covers its date (that account''s first to last transaction date in the payload) is kept and marked removed_at.';

COMMENT ON COLUMN "transactions"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "transactions"."account_id" IS 'Account of the transaction (accounts.account_id).';

COMMENT ON COLUMN "transactions"."transaction_id" IS 'Flinks'' id of the transaction.';

COMMENT ON COLUMN "transactions"."date" IS 'Trade or booking date.';

COMMENT ON COLUMN "transactions"."settlement_date" IS 'Settlement date.';

COMMENT ON COLUMN "transactions"."type" IS 'Normalised type: buy, sell, dividend, interest, deposit, withdrawal, fee, transfer, split, reinvestment, other.';

COMMENT ON COLUMN "transactions"."type_raw" IS 'Type exactly as Flinks sent it.';

COMMENT ON COLUMN "transactions"."description" IS 'Description as sent, with every account number of the payload and any run of seven digits or more masked to its last four (rule in transform/doc.go, Masking).';

COMMENT ON COLUMN "transactions"."security_key" IS 'Security traded (securities.security_key); NULL for cash movements.';

COMMENT ON COLUMN "transactions"."quantity" IS 'Units; negative when units leave the account.';

COMMENT ON COLUMN "transactions"."price" IS 'Price per unit.';

COMMENT ON COLUMN "transactions"."fees" IS 'Fees charged.';

COMMENT ON COLUMN "transactions"."net_amount" IS 'Net cash effect on the account.';

COMMENT ON COLUMN "transactions"."currency" IS 'Currency of the amounts, upper-case ISO code.';

COMMENT ON COLUMN "transactions"."run_id" IS 'Run that last wrote this row''s values: the first run that carried the transaction, or a later one whose payload changed a value or brought it back after removed_at (a re-sighting with the same values, or marking it removed, does not change it).';

COMMENT ON COLUMN "transactions"."synced_at" IS 'When that run fetched the data (UTC).';

COMMENT ON COLUMN "transactions"."extra" IS 'Payload fields with no column of their own, as JSON.';

COMMENT ON COLUMN "transactions"."first_seen_at" IS 'When the first run that carried the transaction fetched it (UTC). A row written before schema version 2 holds NULL until seen again, then its synced_at of then (version 1 kept the first sighting''s).';

COMMENT ON COLUMN "transactions"."updated_at" IS 'When the latest run whose payload changed one of the transaction''s values (any column but the key, run_id, synced_at and these marks) fetched it (UTC); NULL while no value ever changed.';

COMMENT ON COLUMN "transactions"."removed_at" IS 'When the first run whose payload lacked the transaction, though it covered its date, fetched that payload (UTC); NULL while the source carries it, and again when it returns. The row keeps its last values.';

COMMENT ON TABLE "bank_accounts" IS 'One row per bank account a login has carried (GetAccountsDetail): its latest state as of the last good banking sync that carried it. An account a succeeded banking sync of its login no longer carries is kept with those values and marked closed_at: count open accounts with closed_at IS NULL.';

COMMENT ON COLUMN "bank_accounts"."login_id" IS 'Flinks LoginId the account was synced through.';

COMMENT ON COLUMN "bank_accounts"."account_id" IS 'Flinks'' stable id of the bank account (payload Accounts[].Id).';

COMMENT ON COLUMN "bank_accounts"."institution" IS 'Institution name (payload InstitutionName, else Institution).';

COMMENT ON COLUMN "bank_accounts"."institution_id" IS 'Flinks institution id (payload InstitutionId).';

COMMENT ON COLUMN "bank_accounts"."title" IS 'Account title as the institution shows it, with account numbers and the holders'' details masked (rules in transform/doc.go).';

COMMENT ON COLUMN "bank_accounts"."category" IS 'Category as Flinks sends it (Operations, Credits, ...).';

COMMENT ON COLUMN "bank_accounts"."type" IS 'Account type as Flinks sends it (Chequing, ...).';

COMMENT ON COLUMN "bank_accounts"."currency" IS 'Currency of the account, upper-case ISO code.';

COMMENT ON COLUMN "bank_accounts"."account_type" IS 'Personal or business, as Flinks sends it (AccountType).';

COMMENT ON COLUMN "bank_accounts"."balance_available" IS 'Balance available to spend (Balance.Available), as of the sync.';

COMMENT ON COLUMN "bank_accounts"."balance_current" IS 'Current balance (Balance.Current), as of the sync.';

COMMENT ON COLUMN "bank_accounts"."balance_limit" IS 'Credit limit (Balance.Limit).';

COMMENT ON COLUMN "bank_accounts"."overdraft_limit" IS 'Overdraft limit.';

COMMENT ON COLUMN "bank_accounts"."transit_number" IS 'Branch transit number, as sent.';

COMMENT ON COLUMN "bank_accounts"."institution_number" IS 'Institution number, as sent.';

COMMENT ON COLUMN "bank_accounts"."account_number" IS 'Account number, masked to its last four characters unless full numbers are kept (--keep-account-numbers).';

COMMENT ON COLUMN "bank_accounts"."last_four_digits" IS 'Flinks'' LastFourDigits as sent (anything before its last four characters masked).';

COMMENT ON COLUMN "bank_accounts"."run_id" IS 'Run that last wrote this row''s values: the last succeeded banking sync that carried the account (closing it does not change it).';

COMMENT ON COLUMN "bank_accounts"."synced_at" IS 'When that run fetched the data (UTC).';

COMMENT ON COLUMN "bank_accounts"."extra" IS 'Payload fields with no column of their own, as JSON, masked; the payload''s and its Login''s such members ride along under _payload and _login.';

COMMENT ON COLUMN "bank_accounts"."last_seen_at" IS 'When the last succeeded banking sync that carried the account fetched it (UTC).';

COMMENT ON COLUMN "bank_accounts"."closed_at" IS 'When the first succeeded banking sync of the login that no longer carried the account fetched its payload (UTC); NULL while the account is carried, and again when it returns.';

COMMENT ON TABLE "bank_balances" IS 'One row per bank account per as-of date: the balances a banking sync saw, dated by when Flinks last refreshed the login''s data. A sync replaces exactly its login''s as-of date (every account of the login) and keeps every other date, the history; two syncs of the same unrefreshed data give one date.';

COMMENT ON COLUMN "bank_balances"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "bank_balances"."account_id" IS 'Bank account (bank_accounts.account_id).';

COMMENT ON COLUMN "bank_balances"."as_of_date" IS 'As-of date: the UTC date of the payload''s Login.LastRefresh (else the session''s; the sync''s UTC date only when Flinks gave none), the same for every account of the sync.';

COMMENT ON COLUMN "bank_balances"."available" IS 'Balance available to spend (Balance.Available).';

COMMENT ON COLUMN "bank_balances"."current" IS 'Current balance (Balance.Current).';

COMMENT ON COLUMN "bank_balances"."limit_amount" IS 'Credit limit (Balance.Limit).';

COMMENT ON COLUMN "bank_balances"."currency" IS 'Currency of the balances: the account''s, upper-case ISO code.';

COMMENT ON COLUMN "bank_balances"."run_id" IS 'Run that wrote this date''s balances.';

COMMENT ON COLUMN "bank_balances"."synced_at" IS 'When that run fetched the data (UTC).';

COMMENT ON COLUMN "bank_balances"."extra" IS 'Members of Balance with no column of their own, as JSON.';

COMMENT ON TABLE "bank_transactions" IS 'One row per bank transaction, once, however many runs see it. The latest sighting''s values win; first_seen_at, updated_at and removed_at record its history. A transaction a later payload lacks though it covers its date (that account''s first to last transaction date in the payload) is kept and marked removed_at.';

COMMENT ON COLUMN "bank_transactions"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "bank_transactions"."account_id" IS 'Bank account (bank_accounts.account_id).';

COMMENT ON COLUMN "bank_transactions"."transaction_id" IS 'Flinks'' id of the transaction.';

COMMENT ON COLUMN "bank_transactions"."date" IS 'Booking date (payload Date, YYYY-MM-DD or YYYY/MM/DD).';

COMMENT ON COLUMN "bank_transactions"."description" IS 'Description as sent, with account numbers, runs of seven digits or more and the holders'' details masked (rules in transform/doc.go).';

COMMENT ON COLUMN "bank_transactions"."code" IS 'Transaction code as sent.';

COMMENT ON COLUMN "bank_transactions"."debit" IS 'Money out of the account, as sent (positive; NULL for a credit).';

COMMENT ON COLUMN "bank_transactions"."credit" IS 'Money into the account, as sent (positive; NULL for a debit).';

COMMENT ON COLUMN "bank_transactions"."amount" IS 'credit - debit, exact, a missing side counting as 0: positive when money comes in; NULL when both are NULL. A transaction with both sides keeps both.';

COMMENT ON COLUMN "bank_transactions"."balance" IS 'Running balance of the account after the transaction, as sent.';

COMMENT ON COLUMN "bank_transactions"."currency" IS 'Currency of the amounts: the account''s, upper-case ISO code.';

COMMENT ON COLUMN "bank_transactions"."run_id" IS 'Run that last wrote this row''s values: the first run that carried the transaction, or a later one whose payload changed a value or brought it back after removed_at.';

COMMENT ON COLUMN "bank_transactions"."synced_at" IS 'When that run fetched the data (UTC).';

COMMENT ON COLUMN "bank_transactions"."extra" IS 'Payload fields with no column of their own, as JSON, masked.';

COMMENT ON COLUMN "bank_transactions"."first_seen_at" IS 'When the first run that carried the transaction fetched it (UTC).';

COMMENT ON COLUMN "bank_transactions"."updated_at" IS 'When the latest run whose payload changed one of the transaction''s values (any column but the key, run_id, synced_at and these marks) fetched it (UTC); NULL while no value ever changed.';

COMMENT ON COLUMN "bank_transactions"."removed_at" IS 'When the first run whose payload lacked the transaction, though it covered its date, fetched that payload (UTC); NULL while the source carries it, and again when it returns. The row keeps its last values.';

COMMENT ON TABLE "account_holders" IS 'One row per bank account''s holder (the payload has one Holder per account; a joint account''s holders come as one, e.g. "A & B"). holder_key counts people without showing them: equal for one person''s accounts across logins. Name, e-mail, phone and street address are stored only with --keep-holder-pii, else NULL; a sync replaces the row.';

COMMENT ON COLUMN "account_holders"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "account_holders"."account_id" IS 'Bank account (bank_accounts.account_id).';

COMMENT ON COLUMN "account_holders"."holder_key" IS 'HMAC-SHA256, keyed with the warehouse''s holder secret, of the holder''s normalised name and e-mail (rule in transform/doc.go), in hex: equal for one person across accounts and logins. NULL when the holder has neither.';

COMMENT ON COLUMN "account_holders"."province" IS 'Province or state of the holder''s address, as sent.';

COMMENT ON COLUMN "account_holders"."country" IS 'Country of the holder''s address, as sent.';

COMMENT ON COLUMN "account_holders"."name" IS 'Holder''s name; NULL unless --keep-holder-pii.';

COMMENT ON COLUMN "account_holders"."email" IS 'Holder''s e-mail address; NULL unless --keep-holder-pii.';

COMMENT ON COLUMN "account_holders"."phone" IS 'Holder''s phone number; NULL unless --keep-holder-pii.';

COMMENT ON COLUMN "account_holders"."civic_address" IS 'Street address; NULL unless --keep-holder-pii.';

COMMENT ON COLUMN "account_holders"."city" IS 'City; NULL unless --keep-holder-pii.';

COMMENT ON COLUMN "account_holders"."postal_code" IS 'Postal code; NULL unless --keep-holder-pii.';

COMMENT ON COLUMN "account_holders"."po_box" IS 'Post-office box; NULL unless --keep-holder-pii.';

COMMENT ON COLUMN "account_holders"."run_id" IS 'Run that last wrote the row.';

COMMENT ON COLUMN "account_holders"."synced_at" IS 'When that run fetched the data (UTC).';

COMMENT ON COLUMN "account_holders"."extra" IS 'Holder and address members with no column of their own, as JSON, only with --keep-holder-pii; else only how many there were ({"withheld_members": n}).';

COMMENT ON TABLE "rejected_records" IS 'Quarantine: payload fragments that could not be loaded, by JSON path. The rest of the login loads.';

COMMENT ON COLUMN "rejected_records"."run_id" IS 'Run that saw the fragment.';

COMMENT ON COLUMN "rejected_records"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "rejected_records"."path" IS 'JSON path of the fragment, e.g. $.Investments[0].Accounts[1].Positions[3].';

COMMENT ON COLUMN "rejected_records"."table_name" IS 'Table the fragment would have gone to.';

COMMENT ON COLUMN "rejected_records"."reason" IS 'What is wrong; never the sensitive value itself.';

COMMENT ON COLUMN "rejected_records"."fragment" IS 'The fragment with sensitive fields masked, when it is safe to keep.';

COMMENT ON TABLE "data_quality" IS 'Checks computed from each payload, recorded as data rather than failing the load.';

COMMENT ON COLUMN "data_quality"."run_id" IS 'Run.';

COMMENT ON COLUMN "data_quality"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "data_quality"."account_id" IS 'Account checked.';

COMMENT ON COLUMN "data_quality"."check_name" IS 'Check, e.g. value_reconciles: cash + sum(market_value) = account_value; security_ambiguous:<identifier>: the payload gives the identifier (e.g. symbol:ABC@CAD) to more than one security; balance_reconciles: a bank account''s last transaction''s running balance = its Balance.Current.';

COMMENT ON COLUMN "data_quality"."expected" IS 'Value reported by Flinks (for security_ambiguous: 1 key; for balance_reconciles: Balance.Current).';

COMMENT ON COLUMN "data_quality"."actual" IS 'Value computed from the rows (for security_ambiguous: the keys the identifier is carried under; for balance_reconciles: the last transaction''s running balance).';

COMMENT ON COLUMN "data_quality"."difference" IS 'actual - expected.';

COMMENT ON COLUMN "data_quality"."passed" IS 'Whether the difference is within tolerance.';

COMMENT ON TABLE "sync_logins" IS 'One row per login per run: the outcome of that login''s sync.';

COMMENT ON COLUMN "sync_logins"."run_id" IS 'Run (sync_runs.run_id).';

COMMENT ON COLUMN "sync_logins"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "sync_logins"."status" IS 'succeeded, failed, timed_out, needs_user_action, rejected or interrupted.';

COMMENT ON COLUMN "sync_logins"."flinks_code" IS 'FlinksCode of the answer that decided the outcome; NULL on success or when that answer had none.';

COMMENT ON COLUMN "sync_logins"."attempts" IS 'Sessions opened and requests retried for this login.';

COMMENT ON COLUMN "sync_logins"."polls" IS 'Data calls answered 202 (pending).';

COMMENT ON COLUMN "sync_logins"."error" IS 'Why the login did not sync; never contains secrets or payload values.';

COMMENT ON COLUMN "sync_logins"."started_at" IS 'First request for the login (UTC).';

COMMENT ON COLUMN "sync_logins"."finished_at" IS 'When the outcome was decided (UTC).';

COMMENT ON COLUMN "sync_logins"."accounts" IS 'Account rows written (investment and bank accounts).';

COMMENT ON COLUMN "sync_logins"."positions" IS 'Position rows written.';

COMMENT ON COLUMN "sync_logins"."transactions" IS 'Transaction rows in the payload (investment and bank transactions).';

COMMENT ON COLUMN "sync_logins"."rejected" IS 'Fragments quarantined in rejected_records.';

COMMENT ON TABLE "sync_login_products" IS 'One row per login per product per run: how that product (investments, banking) of the login''s sync ended. sync_logins.status is succeeded only when every product asked of the login succeeded; `syncer retry` syncs again only the products that failed.';

COMMENT ON COLUMN "sync_login_products"."run_id" IS 'Run (sync_runs.run_id).';

COMMENT ON COLUMN "sync_login_products"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "sync_login_products"."product" IS 'investments or banking.';

COMMENT ON COLUMN "sync_login_products"."status" IS 'succeeded, failed, timed_out, needs_user_action or rejected, as sync_logins.status, for this product alone.';

COMMENT ON COLUMN "sync_login_products"."flinks_code" IS 'FlinksCode of the answer that decided the product''s outcome; NULL on success or when that answer had none.';

COMMENT ON COLUMN "sync_login_products"."error" IS 'Why the product did not sync; never contains secrets, personal data or payload values.';

COMMENT ON COLUMN "sync_login_products"."finished_at" IS 'When the outcome was decided (UTC).';

COMMENT ON TABLE "sync_runs" IS 'One row per run of the syncer.';

COMMENT ON COLUMN "sync_runs"."run_id" IS 'Unique id of the run.';

COMMENT ON COLUMN "sync_runs"."started_at" IS 'When the run started (UTC).';

COMMENT ON COLUMN "sync_runs"."finished_at" IS 'When the run finished (UTC); NULL while running or after a crash.';

COMMENT ON COLUMN "sync_runs"."status" IS 'running, succeeded, partial, failed or interrupted.';

COMMENT ON COLUMN "sync_runs"."command" IS 'sync, backfill, retry, schedule or replay.';

COMMENT ON COLUMN "sync_runs"."logins_total" IS 'Logins the run set out to sync.';

COMMENT ON COLUMN "sync_runs"."logins_succeeded" IS 'Logins committed.';

COMMENT ON COLUMN "sync_runs"."logins_failed" IS 'Logins that ended in any other status.';

COMMENT ON COLUMN "sync_runs"."requests" IS 'HTTP requests made to Flinks.';

COMMENT ON COLUMN "sync_runs"."error" IS 'Why the run could not proceed, if it could not.';

COMMENT ON TABLE "login_controls" IS 'One row per login an operator (or the auto-disable rule) disabled or enabled: its current state. A disabled login keeps its registration and its data; sync with no LoginIds, retry and schedule skip it. A login with no row here is enabled.';

COMMENT ON COLUMN "login_controls"."login_id" IS 'Flinks LoginId (logins.login_id).';

COMMENT ON COLUMN "login_controls"."enabled" IS 'False while the login is disabled.';

COMMENT ON COLUMN "login_controls"."changed_at" IS 'When the login was last disabled or enabled (UTC).';

COMMENT ON COLUMN "login_controls"."changed_by" IS 'Who changed it: the operator''s name (syncer logins --by, else $USER) or auto-disable (sync''s --disable-after-rejected).';

COMMENT ON COLUMN "login_controls"."reason" IS 'Why the login was disabled, as the operator gave it, or how many rejected outcomes in a row disabled it; NULL once enabled.';

COMMENT ON TABLE "erasures" IS 'One row per login erased by syncer forget, in each warehouse it was erased from: no personal data, only the login''s hash, when, by whom and how many rows left each table. A LoginId whose hash is here and that is not registered again (syncer logins add) is refused by sync.';

COMMENT ON COLUMN "erasures"."erasure_id" IS 'Id of the syncer forget invocation (one per run of the command, shared by every warehouse it erased).';

COMMENT ON COLUMN "erasures"."login_hash" IS 'The erased LoginId''s hash as logs name it: the first 12 hex digits of its SHA-256.';

COMMENT ON COLUMN "erasures"."erased_at" IS 'When the rows were deleted (UTC).';

COMMENT ON COLUMN "erasures"."erased_by" IS 'Who asked: syncer forget --by, else $USER; NULL when unknown.';

COMMENT ON COLUMN "erasures"."rows_removed" IS 'Rows deleted from every table together (0 when a re-run found nothing left).';

COMMENT ON COLUMN "erasures"."tables" IS 'Rows deleted per table, as a JSON object {"table": rows}, tables with none left out.';

CREATE OR REPLACE VIEW "resolved_security_keys" AS
WITH RECURSIVE
ranked AS (
	SELECT alias_key, security_key,
		(CASE WHEN security_key LIKE 'id:%' THEN '0' WHEN security_key LIKE 'isin:%' THEN '1' WHEN security_key LIKE 'cusip:%' THEN '2' ELSE '3' END || security_key)
		< (CASE WHEN alias_key LIKE 'id:%' THEN '0' WHEN alias_key LIKE 'isin:%' THEN '1' WHEN alias_key LIKE 'cusip:%' THEN '2' ELSE '3' END || alias_key) AS stronger
	FROM security_aliases
),
links AS (
	SELECT alias_key, security_key FROM ranked
	WHERE stronger AND alias_key NOT IN (SELECT alias_key FROM ranked WHERE NOT stronger)
),
walks(alias_key, node) AS (
	SELECT alias_key, security_key FROM links
	UNION
	SELECT w.alias_key, l.security_key FROM walks AS w JOIN links AS l ON l.alias_key = w.node
),
ends AS (
	SELECT alias_key, min(node) AS security_key
	FROM walks
	WHERE node NOT IN (SELECT alias_key FROM links)
	GROUP BY alias_key
	HAVING count(DISTINCT node) = 1
),
conflicts AS (
	SELECT security_key, split_part(member, ':', 1) AS kind
	FROM (SELECT security_key, alias_key AS member FROM ends UNION SELECT security_key, security_key FROM ends)
	WHERE split_part(member, ':', 1) IN ('id', 'isin', 'cusip')
	GROUP BY security_key, kind
	HAVING count(DISTINCT member) > 1
)
SELECT e.alias_key, e.security_key
FROM ends AS e
WHERE e.security_key IN (SELECT security_key FROM securities)
	AND NOT EXISTS (
		SELECT 1
		FROM (SELECT e.alias_key AS node UNION ALL SELECT node FROM walks AS w WHERE w.alias_key = e.alias_key) AS p
		JOIN conflicts AS c ON c.security_key = e.security_key AND c.kind = split_part(p.node, ':', 1)
		WHERE p.node <> e.security_key
	);

CREATE OR REPLACE VIEW "positions_resolved" AS
SELECT p.* REPLACE (coalesce(r.security_key, p.security_key) AS security_key), p.security_key AS loaded_security_key
FROM positions AS p
LEFT JOIN resolved_security_keys AS r ON r.alias_key = p.security_key;

CREATE OR REPLACE VIEW "securities_resolved" AS
WITH members AS (
	SELECT s.*, coalesce(r.security_key, s.security_key) AS resolved,
		CASE WHEN r.security_key IS NULL THEN '0' ELSE '1' END
		|| CASE WHEN s.security_key LIKE 'id:%' THEN '0' WHEN s.security_key LIKE 'isin:%' THEN '1' WHEN s.security_key LIKE 'cusip:%' THEN '2' ELSE '3' END
		|| s.security_key AS ord
	FROM securities AS s
	LEFT JOIN resolved_security_keys AS r ON r.alias_key = s.security_key
)
SELECT
	resolved AS security_key,
	arg_min(flinks_security_id, ord) FILTER (WHERE flinks_security_id IS NOT NULL) AS flinks_security_id,
	arg_min(symbol, ord) FILTER (WHERE symbol IS NOT NULL) AS symbol,
	arg_min(isin, ord) FILTER (WHERE isin IS NOT NULL) AS isin,
	arg_min(cusip, ord) FILTER (WHERE cusip IS NOT NULL) AS cusip,
	arg_min(name, ord) FILTER (WHERE name IS NOT NULL) AS name,
	arg_min(type, ord) FILTER (WHERE type IS NOT NULL) AS type,
	arg_min(currency, ord) FILTER (WHERE currency IS NOT NULL) AS currency,
	arg_min(extra, ord) FILTER (WHERE extra IS NOT NULL) AS extra,
	count(*) AS merged_keys
FROM members
GROUP BY resolved;

CREATE OR REPLACE VIEW "latest_positions" AS
SELECT p.*
FROM (SELECT * FROM positions_resolved QUALIFY as_of_date = max(as_of_date) OVER (PARTITION BY login_id)) AS p
WHERE NOT EXISTS (SELECT 1 FROM accounts AS a
	WHERE a.login_id = p.login_id AND a.account_id = p.account_id AND a.closed_at IS NOT NULL);

CREATE OR REPLACE VIEW "portfolio_value_daily" AS
SELECT
	login_id,
	account_id,
	as_of_date,
	currency,
	sum(market_value) AS market_value,
	sum(book_value) AS book_value,
	count(*) AS positions
FROM positions
GROUP BY login_id, account_id, as_of_date, currency;

CREATE OR REPLACE VIEW "bank_balances_latest" AS
SELECT b.*
FROM (SELECT * FROM bank_balances QUALIFY as_of_date = max(as_of_date) OVER (PARTITION BY login_id)) AS b
WHERE NOT EXISTS (SELECT 1 FROM bank_accounts AS a
	WHERE a.login_id = b.login_id AND a.account_id = b.account_id AND a.closed_at IS NOT NULL);

CREATE OR REPLACE VIEW "cash_flow_monthly" AS
SELECT
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
GROUP BY ALL;

INSERT INTO "schema_version" (version) VALUES (3);
