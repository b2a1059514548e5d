package transform

import (
	"time"

	"github.com/syncer/syncer/schema"
)

// loginCols is the order in which RegistrationBatch and refreshRow give the
// logins columns.
var loginCols = schema.Logins.Layout("login_id", "registered_at", "registered_by", "run_id", "last_refresh_at")

// RegistrationBatch registers LoginIds in the logins table. Registering a
// LoginId that is already known changes nothing (the table is insert-if-new,
// and a registration's last_refresh_at is NULL, which keeps the stored one).
func RegistrationBatch(runID, command string, at time.Time, loginIDs []string) schema.Batch {
	rows := make([]schema.Row, len(loginIDs))
	for i, id := range loginIDs {
		rows[i] = loginCols.Row(id, at.UTC(), command, runID, nil)
	}
	return schema.Batch{RunID: runID, Rows: map[string][]schema.Row{schema.Logins.Name: rows}}
}
