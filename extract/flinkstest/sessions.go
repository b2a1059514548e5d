package flinkstest

import "time"

// session is one RequestId. A login has at most one: Authorize while its
// session has not yet delivered a 200 answers CONCURRENT_SESSION; once it
// has, a new Authorize replaces it (the old RequestId then answers
// SESSION_NONEXISTENT).
type session struct {
	requestID string
	loginID   string
	fault     faultSpec
	pending   int                              // 202 answers due before each product's 200
	prog      [numProducts]struct{ polls int } // per product: 202 answers given
	delivered bool                             // some product's 200 was given
	lastUsed  time.Time
}

// sessions holds the open sessions and unused authorize tokens. Expired
// entries are swept on the clock, so memory stays bounded by what was opened
// within one TTL. Callers hold Server.mu.
type sessions struct {
	ttl, tokenTTL time.Duration
	byRequest     map[string]*session
	byLogin       map[string]*session
	tokens        map[string]time.Time // token -> expiry
	nextSweep     time.Time
}

func newSessions(ttl, tokenTTL time.Duration) sessions {
	return sessions{ttl: ttl, tokenTTL: tokenTTL, byRequest: map[string]*session{}, byLogin: map[string]*session{}, tokens: map[string]time.Time{}}
}

func (s *sessions) expired(se *session, now time.Time) bool {
	return now.Sub(se.lastUsed) >= s.ttl
}

// get returns the live session of requestID, or nil.
func (s *sessions) get(requestID string, now time.Time) *session {
	se := s.byRequest[requestID]
	if se == nil {
		return nil
	}
	if s.expired(se, now) {
		s.remove(se)
		return nil
	}
	return se
}

// busy reports whether loginID has a live session still processing.
func (s *sessions) busy(loginID string, now time.Time) bool {
	se := s.byLogin[loginID]
	if se == nil {
		return false
	}
	if s.expired(se, now) {
		s.remove(se)
		return false
	}
	return !se.delivered
}

func (s *sessions) open(se *session) {
	if old := s.byLogin[se.loginID]; old != nil {
		s.remove(old)
	}
	s.byRequest[se.requestID] = se
	s.byLogin[se.loginID] = se
}

func (s *sessions) remove(se *session) {
	delete(s.byRequest, se.requestID)
	if s.byLogin[se.loginID] == se {
		delete(s.byLogin, se.loginID)
	}
}

func (s *sessions) addToken(token string, now time.Time) { s.tokens[token] = now.Add(s.tokenTTL) }

// useToken spends a token; false if unknown, used or expired.
func (s *sessions) useToken(token string, now time.Time) bool {
	exp, ok := s.tokens[token]
	if !ok {
		return false
	}
	delete(s.tokens, token)
	return now.Before(exp)
}

// sweep drops expired sessions and tokens, at most once per half TTL of clock time.
func (s *sessions) sweep(now time.Time) {
	if now.Before(s.nextSweep) {
		return
	}
	s.nextSweep = now.Add(min(s.ttl, s.tokenTTL) / 2)
	for _, se := range s.byRequest {
		if s.expired(se, now) {
			s.remove(se)
		}
	}
	for t, exp := range s.tokens {
		if !now.Before(exp) {
			delete(s.tokens, t)
		}
	}
}

// len is the number of sessions held, live or not yet swept.
func (s *sessions) len() int { return len(s.byRequest) }

// product is a data product of a session: each is pending on its own.
type product int

const (
	productInvestments product = iota
	productBanking
	numProducts
)

func productOf(endpoint string) product {
	if endpoint == EndpointInvestments {
		return productInvestments
	}
	return productBanking
}
