-- A warehouse as the first version of syncer (schema version 1, before the logins
-- registry table) created it. Frozen: never regenerate; migrations must upgrade it.

CREATE TABLE IF NOT EXISTS "schema_version" (
	version INTEGER NOT NULL,
	migrated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
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
	PRIMARY KEY ("login_id", "account_id", "security_key", "as_of_date")
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
	PRIMARY KEY ("login_id", "account_id", "transaction_id")
);

CREATE TABLE IF NOT EXISTS "rejected_records" (
	"run_id" VARCHAR NOT NULL,
	"login_id" VARCHAR NOT NULL,
	"path" VARCHAR NOT NULL,
	"table_name" VARCHAR,
	"reason" VARCHAR NOT NULL,
	"fragment" JSON,
	PRIMARY KEY ("run_id", "login_id", "path")
);

CREATE TABLE IF NOT EXISTS "data_quality" (
	"run_id" VARCHAR NOT NULL,
	"login_id" VARCHAR NOT NULL,
	"account_id" VARCHAR NOT NULL,
	"check_name" VARCHAR NOT NULL,
	"expected" DECIMAL(38,18),
	"actual" DECIMAL(38,18),
	"difference" DECIMAL(38,18),
	"passed" BOOLEAN NOT NULL,
	PRIMARY KEY ("run_id", "login_id", "account_id", "check_name")
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
	"rejected" BIGINT,
	PRIMARY KEY ("run_id", "login_id")
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

COMMENT ON TABLE "accounts" IS 'One row per investment account: its latest state as of the last good sync.';

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

COMMENT ON COLUMN "accounts"."run_id" IS 'Run that last wrote this row.';

COMMENT ON COLUMN "accounts"."synced_at" IS 'When that run fetched the data (UTC).';

COMMENT ON COLUMN "accounts"."extra" IS 'Payload fields with no column of their own, as JSON.';

COMMENT ON TABLE "securities" IS 'One row per real-world security, however many accounts, logins and partial references name it. A later reference fills in identifiers and never erases known ones.';

COMMENT ON COLUMN "securities"."security_key" IS 'Deterministic key resolved from the security''s identifiers (see the data dictionary).';

COMMENT ON COLUMN "securities"."flinks_security_id" IS 'Flinks'' id of the security, when sent.';

COMMENT ON COLUMN "securities"."symbol" IS 'Ticker symbol.';

COMMENT ON COLUMN "securities"."isin" IS 'ISIN.';

COMMENT ON COLUMN "securities"."cusip" IS 'CUSIP.';

COMMENT ON COLUMN "securities"."name" IS 'Security name.';

COMMENT ON COLUMN "securities"."type" IS 'Security type as sent (etf, stock, bond, mutualfund, crypto, ...).';

COMMENT ON COLUMN "securities"."currency" IS 'Trading currency, upper-case ISO code.';

COMMENT ON COLUMN "securities"."run_id" IS 'Run that last updated this row.';

COMMENT ON COLUMN "securities"."extra" IS 'Payload fields with no column of their own, as JSON.';

COMMENT ON TABLE "positions" IS 'One row per holding of one security in one account on one as-of date. Every sync adds its date''s snapshot; syncing the same date again replaces that login''s snapshot for the date.';

COMMENT ON COLUMN "positions"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "positions"."account_id" IS 'Account holding the position (accounts.account_id).';

COMMENT ON COLUMN "positions"."security_key" IS 'The security held (securities.security_key).';

COMMENT ON COLUMN "positions"."as_of_date" IS 'Date of the snapshot: the payload''s AsOfDate, else the sync date (UTC).';

COMMENT ON COLUMN "positions"."quantity" IS 'Units held; negative for a short position.';

COMMENT ON COLUMN "positions"."price" IS 'Price per unit.';

COMMENT ON COLUMN "positions"."market_value" IS 'Quantity times price, as reported.';

COMMENT ON COLUMN "positions"."book_value" IS 'Cost basis, as reported.';

COMMENT ON COLUMN "positions"."average_cost" IS 'Average cost per unit, as reported.';

COMMENT ON COLUMN "positions"."currency" IS 'Currency of price and values, upper-case ISO code.';

COMMENT ON COLUMN "positions"."run_id" IS 'Run that wrote this snapshot.';

COMMENT ON COLUMN "positions"."synced_at" IS 'When that run fetched the data (UTC).';

COMMENT ON COLUMN "positions"."extra" IS 'Payload fields with no column of their own, as JSON.';

COMMENT ON TABLE "transactions" IS 'One row per transaction, once, however many runs see it. The first sighting is kept.';

COMMENT ON COLUMN "transactions"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "transactions"."account_id" IS 'Account of the transaction (accounts.account_id).';

COMMENT ON COLUMN "transactions"."transaction_id" IS 'Flinks'' id of the transaction.';

COMMENT ON COLUMN "transactions"."date" IS 'Trade or booking date.';

COMMENT ON COLUMN "transactions"."settlement_date" IS 'Settlement date.';

COMMENT ON COLUMN "transactions"."type" IS 'Normalised type: buy, sell, dividend, interest, deposit, withdrawal, fee, transfer, split, reinvestment, other.';

COMMENT ON COLUMN "transactions"."type_raw" IS 'Type exactly as Flinks sent it.';

COMMENT ON COLUMN "transactions"."description" IS 'Description as sent.';

COMMENT ON COLUMN "transactions"."security_key" IS 'Security traded (securities.security_key); NULL for cash movements.';

COMMENT ON COLUMN "transactions"."quantity" IS 'Units; negative when units leave the account.';

COMMENT ON COLUMN "transactions"."price" IS 'Price per unit.';

COMMENT ON COLUMN "transactions"."fees" IS 'Fees charged.';

COMMENT ON COLUMN "transactions"."net_amount" IS 'Net cash effect on the account.';

COMMENT ON COLUMN "transactions"."currency" IS 'Currency of the amounts, upper-case ISO code.';

COMMENT ON COLUMN "transactions"."run_id" IS 'Run that first saw the transaction.';

COMMENT ON COLUMN "transactions"."synced_at" IS 'When that run fetched the data (UTC).';

COMMENT ON COLUMN "transactions"."extra" IS 'Payload fields with no column of their own, as JSON.';

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

COMMENT ON COLUMN "data_quality"."check_name" IS 'Check, e.g. value_reconciles: cash + sum(market_value) = account_value.';

COMMENT ON COLUMN "data_quality"."expected" IS 'Value reported by Flinks.';

COMMENT ON COLUMN "data_quality"."actual" IS 'Value computed from the rows.';

COMMENT ON COLUMN "data_quality"."difference" IS 'actual - expected.';

COMMENT ON COLUMN "data_quality"."passed" IS 'Whether the difference is within tolerance.';

COMMENT ON TABLE "sync_logins" IS 'One row per login per run: the outcome of that login''s sync.';

COMMENT ON COLUMN "sync_logins"."run_id" IS 'Run (sync_runs.run_id).';

COMMENT ON COLUMN "sync_logins"."login_id" IS 'Flinks LoginId.';

COMMENT ON COLUMN "sync_logins"."status" IS 'succeeded, failed, timed_out, needs_user_action, rejected or interrupted.';

COMMENT ON COLUMN "sync_logins"."flinks_code" IS 'Last FlinksCode seen, if any.';

COMMENT ON COLUMN "sync_logins"."attempts" IS 'Sessions opened and requests retried for this login.';

COMMENT ON COLUMN "sync_logins"."polls" IS 'Data calls answered 202 (pending).';

COMMENT ON COLUMN "sync_logins"."error" IS 'Why the login did not sync; never contains secrets or payload values.';

COMMENT ON COLUMN "sync_logins"."started_at" IS 'First request for the login (UTC).';

COMMENT ON COLUMN "sync_logins"."finished_at" IS 'When the outcome was decided (UTC).';

COMMENT ON COLUMN "sync_logins"."accounts" IS 'Account rows written.';

COMMENT ON COLUMN "sync_logins"."positions" IS 'Position rows written.';

COMMENT ON COLUMN "sync_logins"."transactions" IS 'Transaction rows in the payload.';

COMMENT ON COLUMN "sync_logins"."rejected" IS 'Fragments quarantined in rejected_records.';

COMMENT ON TABLE "sync_runs" IS 'One row per run of the syncer.';

COMMENT ON COLUMN "sync_runs"."run_id" IS 'Unique id of the run.';

COMMENT ON COLUMN "sync_runs"."started_at" IS 'When the run started (UTC).';

COMMENT ON COLUMN "sync_runs"."finished_at" IS 'When the run finished (UTC); NULL while running or after a crash.';

COMMENT ON COLUMN "sync_runs"."status" IS 'running, succeeded, partial, failed or interrupted.';

COMMENT ON COLUMN "sync_runs"."command" IS 'sync, backfill, retry or schedule.';

COMMENT ON COLUMN "sync_runs"."logins_total" IS 'Logins the run set out to sync.';

COMMENT ON COLUMN "sync_runs"."logins_succeeded" IS 'Logins committed.';

COMMENT ON COLUMN "sync_runs"."logins_failed" IS 'Logins that ended in any other status.';

COMMENT ON COLUMN "sync_runs"."requests" IS 'HTTP requests made to Flinks.';

COMMENT ON COLUMN "sync_runs"."error" IS 'Why the run could not proceed, if it could not.';

CREATE OR REPLACE VIEW "latest_positions" AS
SELECT *
FROM positions
QUALIFY as_of_date = max(as_of_date) OVER (PARTITION BY login_id);

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

INSERT INTO "schema_version" (version) VALUES (1);

-- Data the first version wrote.
INSERT INTO accounts (login_id, account_id, institution, currency, cash, account_value, run_id, synced_at)
VALUES ('login-old', 'acct-old', 'Old Bank', 'CAD', 1234.5, 99999999999999999999.999999999999999999, 'run-old', TIMESTAMP '2025-12-31 23:00:00');

INSERT INTO positions (login_id, account_id, security_key, as_of_date, quantity, price, market_value, currency, run_id, synced_at)
VALUES ('login-old', 'acct-old', 'sec-old', DATE '2025-12-31', 0.000000000000000001, 10, 0.00000000000000001, 'CAD', 'run-old', TIMESTAMP '2025-12-31 23:00:00');

INSERT INTO sync_runs (run_id, started_at, finished_at, status) VALUES ('run-old', TIMESTAMP '2025-12-31 22:59:00', TIMESTAMP '2025-12-31 23:01:00', 'succeeded');
