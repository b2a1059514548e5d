package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/syncer/syncer/payload"
)

// Login is one LoginId being synced: at most one Flinks session at a time,
// its polls, retries and deadline. Step and Close must not be called
// concurrently for one Login (a Login belongs to one worker at a time);
// different Logins of a Client may step concurrently.
type Login struct {
	c   *Client
	id  string
	log *slog.Logger

	requestID string // the open session, "" when a session must be opened
	tk        ticket // the login's place among those waiting for the rate
	final     *Step  // set once Done
	closed    bool

	refreshed time.Time // the open session's Login.LastRefresh; zero if unknown

	products []Product // asked for, in order; products[len(outcomes)] is the current one
	outcomes []Outcome // of the products ended so far
	productState
	report Report
}

// productState is the current product's progress; each product starts afresh.
type productState struct {
	failures   int       // retryable failures so far
	throttles  int       // throttling answers so far
	reauths    int       // sessions reopened after SESSION_NONEXISTENT
	cutRetried bool      // a 200 body cut short has had its one retry
	firstCall  time.Time // the product's first data call: its poll deadline counts from here
	accepted   bool      // banking: GetAccountsDetail answered 202 in the open session; poll Async next
}

// Step is what one call of Login.Step did and what comes next.
type Step struct {
	Done bool
	// Outcomes, when Done, has one Outcome per product asked, in order.
	Outcomes []Outcome
	// Payload, when Done, is the Investments payload if that product succeeded.
	Payload *payload.Investments
	// Err, when Done, is the first failed product's error (a *Error); nil
	// when every product succeeded.
	Err error
	// LastRefresh, with a Payload, is when Flinks last refreshed the data:
	// Login.LastRefresh of the session that delivered it, in UTC; zero when
	// its Authorize answer had none that could be read.
	LastRefresh time.Time
	// Wait, when !Done, is how long to wait before calling Step again (a poll
	// interval, a backoff, or a rate-limit slot). The caller may park the
	// login meanwhile: nothing is held but this Login value.
	Wait time.Duration
}

// Report says how a login went, for the run ledger.
type Report struct {
	Attempts       int       // tries: 1, plus 1 per retry after a retryable failure or throttling
	Polls          int       // 202 answers to data calls
	Requests       int       // HTTP requests sent for this login
	Sessions       int       // sessions opened (Authorize answered 200)
	LastFlinksCode string    // last FlinksCode seen, "" if none
	FirstDataCall  time.Time // first data call, on the client's Clock; zero if none
}

// throttleBudget is how many throttling answers one login tolerates, as a
// multiple of MaxAttempts: throttling is the run's doing, not the login's, so
// it is given more room than a failure.
const throttleBudget = 4

// Report returns the login's counters so far.
func (l *Login) Report() Report { return l.report }

// Close ends the Login and frees its LoginId for a later Begin. Safe to call twice.
func (l *Login) Close() {
	if l.closed {
		return
	}
	l.closed = true
	l.c.gov.leave(&l.tk)
	l.c.release(l.id)
}

// Step does at most one logical request (GenerateAuthorizeToken + Authorize
// count as one) and says what comes next. Once it returns Done, it returns
// the same Step again. It makes no request when:
//   - ctx is done (Done, Canceled);
//   - another login of the Client got a Fatal answer (Done, Fatal, ErrRunStopped);
//   - the shared limiter has no slot yet, or the run is paused for throttling
//     (not Done, Wait before asking again).
//
// A login is TimedOut only when Flinks answers 202 at or after its poll
// deadline (PollTimeout after its first data call). Its polls are due every
// PollInterval and the last one at the deadline; a poll the run held back
// past the deadline is still made, once.
func (l *Login) Step(ctx context.Context) Step {
	if l.final != nil {
		return *l.final
	}
	if l.closed {
		return l.fail(&Error{Class: Canceled, Op: "step", Err: errors.New("login is closed")})
	}
	if err := ctx.Err(); err != nil {
		return l.fail(&Error{Class: Canceled, Op: l.op(), Err: err})
	}
	if f := l.c.fatal.Load(); f != nil {
		return l.fail(&Error{Class: Fatal, Op: f.Op, Status: f.Status, FlinksCode: f.FlinksCode, Err: ErrRunStopped})
	}
	now := l.c.cfg.Clock.Now()
	if wait, ok := l.takeSlot(now); !ok {
		return Step{Wait: wait}
	}
	if l.current() == Investments && l.c.retired.Load() {
		// Flinks said so for another login: no request, nothing more to say.
		return l.fail(&Error{Class: Retired, Op: string(Investments), Err: ErrRetired})
	}
	if l.report.Attempts == 0 {
		l.report.Attempts = 1
	}
	if l.requestID == "" {
		return l.authorize(ctx, now)
	}
	if l.current() == Banking {
		return l.pollBanking(ctx, now)
	}
	return l.poll(ctx, now)
}

// current is the product being synced.
func (l *Login) current() Product { return l.products[len(l.outcomes)] }

// isData reports whether op names a data call (a product).
func isData(op string) bool { return op == string(Investments) || op == string(Banking) }

// takeSlot asks the shared rate for this step's request(s): ok, or how long
// to wait before asking again. A login that has sent a request before goes
// ahead of logins that have not.
func (l *Login) takeSlot(now time.Time) (time.Duration, bool) {
	n := 1
	if l.requestID == "" && l.c.cfg.SecretKey != "" {
		n = 2 // token + authorize
	}
	return l.c.gov.take(now, n, l.report.Requests > 0, &l.tk)
}

func (l *Login) op() string {
	if l.requestID == "" {
		return "authorize"
	}
	return string(l.current())
}

// timedOut is the outcome of a 202 answered at or after the deadline.
func (l *Login) timedOut(op string, a answer) *Error {
	return &Error{Class: TimedOut, Op: op, FlinksCode: a.code, Status: a.status, Err: ErrDeadline}
}

// authorize opens a session: a token first when a secret key is configured
// (tokens are single use: one per Authorize), then Authorize in cached mode.
func (l *Login) authorize(ctx context.Context, sentAt time.Time) Step {
	cfg := &l.c.cfg
	headers := map[string]string{}
	if cfg.SecretKey != "" {
		a := l.send(ctx, "token", EndpointGenerateAuthorizeToken, l.c.tokenURL, struct{}{}, map[string]string{"flinks-auth-key": cfg.SecretKey})
		if s, handled := l.judge(ctx, "token", a, sentAt); handled {
			return s
		}
		token := fieldsOf(a.body).Token
		if token == "" {
			return l.retry("token", a, ErrNoToken)
		}
		headers["flinks-auth-key"] = token
	}
	req := struct {
		LoginID          string `json:"LoginId"`
		MostRecentCached bool
		Tag              string `json:",omitempty"`
	}{l.id, true, cfg.Tag}
	a := l.send(ctx, "authorize", EndpointAuthorize, l.c.authorizeURL, req, headers)
	if s, handled := l.judge(ctx, "authorize", a, sentAt); handled {
		return s
	}
	id := fieldsOf(a.body).RequestID
	if id == "" {
		return l.retry("authorize", a, ErrNoRequestID)
	}
	l.requestID = id
	l.accepted = false
	l.refreshed, _ = lastRefreshOf(a.body)
	l.report.Sessions++
	return Step{}
}

// poll asks for the investments of the open session once.
func (l *Login) poll(ctx context.Context, sentAt time.Time) Step {
	l.dataCall(sentAt)
	req := struct {
		LoginID          string `json:"LoginId"`
		RequestID        string `json:"RequestId"`
		MostRecentCached bool
	}{l.id, l.requestID, true}
	var headers map[string]string
	if l.c.cfg.APIKey != "" {
		headers = map[string]string{"x-api-key": l.c.cfg.APIKey}
	}
	a := l.send(ctx, "investments", EndpointInvestments, l.c.investmentsURL, req, headers)
	if s, handled := l.judge(ctx, "investments", a, sentAt); handled {
		return s
	}
	inv, err := payload.Decode(a.body)
	switch {
	case err == nil:
		if code := extraCode(inv); code != "" {
			l.report.LastFlinksCode = code
			if Classify(a.status, code) != Ready {
				a.code = code
				if s, handled := l.decide(ctx, "investments", a, false); handled {
					return s
				}
			}
		}
		return l.succeed(Outcome{Product: Investments, Investments: inv, Body: a.body, LastRefresh: l.refreshed})
	case errors.Is(err, payload.ErrSyntax):
		// Not JSON: HTML, NaN, an empty body, data after the payload... are
		// not going to change; a JSON value that stops short may have been
		// cut on its way, and gets one more try.
		if !l.cutRetried && cutShort(a.body) {
			l.cutRetried = true
			return l.retry("investments", a, fmt.Errorf("%w: %w", ErrCutShort, err))
		}
		return l.fail(&Error{Class: Rejected, Op: "investments", Status: a.status, Err: err})
	default: // JSON, but not investments: maybe an error body under 200
		if code := fieldsOf(a.body).FlinksCode; code != "" && Classify(a.status, code) != Ready {
			a.code = code
			if s, handled := l.decide(ctx, "investments", a, false); handled {
				return s
			}
		}
		return l.fail(&Error{Class: Rejected, Op: "investments", Status: a.status, Err: err})
	}
}

// send makes one request (a GET when body is nil) to the API call endpoint
// at url, logs its outcome (never the body or the LoginId) and tells
// Config.OnAnswer. The FlinksCode of a token or Authorize answer is read
// whatever its status: Flinks may put an error object under 200. (A data
// call's 200 is decoded by poll.)
func (l *Login) send(ctx context.Context, op, endpoint, url string, body any, headers map[string]string) answer {
	l.report.Requests++
	start := time.Now()
	var a answer
	if body == nil {
		a = l.c.get(ctx, url, headers)
	} else {
		a = l.c.post(ctx, url, body, headers)
	}
	if a.err == nil && a.code == "" && !isData(op) {
		a.code = fieldsOf(a.body).FlinksCode
	}
	if a.code != "" {
		l.report.LastFlinksCode = a.code
	}
	if l.c.cfg.OnAnswer != nil {
		l.c.cfg.OnAnswer(endpoint, answerOutcome(ctx, a))
	}
	l.log.LogAttrs(ctx, slog.LevelDebug, "flinks answer", slog.String("op", op), slog.Int("status", a.status),
		slog.String("code", a.code), slog.Duration("took", time.Since(start)), slog.Bool("error", a.err != nil))
	return a
}

// judge tells the shared rate how the request sent at sentAt was received,
// then decides what the answer means.
func (l *Login) judge(ctx context.Context, op string, a answer, sentAt time.Time) (Step, bool) {
	run := false
	if a.err == nil {
		run = l.c.gov.answered(l.c.cfg.Clock.Now(), sentAt, Classify(a.status, a.code) == Throttled, l.pauseOf(a))
	}
	return l.decide(ctx, op, a, run)
}

// pauseOf is how long a throttling answer asks us to wait.
func (l *Login) pauseOf(a answer) time.Duration {
	if a.retryAfter > 0 {
		return a.retryAfter
	}
	return l.c.cfg.BackoffBase
}

// decide turns an answer into the next Step unless it is Ready (handled
// false). runThrottled says the governor judged a throttling answer to be
// the run's rather than this login's.
func (l *Login) decide(ctx context.Context, op string, a answer, runThrottled bool) (Step, bool) {
	if a.err != nil {
		switch {
		case isCanceled(ctx, a.err):
			return l.fail(&Error{Class: Canceled, Op: op, Status: a.status, Err: ctx.Err()}), true
		case errors.Is(a.err, ErrBodyTooLarge):
			return l.fail(&Error{Class: Rejected, Op: op, Status: a.status, Err: a.err}), true
		case isCertificateError(a.err):
			return l.stopRun(ctx, op, a, "the Flinks server's TLS certificate is not trusted; stopping the run"), true
		}
		return l.retry(op, a, a.err), true
	}
	if op == string(Investments) && isRetired(a) {
		return l.retire(ctx, a), true
	}
	class := Classify(a.status, a.code)
	switch class {
	case Ready:
		return Step{}, false
	case Pending:
		if !isData(op) {
			return l.retry(op, a, nil), true
		}
		l.report.Polls++
		if op == string(Banking) {
			l.accepted = true
		}
		left := l.c.deadline(l.firstCall).Sub(l.c.cfg.Clock.Now())
		if left <= 0 { // still pending at or after the deadline
			return l.fail(l.timedOut(op, a)), true
		}
		return Step{Wait: min(l.c.cfg.PollInterval, left)}, true // the last poll at the deadline
	case Reauth:
		l.reauths++
		if l.reauths > l.c.cfg.MaxReauth {
			return l.fail(l.errorOf(Reauth, op, a, nil)), true
		}
		l.requestID = "" // the session is gone: the next step opens a new one
		return Step{}, true
	case Throttled:
		l.throttles++
		pause := l.pauseOf(a)
		if runThrottled {
			l.log.LogAttrs(ctx, slog.LevelWarn, "flinks throttled the run; slowing down",
				slog.String("op", op), slog.Duration("pause", pause), slog.Float64("rate", l.c.gov.limit()))
		} else {
			l.log.LogAttrs(ctx, slog.LevelInfo, "flinks throttled one login; it waits",
				slog.String("op", op), slog.Duration("pause", pause))
		}
		if l.throttles > throttleBudget*l.c.cfg.MaxAttempts {
			return l.fail(l.errorOf(Throttled, op, a, nil)), true
		}
		l.report.Attempts++
		return Step{Wait: max(pause, backoff(l.throttles, l.c.cfg.BackoffBase, l.c.cfg.BackoffMax, l.c.cfg.Rand))}, true
	case Retry:
		return l.retry(op, a, nil), true
	case Fatal:
		return l.stopRun(ctx, op, a, "flinks rejected our credentials; stopping the run"), true
	case NeedsUser:
		if a.status == http.StatusNonAuthoritativeInfo && a.code == "" {
			return l.fail(l.errorOf(class, op, a, ErrMFA)), true
		}
	}
	return l.fail(l.errorOf(class, op, a, nil)), true // NeedsUser, Rejected
}

// stopRun ends the login as Fatal and stops every other login of the Client
// (the first such answer is logged with why).
func (l *Login) stopRun(ctx context.Context, op string, a answer, why string) Step {
	e := l.errorOf(Fatal, op, a, nil)
	if l.c.fatal.CompareAndSwap(nil, e) {
		l.log.LogAttrs(ctx, slog.LevelError, why, slog.String("op", op), slog.Int("status", a.status), slog.String("code", a.code))
	}
	return l.fail(e)
}

// retry counts a retryable failure and waits a jittered backoff (at least the
// answer's Retry-After), or ends the login when the attempts are used up.
func (l *Login) retry(op string, a answer, cause error) Step {
	l.failures++
	if l.failures >= l.c.cfg.MaxAttempts {
		return l.fail(l.errorOf(Retry, op, a, cause))
	}
	l.report.Attempts++
	wait := backoff(l.failures, l.c.cfg.BackoffBase, l.c.cfg.BackoffMax, l.c.cfg.Rand)
	return Step{Wait: max(wait, a.retryAfter)}
}

func (l *Login) errorOf(class Class, op string, a answer, cause error) *Error {
	if cause == nil {
		cause = a.err
	}
	return &Error{Class: class, Op: op, Status: a.status, FlinksCode: a.code, Err: cause}
}

// fail ends the current product with e. A login that cannot go on (no
// session could be opened, the run stopped or was cancelled) ends every
// product left with e; otherwise the next product, if any, starts in the
// same session.
func (l *Login) fail(e *Error) Step {
	l.log.LogAttrs(context.Background(), slog.LevelDebug, "product ended", slog.String("product", string(l.current())),
		slog.String("class", e.Class.String()), slog.String("op", e.Op), slog.Int("status", e.Status), slog.String("code", e.FlinksCode))
	whole := !isData(e.Op) || e.Class == Fatal || e.Class == Canceled
	for {
		l.outcomes = append(l.outcomes, Outcome{Product: l.current(), Err: e})
		if !whole || len(l.outcomes) == len(l.products) {
			break
		}
	}
	return l.next()
}

// succeed ends the current product with o.
func (l *Login) succeed(o Outcome) Step {
	l.outcomes = append(l.outcomes, o)
	return l.next()
}

// next starts the next product afresh, or ends the login when none is left.
func (l *Login) next() Step {
	l.productState = productState{}
	if len(l.outcomes) < len(l.products) {
		return Step{}
	}
	f := Step{Done: true, Outcomes: l.outcomes}
	for _, o := range l.outcomes {
		if o.Investments != nil {
			f.Payload, f.LastRefresh = o.Investments, o.LastRefresh
		}
		if o.Err != nil && f.Err == nil {
			f.Err = o.Err
		}
	}
	l.final = &f
	return f
}

// dataCall notes a data call sent at sentAt.
func (l *Login) dataCall(sentAt time.Time) {
	if l.report.FirstDataCall.IsZero() {
		l.report.FirstDataCall = sentAt
	}
	if l.firstCall.IsZero() {
		l.firstCall = sentAt
	}
}

// retire ends the Investments product as Retired; the first login of the
// Client to meet the retired endpoint logs it, once, and the others skip the
// call. (What to do about it is the run's verdict: ErrRetired.)
func (l *Login) retire(ctx context.Context, a answer) Step {
	if l.c.retired.CompareAndSwap(false, true) {
		l.log.LogAttrs(ctx, slog.LevelWarn, retiredLog, slog.Int("status", a.status), slog.String("code", a.code))
	}
	return l.fail(&Error{Class: Retired, Op: string(Investments), Status: a.status, FlinksCode: a.code, Err: ErrRetired})
}

// pollBanking asks for the banking data of the open session once: POST
// GetAccountsDetail first, then GET GetAccountsDetailAsync/{RequestId}
// while Flinks answers 202.
func (l *Login) pollBanking(ctx context.Context, sentAt time.Time) Step {
	l.dataCall(sentAt)
	var headers map[string]string
	if l.c.cfg.APIKey != "" {
		headers = map[string]string{"x-api-key": l.c.cfg.APIKey}
	}
	const op = string(Banking)
	var a answer
	if l.accepted {
		a = l.send(ctx, op, EndpointGetAccountsDetailAsync, l.c.accountsAsyncURL+url.PathEscape(l.requestID), nil, headers)
	} else {
		req := struct {
			RequestID           string `json:"RequestId"`
			WithAccountIdentity bool
			WithKYC             bool
			WithTransactions    bool
			DaysOfTransactions  string
			MostRecentCached    bool
		}{l.requestID, true, true, true, daysOfTransactions(l.c.cfg.TransactionDays), true}
		a = l.send(ctx, op, EndpointGetAccountsDetail, l.c.accountsURL, req, headers)
	}
	if a.err == nil && a.status != http.StatusOK && a.code == "" {
		a.code = fieldsOf(a.body).FlinksCode
	}
	if s, handled := l.judge(ctx, op, a, sentAt); handled {
		return s
	}
	if !validJSON(a.body) {
		if !l.cutRetried && cutShort(a.body) {
			l.cutRetried = true
			return l.retry(op, a, fmt.Errorf("%w: %w", ErrCutShort, payload.ErrSyntax))
		}
		return l.fail(&Error{Class: Rejected, Op: op, Status: a.status, Err: payload.ErrSyntax})
	}
	if code := bankingError(a.body); code != "" {
		l.report.LastFlinksCode = code
		if Classify(a.status, code) != Ready {
			a.code = code
			if s, handled := l.decide(ctx, op, a, false); handled {
				return s
			}
		}
	}
	body := bytes.Clone(a.body)
	return l.succeed(Outcome{Product: Banking, Banking: body, Body: body, LastRefresh: l.refreshed})
}

// extraCode returns a top-level FlinksCode found beside an investments payload.
func extraCode(inv *payload.Investments) string {
	raw, ok := inv.Extra["FlinksCode"]
	if !ok {
		return ""
	}
	var code string
	if json.Unmarshal(raw, &code) != nil {
		return ""
	}
	return code
}
