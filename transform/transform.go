package transform

import (
	"fmt"
	"time"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

// Context is what a transform knows besides the payload.
type Context struct {
	RunID, LoginID string
	// SyncedAt is when the payload was fetched (UTC).
	SyncedAt time.Time
	// LastRefresh is when Flinks last refreshed the login's data: the
	// session's Login.LastRefresh, zero when Flinks gave none. Its UTC date
	// is the snapshot date (positions.as_of_date) of every position; when
	// it is zero, SyncedAt's UTC date is (see SnapshotDate). For
	// TransformBanking, the payload's own Login.LastRefresh, when it has a
	// readable one, takes its place (package doc, "Banking").
	LastRefresh time.Time
	// KeepAccountNumbers keeps account numbers and holder details in full;
	// by default they are masked to their last four characters. For the
	// banking payload it concerns account numbers only: holders' details
	// follow KeepHolderPII.
	KeepAccountNumbers bool
	// KeepHolderPII (banking) stores account holders' name, e-mail, phone
	// and address in clear in account_holders. By default those columns
	// are NULL and the holders' details are masked wherever else they
	// appear (see the package doc, "Holders").
	KeepHolderPII bool
	// HolderSecret (banking) keys account_holders.holder_key; empty, the
	// key is NULL. The warehouse keeps it; see HolderSecretLen.
	HolderSecret HolderSecret
}

// SnapshotDate is the date of the positions snapshot a payload fetched with
// c describes: LastRefresh's UTC date, or SyncedAt's when LastRefresh is zero.
func (c Context) SnapshotDate() time.Time {
	return schema.DateOf(c.refreshedAt())
}

// refreshedAt is LastRefresh, or SyncedAt when Flinks gave none.
func (c Context) refreshedAt() time.Time {
	if c.LastRefresh.IsZero() {
		return c.SyncedAt.UTC()
	}
	return c.LastRefresh.UTC()
}

// Stats counts what one transform produced. The Bank fields count the
// banking tables' rows (TransformBanking); the others the investments ones,
// but Rejected and QualityFailed, which count either.
type Stats struct {
	Accounts, Positions, Securities, Transactions, Rejected, QualityFailed int

	BankAccounts     int `json:",omitempty"`
	BankBalances     int `json:",omitempty"`
	BankTransactions int `json:",omitempty"`
	AccountHolders   int `json:",omitempty"`
}

// Add returns the sum of two Stats: what a login's products produced together.
func (s Stats) Add(o Stats) Stats {
	return Stats{
		Accounts: s.Accounts + o.Accounts, Positions: s.Positions + o.Positions, Securities: s.Securities + o.Securities,
		Transactions: s.Transactions + o.Transactions, Rejected: s.Rejected + o.Rejected, QualityFailed: s.QualityFailed + o.QualityFailed,
		BankAccounts: s.BankAccounts + o.BankAccounts, BankBalances: s.BankBalances + o.BankBalances,
		BankTransactions: s.BankTransactions + o.BankTransactions, AccountHolders: s.AccountHolders + o.AccountHolders,
	}
}

// FromJSON decodes an /Investments body and transforms it. The error, when
// the body cannot be used at all, wraps payload.ErrSyntax or payload.ErrShape
// and never contains payload values.
func FromJSON(body []byte, c Context) (schema.Batch, Stats, error) {
	inv, err := payload.Decode(body)
	if err != nil {
		return schema.Batch{}, Stats{}, fmt.Errorf("transform: %w", err)
	}
	b, s := Transform(inv, c)
	return b, s, nil
}

// Transform turns a decoded payload into one login's batch. It never fails:
// every fragment it cannot load becomes a rejected_records row, and the rest
// loads. The same payload and Context always give the same batch, whatever
// the order of the payload's arrays (see the package doc for the one
// exception: which of two conflicting duplicates is "first").
func Transform(inv *payload.Investments, c Context) (schema.Batch, Stats) {
	t := newTransformer(c)
	if inv != nil {
		t.run(inv)
	}
	return t.finish()
}
