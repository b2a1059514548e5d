// Package transform turns one login's /Investments payload into warehouse
// rows. It is pure: no I/O, no clock, no randomness. The same payload and
// Context always give the same batch, whatever the order of its arrays, so a
// re-run upserts the same keys.
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
// All references of one payload are grouped: two references that share any
// identifier name the same security, transitively, except that a group never
// holds two different Flinks Ids, and an identifier that references with
// different Flinks Ids share (one ISIN under two Ids) links nothing. Groups
// are built over the references sorted by content, so array order never
// matters. A group's key is its strongest identifier, written with its kind:
//
//	id:<Flinks Id>          if the group has one (the shared universe carries it everywhere)
//	isin:<ISIN>             else the smallest ISIN
//	cusip:<CUSIP>           else the smallest CUSIP
//	symbol:<SYMBOL>@<CCY>   else the smallest symbol@currency
//
// So a transaction naming only {"Symbol":"XIC"} resolves to id:sec-xic when
// any reference in the same payload ties XIC (in that currency) to sec-xic.
// What stays unresolvable across logins: a login whose payload never ties a
// partial reference to a stronger identifier keys it by what it has (an ISIN-
// only reference becomes isin:..., a symbol-only one symbol:...@...), while
// another login may key the same security id:...; the securities rows then
// hold the same ISIN or symbol under two keys, which a reader can join on.
// A position whose Security has no identifier at all is quarantined; a
// transaction's is kept in the transaction's extra with security_key NULL.
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
// taken (zone-less Flinks timestamps are UTC). Numbers are exact decimals
// (JSON numbers, or strings holding one), never float64; a number needing
// more than DECIMAL(38,18) is quarantined, never rounded. Identifiers may be
// strings or numbers. Positions carry their AsOfDate, else the sync date.
//
// # Duplicates
//
// Transactions: of several readable transactions with one Id in one account,
// the first in payload order loads and the others are quarantined (this is
// the one place array order matters, and only when the duplicates differ).
// Positions: lots of one security on one date in one account are merged
// (quantity, market and book values summed exactly; price and average cost
// kept when all lots agree, else NULL; extra records merged_lots and each
// lot's unknown members). Only lots in the currency most of them share merge;
// the others are quarantined. Accounts: a repeated account Id is quarantined.
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
// Masking (unless Context.KeepAccountNumbers): accounts.account_number keeps
// its last four characters; the account number is masked wherever it occurs in
// full_account_label, the account name, transaction descriptions, extra and
// fragments, and the label's other runs of five or more digits too; members whose names suggest holder details (holder,
// owner, address, email, phone, SIN, birth date, ...) are masked whole, and
// digit runs under members named like *account* or *number* are masked.
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
// AccountValue: cash + the sum of market values on the account's latest
// as-of date, against AccountValue, passing within ValueTolerance. A failing
// check never stops the load.
package transform
