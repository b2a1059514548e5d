package load

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
)

type keyedError struct{ login string }

func (e keyedError) Error() string { return "duplicate key " + e.login }
func (e keyedError) Class() string { return "duplicate key" }

type opaqueError struct{ login string }

func (e *opaqueError) Error() string { return "object " + e.login + " refused" }

// ErrorClass names the failure without the message, which may quote keys.
func TestErrorClassQuotesNoKey(t *testing.T) {
	const login = "5e7a1c52-1111-4b5a-9d6e-3f2a1b0c9d8e"
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("iceberg: holdings: %w", keyedError{login}), "duplicate key"},
		{fmt.Errorf("commit %s: %w", login, context.DeadlineExceeded), "timeout"},
		{fmt.Errorf("write %s: %w", login, syscall.ENOSPC), syscall.ENOSPC.Error()},
		{fmt.Errorf("put %s: %w", login, &opaqueError{login}), "*load.opaqueError"},
		{errors.Join(fmt.Errorf("a %s: %w", login, &opaqueError{login}), errors.New(login)), "*load.opaqueError"},
	} {
		got := ErrorClass(c.err)
		if got != c.want || strings.Contains(got, login) {
			t.Errorf("ErrorClass(%q) = %q, want %q", c.err, got, c.want)
		}
	}
}
