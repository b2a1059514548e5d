package transform

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

// FromBankingJSON decodes a GetAccountsDetail body and transforms it. The
// error, when the body cannot be used at all, wraps payload.ErrSyntax or
// payload.ErrShape and never contains payload values.
func FromBankingJSON(body []byte, c Context) (schema.Batch, Stats, error) {
	bk, err := payload.DecodeBanking(body)
	if err != nil {
		return schema.Batch{}, Stats{}, fmt.Errorf("transform: %w", err)
	}
	b, s := TransformBanking(bk, c)
	return b, s, nil
}

// TransformBanking turns a decoded banking payload into one login's batch:
// rows for bank_accounts, bank_balances, bank_transactions, account_holders,
// logins, rejected_records and data_quality, and the scopes of
// bank_accounts, bank_balances and bank_transactions (rules in the package
// doc, "Banking"). Like Transform, it never fails, and the same payload and
// Context always give the same batch whatever the order of its arrays.
func TransformBanking(bk *payload.Banking, c Context) (schema.Batch, Stats) {
	t := newBankTransformer(c)
	if bk != nil {
		t.run(bk)
	}
	return t.finish()
}

// The orders in which the banking transform gives the columns of its tables
// and scopes.
var (
	bankAccountCols = schema.BankAccounts.Layout(
		"login_id", "account_id", "institution", "institution_id", "title", "category", "type", "currency", "account_type",
		"balance_available", "balance_current", "balance_limit", "overdraft_limit",
		"transit_number", "institution_number", "account_number", "last_four_digits",
		"run_id", "synced_at", "extra",
		"last_seen_at", "closed_at",
	)
	bankBalanceCols = schema.BankBalances.Layout(
		"login_id", "account_id", "as_of_date", "available", "current", "limit_amount", "currency", "run_id", "synced_at", "extra",
	)
	bankTransactionCols = schema.BankTransactions.Layout(
		"login_id", "account_id", "transaction_id", "date", "description", "code", "debit", "credit", "amount", "balance", "currency",
		"run_id", "synced_at", "extra",
		"first_seen_at", "updated_at", "removed_at",
	)
	holderCols = schema.AccountHolders.Layout(
		"login_id", "account_id", "holder_key", "province", "country",
		"name", "email", "phone", "civic_address", "city", "postal_code", "po_box",
		"run_id", "synced_at", "extra",
	)
	bankAccountsScopeCols     = schema.BankAccounts.ScopeLayout("login_id", schema.ScopeAt)
	bankBalancesScopeCols     = schema.BankBalances.ScopeLayout("login_id", "as_of_date")
	bankTransactionsScopeCols = schema.BankTransactions.ScopeLayout("login_id", "account_id", schema.ScopeFrom, schema.ScopeTo, schema.ScopeAt)
)

// bankTransformer holds the state of one TransformBanking call.
type bankTransformer struct {
	c Context
	// Values shared by many rows, boxed once.
	runID, loginID, syncedAt, asOf any
	refreshed                      time.Time // Login.LastRefresh, else Context.LastRefresh, else SyncedAt (UTC)
	institution, institutionID     any

	accounts, balances, transactions, holders, quality, txScopes []schema.Row
	// accountsWhole: every account of the payload loaded, so the batch may
	// say it holds all of the login's bank accounts.
	accountsWhole bool
	// payloadExtra and loginExtra are the payload's and its Login's members
	// with no column, masked JSON (nil when none): they ride along in each
	// bank account's extra.
	payloadExtra, loginExtra any
	rejected                 rejects
	numbers                  *numberSet
	pii                      *piiSet
	box                      *interner
	stats                    Stats
}

func newBankTransformer(c Context) *bankTransformer {
	c.SyncedAt = c.SyncedAt.UTC()
	t := &bankTransformer{c: c, runID: c.RunID, loginID: c.LoginID, syncedAt: c.SyncedAt, box: newInterner()}
	t.refreshed = c.refreshedAt()
	t.asOf = schema.DateOf(t.refreshed)
	t.rejected = rejects{runID: t.runID, loginID: t.loginID, byPath: map[string]int{}, tableOf: bankTableOfPath}
	return t
}

// bankAccount is a bank account that will load, with what its rows need.
type bankAccount struct {
	id, path string
	src      *payload.BankAccount
	mask     masker
	currency any
	current  *schema.Decimal // Balance.Current, for balance_reconciles
	// The account's transactions: whether every one in the payload loaded,
	// the range of the loaded ones' dates (the bank_transactions scope),
	// and the running balances given by those of the latest date.
	transactionsWhole   bool
	firstDate, lastDate time.Time
	lastBalances        []schema.Decimal
}

func (t *bankTransformer) run(bk *payload.Banking) {
	t.numbers = bankingNumbers(bk)
	if !t.c.KeepHolderPII {
		t.pii = holderDetails(bk)
	}
	t.rejected.problems("$", "", bk.Problems)
	t.login(bk.Login)
	t.payloadLevel(bk)
	t.accountsWhole = !unreadable(bk.Problems, "Accounts")

	var accts []*bankAccount
	seen := map[string]bool{}
	for i := range bk.Accounts {
		a := &bk.Accounts[i]
		apath := "$.Accounts[" + strconv.Itoa(a.Index) + "]"
		t.rejected.problems(apath, schema.BankAccounts.Name, a.Problems)
		id, ok, err := a.ID.Ident()
		id = strings.TrimSpace(id)
		switch {
		case err != nil || !ok || id == "":
			t.rejected.add(apath+".Id", schema.BankAccounts.Name,
				fmt.Sprintf("account has no usable Id; its transactions (%d) are not loaded", len(a.Transactions)), nil)
			t.accountsWhole = false
			continue
		case seen[id]:
			t.rejected.add(apath, schema.BankAccounts.Name, "duplicate account Id in the payload; the first occurrence is kept", nil)
			continue
		}
		seen[id] = true
		acct := &bankAccount{id: id, path: apath, src: a, mask: t.masker(bankAccountNumber(a))}
		t.accounts = append(t.accounts, t.accountRow(acct))
		accts = append(accts, acct)
	}
	if len(accts) == 0 && (t.payloadExtra != nil || t.loginExtra != nil) {
		t.payloadQuarantine(bk)
	}
	for _, a := range accts {
		t.holderRow(a)
		t.transactionRows(a)
		t.reconcile(a)
		if a.transactionsWhole && !a.firstDate.IsZero() {
			t.txScopes = append(t.txScopes, bankTransactionsScopeCols.Row(t.loginID, a.id, a.firstDate, a.lastDate, t.syncedAt))
		}
	}
}

// masker returns the masker of an account whose number is own ("" for
// payload-level text): account numbers as KeepAccountNumbers says, holders'
// details as KeepHolderPII says.
func (t *bankTransformer) masker(own string) masker {
	m := masker{own: own, numbers: t.numbers, keep: t.c.KeepAccountNumbers, pii: t.pii, personal: personalWithhold}
	if t.c.KeepHolderPII {
		m.personal = personalKeep
	}
	return m
}

// bankTableOfPath is tableOfPath for the banking payload.
func bankTableOfPath(rel, table string) string {
	switch {
	case strings.HasPrefix(rel, "Transactions"):
		return schema.BankTransactions.Name
	case strings.HasPrefix(rel, "Accounts"), strings.HasPrefix(rel, "Institution"):
		return schema.BankAccounts.Name
	case strings.HasPrefix(rel, "Balance"):
		return schema.BankBalances.Name
	case strings.HasPrefix(rel, "Holder"):
		return schema.AccountHolders.Name
	case strings.HasPrefix(rel, "Login"):
		return schema.Logins.Name
	}
	return table
}

// login reads the payload's Login: its LastRefresh, when readable, is when
// Flinks last refreshed this data, and dates the balances (Context.LastRefresh,
// then SyncedAt, stand in when it is missing or unreadable). Its members
// without a column but Username (the person's bank login name, never kept)
// and Id (the LoginId) ride along in the accounts' extra.
func (t *bankTransformer) login(l *payload.BankLogin) {
	if l == nil {
		return
	}
	t.rejected.problems("$.Login", schema.Logins.Name, l.Problems)
	at, ok, err := l.LastRefresh.Time()
	switch {
	case err != nil:
		t.rejected.add("$.Login.LastRefresh", schema.Logins.Name, reasonOf(err)+"; ignored", nil)
	case ok:
		t.refreshed = at.UTC()
		t.asOf = schema.DateOf(t.refreshed)
	}
	t.loginExtra = t.masker("").extra(l.Extra, nil)
}

// payloadLevel reads the institution, and keeps the payload's members with
// no column (HttpStatusCode and RequestId describe the exchange, not the
// data, and are left out; Institution when it differs from InstitutionName
// is kept).
func (t *bankTransformer) payloadLevel(bk *payload.Banking) {
	r := reader{base: "$"}
	name := r.text("InstitutionName", bk.InstitutionName)
	other := r.text("Institution", bk.Institution)
	t.institutionID = r.ident("InstitutionId", bk.InstitutionID)
	for _, e := range r.errs {
		t.rejected.add(e.path, schema.BankAccounts.Name, e.reason+"; loaded as NULL", nil)
	}
	fields := payload.Fields{}
	for k, v := range bk.Extra {
		fields[k] = v
	}
	switch {
	case name == nil:
		name = other
	case other != nil && other != name:
		fields["Institution"] = bk.Institution.Raw()
	}
	m := t.masker("")
	t.institution = m.hide(name)
	t.payloadExtra = m.extra(fields, nil)
}

// payloadQuarantine keeps the payload's and Login's members with no column
// in rejected_records when no account carries them.
func (t *bankTransformer) payloadQuarantine(bk *payload.Banking) {
	more := map[string]any{}
	if t.payloadExtra != nil {
		more["_payload"] = rawJSON(t.payloadExtra)
	}
	if t.loginExtra != nil {
		more["_login"] = rawJSON(t.loginExtra)
	}
	t.rejected.add("$", "", "payload-level members with no column; kept in fragment", t.masker("").extra(nil, more))
}

// accountRow builds the bank_accounts row and the account's bank_balances
// row. A member that cannot be read is loaded as NULL and quarantined by
// path: the account still loads.
func (t *bankTransformer) accountRow(a *bankAccount) schema.Row {
	src := a.src
	r := reader{base: a.path, box: t.box}
	title := a.mask.hide(r.text("Title", src.Title))
	category := a.mask.hide(r.text("Category", src.Category))
	typ := a.mask.hide(r.text("Type", src.Type))
	a.currency = r.currency("Currency", src.Currency)
	accountType := a.mask.hide(r.text("AccountType", src.AccountType))
	overdraft := r.decimal("OverdraftLimit", src.OverdraftLimit)
	transit := r.ident("TransitNumber", src.TransitNumber)
	institutionNumber := r.ident("InstitutionNumber", src.InstitutionNumber)
	if _, _, err := src.AccountNumber.Ident(); err != nil {
		r.fail("AccountNumber", err)
	}
	lastFour := a.mask.lastFourDigits(r.ident("LastFourDigits", src.LastFourDigits))
	for _, e := range r.errs {
		t.rejected.add(e.path, schema.BankAccounts.Name, e.reason+"; loaded as NULL", nil)
	}
	available, current, limit, balanceExtra := t.balance(a)
	if d, ok := current.(schema.Decimal); ok {
		a.current = &d
	}
	t.balances = append(t.balances, bankBalanceCols.Row(
		t.loginID, a.id, t.asOf, available, current, limit, a.currency, t.runID, t.syncedAt, balanceExtra,
	))
	var more map[string]any
	if t.payloadExtra != nil || t.loginExtra != nil {
		more = map[string]any{}
		if t.payloadExtra != nil {
			more["_payload"] = rawJSON(t.payloadExtra)
		}
		if t.loginExtra != nil {
			more["_login"] = rawJSON(t.loginExtra)
		}
	}
	return bankAccountCols.Row(
		t.loginID, a.id, t.institution, t.institutionID, title, category, typ, a.currency, accountType,
		available, current, limit, overdraft, transit, institutionNumber, a.mask.accountNumber(), lastFour,
		t.runID, t.syncedAt, a.mask.extra(src.Extra, more),
		t.syncedAt, nil, // last_seen_at, closed_at: as a first sighting leaves them (the sink derives them)
	)
}

// balance reads the account's Balance (all NULL when it has none).
func (t *bankTransformer) balance(a *bankAccount) (available, current, limit, extra any) {
	b := a.src.Balance
	if b == nil {
		return nil, nil, nil, nil
	}
	path := a.path + ".Balance"
	t.rejected.problems(path, schema.BankBalances.Name, b.Problems)
	r := reader{base: path}
	available = r.decimal("Available", b.Available)
	current = r.decimal("Current", b.Current)
	limit = r.decimal("Limit", b.Limit)
	for _, e := range r.errs {
		t.rejected.add(e.path, schema.BankBalances.Name, e.reason+"; loaded as NULL", nil)
	}
	return available, current, limit, a.mask.extra(b.Extra, nil)
}

// bankAccountNumber returns the account's number (AccountNumber, trimmed),
// "" when it has none that can be read.
func bankAccountNumber(a *payload.BankAccount) string {
	n, _, _ := a.AccountNumber.Ident()
	return strings.TrimSpace(n)
}

// bankingNumbers collects the AccountNumber of every account of the
// payload, loaded or not.
func bankingNumbers(bk *payload.Banking) *numberSet {
	numbers := make([]string, len(bk.Accounts))
	for i := range bk.Accounts {
		numbers[i] = bankAccountNumber(&bk.Accounts[i])
	}
	return newNumberSet(numbers)
}

// lastFourDigits is bank_accounts.last_four_digits: LastFourDigits as sent,
// anything before its last four characters masked unless numbers are kept.
func (m masker) lastFourDigits(v any) any {
	s, ok := v.(string)
	if !ok || m.keep || len([]rune(s)) <= 4 {
		return v
	}
	return maskLast4(s)
}

// transactionRows loads the account's transactions, as transactionRows
// does the investments ones: one without an Id, or with a member that
// cannot be read, is quarantined; of several with one Id, the first in
// payload order loads.
func (t *bankTransformer) transactionRows(a *bankAccount) {
	seen := map[string]bool{}
	a.transactionsWhole = !unreadable(a.src.Problems, "Transactions")
	var lastDay time.Time
	for i := range a.src.Transactions {
		x := &a.src.Transactions[i]
		at := &elemPath{a.path, "Transactions", x.Index}
		r := reader{elem: at, box: t.box, bankingDates: true}
		for _, pr := range x.Problems {
			r.errs = append(r.errs, fieldErr{path: join(at.String(), pr.Path), reason: pr.Reason})
		}
		id := r.ident("Id", x.ID)
		if id == nil && !hasErr(r.errs, at.String()+".Id") {
			r.errs = append(r.errs, fieldErr{path: at.String() + ".Id", reason: "transaction has no Id"})
		}
		date := r.date("Date", x.Date)
		description := a.mask.describe(r.text("Description", x.Description))
		code := a.mask.hide(r.ident("Code", x.Code))
		debit := r.decimal("Debit", x.Debit)
		credit := r.decimal("Credit", x.Credit)
		balance := r.decimal("Balance", x.Balance)
		amount := creditMinusDebit(credit, debit)
		if d, ok := amount.(schema.Decimal); ok && fitsExact(d) != nil {
			r.errs = append(r.errs, fieldErr{path: at.String(), reason: "credit - debit does not fit DECIMAL(38,18)"})
		}
		if len(r.errs) > 0 {
			frag := a.mask.fragment(x.Raw)
			for _, e := range r.errs {
				t.rejected.add(e.path, schema.BankTransactions.Name, e.reason+"; transaction not loaded", frag)
			}
			a.transactionsWhole = false
			continue
		}
		if seen[id.(string)] {
			t.rejected.add(at.String(), schema.BankTransactions.Name, "duplicate transaction Id in the account; the first occurrence is kept", a.mask.fragment(x.Raw))
			continue
		}
		seen[id.(string)] = true
		if d, ok := date.(time.Time); ok {
			if a.firstDate.IsZero() || d.Before(a.firstDate) {
				a.firstDate = d
			}
			if d.After(a.lastDate) {
				a.lastDate = d
			}
			if d.After(lastDay) {
				lastDay, a.lastBalances = d, a.lastBalances[:0]
			}
			if b, ok := balance.(schema.Decimal); ok && d.Equal(lastDay) {
				a.lastBalances = append(a.lastBalances, b)
			}
		}
		t.transactions = append(t.transactions, bankTransactionCols.Row(
			t.loginID, a.id, id, date, description, code, debit, credit, amount, balance, a.currency,
			t.runID, t.syncedAt, a.mask.extra(x.Extra, nil),
			t.syncedAt, nil, nil, // first_seen_at, updated_at, removed_at: as a first sighting leaves them (the sink derives them)
		))
	}
}

// creditMinusDebit is bank_transactions.amount: credit - debit exactly, a
// missing side counting as 0; nil when both are missing.
func creditMinusDebit(credit, debit any) any {
	c, okc := credit.(schema.Decimal)
	d, okd := debit.(schema.Decimal)
	switch {
	case okc && okd:
		return c.Sub(d)
	case okc:
		return c
	case okd:
		return schema.Decimal{}.Sub(d)
	}
	return nil
}

// holderRow builds the account's account_holders row, when it has a Holder.
// Without KeepHolderPII the personal columns are NULL and extra only counts
// the members it leaves out; holder_key is computed either way.
func (t *bankTransformer) holderRow(a *bankAccount) {
	h := a.src.Holder
	if h == nil {
		return
	}
	hpath := a.path + ".Holder"
	t.rejected.problems(hpath, schema.AccountHolders.Name, h.Problems)
	r := reader{base: hpath}
	name := r.text("Name", h.Name)
	email := r.text("Email", h.Email)
	phone := r.ident("PhoneNumber", h.PhoneNumber)
	addr := h.Address
	if addr == nil {
		addr = &payload.HolderAddress{}
	}
	t.rejected.problems(hpath+".Address", schema.AccountHolders.Name, addr.Problems)
	ar := reader{base: hpath + ".Address"}
	civic := ar.text("CivicAddress", addr.CivicAddress)
	city := ar.text("City", addr.City)
	province := ar.text("Province", addr.Province)
	postal := ar.text("PostalCode", addr.PostalCode)
	poBox := ar.ident("POBox", addr.POBox)
	country := ar.text("Country", addr.Country)
	for _, e := range append(r.errs, ar.errs...) {
		t.rejected.add(e.path, schema.AccountHolders.Name, e.reason+"; loaded as NULL", nil)
	}
	key := holderKey(t.c.HolderSecret, name, email)
	var extra any
	if t.c.KeepHolderPII {
		var more map[string]any
		if len(addr.Extra) > 0 {
			more = map[string]any{"_address": rawJSON(a.mask.extra(addr.Extra, nil))}
		}
		extra = a.mask.extra(h.Extra, more)
	} else {
		name, email, phone, civic, city, postal, poBox = nil, nil, nil, nil, nil, nil, nil
		if n := len(h.Extra) + len(addr.Extra); n > 0 {
			extra = a.mask.extra(nil, map[string]any{"withheld_members": n})
		}
	}
	t.holders = append(t.holders, holderCols.Row(
		t.loginID, a.id, key, province, country, name, email, phone, civic, city, postal, poBox,
		t.runID, t.syncedAt, extra,
	))
}

// holderDetails returns the payload's holders' details that are masked in
// free text: every holder's name, e-mail, phone, street address, postal code
// and post-office box, as sent (strings or numbers), whatever their account.
// City, province and country are not: they name places, not people.
func holderDetails(bk *payload.Banking) *piiSet {
	var values []string
	add := func(vs ...payload.Value) {
		for _, v := range vs {
			if s, ok, err := v.Ident(); ok && err == nil {
				values = append(values, s)
			}
		}
	}
	for i := range bk.Accounts {
		h := bk.Accounts[i].Holder
		if h == nil {
			continue
		}
		add(h.Name, h.Email, h.PhoneNumber)
		if h.Address != nil {
			add(h.Address.CivicAddress, h.Address.PostalCode, h.Address.POBox)
		}
	}
	return newPIISet(values)
}

// CheckBalanceReconciles is the data_quality check comparing a bank
// account's Balance.Current with the running Balance of its last
// transaction.
const CheckBalanceReconciles = "balance_reconciles"

// reconcile records, for an account with a Balance.Current whose last
// loaded transaction gives a running Balance, whether that balance equals
// Balance.Current within ValueTolerance. The last transaction is the
// latest-dated; of several on that date (their order within the day is
// unknown), those with a Balance are candidates and the one nearest
// Balance.Current (ties: the smaller balance) is compared, so the check
// passes when any of them matches and never depends on array order. When
// none of them gives a Balance there is no check: an earlier running
// balance says nothing of the current one.
func (t *bankTransformer) reconcile(a *bankAccount) {
	if a.current == nil || len(a.lastBalances) == 0 {
		return
	}
	expected := *a.current
	var actual, diff schema.Decimal
	for i, b := range a.lastBalances {
		d := b.Sub(expected)
		if c := d.Abs().Cmp(diff.Abs()); i == 0 || c < 0 || (c == 0 && b.Cmp(actual) < 0) {
			actual, diff = b, d
		}
	}
	passed := diff.Abs().Cmp(ValueTolerance) <= 0
	var dif any = diff
	if fitsExact(diff) != nil {
		dif, passed = nil, false
	}
	if !passed {
		t.stats.QualityFailed++
	}
	t.quality = append(t.quality, qualityCols.Row(t.runID, t.loginID, a.id, CheckBalanceReconciles, expected, actual, dif, passed))
}

// finish assembles the batch in a deterministic order. Its bank_balances
// scope is exactly (login, as-of date): the sync replaces that date's
// balances whole and no other date.
func (t *bankTransformer) finish() (schema.Batch, Stats) {
	sortRows(t.accounts, bankAccountsKey)
	sortRows(t.balances, bankBalancesKey)
	sortRows(t.transactions, bankTransactionsKey)
	sortRows(t.holders, holdersKey)
	sortRows(t.quality, qualityKey)
	sortRows(t.txScopes, bankTransactionsScopeKey)
	rej := t.rejected.sorted()

	t.stats.BankAccounts = len(t.accounts)
	t.stats.BankBalances = len(t.balances)
	t.stats.BankTransactions = len(t.transactions)
	t.stats.AccountHolders = len(t.holders)
	t.stats.Rejected = len(rej)
	b := schema.Batch{
		RunID:   t.c.RunID,
		LoginID: t.c.LoginID,
		Rows: map[string][]schema.Row{
			schema.Logins.Name:           {refreshRow(t.loginID, t.runID, t.syncedAt, t.refreshed)},
			schema.BankAccounts.Name:     t.accounts,
			schema.BankBalances.Name:     t.balances,
			schema.BankTransactions.Name: t.transactions,
			schema.AccountHolders.Name:   t.holders,
			schema.RejectedRecords.Name:  rej,
			schema.DataQuality.Name:      t.quality,
		},
		Scopes: map[string][]schema.Row{schema.BankBalances.Name: {bankBalancesScopeCols.Row(t.loginID, t.asOf)}},
	}
	if t.accountsWhole {
		b.Scopes[schema.BankAccounts.Name] = []schema.Row{bankAccountsScopeCols.Row(t.loginID, t.syncedAt)}
	}
	if len(t.txScopes) > 0 {
		b.Scopes[schema.BankTransactions.Name] = t.txScopes
	}
	return b, t.stats
}
