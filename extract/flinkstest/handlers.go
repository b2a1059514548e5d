package flinkstest

import (
	"crypto/subtle"
	"net/http"
	"time"
)

// answerKind says how an answer's body is produced.
type answerKind int

const (
	kindPlain     answerKind = iota // body (or an error body) as is
	kindPayload                     // the login's 200 payload
	kindMalformed                   // the malformed 200 payload
	kindCut                         // the 200 payload, cut mid-body with the connection
	kindTruncated                   // the 200 payload, cut short with a matching Content-Length
	kindOversize                    // a streamed body of at least OversizeBytes
)

// answer is what the sandbox decided to reply, before any body is built.
type answer struct {
	status      int
	code        string // FlinksCode
	message     string
	body        []byte // for kindPlain; nil: an error body from status, code and message
	contentType string // default application/json
	retryAfter  int    // seconds; 0 = no header
	fault       Fault
	kind        answerKind
	banking     bool // a GetAccountsDetail* answer: banking-shaped 200
	requestID   string
}

func flinksError(status int, code, message string) answer {
	return answer{status: status, code: code, message: message}
}

// gate applies the rate limit and the customerId check. Callers hold s.mu.
func (s *Server) gate(c call, now time.Time) (answer, bool) {
	if ok, wait := s.limiter.take(now); !ok {
		return s.throttled(wait), false
	}
	if c.customer != s.cfg.CustomerID {
		return flinksError(http.StatusUnauthorized, "UNAUTHORIZED", "Unknown customerId"), false
	}
	return answer{}, true
}

func (s *Server) throttled(wait time.Duration) answer {
	a := flinksError(http.StatusUnauthorized, "TOO_MANY_REQUESTS", "Too many requests, slow down")
	if s.cfg.Throttle == Throttle429 {
		a.status = http.StatusTooManyRequests
		a.retryAfter = retryAfterSeconds(wait)
	}
	return a
}

func (s *Server) generateToken(w http.ResponseWriter, r *http.Request, c call) {
	now := s.cfg.Clock()
	s.mu.Lock()
	a, ok := s.gate(c, now)
	if ok {
		if s.cfg.SecretKey != "" && !equalSecret(c.authKey, s.cfg.SecretKey) {
			a = flinksError(http.StatusUnauthorized, "UNAUTHORIZED", "flinks-auth-key is not a valid secret key")
		} else {
			token := s.newID()
			if s.cfg.SecretKey != "" {
				s.sessions.addToken(token, now)
				s.sessions.sweep(now)
			}
			a = answer{status: http.StatusOK, body: tokenBody(token)}
		}
	}
	s.mu.Unlock()
	s.finish(w, r, c, a, now)
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request, c call) {
	now := s.cfg.Clock()
	s.mu.Lock()
	a, ok := s.gate(c, now)
	switch {
	case !ok:
	case s.cfg.SecretKey != "" && !s.sessions.useToken(c.authKey, now):
		a = flinksError(http.StatusUnauthorized, "UNAUTHORIZED", "flinks-auth-key is not a valid authorize token")
	case c.bad != "":
		a = flinksError(http.StatusBadRequest, "INVALID_REQUEST", c.bad)
	case c.loginID == "":
		a = flinksError(http.StatusBadRequest, "INVALID_REQUEST", "LoginId is required")
	case !isGUID(c.loginID):
		a = flinksError(http.StatusUnauthorized, "INVALID_LOGIN", "Unknown LoginId")
	default:
		a = s.openSession(c, now)
	}
	s.sessions.sweep(now)
	s.mu.Unlock()
	s.finish(w, r, c, a, now)
}

// openSession answers a well-formed Authorize. Callers hold s.mu.
func (s *Server) openSession(c call, now time.Time) answer {
	spec := s.faultOf(c.loginID)
	if spec.fault.AtAuthorize() && s.fires(c.loginID, spec) {
		a := s.faultAnswer(spec.fault)
		if spec.fault == FaultMFA {
			a.body = mfaBody(s.instOf(c.loginID), s.newID())
		}
		return a
	}
	if s.sessions.busy(c.loginID, now) {
		return flinksError(http.StatusBadRequest, "CONCURRENT_SESSION", "A session is already processing for this LoginId")
	}
	se := &session{requestID: s.newID(), loginID: c.loginID, fault: spec, lastUsed: now}
	se.pending = s.cfg.Pending.draw(newRand(s.cfg.Seed, c.loginID, streamPending), c.loginID)
	switch spec.fault {
	case FaultSessionNonexistent:
		se.pending = max(se.pending, 1)
	case FaultDispatched:
		se.pending = max(se.pending, 2)
	}
	s.sessions.open(se)
	return answer{status: http.StatusOK, requestID: se.requestID, body: authorizeBody(s.instOf(c.loginID), c.loginID, se.requestID, s.lastRefreshJSON(c.loginID, now))}
}

// data answers Investments, GetAccountsDetail and GetAccountsDetailAsync.
func (s *Server) data(w http.ResponseWriter, r *http.Request, c call) {
	now := s.cfg.Clock()
	s.mu.Lock()
	a, ok := s.gate(c, now)
	var se *session
	slow := false
	switch {
	case !ok:
	case s.cfg.APIKey != "" && !equalSecret(c.apiKey, s.cfg.APIKey):
		a = flinksError(http.StatusUnauthorized, "ACCESS_DENIED", "x-api-key is missing or wrong")
	case c.bad != "":
		a = flinksError(http.StatusBadRequest, "INVALID_REQUEST", c.bad)
	case c.requestID == "":
		a = flinksError(http.StatusBadRequest, "INVALID_REQUEST", "RequestId is required")
	case s.cfg.RetiredInvestments && c.endpoint == EndpointInvestments:
		a = flinksError(http.StatusGone, "", RetiredMessage)
	default:
		se = s.sessions.get(c.requestID, now)
		switch {
		case se == nil:
			a = flinksError(http.StatusBadRequest, "SESSION_NONEXISTENT", "The RequestId is unknown or expired")
		case c.loginID != "" && c.loginID != se.loginID:
			a = flinksError(http.StatusBadRequest, "INVALID_REQUEST", "The RequestId belongs to another LoginId")
			se = nil
		default:
			c.loginID = se.loginID
			se.lastUsed = now
			if s.cfg.DataFault != nil {
				if df := s.cfg.DataFault(c.endpoint, se.loginID); df > FaultNone && df < faultCount {
					if faults[df].stage != stageData || df == FaultSlow {
						df = FaultAggregationError
					}
					a = s.faultAnswer(df)
				}
			}
			f := se.fault.fault
			if a.status == 0 && f > 0 && faults[f].stage == stageData && s.fires(se.loginID, se.fault) {
				if f == FaultSlow {
					slow = true
				} else {
					a = s.faultAnswer(f)
				}
			}
			if a.status == 0 && !slow {
				a = s.progress(se, productOf(c.endpoint))
			}
		}
	}
	s.mu.Unlock()
	if slow {
		if !s.wait(r, s.cfg.Delay) {
			return // the client or the sandbox went away
		}
		s.mu.Lock()
		a = s.progress(se, productOf(c.endpoint))
		a.fault = FaultSlow
		s.mu.Unlock()
	}
	a.banking = c.endpoint != EndpointInvestments
	if a.requestID == "" && se != nil {
		a.requestID = se.requestID
	}
	s.finish(w, r, c, a, now)
}

// progress moves a session's product p along: 202 until its pending polls
// are spent, then the 200, with the session's fault applied. Each product of
// a session is pending on its own. Callers hold s.mu.
func (s *Server) progress(se *session, p product) answer {
	spec := se.fault
	pr := &se.prog[p]
	if spec.fault == FaultSessionNonexistent && pr.polls > 0 && s.fires(se.loginID, spec) {
		s.sessions.remove(se)
		a := flinksError(http.StatusBadRequest, "SESSION_NONEXISTENT", "The session expired while processing")
		a.fault = FaultSessionNonexistent
		return a
	}
	if pr.polls < se.pending {
		pr.polls++
		a := answer{status: http.StatusAccepted, code: "OPERATION_PENDING", requestID: se.requestID}
		if spec.fault == FaultDispatched && s.fires(se.loginID, spec) {
			a.code, a.fault = "OPERATION_DISPATCHED", FaultDispatched
		}
		return a
	}
	a := answer{status: http.StatusOK, kind: kindPayload, requestID: se.requestID}
	if spec.fault > 0 && faults[spec.fault].stage == stageDeliver && s.fires(se.loginID, spec) {
		a.fault = spec.fault
		switch spec.fault {
		case FaultNeverReady:
			pr.polls++
			return answer{status: http.StatusAccepted, code: "OPERATION_PENDING", requestID: se.requestID, fault: FaultNeverReady}
		case FaultCutMidBody:
			a.kind = kindCut
		case FaultTruncatedJSON:
			a.kind = kindTruncated
		case FaultOversize:
			a.kind = kindOversize
		case FaultMalformed:
			a.kind = kindMalformed
		}
	}
	se.delivered = true
	return a
}

// faultOf is the fault a login shows: its LoginId pattern, or for other
// logins a transient fault drawn with probability FaultRate.
func (s *Server) faultOf(loginID string) faultSpec {
	if spec, ok := parseFaultLogin(loginID); ok {
		return spec
	}
	if s.cfg.FaultRate <= 0 {
		return faultSpec{}
	}
	r := newRand(s.cfg.Seed, loginID, streamFault)
	if r.Float64() >= s.cfg.FaultRate {
		return faultSpec{}
	}
	spec := faultSpec{fault: randomFaults[r.IntN(len(randomFaults))], times: 1 + r.IntN(2)}
	if spec.fault == FaultTruncatedJSON {
		spec.times = 1 // a careful client retries a body cut short once, then rejects it
	}
	return spec
}

// fires reports whether spec's fault shows at this opportunity, and counts
// it. Callers hold s.mu.
func (s *Server) fires(loginID string, spec faultSpec) bool {
	if spec.fault == FaultNone {
		return false
	}
	if spec.times == 0 {
		return true
	}
	n := s.hits[loginID]
	if n >= spec.times {
		return false
	}
	s.hits[loginID] = n + 1
	return true
}

// faultAnswer is the plain answer of a fault that replaces the whole reply.
func (s *Server) faultAnswer(f Fault) answer {
	info := faults[f]
	a := answer{status: info.status, code: info.code, message: faultMessages[f], fault: f}
	switch f {
	case FaultTooManyRequests:
		a = s.throttled(time.Second)
		a.fault = f
	case FaultTooManyRequests429:
		a.retryAfter = 1
	case FaultInvalidLogin200, FaultDisabledLogin200, FaultUnauthorized200:
		// The error object Flinks sends under 401, here under HTTP 200.
		a.body = errorBody(http.StatusUnauthorized, a.message, a.code)
	case FaultHTTP500:
		a.code, a.contentType = "", "text/html; charset=utf-8"
		a.body = []byte("<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>\n")
	case FaultHTTP503:
		a.contentType = "text/plain; charset=utf-8"
		a.body = []byte("Service Unavailable\n")
	}
	return a
}

var faultMessages = map[Fault]string{
	FaultCardInUse:               "The card is in use by another session",
	FaultConcurrentSession:       "Another session is loading this login",
	FaultRetryLater:              "The institution is unreachable, retry later",
	FaultAggregationError:        "An error occurred while aggregating",
	FaultInvalidLogin:            "Unknown LoginId",
	FaultDisabledLogin:           "The login is disabled at the institution",
	FaultNewAccount:              "The institution requires the user to act on a new account",
	FaultInvalidUsername:         "Invalid username",
	FaultInvalidPassword:         "Invalid password",
	FaultQuestionNotFound:        "Security question not found",
	FaultInvalidSecurityResponse: "Invalid security response",
	FaultUnauthorized:            "Unauthorized",
	FaultAccessDenied:            "Access denied",
	FaultInvalidRequest:          "The request is invalid",
	FaultDisabledInstitution:     "The institution is disabled",
	FaultTooManyRequests429:      "Too many requests, slow down",
	FaultInvalidLogin200:         "Unknown LoginId",
	FaultDisabledLogin200:        "The login is disabled at the institution",
	FaultUnauthorized200:         "Unauthorized",
}

// wait blocks for d, or until the client or the sandbox goes away (false).
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// newID returns a fresh GUID for a RequestId or token, derived from Seed and
// a counter. Callers hold s.mu.
func (s *Server) newID() string {
	s.nextID++
	return guid(mix(uint64(s.cfg.Seed), streamToken, s.nextID, 1), mix(uint64(s.cfg.Seed), streamToken, s.nextID, 2))
}

// asOf is the as-of date served at now.
func (s *Server) asOf(now time.Time) time.Time {
	if !s.cfg.AsOf.IsZero() {
		return s.cfg.AsOf
	}
	return now
}

func (s *Server) instOf(loginID string) institution {
	return institutions[primaryInstitution(s.cfg.Seed, loginID)]
}

func equalSecret(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
