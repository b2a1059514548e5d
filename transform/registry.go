package transform

import (
	"time"

	"github.com/syncer/syncer/schema"
)

// RegistrationBatch registers LoginIds in the logins table. Registering a
// LoginId that is already known changes nothing (the table is insert-if-new).
func RegistrationBatch(runID, command string, at time.Time, loginIDs []string) schema.Batch {
	rows := make([]schema.Row, len(loginIDs))
	for i, id := range loginIDs {
		rows[i] = schema.Row{id, at.UTC(), command, runID}
	}
	return schema.Batch{RunID: runID, Rows: map[string][]schema.Row{schema.Logins.Name: rows}}
}
