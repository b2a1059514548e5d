package load

import (
	"context"
	"errors"
	"fmt"
	"syscall"
)

// Classed is an error that can name its kind of failure in words that
// quote no key value and no payload, fit for a log line: a sink's own
// message may quote LoginIds, so it goes only into the warehouse.
type Classed interface {
	error
	Class() string
}

// ErrorClass names err's kind of failure for a log line: the class of the
// first Classed error in its chain; else a timeout, a cancellation or an
// operating system error (whose names carry no data); else the Go type of
// the innermost error, which says which part failed (a catalog, the object
// store, the engine) without its message.
func ErrorClass(err error) string {
	if err == nil {
		return ""
	}
	var c Classed
	var errno syscall.Errno
	switch {
	case errors.As(err, &c):
		return c.Class()
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &errno):
		return errno.Error()
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			if joined, ok := err.(interface{ Unwrap() []error }); ok && len(joined.Unwrap()) > 0 {
				next = joined.Unwrap()[0]
			}
		}
		if next == nil {
			return fmt.Sprintf("%T", err)
		}
		err = next
	}
}
