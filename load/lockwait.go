package load

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// ErrHeld is wrapped by the error of one attempt to open a warehouse that
// another process holds (a Parquet dataset's writer lock): WaitForLock
// tries again.
var ErrHeld = errors.New("warehouse held by another process")

// WaitForLock calls open until it succeeds, fails for another reason than
// the warehouse at path being held by another process, or wait has passed,
// sleeping on clock with exponential backoff between tries. It logs to
// logger once when it starts waiting. On timeout it returns a *LockedError,
// which wraps ErrLocked.
func WaitForLock[T any](ctx context.Context, path string, wait time.Duration, clock Clock, logger *slog.Logger, open func() (T, error)) (T, error) {
	return waitForLock(ctx, path, wait, clock, logger, open)
}
