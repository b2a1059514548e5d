package flinkstest

import (
	"slices"
	"time"
)

// Endpoint names, as Count and Request use them.
const (
	EndpointGenerateToken       = "GenerateAuthorizeToken"
	EndpointAuthorize           = "Authorize"
	EndpointInvestments         = "Investments"
	EndpointAccountsDetail      = "GetAccountsDetail"
	EndpointAccountsDetailAsync = "GetAccountsDetailAsync"
)

var endpoints = []string{EndpointGenerateToken, EndpointAuthorize, EndpointInvestments, EndpointAccountsDetail, EndpointAccountsDetailAsync}

// Request is one answered request, as the sandbox saw it.
type Request struct {
	Endpoint   string    // one of the Endpoint constants; "" for a path the sandbox does not serve
	LoginID    string    // "" when the request named none (GenerateAuthorizeToken, unknown RequestId)
	RequestID  string    // the session's RequestId, if any
	Time       time.Time // arrival, on Config.Clock
	Status     int       // HTTP status answered (200 for a body cut mid-way)
	FlinksCode string    // FlinksCode answered, if any
	Fault      Fault     // the fault that shaped the answer, if any
}

type countKey struct{ endpoint, loginID string }

// recorder counts every request exactly and keeps the latest keep of them in
// a ring. Callers hold Server.mu.
type recorder struct {
	keep     int
	counts   map[countKey]int
	perPoint map[string]int
	total    int
	ring     []Request
	oldest   int // index in ring of the oldest entry once the ring is full
}

func newRecorder(keep int) recorder {
	return recorder{keep: keep, counts: map[countKey]int{}, perPoint: map[string]int{}}
}

func (r *recorder) add(req Request) {
	r.counts[countKey{req.Endpoint, req.LoginID}]++
	r.perPoint[req.Endpoint]++
	r.total++
	switch {
	case r.keep <= 0:
	case len(r.ring) < r.keep:
		r.ring = append(r.ring, req)
	default:
		r.ring[r.oldest] = req
		r.oldest = (r.oldest + 1) % r.keep
	}
}

func (r *recorder) count(endpoint, loginID string) int {
	switch {
	case endpoint == "" && loginID == "":
		return r.total
	case loginID == "":
		return r.perPoint[endpoint]
	case endpoint == "":
		n := r.counts[countKey{"", loginID}]
		for _, e := range endpoints {
			n += r.counts[countKey{e, loginID}]
		}
		return n
	}
	return r.counts[countKey{endpoint, loginID}]
}

// requests returns the kept entries, oldest first.
func (r *recorder) requests() []Request {
	return append(slices.Clone(r.ring[r.oldest:]), r.ring[:r.oldest]...)
}
