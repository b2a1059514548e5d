package transform

import (
	"encoding/json"
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

// controlCols is the order in which ControlBatch gives login_controls.
var controlCols = schema.LoginControls.Layout("login_id", "enabled", "changed_at", "changed_by", "reason")

// ControlBatch disables (enabled false, with reason) or enables the
// LoginIds: one login_controls row each, which replaces the login's earlier
// one. opID names the change as a batch's RunID does (it is no run of
// sync_runs); by says who made it ("" for unknown).
func ControlBatch(opID string, at time.Time, enabled bool, by, reason string, loginIDs []string) schema.Batch {
	rows := make([]schema.Row, len(loginIDs))
	for i, id := range loginIDs {
		var why any
		if !enabled && reason != "" {
			why = reason
		}
		rows[i] = controlCols.Row(id, enabled, at.UTC(), nullable(by), why)
	}
	return schema.Batch{RunID: opID, Rows: map[string][]schema.Row{schema.LoginControls.Name: rows}}
}

// erasureCols is the order in which ErasureBatch gives erasures.
var erasureCols = schema.Erasures.Layout("erasure_id", "login_hash", "erased_at", "erased_by", "rows_removed", "tables")

// ErasureBatch records that one login, named only by its hash, was erased
// at at: removed holds the rows deleted per table (tables with none are
// left out of the JSON). It holds no personal data.
func ErasureBatch(erasureID, loginHash string, at time.Time, by string, removed map[string]int64) schema.Batch {
	var total int64
	kept := map[string]int64{}
	for name, n := range removed {
		total += n
		if n > 0 {
			kept[name] = n
		}
	}
	tables, _ := json.Marshal(kept) // a map of ints always marshals; keys sorted
	row := erasureCols.Row(erasureID, loginHash, at.UTC(), nullable(by), total, string(tables))
	return schema.Batch{RunID: erasureID, Rows: map[string][]schema.Row{schema.Erasures.Name: {row}}}
}

// nullable is s, or nil (NULL) when s is empty.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
