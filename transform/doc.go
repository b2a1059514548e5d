// Package transform turns one login's /Investments payload into warehouse
// rows. It is pure: no I/O, no clock, no randomness. The same payload and
// Context always give the same batch, whatever the order of its arrays, so a
// re-run upserts the same keys.
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
// strings or numbers. A position's AsOfDate is its price_date (NULL when
// absent); its as_of_date is the snapshot date.
//
// # Duplicates
//
// Transactions: of several readable transactions with one Id in one account,
// the first in payload order loads and the others are quarantined (this is
// the one place array order matters, and only when the duplicates differ).
// Positions: a snapshot holds one row per security and account. Lots of one
// security with one AsOfDate in one account are merged (quantity, market and
// book values summed exactly; price and average cost kept when all lots
// agree, else NULL; extra records merged_lots and each lot's unknown
// members). Only lots in the currency most of them share merge; the others
// are quarantined. When the account reports the same security with several
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
// Masking (unless Context.KeepAccountNumbers): accounts.account_number keeps
// its last four characters; the account number is masked wherever it occurs in
// full_account_label, the account name, transaction descriptions, extra and
// fragments, and the label's other runs of five or more digits too; members whose names suggest holder details (holder,
// owner, address, email, phone, SIN, birth date, ...) are masked whole, and
// digit runs under members named like *account* or *number* are masked.
//
// # Checks as data
//
// data_quality gets one value_reconciles row per account that reports an
// AccountValue: cash + the sum of the market values of the account's loaded
// positions (the whole snapshot, whatever each position's price_date),
// against AccountValue, passing within ValueTolerance. A failing check never
// stops the load.
package transform
