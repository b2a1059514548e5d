package duckdb

import (
	"regexp"
	"strings"
	"time"

	"github.com/syncer/syncer/load"
)

// A reader (syncer sql, status) waits for a commit in progress, which is
// short: it tries again every readBackoffMax at most. A writer that released
// the file between commits leaves it free for up to yieldMax before it
// takes it back while such a reader says it waits (readers.go), so a
// reader polling every readBackoffMax (plus its try) gets in.
const (
	readBackoffMax = 250 * time.Millisecond
	yieldMax       = 2 * readBackoffMax
)

// fileLockHolder matches DuckDB's "Could not set lock on file" error and
// captures what it says of the holder.
var fileLockHolder = regexp.MustCompile(`Could not set lock on file "[^"]*": Conflicting lock is held in (.*?)(?:\. See also|$)`)

// held returns an attempt to open the file: err as a *load.HeldError, for
// load.WaitForLock to wait, when it is DuckDB refusing a file another
// process holds (naming the holder when DuckDB does).
func held[T any](v T, err error) (T, error) {
	if err == nil {
		return v, nil
	}
	msg := err.Error()
	if m := fileLockHolder.FindStringSubmatch(msg); m != nil {
		return v, &load.HeldError{Holder: m[1], Err: err}
	}
	if strings.Contains(msg, "Could not set lock on file") {
		return v, &load.HeldError{Err: err}
	}
	return v, err
}
