package transform

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

// transformer holds the state of one Transform call.
type transformer struct {
	c Context
	// Values shared by many rows, boxed once. snapshot is the as_of_date of
	// every position (Context.SnapshotDate).
	runID, loginID, syncedAt, snapshot any

	accounts     []schema.Row
	positions    []schema.Row
	transactions []schema.Row
	quality      []schema.Row
	// accountsWhole: the payload was read and every account in it loaded,
	// so the batch may say it holds all of the login's accounts.
	accountsWhole bool
	txScopes      []schema.Row
	rejected      rejects
	securities    *resolver
	numbers       *numberSet // every account number of the payload, masked in free text
	box           *interner
	positionRow   *slab
	txRow         *slab
	stats         Stats
}

func newTransformer(c Context) *transformer {
	c.SyncedAt = c.SyncedAt.UTC()
	t := &transformer{
		c:           c,
		runID:       c.RunID,
		loginID:     c.LoginID,
		syncedAt:    c.SyncedAt,
		snapshot:    c.SnapshotDate(),
		box:         newInterner(),
		positionRow: newSlab(positionCols),
		txRow:       newSlab(transactionCols),
	}
	t.rejected = rejects{runID: t.runID, loginID: t.loginID, byPath: map[string]int{}}
	return t
}

// account is an account that will load, with what its children need.
type account struct {
	id    string
	path  string // JSON path of the account
	ipath string // JSON path of its institution
	src   *payload.Account
	mask  masker
	// cash + sum of market values, for the reconciliation check.
	positionsValue schema.Decimal
	// Index of each position's and transaction's security reference in the
	// resolver (-1: none), in src order.
	positionRefs, transactionRefs []int32
	cash, value                   *schema.Decimal
	// The account's transactions: whether every one in the payload loaded,
	// and the range of the loaded ones' dates (see transactionScope).
	transactionsWhole   bool
	firstDate, lastDate time.Time
}

func (t *transformer) run(inv *payload.Investments) {
	t.numbers = payloadNumbers(inv)
	t.rejected.problems("$", "", inv.Problems)
	t.payloadLevel(inv)
	t.accountsWhole = !unreadable(inv.Problems, "Investments")

	var accts []*account
	seen := map[string]bool{}
	for i := range inv.Institutions {
		in := &inv.Institutions[i]
		ipath := "$.Investments[" + strconv.Itoa(in.Index) + "]"
		t.rejected.problems(ipath, schema.Accounts.Name, in.Problems)
		t.accountsWhole = t.accountsWhole && !unreadable(in.Problems, "Accounts")
		for j := range in.Accounts {
			a := &in.Accounts[j]
			apath := ipath + ".Accounts[" + strconv.Itoa(a.Index) + "]"
			t.rejected.problems(apath, schema.Accounts.Name, a.Problems)
			id, ok, err := a.ID.Ident()
			switch {
			case err != nil || !ok || id == "":
				t.rejected.add(apath+".Id", schema.Accounts.Name,
					fmt.Sprintf("account has no usable Id; its positions (%d) and transactions (%d) are not loaded", len(a.Positions), len(a.Transactions)), nil)
				t.accountsWhole = false
				continue
			case seen[id]:
				t.rejected.add(apath, schema.Accounts.Name, "duplicate account Id in the payload; the first occurrence is kept", nil)
				continue
			}
			seen[id] = true
			acct := &account{id: id, path: apath, ipath: ipath, src: a, mask: newMasker(a, t.numbers, t.c.KeepAccountNumbers)}
			t.accounts = append(t.accounts, t.accountRow(acct, in))
			accts = append(accts, acct)
		}
	}

	t.securities = newResolver(accts)
	np, nt := 0, 0
	for _, a := range accts {
		np, nt = np+len(a.src.Positions), nt+len(a.src.Transactions)
	}
	t.positions = make([]schema.Row, 0, np)
	t.transactions = make([]schema.Row, 0, nt)
	for _, a := range accts {
		t.positionRows(a)
		t.transactionRows(a)
		t.reconcile(a)
		t.reportAmbiguous(a)
		if s := t.transactionScope(a); s != nil {
			t.txScopes = append(t.txScopes, s)
		}
	}
}

// unreadable reports whether problems hold the array member name, or one of
// its elements, as unreadable: the list it holds is not whole.
func unreadable(problems []payload.Problem, name string) bool {
	for _, p := range problems {
		if p.Path == name || strings.HasPrefix(p.Path, name+"[") {
			return true
		}
	}
	return false
}

// finish assembles the batch in a deterministic order. Its positions scope
// is exactly one tuple, (login, snapshot date): the sync replaces that
// snapshot whole, even when it holds no position, and no other date.
func (t *transformer) finish() (schema.Batch, Stats) {
	var secs, aliases []schema.Row
	if t.securities != nil {
		secs = t.securities.rows(t.runID, t.numbers, t.c.KeepAccountNumbers)
		aliases = t.securities.aliasRows(t.runID, t.syncedAt, t.box)
	}
	sortRows(t.accounts, accountsKey)
	sortRows(t.positions, positionsKey)
	sortRows(t.transactions, transactionsKey)
	sortRows(t.quality, qualityKey)
	sortRows(t.txScopes, transactionsScopeKey)
	rej := t.rejected.sorted()

	t.stats.Accounts = len(t.accounts)
	t.stats.Positions = len(t.positions)
	t.stats.Transactions = len(t.transactions)
	t.stats.Securities = len(secs)
	t.stats.Rejected = len(rej)
	b := schema.Batch{
		RunID:   t.c.RunID,
		LoginID: t.c.LoginID,
		Rows: map[string][]schema.Row{
			schema.Logins.Name:          {t.refreshRow()},
			schema.Accounts.Name:        t.accounts,
			schema.Securities.Name:      secs,
			schema.SecurityAliases.Name: aliases,
			schema.Positions.Name:       t.positions,
			schema.Transactions.Name:    t.transactions,
			schema.RejectedRecords.Name: rej,
			schema.DataQuality.Name:     t.quality,
		},
		Scopes: map[string][]schema.Row{schema.Positions.Name: {positionsScopeCols.Row(t.loginID, t.snapshot)}},
	}
	t.latestScopes(b.Scopes)
	return b, t.stats
}

// latestScopes adds to scopes what the batch says it holds whole of the
// Latest tables (rule in the package doc): all of the login's accounts,
// unless the payload could not be read whole; for each account whose
// transactions all loaded, all of its transactions over their date range.
func (t *transformer) latestScopes(scopes map[string][]schema.Row) {
	if t.accountsWhole {
		scopes[schema.Accounts.Name] = []schema.Row{accountsScopeCols.Row(t.loginID, t.syncedAt)}
	}
	if len(t.txScopes) > 0 {
		scopes[schema.Transactions.Name] = t.txScopes
	}
}

// refreshRow is the login's logins row: it records when Flinks last
// refreshed the data (logins.last_refresh_at, a Greatest column). For a login
// the registry already holds, that column is all it changes; a login not yet
// registered is registered by this sync.
func (t *transformer) refreshRow() schema.Row {
	return refreshRow(t.loginID, t.runID, t.syncedAt, t.c.refreshedAt())
}

// refreshRow is a login's logins row recording refreshed as last_refresh_at.
func refreshRow(loginID, runID, syncedAt any, refreshed time.Time) schema.Row {
	return loginCols.Row(loginID, syncedAt, nil, runID, refreshed)
}

// The positions, in their rows, of the columns by which finish sorts each
// table's rows (its key) and scope tuples (its ScopeBy columns).
var (
	accountsKey              = keyPositions(schema.Accounts)
	positionsKey             = keyPositions(schema.Positions)
	transactionsKey          = keyPositions(schema.Transactions)
	qualityKey               = keyPositions(schema.DataQuality)
	transactionsScopeKey     = scopeKeyPositions(schema.Transactions)
	bankAccountsKey          = keyPositions(schema.BankAccounts)
	bankBalancesKey          = keyPositions(schema.BankBalances)
	bankTransactionsKey      = keyPositions(schema.BankTransactions)
	holdersKey               = keyPositions(schema.AccountHolders)
	bankTransactionsScopeKey = scopeKeyPositions(schema.BankTransactions)
)

// keyPositions returns the positions of t's key columns in its rows.
func keyPositions(t *schema.Table) []int { return columnPositions(t.Name, t.Columns, t.Key) }

// scopeKeyPositions returns the positions of t's ScopeBy columns in its scope tuples.
func scopeKeyPositions(t *schema.Table) []int {
	return columnPositions(t.Name+" scope", t.ScopeColumns(), t.ScopeBy)
}

// columnPositions returns the positions of the named columns in cols, the
// columns of of; it panics, naming of and the column, if one is missing.
func columnPositions(of string, cols []schema.Column, names []string) []int {
	pos := make([]int, len(names))
	for i, name := range names {
		pos[i] = slices.IndexFunc(cols, func(c schema.Column) bool { return c.Name == name })
		if pos[i] < 0 {
			panic(fmt.Sprintf("transform: %s has no column %q", of, name))
		}
	}
	return pos
}

// sortRows orders rows by the cells at positions by, in order (a key: login_id
// first, then strings or dates).
func sortRows(rows []schema.Row, by []int) {
	slices.SortFunc(rows, func(a, b schema.Row) int {
		for _, i := range by {
			if c := compareCell(a[i], b[i]); c != 0 {
				return c
			}
		}
		return 0
	})
}

func compareCell(a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	}
	return 0
}

// payloadLevel quarantines what the payload carries outside any account, so
// that it is not dropped silently: a non-null Message and unknown top-level
// members, kept in the fragment.
func (t *transformer) payloadLevel(inv *payload.Investments) {
	fields := payload.Fields{}
	for k, v := range inv.Extra {
		fields[k] = v
	}
	if !inv.Message.Null() {
		fields["Message"] = inv.Message.Raw()
	}
	if len(fields) == 0 {
		return
	}
	m := masker{numbers: t.numbers, keep: t.c.KeepAccountNumbers}
	t.rejected.add("$", "", "payload-level members with no column; kept in fragment", m.extra(fields, nil))
}
