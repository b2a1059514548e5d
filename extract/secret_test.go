package extract

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/syncer/syncer/extract/flinkstest"
)

const (
	canarySecret = "CANARY-SECRET-d41d8cd98f00"
	canaryAPIKey = "CANARY-APIKEY-9e107d9d372b"
)

// The secret-key flow works (one single-use token per Authorize), and neither
// secret, nor a token, nor a LoginId appears in any log line or error.
func TestSecretKeyFlowLeaksNothing(t *testing.T) {
	var logs logBuffer
	s, c, _ := fakeTimeSandbox(t,
		flinkstest.Config{SecretKey: canarySecret, APIKey: canaryAPIKey, Pending: flinkstest.FixedPending(1), Throttle: flinkstest.Throttle429},
		Config{SecretKey: canarySecret, APIKey: canaryAPIKey, Logger: debugLogger(&logs), Tag: "run-42"})

	reauth := flinkstest.TransientFaultLogin(flinkstest.FaultSessionNonexistent, 1, 9)
	for _, login := range []string{healthyLogin, reauth} {
		if _, _, err := c.Fetch(context.Background(), login); err != nil {
			t.Fatalf("Fetch: %v", err)
		}
	}
	if tokens, auths := s.Count(flinkstest.EndpointGenerateToken, ""), s.Count(flinkstest.EndpointAuthorize, ""); tokens != 3 || auths != 3 {
		t.Errorf("%d tokens for %d Authorize calls, want 3 and 3 (one token per Authorize)", tokens, auths)
	}

	var errs []error
	failing := []string{
		flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 1),
		flinkstest.FaultLogin(flinkstest.FaultHTTP500, 1),
		flinkstest.FaultLogin(flinkstest.FaultTruncatedJSON, 1),
		flinkstest.FaultLogin(flinkstest.FaultTooManyRequests, 1),
		flinkstest.FaultLogin(flinkstest.FaultNeverReady, 1),
	}
	for _, login := range failing {
		_, _, err := c.Fetch(context.Background(), login)
		if err == nil {
			t.Fatalf("login with a persistent fault succeeded")
		}
		errs = append(errs, err)
	}
	// A wrong secret and a missing API key: fatal, with the real secrets around.
	for _, cfg := range []Config{
		{SecretKey: canarySecret + "-wrong", APIKey: canaryAPIKey, Logger: debugLogger(&logs)},
		{SecretKey: canarySecret, Logger: debugLogger(&logs)},
	} {
		cfg.Clock = NewFakeClock(start)
		_, _, err := sandboxClient(t, s, cfg).Fetch(context.Background(), healthyLogin)
		if ClassOf(err) != Fatal {
			t.Errorf("bad credentials: %v, want Fatal", err)
		}
		errs = append(errs, err)
	}

	sensitive := append([]string{canarySecret, canaryAPIKey, "CANARY", healthyLogin, reauth}, failing...)
	for _, r := range s.Requests() {
		if r.RequestID != "" {
			sensitive = append(sensitive, r.RequestID)
		}
	}
	text := logs.String()
	for _, err := range errs {
		text += "\n" + err.Error() + fmt.Sprintf(" %+v %#v", err, err)
	}
	text += fmt.Sprintf("%v %+v %#v", c.cfg, c.cfg, c.cfg)
	for _, secret := range sensitive {
		if strings.Contains(text, secret) {
			t.Errorf("%q appears in logs or errors", secret)
		}
	}
	if !strings.Contains(logs.String(), "login="+HashLogin(healthyLogin)) {
		t.Error("logs do not name logins by their hash")
	}
}
