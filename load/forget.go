package load

import (
	"context"
	"database/sql"
	"time"

	"github.com/syncer/syncer/schema"
)

// RegistryRecord is one registered login as the registry holds it: when
// and how it was registered, and whether it is enabled.
type RegistryRecord struct {
	LoginID      string
	RegisteredAt time.Time
	RegisteredBy sql.NullString
	// Enabled is false while the login is disabled (login_controls); a
	// login never disabled is enabled.
	Enabled bool
	// ChangedAt, ChangedBy and Reason are its login_controls row's: when
	// and by whom it was last disabled or enabled, and why it was disabled.
	ChangedAt sql.NullTime
	ChangedBy sql.NullString
	Reason    sql.NullString
}

// Forgetter is implemented by a sink that can erase logins (syncer forget).
//
// Forget deletes every row whose login_id is loginID from every table of
// schema.Tables that has that column, and commits the batch record returns
// (the erasures row, built from the rows deleted per table), in one
// transaction where the sink's store allows it. When Forget returns an
// error, the sink may have deleted some tables' rows (where it has no
// transaction across tables) but the erasure is then incomplete and a
// new call finishes it: Forget is idempotent, a call that finds no row
// deletes nothing and still commits record's batch (with zeros), so the
// warehouse always ends holding an erasures row for the login. It must not
// be called concurrently with Commit or Close.
type Forgetter interface {
	Forget(ctx context.Context, loginID string, record func(removed map[string]int64) schema.Batch) (map[string]int64, error)
}

// LoginTables are the tables of schema.Tables with a login_id column: the
// ones Forget deletes from.
func LoginTables() []*schema.Table {
	var out []*schema.Table
	for _, t := range schema.Tables {
		if t.Index("login_id") >= 0 {
			out = append(out, t)
		}
	}
	return out
}
