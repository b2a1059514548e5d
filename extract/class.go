package extract

import "net/http"

// Class says what a Flinks answer (or a failure to get one) means for a login.
type Class int

const (
	// Unknown is the zero Class: not a Flinks outcome (e.g. a nil error).
	Unknown Class = iota
	// Ready: the answer carries what was asked for (a session, a payload).
	Ready
	// Pending: Flinks is still working (202); ask again after the poll interval.
	Pending
	// Retry: a transient failure; try again after a backoff, a bounded number of times.
	Retry
	// Reauth: the session is gone (SESSION_NONEXISTENT); open a new one, bounded.
	Reauth
	// Throttled: Flinks asked us to slow down; the whole client slows down.
	Throttled
	// NeedsUser: the person must act at the bank or in Flinks Connect (MFA, disabled login, ...).
	NeedsUser
	// Rejected: this login cannot be synced as asked (unknown LoginId, malformed request, unusable payload).
	Rejected
	// Fatal: our own credentials or configuration are wrong; the whole run must stop.
	Fatal
	// TimedOut: the login was still pending at the poll timeout.
	TimedOut
	// Canceled: the caller's context ended before the login finished.
	Canceled
	// Retired: Flinks no longer serves the product (/Investments after
	// 2026-04-30); not retried, and said once per run.
	Retired
)

var classNames = [...]string{
	Unknown:   "unknown",
	Ready:     "ready",
	Pending:   "pending",
	Retry:     "retry",
	Reauth:    "reauth",
	Throttled: "throttled",
	NeedsUser: "needs_user_action",
	Rejected:  "rejected",
	Fatal:     "fatal",
	TimedOut:  "timed_out",
	Canceled:  "canceled",
	Retired:   "retired",
}

func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return "unknown"
	}
	return classNames[c]
}

// flinksCodes maps every FlinksCode the syncer knows to its Class. Flinks puts
// the same code under different HTTP statuses, so the code decides first.
var flinksCodes = map[string]Class{
	"OPERATION_PENDING":    Pending,
	"OPERATION_DISPATCHED": Pending,

	"SESSION_NONEXISTENT": Reauth,

	"RETRY_LATER":          Retry,
	"CARD_IN_USE":          Retry,
	"CONCURRENT_SESSION":   Retry,
	"AGGREGATION_ERROR":    Retry,
	"DISABLED_INSTITUTION": Retry, // off for now: fail this run, a later run may succeed

	"TOO_MANY_REQUESTS": Throttled,

	"DISABLED_LOGIN":            NeedsUser,
	"NEW_ACCOUNT":               NeedsUser,
	"INVALID_USERNAME":          NeedsUser,
	"INVALID_PASSWORD":          NeedsUser,
	"QUESTION_NOT_FOUND":        NeedsUser,
	"INVALID_SECURITY_RESPONSE": NeedsUser,

	"INVALID_LOGIN":   Rejected,
	"INVALID_REQUEST": Rejected,

	"UNAUTHORIZED":  Fatal,
	"ACCESS_DENIED": Fatal,
}

// Classify decides what one HTTP answer means, by FlinksCode first and HTTP
// status second. status 0 stands for "no answer" (a network error).
//
// An unknown, non-empty FlinksCode means Retry (bounded by the caller), except
// under 200/202/203, whose meaning the status already fixes.
func Classify(status int, flinksCode string) Class {
	if c, ok := flinksCodes[flinksCode]; ok {
		return c
	}
	switch status {
	case http.StatusOK:
		return Ready
	case http.StatusAccepted:
		return Pending
	case http.StatusNonAuthoritativeInfo: // MFA questions: nobody is there to answer
		return NeedsUser
	case http.StatusTooManyRequests:
		return Throttled
	}
	if flinksCode != "" {
		return Retry
	}
	switch {
	case status == 0, status >= 500:
		return Retry
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly:
		return Retry
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return Fatal // our key or token, with no code to say otherwise
	case status == http.StatusNotFound, status >= 300 && status < 400:
		return Fatal // wrong base URL: every login would fail the same way
	case status >= 400:
		return Rejected
	}
	return Retry // 1xx, other 2xx: unexpected, try again (bounded)
}
