package flinkstest

import (
	"fmt"
	"net/http"
	"strconv"
)

// Fault is a misbehaviour the sandbox shows for chosen LoginIds. Its number
// is part of the LoginId pattern (see FaultLogin) and never changes.
type Fault int

// The faults. "Authorize" faults answer POST Authorize instead of opening a
// session; "data" faults answer a data call (Investments, GetAccountsDetail,
// GetAccountsDetailAsync) of an open session.
const (
	FaultNone                    Fault = 0
	FaultSessionNonexistent      Fault = 1  // data: 400 SESSION_NONEXISTENT on the poll after the first 202; the session is gone
	FaultCardInUse               Fault = 2  // Authorize: 400 CARD_IN_USE
	FaultConcurrentSession       Fault = 3  // Authorize: 400 CONCURRENT_SESSION
	FaultRetryLater              Fault = 4  // Authorize: 401 RETRY_LATER
	FaultTooManyRequests         Fault = 5  // data: TOO_MANY_REQUESTS in the configured ThrottleStyle
	FaultAggregationError        Fault = 6  // data: 500 AGGREGATION_ERROR
	FaultInvalidLogin            Fault = 7  // Authorize: 401 INVALID_LOGIN
	FaultDisabledLogin           Fault = 8  // Authorize: 401 DISABLED_LOGIN
	FaultNewAccount              Fault = 9  // Authorize: 401 NEW_ACCOUNT
	FaultInvalidUsername         Fault = 10 // Authorize: 401 INVALID_USERNAME
	FaultInvalidPassword         Fault = 11 // Authorize: 401 INVALID_PASSWORD
	FaultQuestionNotFound        Fault = 12 // Authorize: 401 QUESTION_NOT_FOUND
	FaultInvalidSecurityResponse Fault = 13 // Authorize: 401 INVALID_SECURITY_RESPONSE
	FaultUnauthorized            Fault = 14 // Authorize: 401 UNAUTHORIZED
	FaultAccessDenied            Fault = 15 // data: 401 ACCESS_DENIED
	FaultInvalidRequest          Fault = 16 // data: 400 INVALID_REQUEST
	FaultDisabledInstitution     Fault = 17 // Authorize: 405 DISABLED_INSTITUTION
	FaultMFA                     Fault = 18 // Authorize: 203 with SecurityChallenges and a RequestId
	FaultHTTP500                 Fault = 19 // data: 500 with an HTML body (not JSON)
	FaultHTTP503                 Fault = 20 // data: 503 with a plain-text body (not JSON)
	FaultSlow                    Fault = 21 // data: the answer waits Config.Delay first
	FaultCutMidBody              Fault = 22 // data: the 200 announces its full Content-Length, sends half, closes the connection
	FaultTruncatedJSON           Fault = 23 // data: a 200 whose body is cut short, with a matching Content-Length
	FaultOversize                Fault = 24 // data: a 200 of valid JSON of at least Config.OversizeBytes, streamed chunked
	FaultNeverReady              Fault = 25 // data: 202 OPERATION_PENDING instead of every 200
	FaultDispatched              Fault = 26 // data: at least two 202s, saying OPERATION_DISPATCHED
	FaultMalformed               Fault = 27 // data: a 200 with malformed fragments (Quantity "abc", a transaction with no Id, a bad date)
	FaultTooManyRequests429      Fault = 28 // data: 429 TOO_MANY_REQUESTS with Retry-After: 1, whatever Config.Throttle
	FaultInvalidLogin200         Fault = 29 // Authorize: 200 carrying the INVALID_LOGIN error object
	FaultDisabledLogin200        Fault = 30 // Authorize: 200 carrying the DISABLED_LOGIN error object
	FaultUnauthorized200         Fault = 31 // Authorize: 200 carrying the UNAUTHORIZED error object
	faultCount                         = 32
)

type stage int

const (
	stageAuthorize stage = iota + 1
	stageData            // every data request of an open session
	stagePoll            // a data request after the session's first 202
	stageDeliver         // a data request that would answer 200
	stageWait            // a data request that answers 202
)

type faultInfo struct {
	name   string
	stage  stage
	status int    // 0: decided by the handler
	code   string // FlinksCode, if any
}

var faults = [faultCount]faultInfo{
	FaultNone:                    {"none", 0, 0, ""},
	FaultSessionNonexistent:      {"session-nonexistent", stagePoll, http.StatusBadRequest, "SESSION_NONEXISTENT"},
	FaultCardInUse:               {"card-in-use", stageAuthorize, http.StatusBadRequest, "CARD_IN_USE"},
	FaultConcurrentSession:       {"concurrent-session", stageAuthorize, http.StatusBadRequest, "CONCURRENT_SESSION"},
	FaultRetryLater:              {"retry-later", stageAuthorize, http.StatusUnauthorized, "RETRY_LATER"},
	FaultTooManyRequests:         {"too-many-requests", stageData, 0, "TOO_MANY_REQUESTS"},
	FaultAggregationError:        {"aggregation-error", stageData, http.StatusInternalServerError, "AGGREGATION_ERROR"},
	FaultInvalidLogin:            {"invalid-login", stageAuthorize, http.StatusUnauthorized, "INVALID_LOGIN"},
	FaultDisabledLogin:           {"disabled-login", stageAuthorize, http.StatusUnauthorized, "DISABLED_LOGIN"},
	FaultNewAccount:              {"new-account", stageAuthorize, http.StatusUnauthorized, "NEW_ACCOUNT"},
	FaultInvalidUsername:         {"invalid-username", stageAuthorize, http.StatusUnauthorized, "INVALID_USERNAME"},
	FaultInvalidPassword:         {"invalid-password", stageAuthorize, http.StatusUnauthorized, "INVALID_PASSWORD"},
	FaultQuestionNotFound:        {"question-not-found", stageAuthorize, http.StatusUnauthorized, "QUESTION_NOT_FOUND"},
	FaultInvalidSecurityResponse: {"invalid-security-response", stageAuthorize, http.StatusUnauthorized, "INVALID_SECURITY_RESPONSE"},
	FaultUnauthorized:            {"unauthorized", stageAuthorize, http.StatusUnauthorized, "UNAUTHORIZED"},
	FaultAccessDenied:            {"access-denied", stageData, http.StatusUnauthorized, "ACCESS_DENIED"},
	FaultInvalidRequest:          {"invalid-request", stageData, http.StatusBadRequest, "INVALID_REQUEST"},
	FaultDisabledInstitution:     {"disabled-institution", stageAuthorize, http.StatusMethodNotAllowed, "DISABLED_INSTITUTION"},
	FaultMFA:                     {"mfa", stageAuthorize, 203, ""},
	FaultHTTP500:                 {"http-500", stageData, http.StatusInternalServerError, ""},
	FaultHTTP503:                 {"http-503", stageData, http.StatusServiceUnavailable, ""},
	FaultSlow:                    {"slow", stageData, 0, ""},
	FaultCutMidBody:              {"cut-mid-body", stageDeliver, http.StatusOK, ""},
	FaultTruncatedJSON:           {"truncated-json", stageDeliver, http.StatusOK, ""},
	FaultOversize:                {"oversize", stageDeliver, http.StatusOK, ""},
	FaultNeverReady:              {"never-ready", stageDeliver, http.StatusAccepted, "OPERATION_PENDING"},
	FaultDispatched:              {"dispatched", stageWait, http.StatusAccepted, "OPERATION_DISPATCHED"},
	FaultMalformed:               {"malformed", stageDeliver, http.StatusOK, ""},
	FaultTooManyRequests429:      {"too-many-requests-429", stageData, http.StatusTooManyRequests, "TOO_MANY_REQUESTS"},
	FaultInvalidLogin200:         {"invalid-login-200", stageAuthorize, http.StatusOK, "INVALID_LOGIN"},
	FaultDisabledLogin200:        {"disabled-login-200", stageAuthorize, http.StatusOK, "DISABLED_LOGIN"},
	FaultUnauthorized200:         {"unauthorized-200", stageAuthorize, http.StatusOK, "UNAUTHORIZED"},
}

// Faults lists every fault kind, in number order.
func Faults() []Fault {
	out := make([]Fault, 0, faultCount-1)
	for f := Fault(1); f < faultCount; f++ {
		out = append(out, f)
	}
	return out
}

// String is the fault's short name ("retry-later").
func (f Fault) String() string {
	if f < 0 || f >= faultCount {
		return "fault(" + strconv.Itoa(int(f)) + ")"
	}
	return faults[f].name
}

// FlinksCode is the FlinksCode the fault answers with ("" for faults that
// are not a Flinks error, such as FaultHTTP503 or FaultCutMidBody).
func (f Fault) FlinksCode() string {
	if f < 0 || f >= faultCount {
		return ""
	}
	return faults[f].code
}

// AtAuthorize reports whether the fault answers Authorize (rather than a data call).
func (f Fault) AtAuthorize() bool {
	return f > 0 && f < faultCount && faults[f].stage == stageAuthorize
}

// faultPrefix starts every fault LoginId: "fa11" reads "fail".
const faultPrefix = "fa11"

// FaultLogin returns a LoginId that shows fault f on every opportunity
// (persistent). n distinguishes several such logins. Pattern:
//
//	fa11FFFF-KKKK-4000-8000-NNNNNNNNNNNN
//
// FFFF is the fault number in decimal, KKKK how many times it fires before
// the login behaves (0000 = always), NNNNNNNNNNNN is n in decimal.
func FaultLogin(f Fault, n int) string { return TransientFaultLogin(f, 0, n) }

// TransientFaultLogin returns a LoginId that shows fault f on its first k
// opportunities and then behaves like a healthy login (k = 0: persistent).
// An opportunity is an Authorize call for Authorize faults, and for data
// faults a data call at the point the fault applies (see the Fault constants).
func TransientFaultLogin(f Fault, k, n int) string {
	return fmt.Sprintf("%s%04d-%04d-4000-8000-%012d", faultPrefix, int(f)%10000, k%10000, n%1000000000000)
}

// faultSpec is the fault a LoginId asks for.
type faultSpec struct {
	fault Fault
	times int // 0 = every time
}

// parseFaultLogin reads the FaultLogin pattern; ok is false for other ids.
func parseFaultLogin(id string) (faultSpec, bool) {
	if len(id) != 36 || id[:4] != faultPrefix || id[8] != '-' || id[13] != '-' {
		return faultSpec{}, false
	}
	f, err1 := strconv.Atoi(id[4:8])
	k, err2 := strconv.Atoi(id[9:13])
	if err1 != nil || err2 != nil || f <= 0 || f >= faultCount {
		return faultSpec{}, false
	}
	return faultSpec{fault: Fault(f), times: k}, true
}

// randomFaults are the transient faults FaultRate draws from: the ones a
// well-behaved client recovers from without a person, and without waiting
// Config.Delay.
var randomFaults = []Fault{
	FaultSessionNonexistent, FaultCardInUse, FaultConcurrentSession, FaultRetryLater,
	FaultTooManyRequests, FaultAggregationError, FaultHTTP500, FaultHTTP503,
	FaultCutMidBody, FaultTruncatedJSON, FaultDispatched,
}
