// Package transform turns one login's /Investments payload (Transform,
// FromJSON) or GetAccountsDetail payload (TransformBanking, FromBankingJSON;
// see Banking below) into warehouse rows. It is pure: no I/O, no clock, no
// randomness. The same payload and Context always give the same batch,
// whatever the order of its arrays, so a re-run upserts the same keys.
//
// # Snapshots
//
// A sync fetches one snapshot of a login: the data as Flinks last refreshed
// it. Its date, positions.as_of_date, is the UTC date of the session's
// Login.LastRefresh (Context.LastRefresh), the same for every position of
// every account of the payload; only when Flinks gives no usable LastRefresh
// is it the sync's UTC date (Context.SnapshotDate; the pipeline logs a
// warning). A position's own AsOfDate, the date its price is of, goes to
// price_date: a fund priced a day behind the rest of the account is still in
// the same snapshot.
//
// The batch replaces exactly one scope, (login_id, snapshot date): the sync
// replaces that snapshot whole (every account of the login, an account or a
// holding that is gone included, even when no position remains) and no other
// date, neither the positions' own dates nor the wall-clock date. So earlier
// snapshots are history that no later sync deletes, and two syncs of the same
// unrefreshed data (one LastRefresh) give one snapshot, not two.
//
// The batch also carries the login's logins row, whose last_refresh_at
// (LastRefresh, else the sync time) is the one column it changes for a login
// the registry already holds, and only upwards (the sinks keep the newest):
// `syncer status` ages logins by it.
//
// # security_key
//
// A security reference may carry any of the Flinks Id, ISIN, CUSIP and symbol.
// Identifiers are normalised (Id trimmed; ISIN, CUSIP, symbol and currency
// trimmed and upper-cased). A symbol only identifies a security together with
// a currency: the Security's own, else the currency of the position or
// transaction naming it, else the only currency the payload uses with that
// symbol (else none: "symbol:NVDA@").
//
// Id, ISIN and CUSIP are strong identifiers: two references with different
// values of one of them (two ISINs, two CUSIPs, two Ids) conflict, and
// conflicting references are never linked, directly or transitively. All
// references of one payload are grouped in four passes, strongest first:
// for each Id, then each ISIN, then each CUSIP, the references carrying it
// are linked, unless linking their groups would make a group with two
// values of a strong identifier; then the identifier links nothing. Last, a
// symbol(@currency) links the groups carrying it, unless the groups that the
// symbols would join (symbols link transitively: a group may hold several)
// conflict; then none of those symbols links anything. So a symbol links
// only references without a conflicting identifier, every group holds at
// most one Id, one ISIN and one CUSIP, and the result depends on the
// references' content only, never on array order.
//
// An identifier is shared when the references carrying it end in two or
// more groups: it is ambiguous in the payload. A group's key is its
// strongest identifier that is not shared, written with its kind:
//
//	id:<Flinks Id>          if the group has one (the shared universe carries it everywhere)
//	isin:<ISIN>             else its ISIN
//	cusip:<CUSIP>           else its CUSIP
//	symbol:<SYMBOL>@<CCY>   else its smallest symbol@currency
//
// and, when every identifier it carries is shared, its strong identifiers
// joined with "+" ("id:1+isin:CA0000000001"; a symbol-only reference: its
// symbol). So two conflicting references never share a key, and references
// that share a key never conflict. Examples: {Symbol:ABC, Isin:I1} and
// {Symbol:ABC, Isin:I2} are isin:I1 and isin:I2, and a third {Symbol:ABC}
// stays symbol:ABC@CAD; {Id:1, Isin:I1} and {Id:1, Isin:I2} are isin:I1 and
// isin:I2. A transaction naming only {"Symbol":"XIC"} resolves to
// id:sec-xic when a reference in the same payload ties XIC (in that
// currency) to sec-xic and nothing ties XIC to another security.
//
// Each shared identifier is reported in data_quality, for each account whose
// positions or transactions carry it, as a failed check named
// "security_ambiguous:<identifier>" (e.g. security_ambiguous:symbol:ABC@CAD;
// the identifier is part of check_name so that an account's ambiguities keep
// distinct keys), with expected 1 and actual the number of keys it is
// carried under.
//
// A position whose Security has no identifier at all is quarantined; a
// transaction's is kept in the transaction's extra with security_key NULL.
//
// # security_aliases: links across logins
//
// A login whose payload never ties a partial reference to a stronger
// identifier keys it by what it has (an ISIN-only reference becomes
// isin:..., a symbol-only one symbol:...@...), while another login may key
// the same security id:.... So each payload records the links it reveals in
// security_aliases, (alias_key, security_key) pairs:
//
//   - for each identifier only one group carries, other than its key:
//     (identifier, the group's key), e.g. (isin:X, id:123) and
//     (symbol:XIC@CAD, id:123). The key is always stronger than the alias;
//   - for each shared identifier: (identifier, key) for each key it is
//     carried under, itself included when a group is keyed by it (such
//     as {Symbol:ABC} beside {Symbol:ABC, Isin:I1} and {Symbol:ABC,
//     Isin:I2}: symbol:ABC@CAD maps to isin:I1, isin:I2 and itself). An
//     identifier that maps to two keys, or to a key no stronger than
//     itself, never resolves.
//
// Symbols without a currency ("symbol:NVDA@") are never recorded: they
// identify nothing beyond their payload. The table only grows: a link once
// revealed is kept, and an ambiguity once seen is kept.
//
// The views resolve keys warehouse-wide (load/duckdb/views.go,
// resolved_security_keys): from a key, follow the aliases to stronger keys,
// stopping at a key that is ambiguous (it has an alias row to a key no
// stronger than itself) or has no alias. The key resolves when every walk
// stops at the same key, that key has a securities row, and no two keys of
// one strong kind (two ISINs, two CUSIPs) resolve to it, which would link
// conflicting identifiers that two logins each reported consistently. An
// alias that maps to two securities anywhere in the warehouse stays
// unresolved, as does every key whose walk passes through a conflicting one.
// positions_resolved and latest_positions carry the resolved security_key
// (and the stored one as loaded_security_key), so joining securities on it
// finds the name every login's references agree on; securities_resolved
// gives one row per resolved key with each attribute coalesced over the
// securities rows of its aliases.
//
// Securities rows: one per key used by a loaded row, each column from the
// fullest reference that has it (ties broken by content). The sinks merge
// them with Coalesce, so a partial reference never erases a fuller one.
//
// # Normalisation
//
// Currency codes are upper-case and trimmed. Account types are kept as sent.
// Transaction types map to the vocabulary in types.go (buy, sell, dividend,
// interest, deposit, withdrawal, fee, transfer, split, reinvestment, other;
// unknown values become other) and type_raw keeps the original. Dates are
// strict: "YYYY-MM-DD", or a whole timestamp whose written calendar date is
// taken (zone-less Flinks timestamps are UTC); the year 0000, which the
// calendar does not have (Go would store 1 BC), is quarantined. Numbers are
// exact decimals (JSON numbers, or strings holding one, in the JSON number
// grammar exactly: "1e++5" is not a number), never float64; a number needing
// more than DECIMAL(38,18) is quarantined, never rounded, and so is one longer
// than schema.MaxNumberLen (256) characters or with an exponent beyond ±400,
// which cannot be a real amount: it is refused before any arithmetic, and
// extra and fragments carry a note in its place. Identifiers may be strings
// or numbers. A position's AsOfDate is its price_date (NULL when absent); its
// as_of_date is the snapshot date.
//
// # Duplicates
//
// Transactions: of several readable transactions with one Id in one account,
// the first in payload order loads and the others are quarantined (this is
// the one place array order matters, and only when the duplicates differ).
// Positions: a snapshot holds one row per security and account. Lots of one
// security with one AsOfDate in one account, that is positions whose
// references resolve to one key (which never happens to two conflicting
// references, see security_key), are merged (quantity, market and book values
// summed exactly; price and average cost kept when all lots agree, else NULL;
// extra records merged_lots and each lot's unknown members), so no lot is
// lost. Only lots in the currency most of them share merge; the others are
// quarantined. When the account reports the same security with several
// AsOfDates, the latest date's lots load and the older entries (an entry
// without AsOfDate counts as oldest) are quarantined: they describe the same
// holding at an earlier time, so adding them would count it twice.
// Accounts: a repeated account Id is quarantined.
//
// # Nothing dropped, nothing leaked
//
// Members without a column land in the row's extra (a JSON object with sorted
// keys, NULL when empty); an institution's unknown members ride along in each
// of its accounts' extra under "_institution"; payload-level members other
// than Investments (a non-null Message, unknown members) are kept in one
// rejected_records row at path "$". Unreadable members are quarantined in
// rejected_records with their absolute JSON path and a reason that never
// contains the value: an account loads with that column NULL; a position or
// transaction is not loaded at all (its masked fragment is kept).
//
// # Masking
//
// Unless Context.KeepAccountNumbers is set (then none of this applies and
// text, extra and fragments are stored as sent, but for over-long numbers):
//
//   - accounts.account_number keeps the last four characters of the account's
//     number (AccountId); the others become '*'.
//   - Every account number of the payload is masked in every free-text value:
//     accounts.institution, name, type and full_account_label,
//     transactions.type_raw and description, and every string and number in
//     extra and in rejected fragments, whichever account they belong to. The
//     payload's account numbers are the AccountId of every account in it,
//     loaded or not; a number is compared by its ASCII letters and digits
//     (letters in any case), and one with fewer than five of them is not
//     searched (a year would match everywhere). An occurrence is those
//     characters in order with at most one space, hyphen or dot between two
//     of them ("33334444", "3333-4444", "3333 4444", "3333.4444"), also inside
//     a longer word or number; all its letters and digits but the last four
//     become '*' and the separators stay ("TRANSFER TO ****-4444").
//   - Digit runs. A run is a maximal sequence of ASCII digits in which two
//     consecutive digits are adjacent or separated by exactly one space or
//     hyphen: "4520 1234 5678 9012" and "123-4567-8" are one run each, while
//     a dot, a comma, two spaces or any other character ends a run
//     ("12345.67" is a run of five digits, then one of two). Every run of
//     seven digits or more in a transaction description, and of five or more
//     in full_account_label and in values under members named like *account*
//     or *number*, keeps its last four digits; the others become '*'
//     ("WIRE 1234567" -> "WIRE ***4567"). Seven because Canadian account
//     numbers have seven digits or more, while amounts, quantities and years
//     written in a description rarely reach seven joined digits. A run
//     written exactly YYYY-MM-DD (month 01-12, day 01-31) is a date and stays.
//   - Members whose names suggest holder details or account numbers (holder,
//     owner, address, email, phone, SIN, birth date, account number, ...) are
//     masked whole in extra and fragments.
//
// Identifiers (account_id, transaction_id, ...) are keys and never masked.
// Securities rows describe public instruments and get only the holder-detail
// masking of their extra.
//
// # Accounts and transactions follow the source
//
// Accounts and transactions are loaded with schema.Latest: each sighting's
// values replace the stored row's, and the sinks keep the row's history in
// its marks (accounts.last_seen_at, closed_at; transactions.first_seen_at,
// updated_at, removed_at; run_id and synced_at name the run that last wrote
// the values). Nothing is ever deleted. What a batch may say is missing is
// decided here, as scopes (schema.Batch.Scopes), and only a succeeded sync's
// batch has any: a failed login commits its sync_logins row alone.
//
// Accounts: the batch declares that it holds all of the login's accounts,
// (login_id, SyncedAt), unless the payload could not be read whole: an
// unreadable element of Investments or of an institution's Accounts (or
// either not an array), or an account without a usable Id. The sinks then
// set closed_at = SyncedAt on the login's stored accounts the batch lacks
// (once: a closed account keeps its first closed_at), keeping their last
// values, and clear it when an account comes back. A payload with no
// accounts at all (Investments empty or null) closes every account of the
// login. Sum over open accounts with closed_at IS NULL; latest_positions
// leaves closed accounts out.
//
// Transactions: per account, the batch declares that it holds all of the
// account's transactions dated from the first to the last date of the
// transactions it loaded for that account, both inclusive: (login_id,
// account_id, first date, last date, SyncedAt). Flinks sends whole days of a
// moving window, so a stored transaction dated within that range and absent
// from the payload was withdrawn by the source: the sinks set its removed_at
// (once) and keep its last values; one dated outside the range (older than
// the window, or newer than the payload's last) is left as it is, and so is
// one without a date. No range is declared for an account with a transaction
// that could not be loaded (the batch cannot tell which one is missing: a
// readable Id does not help, since the Id alone is not a row), an unreadable
// Transactions member or element, or no dated transaction. A transaction
// seen again clears removed_at; one whose values changed (any column but the
// key, run_id, synced_at and the marks: a corrected amount, a pending type
// settled) gets updated_at = that sighting's SyncedAt, while first_seen_at
// keeps the first sighting's. A duplicate Id within an account does not
// prevent the range: the first occurrence loads and the Id is present.
//
// The rows carry in their mark columns what a first sighting leaves
// (first_seen_at and last_seen_at = SyncedAt, the others NULL); the sinks
// derive the stored marks themselves.
//
// # Checks as data
//
// data_quality gets one value_reconciles row per account that reports an
// AccountValue: cash + the sum of the market values of the account's loaded
// positions (the whole snapshot, whatever each position's price_date),
// against AccountValue, passing within ValueTolerance; and one failed
// security_ambiguous:<identifier> row per account and ambiguous identifier
// (see security_key). A failing check never stops the load. For banking,
// see balance_reconciles below.
//
// # Banking
//
// TransformBanking turns a GetAccountsDetail payload into one login's batch:
// rows of bank_accounts, bank_balances, bank_transactions and
// account_holders, the login's logins row, rejected_records and
// data_quality. The rules above hold where they apply (exact decimals,
// normalisation, quarantine by JSON path, duplicates, masking of account
// numbers, nothing dropped); what differs is here.
//
// As-of date. The payload's Login.LastRefresh is when Flinks last refreshed
// this data: its UTC date is the as_of_date of every bank_balances row, and
// the instant is the logins row's last_refresh_at. When the payload has none
// (or one that cannot be read, which is quarantined at $.Login.LastRefresh),
// Context.LastRefresh (the session's) stands in, and without that the sync's
// time (Context.SyncedAt), as for positions.
//
// Scopes. bank_balances: exactly (login_id, as-of date): a sync replaces its
// date's balances, every account of the login, and keeps the other dates (a
// second as-of date adds a snapshot; the same date again replaces it).
// bank_accounts and bank_transactions follow the source as accounts and
// transactions do (see "Accounts and transactions follow the source"): the
// batch declares all of the login's bank accounts, (login_id, SyncedAt),
// unless Accounts could not be read whole (not an array, an element not an
// object, an account without a usable Id), and for each account whose
// transactions all loaded, all of its transactions over their date range.
//
// bank_accounts. institution is InstitutionName, else Institution (which,
// when it differs, is kept in extra); title, category, type and account_type
// are kept as sent, masked as free text (account numbers, holders' details);
// the Balance members fill balance_available, balance_current and
// balance_limit; account_number is AccountNumber masked to its last four
// (unless KeepAccountNumbers), and the payload's AccountNumbers are the
// numbers masked in all free text, as AccountId is for investments;
// last_four_digits is LastFourDigits as sent. The payload's members with no
// column (all but HttpStatusCode and RequestId, which describe the exchange,
// InstitutionName, InstitutionId, Institution, Login and Accounts) ride along
// in every bank account's extra under "_payload", and the Login's (all but
// Id, the LoginId, LastRefresh and Username, the person's bank login name,
// which is never stored) under "_login"; a payload with no account to carry
// them keeps them in one rejected_records row at "$".
//
// bank_balances: one row per loaded account, its Balance's members (NULL
// when it has none), in the account's currency.
//
// bank_transactions: Date is "YYYY-MM-DD" or "YYYY/MM/DD" (or a timestamp, as
// above). Debit and Credit are kept as sent, positive one-sided amounts
// normally; amount = credit - debit exactly, a missing side counting as 0,
// NULL when both are missing; a transaction with both sides keeps both (and
// a negative side as sent). A transaction whose credit - debit does not fit
// DECIMAL(38,18) is quarantined. currency is the account's. code is masked as
// free text, description as transaction descriptions are (plus holders'
// details).
//
// account_holders: one row per account that has a Holder object. The
// payload has one Holder per account, so a joint account's holders arrive as
// one (e.g. Name "Zoë Ünïcode & Marc Ünïcode"): the row, and its holder_key,
// are the pair's. Names are never split (a name with "&" may be a company's),
// so a joint account's key differs from each holder's own. province and
// country are kept; the other columns only with KeepHolderPII (see Holders).
//
// balance_reconciles (data_quality): for an account with a Balance.Current
// whose last loaded transaction gives a running Balance, that balance against
// Balance.Current, passing within ValueTolerance. The last transaction is the
// latest-dated; of several on that date, whose order within the day is
// unknown, those giving a Balance are candidates and the one nearest
// Balance.Current is compared (ties: the smaller), so the check passes when
// any matches and never depends on array order. When none of the last date's
// transactions gives a Balance there is no check: an older running balance
// says nothing of the current one. A failed check is counted
// (Stats.QualityFailed), never fatal.
//
// # Holders
//
// Unless Context.KeepHolderPII is set:
//
//   - account_holders.name, email, phone, civic_address, city, postal_code
//     and po_box are NULL; extra holds only how many Holder and Address
//     members had no column ({"withheld_members": n}).
//   - The holders' details found anywhere else are masked, whatever
//     KeepAccountNumbers says. The details are every holder's name, e-mail,
//     phone, street address, postal code and post-office box, as sent,
//     whichever account they belong to; city, province and country are not
//     searched (they name places, not people). They are masked in every free
//     text (institution, title, category, type, account_type, description,
//     code), in every string and number of extra and rejected fragments, and
//     in extra's member names. A detail is compared by its letters and
//     digits, case-folded, in order, whatever separates them in the text
//     ("+1 (555) 013-3742" is found in "CALL 1-555-013-3742"), also inside a
//     longer word; each of those letters and digits becomes '*' and the
//     separators stay ("E-TRANSFER FROM *** *******"). A detail with fewer
//     than four letters and digits is not searched. What is written
//     otherwise (initials, one part of a name, a phone without its country
//     code, which the seven-digit rule of descriptions still masks but its
//     last four) is not found.
//   - In extra and fragments, members named like a holder's contact details
//     (holder, owner, e-mail, phone, address, beneficiary) are withheld whole:
//     "(withheld)".
//
// With KeepHolderPII the account_holders columns hold the values as sent,
// its extra the Holder's members with no column (the Address's under
// "_address"), and no holder detail is masked. Members named like an
// identity number, a birth date or a credential (SIN, SSN, DOB, birth, tax
// id, username, password) are withheld whatever the flags: the flag covers
// name, e-mail, phone and address. rejected_records reasons never carry a
// value, and an unreadable Holder member is quarantined by path alone.
//
// holder_key lets analysts count people without seeing them. It is
//
//	hex(HMAC-SHA256(secret, "holder-key/v1" NUL name' NUL email'))
//
// where the secret is Context.HolderSecret and name' and email' are the
// holder's name and e-mail normalised: Unicode simple case folding (each
// character to one representative of the characters that fold together, so
// "É" and "é" agree), white space trimmed and each run of it collapsed to one
// space. No Unicode normalisation form is applied (golang.org/x/text is not
// a dependency), so a name sent precomposed once and decomposed another time
// gives two keys. The key is NULL without a secret (an unkeyed hash of a
// guessable name is no protection) and for a holder with neither name nor
// e-mail. It is equal across one person's accounts and logins whenever
// Flinks sends the same name and e-mail up to that normalisation; an account
// that lacks the e-mail gives another key. The secret belongs to the
// warehouse (HolderSecretLen random bytes): keys of warehouses with
// different secrets cannot be compared, a new secret changes every key, and
// whoever holds it can test a guessed name and e-mail, so it must be kept
// from the analysts who read the keys.
package transform
