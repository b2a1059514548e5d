package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/syncer/syncer/extract"
)

// Login statuses recorded in sync_logins.status (docs/data-dictionary.md).
const (
	StatusSucceeded       = "succeeded"
	StatusFailed          = "failed"
	StatusTimedOut        = "timed_out"
	StatusNeedsUserAction = "needs_user_action"
	StatusRejected        = "rejected"
)

// Statuses lists the login statuses in the order summaries show them.
var Statuses = []string{StatusSucceeded, StatusFailed, StatusTimedOut, StatusNeedsUserAction, StatusRejected}

// Run statuses recorded in sync_runs.status.
const (
	RunRunning     = "running"
	RunSucceeded   = "succeeded"
	RunPartial     = "partial"
	RunFailed      = "failed"
	RunInterrupted = "interrupted"
)

// DefaultStaleAfter is the data age (since Flinks last refreshed a login's
// data) past which status, the status page and the stale-logins gauge call a
// login stale.
const DefaultStaleAfter = 36 * time.Hour

// RetryableStatuses are the login statuses `syncer retry` picks up again.
var RetryableStatuses = []string{StatusFailed, StatusTimedOut}

// statusOf maps a login's final error to its sync_logins status.
func statusOf(err error) string {
	if err == nil {
		return StatusSucceeded
	}
	if errors.Is(err, context.Canceled) {
		return StatusFailed
	}
	switch extract.ClassOf(err) {
	case extract.TimedOut:
		return StatusTimedOut
	case extract.NeedsUser:
		return StatusNeedsUserAction
	case extract.Rejected, extract.Retired: // a retired product is not retried
		return StatusRejected
	}
	return StatusFailed
}
