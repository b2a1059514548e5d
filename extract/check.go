package extract

import (
	"context"

	"github.com/syncer/syncer/internal/clock"
)

// CheckAuthorize opens one session for loginID as a sync would
// (GenerateAuthorizeToken when a secret key is configured, then Authorize)
// and asks for no data: syncer check's test of the credentials and of one
// LoginId. It waits for the shared rate and retries retryable answers as a
// sync does, and returns nil once Authorize answered with a RequestId, else
// the *Error a sync of the login would have ended with.
func (c *Client) CheckAuthorize(ctx context.Context, loginID string) error {
	l, err := c.Begin(loginID)
	if err != nil {
		return err
	}
	defer l.Close()
	for l.requestID == "" {
		s := l.Step(ctx) // with no session yet, a Step authorizes
		if s.Done {
			return s.Err
		}
		_ = clock.Sleep(ctx, c.cfg.Clock, s.Wait) // a canceled ctx ends the next Step
	}
	return nil
}
