package extract

import (
	"context"
	"errors"
	"net/http"
)

// Endpoint names: the Flinks API calls, as Config.OnAnswer reports them.
// They name the call, never its URL (which holds the customer id and the
// session's RequestId).
const (
	EndpointGenerateAuthorizeToken = "GenerateAuthorizeToken"
	EndpointAuthorize              = "Authorize"
	EndpointInvestments            = "Investments"
	EndpointGetAccountsDetail      = "GetAccountsDetail"
	EndpointGetAccountsDetailAsync = "GetAccountsDetailAsync"
)

// Endpoints lists every endpoint name Config.OnAnswer may report.
var Endpoints = []string{EndpointGenerateAuthorizeToken, EndpointAuthorize, EndpointInvestments,
	EndpointGetAccountsDetail, EndpointGetAccountsDetailAsync}

// Answer outcomes, as Config.OnAnswer reports them: what one HTTP exchange
// came to, decided by the FlinksCode first and the HTTP status second (as
// Classify does).
const (
	AnswerOK        = "ok"        // data or a session: a 200 (or another 2xx) with no error FlinksCode
	AnswerPending   = "pending"   // 202, or a pending FlinksCode: ask again later
	AnswerThrottled = "throttled" // 429 or TOO_MANY_REQUESTS
	// AnswerClientError: Flinks answered, refusing this request: a 4xx, a
	// redirect, a 203 (MFA), or an error FlinksCode under 200.
	AnswerClientError  = "client_error"
	AnswerServerError  = "server_error"  // a 5xx not saying TOO_MANY_REQUESTS or pending
	AnswerNetworkError = "network_error" // no answer, or a body cut on its way (DNS, refused, reset, TLS, timeout)
	AnswerCanceled     = "canceled"      // the caller's context ended during the exchange
)

// AnswerOutcomes lists every outcome Config.OnAnswer may report.
var AnswerOutcomes = []string{AnswerOK, AnswerPending, AnswerThrottled, AnswerClientError,
	AnswerServerError, AnswerNetworkError, AnswerCanceled}

// answerOutcome says what the exchange that gave a came to (one of
// AnswerOutcomes). A body refused for its size was still an answer of its
// status; what the login makes of it is the login's outcome.
func answerOutcome(ctx context.Context, a answer) string {
	if a.err != nil && !errors.Is(a.err, ErrBodyTooLarge) {
		if isCanceled(ctx, a.err) {
			return AnswerCanceled
		}
		return AnswerNetworkError
	}
	switch Classify(a.status, a.code) {
	case Ready:
		if a.status >= 200 && a.status < 300 {
			return AnswerOK
		}
	case Pending:
		return AnswerPending
	case Throttled:
		return AnswerThrottled
	}
	if a.status >= http.StatusInternalServerError {
		return AnswerServerError
	}
	return AnswerClientError
}
