package extract

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
)

// Unreachable reports whether err, a login's final error, says that Flinks
// could not be reached or could not serve it: no answer at all (a DNS
// failure, a refused or reset connection, a TLS failure, no answer within
// the request timeout) or an answer with a 5xx status. It returns a short
// cause for a person, such as "connection refused" or "HTTP 503".
//
// An answer Flinks did give (a 4xx, a FlinksCode, a 200 cut short), a login
// that was still pending, and a cancelled login are not unreachable: they
// show that Flinks is there. The decision rests on the *Error's Class,
// Status and Err only.
func Unreachable(err error) (cause string, ok bool) {
	var e *Error
	if !errors.As(err, &e) {
		return "", false
	}
	switch e.Class {
	case Canceled, TimedOut, NeedsUser, Rejected, Pending, Ready:
		return "", false
	}
	if errors.Is(e.Err, ErrRunStopped) {
		return "", false // another login's answer stopped this one
	}
	switch {
	case e.Status >= 500 && e.Status <= 599:
		return fmt.Sprintf("HTTP %d", e.Status), true
	case e.Status == 0 && e.Err != nil && !errors.Is(e.Err, context.Canceled):
		return networkCause(e.Err), true
	}
	return "", false
}

// networkCause names the kind of a failure to get an answer.
func networkCause(err error) string {
	var dns *net.DNSError
	var record tls.RecordHeaderError
	var alert tls.AlertError
	var netErr net.Error
	switch {
	case errors.As(err, &dns):
		return "DNS lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &record), errors.As(err, &alert), isCertificateError(err),
		strings.Contains(err.Error(), "tls:"), strings.Contains(err.Error(), "HTTP response to HTTPS client"):
		return "TLS handshake failed"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "no answer within the request timeout"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	}
	return "network error"
}
