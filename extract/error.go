package extract

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Error is the typed outcome of a login that did not produce a payload. Its
// text names the operation, the class, the HTTP status and the FlinksCode; it
// never contains a LoginId, a secret, a token or a response body.
type Error struct {
	Class      Class
	FlinksCode string // FlinksCode of the answer that decided, "" if it had none
	Status     int    // HTTP status, 0 if no answer
	Op         string // "authorize", "token", "investments", "deadline", ...
	Err        error  // cause, if any (sanitized: no URLs, no bodies)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("flinks ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Class.String())
	if errors.Is(e.Err, ErrMFA) { // no FlinksCode: the cause names it, with its status
		fmt.Fprintf(&b, ": %v (HTTP %d)", e.Err, e.Status)
		return b.String()
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.FlinksCode != "" {
			b.WriteString(" " + e.FlinksCode)
		}
		b.WriteString(")")
	} else if e.FlinksCode != "" {
		b.WriteString(" (" + e.FlinksCode + ")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the FlinksCode of the answer that decided err's outcome:
// that of a wrapped *Error, "" for nil and any other error.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.FlinksCode
	}
	return ""
}

// ClassOf returns the Class of err: the Class of a wrapped *Error, Canceled
// for context errors, Ready for nil, and Retry for anything else.
func ClassOf(err error) Class {
	if err == nil {
		return Ready
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Canceled
	}
	return Retry
}

var (
	// ErrBusy is returned by Begin when the LoginId already has an open Login
	// in this Client.
	ErrBusy = errors.New("login already has an open session in this run")
	// ErrBodyTooLarge is wrapped when a response exceeds Config.MaxBodyBytes;
	// the connection is dropped and the login is Rejected.
	ErrBodyTooLarge = errors.New("response body exceeds the size cap")
	// ErrNoRequestID is wrapped when Authorize answers 200 without a RequestId.
	ErrNoRequestID = errors.New("authorize answer has no RequestId")
	// ErrNoToken is wrapped when GenerateAuthorizeToken answers 200 without a Token.
	ErrNoToken = errors.New("token answer has no Token")
	// ErrRunStopped is wrapped by every Step after a Fatal answer to any login
	// of the same Client: the client stops calling Flinks.
	ErrRunStopped = errors.New("stopped after a fatal answer for this run")
	// ErrDeadline is wrapped by the TimedOut outcome.
	ErrDeadline = errors.New("still pending at the poll timeout")
	// ErrMFA is wrapped when Authorize answers 203: the institution asks
	// security questions that only the person can answer.
	ErrMFA = errors.New("MFA required")
	// ErrCutShort is wrapped when a 200 body is a JSON value that stops
	// short; it is retried once, and rejected the second time.
	ErrCutShort = errors.New("body cut short")
)

// sanitize strips what net/http adds around a transport error (the method and
// URL) and keeps the cause, so an error never carries a request URL.
func sanitize(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
