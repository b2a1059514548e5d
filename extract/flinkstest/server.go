package flinkstest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
)

// Server is the Flinks imitation. It is an http.Handler; New also serves it
// on a loopback port. All methods are safe for concurrent use.
type Server struct {
	// URL is the root to give a client ("http://127.0.0.1:PORT"), set by
	// New; "" for a Server from NewHandler.
	URL string

	cfg Config

	mu       sync.Mutex
	sessions sessions
	limiter  bucket
	rec      recorder
	hits     map[string]int // per faulty login: how many times its fault fired
	nextID   uint64         // RequestIds and tokens are derived from Seed and this counter

	httpSrv  *http.Server
	done     chan struct{}
	closeOne sync.Once
}

var _ http.Handler = (*Server)(nil)

// NewHandler returns a sandbox that is not listening: serve it with Serve or
// mount it in any http.Server (`syncer sandbox --addr` does this).
func NewHandler(cfg Config) *Server {
	cfg = cfg.withDefaults()
	return &Server{
		cfg:      cfg,
		sessions: newSessions(cfg.SessionTTL, cfg.TokenTTL),
		limiter:  newBucket(cfg.Rate, cfg.Burst),
		rec:      newRecorder(cfg.RequestLog),
		hits:     map[string]int{},
		done:     make(chan struct{}),
	}
}

// New starts a sandbox on 127.0.0.1 at a free port, like httptest.NewServer.
// s.URL is the root to give the client. Close it when done.
func New(cfg Config) *Server {
	s := NewHandler(cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("flinkstest: cannot listen on loopback: " + err.Error())
	}
	s.URL = "http://" + l.Addr().String()
	s.httpSrv = &http.Server{Handler: s}
	go s.Serve(l) //nolint:errcheck // Serve's error after Close is expected
	return s
}

// Serve answers requests on l until Close. It returns http.ErrServerClosed
// after Close.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.httpSrv == nil {
		s.httpSrv = &http.Server{Handler: s}
	}
	srv := s.httpSrv
	s.mu.Unlock()
	return srv.Serve(l)
}

// Close stops serving, closes every connection and ends slow and streaming
// answers. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOne.Do(func() { close(s.done) })
	s.mu.Lock()
	srv := s.httpSrv
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Count returns how many requests reached endpoint for loginID; "" for
// either means all. Requests the sandbox could not attribute to a login
// (GenerateAuthorizeToken, an unknown RequestId) count under loginID "".
func (s *Server) Count(endpoint, loginID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec.count(endpoint, normalizeLogin(loginID))
}

// Requests returns the latest requests (at most Config.RequestLog), oldest
// first. Each is recorded before its answer is written, so a client that has
// its answer sees it here.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec.requests()
}

// OpenSessions is the number of sessions held (live or awaiting the sweep).
func (s *Server) OpenSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions.len()
}

// call is one parsed request.
type call struct {
	endpoint  string
	customer  string
	loginID   string
	requestID string
	authKey   string // flinks-auth-key header
	apiKey    string // x-api-key header
	bad       string // why the request is malformed, if it is
}

// ServeHTTP routes /v3/{customerId}/BankingServices/... and
// /v3/{customerId}/Investments.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, ok := parseCall(w, r)
	if !ok {
		a := answer{status: http.StatusNotFound, code: "INVALID_REQUEST", message: "No such endpoint"}
		if c.endpoint != "" {
			a = answer{status: http.StatusMethodNotAllowed, code: "INVALID_REQUEST", message: "Method not allowed"}
		}
		s.finish(w, r, c, a, s.cfg.Clock())
		return
	}
	switch c.endpoint {
	case EndpointGenerateToken:
		s.generateToken(w, r, c)
	case EndpointAuthorize:
		s.authorize(w, r, c)
	default:
		s.data(w, r, c)
	}
}

// parseCall reads the route, headers and body. ok is false for an unknown
// path (c.endpoint == "") or a wrong method (c.endpoint set).
func parseCall(w http.ResponseWriter, r *http.Request) (call, bool) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	c := call{authKey: r.Header.Get("flinks-auth-key"), apiKey: r.Header.Get("x-api-key")}
	if len(parts) < 3 || parts[0] != "v3" {
		return c, false
	}
	c.customer = parts[1]
	method := http.MethodPost
	switch {
	case len(parts) == 3 && parts[2] == "Investments":
		c.endpoint = EndpointInvestments
	case len(parts) == 4 && parts[2] == "BankingServices":
		switch parts[3] {
		case EndpointGenerateToken, EndpointAuthorize, EndpointAccountsDetail:
			c.endpoint = parts[3]
		}
	case len(parts) == 5 && parts[2] == "BankingServices" && parts[3] == EndpointAccountsDetailAsync:
		c.endpoint = EndpointAccountsDetailAsync
		c.requestID = parts[4]
		method = http.MethodGet
	}
	if c.endpoint == "" {
		return c, false
	}
	if r.Method != method {
		return c, false
	}
	if method == http.MethodPost && c.endpoint != EndpointGenerateToken {
		var body struct {
			LoginID   string `json:"LoginId"`
			RequestID string `json:"RequestId"`
		}
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil || json.Unmarshal(raw, &body) != nil {
			c.bad = "Request body is not valid JSON"
		}
		c.loginID, c.requestID = normalizeLogin(strings.TrimSpace(body.LoginID)), strings.TrimSpace(body.RequestID)
	}
	return c, true
}
