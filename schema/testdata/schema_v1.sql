-- The tables of schema version 1, as a new warehouse of that version creates them (TestReleasedVersions).

CREATE TABLE IF NOT EXISTS "logins" (
	"login_id" VARCHAR NOT NULL,
	"registered_at" TIMESTAMP NOT NULL,
	"registered_by" VARCHAR,
	"run_id" VARCHAR,
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
	"extra" JSON
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
