-- The tables of schema version 3, as a new warehouse of that version has them (TestReleasedVersions).

logins key (login_id)
	login_id varchar not null
	registered_at timestamp not null
	registered_by varchar
	run_id varchar
	last_refresh_at timestamp

accounts key (login_id, account_id)
	login_id varchar not null
	account_id varchar not null
	institution varchar
	institution_id varchar
	name varchar
	type varchar
	registered boolean
	currency varchar
	cash decimal(38,18)
	account_value decimal(38,18)
	currency_value decimal(38,18)
	account_number varchar
	full_account_label varchar
	run_id varchar not null
	synced_at timestamp not null
	extra json
	last_seen_at timestamp
	closed_at timestamp

securities key (security_key)
	security_key varchar not null
	flinks_security_id varchar
	symbol varchar
	isin varchar
	cusip varchar
	name varchar
	type varchar
	currency varchar
	run_id varchar not null
	extra json

security_aliases key (alias_key, security_key)
	alias_key varchar not null
	security_key varchar not null
	run_id varchar not null
	first_seen_at timestamp not null

positions key (login_id, account_id, security_key, as_of_date)
	login_id varchar not null
	account_id varchar not null
	security_key varchar not null
	as_of_date date not null
	quantity decimal(38,18)
	price decimal(38,18)
	market_value decimal(38,18)
	book_value decimal(38,18)
	average_cost decimal(38,18)
	currency varchar
	run_id varchar not null
	synced_at timestamp not null
	extra json
	price_date date

transactions key (login_id, account_id, transaction_id)
	login_id varchar not null
	account_id varchar not null
	transaction_id varchar not null
	date date
	settlement_date date
	type varchar
	type_raw varchar
	description varchar
	security_key varchar
	quantity decimal(38,18)
	price decimal(38,18)
	fees decimal(38,18)
	net_amount decimal(38,18)
	currency varchar
	run_id varchar not null
	synced_at timestamp not null
	extra json
	first_seen_at timestamp
	updated_at timestamp
	removed_at timestamp

bank_accounts key (login_id, account_id)
	login_id varchar not null
	account_id varchar not null
	institution varchar
	institution_id varchar
	title varchar
	category varchar
	type varchar
	currency varchar
	account_type varchar
	balance_available decimal(38,18)
	balance_current decimal(38,18)
	balance_limit decimal(38,18)
	overdraft_limit decimal(38,18)
	transit_number varchar
	institution_number varchar
	account_number varchar
	last_four_digits varchar
	run_id varchar not null
	synced_at timestamp not null
	extra json
	last_seen_at timestamp
	closed_at timestamp

bank_balances key (login_id, account_id, as_of_date)
	login_id varchar not null
	account_id varchar not null
	as_of_date date not null
	available decimal(38,18)
	current decimal(38,18)
	limit_amount decimal(38,18)
	currency varchar
	run_id varchar not null
	synced_at timestamp not null
	extra json

bank_transactions key (login_id, account_id, transaction_id)
	login_id varchar not null
	account_id varchar not null
	transaction_id varchar not null
	date date
	description varchar
	code varchar
	debit decimal(38,18)
	credit decimal(38,18)
	amount decimal(38,18)
	balance decimal(38,18)
	currency varchar
	run_id varchar not null
	synced_at timestamp not null
	extra json
	first_seen_at timestamp
	updated_at timestamp
	removed_at timestamp

account_holders key (login_id, account_id)
	login_id varchar not null
	account_id varchar not null
	holder_key varchar
	province varchar
	country varchar
	name varchar
	email varchar
	phone varchar
	civic_address varchar
	city varchar
	postal_code varchar
	po_box varchar
	run_id varchar not null
	synced_at timestamp not null
	extra json

rejected_records key (run_id, login_id, path)
	run_id varchar not null
	login_id varchar not null
	path varchar not null
	table_name varchar
	reason varchar not null
	fragment json

data_quality key (run_id, login_id, account_id, check_name)
	run_id varchar not null
	login_id varchar not null
	account_id varchar not null
	check_name varchar not null
	expected decimal(38,18)
	actual decimal(38,18)
	difference decimal(38,18)
	passed boolean not null

sync_logins key (run_id, login_id)
	run_id varchar not null
	login_id varchar not null
	status varchar not null
	flinks_code varchar
	attempts bigint not null
	polls bigint not null
	error varchar
	started_at timestamp
	finished_at timestamp
	accounts bigint
	positions bigint
	transactions bigint
	rejected bigint

sync_login_products key (run_id, login_id, product)
	run_id varchar not null
	login_id varchar not null
	product varchar not null
	status varchar not null
	flinks_code varchar
	error varchar
	finished_at timestamp

sync_runs key (run_id)
	run_id varchar not null
	started_at timestamp not null
	finished_at timestamp
	status varchar not null
	command varchar
	logins_total bigint
	logins_succeeded bigint
	logins_failed bigint
	requests bigint
	error varchar

login_controls key (login_id)
	login_id varchar not null
	enabled boolean not null
	changed_at timestamp not null
	changed_by varchar
	reason varchar

erasures key (erasure_id, login_hash)
	erasure_id varchar not null
	login_hash varchar not null
	erased_at timestamp not null
	erased_by varchar
	rows_removed bigint not null
	tables json
