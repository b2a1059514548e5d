package flinkstest

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The banking data of GetAccountsDetail: 1 to 4 accounts per login across
// categories and currencies, each with a holder (some joint, names not in
// ASCII) and 0 to 200 transactions within BankingWindowDays of the data day.
// Everything derives from (Seed, LoginId) and the day: a transaction keeps
// its id and values on every as-of date that shows it, so a later as-of date
// adds transactions and repeats the others unchanged.

// BankingWindowDays is how many days of transactions GetAccountsDetail serves
// (Flinks' Days90).
const BankingWindowDays = 90

// MaxBankTransactions is the most transactions one account carries.
const MaxBankTransactions = 200

const streamBank uint64 = 0x5bd1e9955bd1e995

// bankPeople are the holders' names the sandbox draws from (personal data
// canaries: none of them may reach a log line).
var bankPeople = []struct{ name, email string }{
	{"Zoë Tremblay-Côté", "zoe.tremblay@exemple.ca"},
	{"José Núñez", "jose.nunez@ejemplo.com"},
	{"Åsa Øberg", "asa.oberg@exempel.se"},
	{"François Bélanger", "francois.belanger@exemple.ca"},
	{"Łukasz Wóјcik", "lukasz.wojcik@przyklad.pl"},
	{"Mei 王", "mei.wang@example.cn"},
}

// HolderCanaries returns personal values the sandbox puts in holders: names,
// e-mails, phone and street fragments. Tests look for them where personal
// data must not be (logs, errors, tables without --keep-holder-pii).
func HolderCanaries() []string {
	var out []string
	for i, p := range bankPeople {
		out = append(out, p.name, p.email, "514555"+strconv.Itoa(1000+i), strconv.Itoa(10+i)+" rue Saint-Denis")
	}
	return out
}

var bankKinds = []struct{ category, typ, title string }{
	{"Operations", "Chequing", "Chequing Account"},
	{"Operations", "Savings", "Compte épargne"},
	{"Credits", "CreditCard", "Visa Infinite"},
	{"Credits", "LineOfCredit", "Line of Credit"},
}

var bankCurrencies = []string{"CAD", "CAD", "USD", "EUR"}

// bankAccount is one generated bank account.
type bankAccount struct {
	id, number, transit       string
	kind                      int
	currency                  string
	holders                   []int // indexes into bankPeople; two for a joint account
	current                   num   // the balance on bankAnchorDay
	txPerDay                  float64
	noOverdraft, extraMembers bool
}

// drawBankAccounts draws the accounts of loginID.
func drawBankAccounts(seed int64, loginID string) []bankAccount {
	r := newRand(seed, loginID, streamBank)
	person := r.IntN(len(bankPeople))
	partner := (person + 1 + r.IntN(len(bankPeople)-1)) % len(bankPeople)
	n := 1 + r.IntN(4)
	out := make([]bankAccount, n)
	for i := range out {
		a := &out[i]
		a.id = guid(mix(uint64(seed), streamBank, hashString(normalizeLogin(loginID)), uint64(i), 1),
			mix(uint64(seed), streamBank, hashString(normalizeLogin(loginID)), uint64(i), 2))
		a.number = strconv.Itoa(1000000 + r.IntN(9000000))
		a.transit = strconv.Itoa(10000 + r.IntN(90000))
		a.kind = r.IntN(len(bankKinds))
		a.currency = bankCurrencies[r.IntN(len(bankCurrencies))]
		a.holders = []int{person}
		if r.IntN(3) == 0 {
			a.holders = append(a.holders, partner)
		}
		a.current = num{u: r.Int64N(2_000_000_00) - 20_000_00, s: 2}
		if r.IntN(5) == 0 {
			a.current = num{u: r.Int64N(1_000_000_000_000), s: 7} // many digits
		}
		a.txPerDay = r.Float64() * 2.3
		a.noOverdraft = r.IntN(4) == 0
		a.extraMembers = r.IntN(3) == 0
	}
	return out
}

// bankTx is one generated transaction.
type bankTx struct {
	id            string
	day           int64
	slashDate     bool
	debit, credit *num
	code          string
	noCode        bool
	description   string
	extraMember   bool
}

var bankDescriptions = []string{"PAYROLL - Stripe Paycheck", "Épicerie Métro #123", "Hydro-Québec", "Interac e-Transfer", "Café Olimpico", "Rent"}

// bankAnchorDay is the day each account's balance history starts from (its
// drawn balance then): a transaction's running balance is that balance plus
// every amount since, so it is the same on every as-of date that shows it.
var bankAnchorDay = dayNumber(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))

// bankDay returns account a's transactions of one day.
func bankDay(seed int64, h uint64, acct int, a *bankAccount, day int64) []bankTx {
	r := rand.New(rand.NewPCG(mix(uint64(seed), streamBank, h, uint64(acct)), uint64(day)))
	k := int(a.txPerDay)
	if r.Float64() < a.txPerDay-float64(k) {
		k++
	}
	out := make([]bankTx, 0, k)
	for j := range k {
		t := bankTx{id: guid(mix(uint64(seed), h, uint64(acct), uint64(day), uint64(j), 1), mix(uint64(seed), h, uint64(acct), uint64(day), uint64(j), 2)),
			day: day, slashDate: r.IntN(5) == 0, description: bankDescriptions[r.IntN(len(bankDescriptions))],
			noCode: r.IntN(4) == 0, extraMember: r.IntN(10) == 0}
		amount := num{u: 1 + r.Int64N(250_000), s: 2}
		if r.IntN(8) == 0 {
			amount = num{u: 1 + r.Int64N(1_000_000_000), s: 6}
		}
		switch x := r.IntN(10); {
		case x < 6:
			t.debit = &amount
		case x < 9:
			t.credit = &amount
		default: // both sides set: a fee netted against a deposit
			fee := num{u: 1 + r.Int64N(500), s: 2}
			t.credit, t.debit = &amount, &fee
		}
		if !t.noCode && r.IntN(2) == 0 {
			t.code = "C" + strconv.Itoa(r.IntN(100))
		}
		out = append(out, t)
	}
	return out
}

// net is what t adds to its account's balance: credit − debit.
func (t *bankTx) net() num {
	n := num{}
	if t.credit != nil {
		n = n.add(*t.credit)
	}
	if t.debit != nil {
		n = n.add(t.debit.neg())
	}
	return n
}

// drawBankTransactions returns account a's transactions of the window ending
// on day last, oldest first, at most MaxBankTransactions (the newest whole
// days kept),
// with the running balance after each, and the balance at the end of day
// last (Balance.Current).
func drawBankTransactions(seed int64, loginID string, acct int, a *bankAccount, last int64) ([]bankTx, []num, num) {
	h := hashString(normalizeLogin(loginID))
	first := last - BankingWindowDays + 1
	bal := a.current
	for day := bankAnchorDay; day < first; day++ {
		for _, t := range bankDay(seed, h, acct, a, day) {
			bal = bal.add(t.net())
		}
	}
	var txs []bankTx
	var balances []num
	for day := first; day <= last; day++ {
		for _, t := range bankDay(seed, h, acct, a, day) {
			bal = bal.add(t.net())
			txs, balances = append(txs, t), append(balances, bal)
		}
	}
	if n := len(txs); n > MaxBankTransactions {
		// Whole days only: the oldest days go, so every day shown is whole.
		cut := n - MaxBankTransactions
		for cut < n && txs[cut].day == txs[cut-1].day {
			cut++
		}
		txs, balances = txs[cut:], balances[cut:]
	}
	return txs, balances, bal
}

// appendAccountsDetail appends the 200 of GetAccountsDetail(Async) for
// loginID, with the data of the day asOf, to b.
func appendAccountsDetail(b []byte, seed int64, loginID, requestID string, asOf time.Time) []byte {
	last := dayNumber(asOf)
	inst := institutions[primaryInstitution(seed, loginID)]
	w := &jw{b: b}
	w.open('{')
	w.int("HttpStatusCode", http.StatusOK)
	w.openKey("Accounts", '[')
	accounts := drawBankAccounts(seed, loginID)
	for i := range accounts {
		appendBankAccount(w, seed, loginID, i, &accounts[i], last)
	}
	w.close(']')
	w.openKey("Login", '{')
	w.str("Username", "Greatday")
	w.bool("IsScheduledRefresh", false)
	w.str("LastRefresh", formatRefresh(refreshedOn(seed, loginID, asOf)))
	w.str("Type", "Personal")
	w.str("Id", loginID)
	w.close('}')
	w.str("InstitutionName", inst.name)
	id, _ := strconv.Atoi(inst.id)
	w.int("InstitutionId", id)
	w.str("Institution", inst.name)
	w.str("RequestId", requestID)
	w.close('}')
	return w.b
}

func appendBankAccount(w *jw, seed int64, loginID string, i int, a *bankAccount, last int64) {
	kind := bankKinds[a.kind]
	txs, balances, current := drawBankTransactions(seed, loginID, i, a, last)
	w.open('{')
	w.str("Id", a.id)
	w.str("Title", kind.title)
	w.str("AccountNumber", a.number)
	w.null("LastFourDigits")
	w.str("TransitNumber", a.transit)
	w.str("InstitutionNumber", "0"+strconv.Itoa(100+i))
	if !a.noOverdraft {
		w.num("OverdraftLimit", num{u: 50000, s: 2})
	}
	w.openKey("Balance", '{')
	if kind.category == "Credits" {
		w.null("Available")
	} else {
		w.num("Available", current.add(num{u: 30000, s: 2}))
	}
	w.num("Current", current)
	if kind.category == "Credits" {
		w.num("Limit", num{u: 10_000_00, s: 2})
	} else {
		w.null("Limit")
	}
	w.close('}')
	w.str("Category", kind.category)
	w.str("Type", kind.typ)
	w.str("Currency", a.currency)
	w.str("AccountType", "Personal")
	if a.extraMembers {
		w.str("Nickname", "compte de tous les jours")
	}
	appendHolder(w, a)
	w.openKey("Transactions", '[')
	for k := range txs {
		appendBankTx(w, &txs[k], balances[k])
	}
	w.close(']')
	w.close('}')
}

func appendHolder(w *jw, a *bankAccount) {
	names, emails := make([]string, len(a.holders)), make([]string, len(a.holders))
	for k, p := range a.holders {
		names[k], emails[k] = bankPeople[p].name, bankPeople[p].email
	}
	w.openKey("Holder", '{')
	w.str("Name", strings.Join(names, " & "))
	w.str("Email", emails[0])
	w.str("PhoneNumber", "514555"+strconv.Itoa(1000+a.holders[0]))
	w.openKey("Address", '{')
	w.str("CivicAddress", strconv.Itoa(10+a.holders[0])+" rue Saint-Denis")
	w.str("City", "Montréal")
	w.str("Province", "QC")
	w.str("PostalCode", "H2X 3K"+strconv.Itoa(a.holders[0]))
	w.null("POBox")
	w.str("Country", "CA")
	w.close('}')
	w.close('}')
}

func appendBankTx(w *jw, t *bankTx, balance num) {
	w.open('{')
	w.str("Id", t.id)
	d := dateOfDay(t.day).Format(time.DateOnly)
	if t.slashDate {
		d = strings.ReplaceAll(d, "-", "/")
	}
	w.str("Date", d)
	if !t.noCode {
		w.optStr("Code", t.code)
	}
	w.str("Description", t.description)
	if t.debit != nil {
		w.num("Debit", *t.debit)
	} else {
		w.null("Debit")
	}
	if t.credit != nil {
		w.num("Credit", *t.credit)
	} else {
		w.null("Credit")
	}
	w.num("Balance", balance)
	if t.extraMember {
		w.str("Category", "Groceries")
	}
	w.close('}')
}
