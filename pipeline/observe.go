package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/syncer/syncer/extract"
)

// Finished is a login whose outcome the warehouse has just committed, as
// Options.OnFinished receives it.
type Finished struct {
	LoginID string // for the caller to hash (extract.HashLogin); never log it
	Status  string // sync_logins.status
	// Cause says why a login did not succeed, short enough to group by
	// (see CauseOf); "" when it succeeded.
	Cause string
	// QualityFailed counts the login's data-quality checks that failed
	// (data_quality rows with passed = false); the login still succeeded.
	QualityFailed int
}

// Cause values that are not a FlinksCode.
const (
	CauseInterrupted = "interrupted" // the run was cancelled before the login finished
	CauseLoad        = "load"        // the warehouse refused the login's rows
	CauseTimedOut    = "timed_out"   // still pending at --poll-timeout
	CausePayload     = "payload"     // the answer could not be used
	CauseMFA         = "MFA"         // Flinks asked for the person's answer (HTTP 203)
)

// statusOf203 reports whether err is Flinks' 203 (MFA), which has no FlinksCode.
func statusOf203(err error) bool {
	var e *extract.Error
	return errors.As(err, &e) && e.Status == 203
}

// CauseOf names why err ended a login, for grouping failures: the FlinksCode
// when Flinks gave one; else, for an unreachable Flinks, what failed (e.g.
// "HTTP 503", "connection refused", "tls"); else a short class name
// (timed_out, interrupted, payload, rejected, ...). "" for nil.
func CauseOf(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrFatal) && !errors.As(err, new(*extract.Error)) {
		return CauseInterrupted
	}
	switch c := extract.ClassOf(err); {
	case c == extract.TimedOut:
		return CauseTimedOut // its last code is always a pending one
	case c == extract.NeedsUser && extract.CodeOf(err) == "" && statusOf203(err):
		return CauseMFA
	}
	if code := extract.CodeOf(err); code != "" {
		return code
	}
	if why, ok := extract.Unreachable(err); ok {
		return why
	}
	var e *extract.Error
	if errors.As(err, &e) {
		switch e.Class {
		case extract.Canceled:
			return CauseInterrupted
		case extract.Rejected:
			if e.Status == 200 {
				return CausePayload
			}
			if e.Status != 0 {
				return fmt.Sprintf("HTTP %d", e.Status)
			}
		}
		return e.Class.String()
	}
	return extract.ClassOf(err).String()
}
