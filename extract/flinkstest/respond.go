package flinkstest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// finish records the request and then writes the answer, so a client that
// has its answer always finds its request in Count and Requests.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, c call, a answer, now time.Time) {
	s.mu.Lock()
	s.rec.add(Request{Endpoint: c.endpoint, LoginID: c.loginID, RequestID: a.requestID, Time: now,
		Status: a.status, FlinksCode: a.code, Fault: a.fault})
	s.mu.Unlock()

	h := w.Header()
	ct := a.contentType
	if ct == "" {
		ct = "application/json; charset=utf-8"
	}
	h.Set("Content-Type", ct)
	if a.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(a.retryAfter))
	}
	switch a.kind {
	case kindOversize:
		w.WriteHeader(http.StatusOK)
		writeOversize(w, s.cfg.OversizeBytes, s.done, r)
		return
	case kindPayload, kindMalformed, kindCut, kindTruncated:
		buf := bodyPool.Get().(*[]byte)
		defer bodyPool.Put(buf)
		*buf = s.appendSuccessBody((*buf)[:0], c, a)
		a.body = *buf
	}
	body := a.body
	switch {
	case body != nil:
	case a.status == http.StatusAccepted:
		body = pendingBody(a.code, a.requestID)
	default:
		body = errorBody(a.status, a.message, a.code)
	}
	switch a.kind {
	case kindCut:
		cutMidBody(w, body)
		return
	case kindTruncated:
		body = body[:len(body)*2/3]
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(a.status)
	w.Write(body) //nolint:errcheck // the client may have gone; nothing to do
}

// bodyPool recycles the buffers of 200 bodies, which are built per request.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// appendSuccessBody appends the 200 body of a data call to b: the data of
// the day the login was last refreshed.
func (s *Server) appendSuccessBody(b []byte, c call, a answer) []byte {
	asOf := dataAsOf(c.loginID, s.asOf(s.cfg.Clock()))
	if a.banking {
		return appendAccountsDetail(b, s.cfg.Seed, c.loginID, a.requestID, asOf)
	}
	return appendPayload(b, s.cfg.Seed, c.loginID, asOf, a.kind == kindMalformed)
}

// cutMidBody announces the full body, sends half of it and closes the
// connection.
func cutMidBody(w http.ResponseWriter, body []byte) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ")
	buf.WriteString(strconv.Itoa(len(body)))
	buf.WriteString("\r\n\r\n")
	buf.Write(body[:len(body)/2])
	buf.Flush()
}

func errorBody(status int, message, code string) []byte {
	w := &jw{b: make([]byte, 0, 128)}
	w.open('{')
	w.int("HttpStatusCode", status)
	w.str("Message", message)
	w.str("FlinksCode", code)
	w.close('}')
	return w.b
}

func pendingBody(code, requestID string) []byte {
	w := &jw{b: make([]byte, 0, 192)}
	w.open('{')
	w.str("FlinksCode", code)
	w.int("HttpStatusCode", http.StatusAccepted)
	w.str("Message", "Your operation is still processing")
	w.str("RequestId", requestID)
	w.raw("Links", "[]")
	w.close('}')
	return w.b
}

func tokenBody(token string) []byte {
	w := &jw{}
	w.open('{')
	w.int("HttpStatusCode", http.StatusOK)
	w.str("Token", token)
	w.close('}')
	return w.b
}

// authorizeBody is the 200 of Authorize; lastRefresh is the raw JSON of
// Login.LastRefresh, "" to leave it out.
func authorizeBody(inst institution, loginID, requestID, lastRefresh string) []byte {
	w := &jw{b: make([]byte, 0, 512)}
	w.open('{')
	w.int("HttpStatusCode", http.StatusOK)
	w.raw("Links", `[{"rel":"AccountsDetail","href":"/GetAccountsDetail","example":null}]`)
	w.openKey("Login", '{')
	w.str("Username", "Greatday")
	w.bool("IsScheduledRefresh", false)
	if lastRefresh != "" {
		w.raw("LastRefresh", lastRefresh)
	}
	w.str("Type", "Personal")
	w.str("Id", loginID)
	w.close('}')
	w.str("Institution", inst.name)
	id, _ := strconv.Atoi(inst.id)
	w.int("InstitutionId", id)
	w.str("InstitutionName", inst.name)
	w.str("RequestId", requestID)
	w.close('}')
	return w.b
}

func mfaBody(inst institution, requestID string) []byte {
	w := &jw{}
	w.open('{')
	w.int("HttpStatusCode", 203)
	w.raw("Links", `[{"rel":"Authorize","href":"/Authorize","example":null}]`)
	w.raw("SecurityChallenges", `[{"Type":"QuestionAndAnswer","Prompt":"Quelle est la couleur de votre premier vélo?"}]`)
	w.str("Institution", inst.name)
	w.str("RequestId", requestID)
	w.close('}')
	return w.b
}
