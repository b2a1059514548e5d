package extract

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		status int
		code   string
		want   Class
	}{
		// Ready and pending.
		{200, "", Ready},
		{202, "OPERATION_PENDING", Pending},
		{202, "OPERATION_DISPATCHED", Pending},
		{200, "OPERATION_PENDING", Pending}, // code first
		{202, "", Pending},

		// Retry with backoff.
		{401, "RETRY_LATER", Retry},
		{400, "RETRY_LATER", Retry},
		{400, "CARD_IN_USE", Retry},
		{401, "CARD_IN_USE", Retry},
		{400, "CONCURRENT_SESSION", Retry},
		{409, "CONCURRENT_SESSION", Retry},
		{500, "AGGREGATION_ERROR", Retry},
		{400, "AGGREGATION_ERROR", Retry},
		{405, "DISABLED_INSTITUTION", Retry},
		{500, "", Retry},
		{502, "", Retry},
		{503, "", Retry},
		{504, "", Retry},
		{0, "", Retry}, // network error, no answer
		{408, "", Retry},

		// Re-authorize.
		{400, "SESSION_NONEXISTENT", Reauth},
		{401, "SESSION_NONEXISTENT", Reauth},
		{404, "SESSION_NONEXISTENT", Reauth},

		// Throttling: as Flinks sends it (401) and as the rest of the web does (429).
		{401, "TOO_MANY_REQUESTS", Throttled},
		{429, "TOO_MANY_REQUESTS", Throttled},
		{429, "", Throttled},
		{429, "SOMETHING_NEW", Throttled},

		// The person must act.
		{401, "DISABLED_LOGIN", NeedsUser},
		{400, "DISABLED_LOGIN", NeedsUser},
		{401, "NEW_ACCOUNT", NeedsUser},
		{401, "INVALID_USERNAME", NeedsUser},
		{401, "INVALID_PASSWORD", NeedsUser},
		{401, "QUESTION_NOT_FOUND", NeedsUser},
		{401, "INVALID_SECURITY_RESPONSE", NeedsUser},
		{203, "", NeedsUser}, // MFA questions
		{203, "SECURITY_CHALLENGE", NeedsUser},

		// Rejected: this login cannot be synced as asked.
		{401, "INVALID_LOGIN", Rejected},
		{400, "INVALID_LOGIN", Rejected},
		{400, "INVALID_REQUEST", Rejected},
		{422, "INVALID_REQUEST", Rejected},
		{400, "", Rejected},
		{405, "", Rejected},

		// Fatal for the whole run: our own credentials or configuration.
		{401, "UNAUTHORIZED", Fatal},
		{403, "UNAUTHORIZED", Fatal},
		{401, "ACCESS_DENIED", Fatal},
		{403, "ACCESS_DENIED", Fatal},
		{401, "", Fatal},
		{403, "", Fatal},
		{404, "", Fatal},
		{301, "", Fatal},
		{307, "", Fatal},

		// Unknown codes: retry (bounded by the caller), unless 200/202/203 decide.
		{400, "BRAND_NEW_CODE", Retry},
		{401, "BRAND_NEW_CODE", Retry},
		{500, "BRAND_NEW_CODE", Retry},
		{404, "BRAND_NEW_CODE", Retry},
		{200, "BRAND_NEW_CODE", Ready},
		{202, "BRAND_NEW_CODE", Pending},
		{204, "", Retry},
		{100, "", Retry},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_%s", tt.status, tt.code), func(t *testing.T) {
			if got := Classify(tt.status, tt.code); got != tt.want {
				t.Errorf("Classify(%d, %q) = %v, want %v", tt.status, tt.code, got, tt.want)
			}
		})
	}
}

// Every code the syncer documents has an entry, so none falls to "unknown".
func TestClassifyKnowsEveryDocumentedCode(t *testing.T) {
	documented := []string{
		"OPERATION_PENDING", "OPERATION_DISPATCHED", "SESSION_NONEXISTENT", "CARD_IN_USE",
		"CONCURRENT_SESSION", "RETRY_LATER", "TOO_MANY_REQUESTS", "AGGREGATION_ERROR", "INVALID_LOGIN",
		"DISABLED_LOGIN", "NEW_ACCOUNT", "INVALID_USERNAME", "INVALID_PASSWORD", "QUESTION_NOT_FOUND",
		"INVALID_SECURITY_RESPONSE", "UNAUTHORIZED", "ACCESS_DENIED", "INVALID_REQUEST", "DISABLED_INSTITUTION",
	}
	for _, code := range documented {
		if _, ok := flinksCodes[code]; !ok {
			t.Errorf("FlinksCode %s has no class", code)
		}
	}
}

func TestClassString(t *testing.T) {
	for c := Unknown; c <= Canceled; c++ {
		if s := c.String(); s == "" || (c != Unknown && s == "unknown") {
			t.Errorf("Class(%d).String() = %q", int(c), s)
		}
	}
	if got := Class(99).String(); got != "unknown" {
		t.Errorf("Class(99).String() = %q", got)
	}
}

func TestClassOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"nil", nil, Ready},
		{"typed", &Error{Class: NeedsUser}, NeedsUser},
		{"wrapped typed", fmt.Errorf("login 3: %w", &Error{Class: Fatal}), Fatal},
		{"canceled", context.Canceled, Canceled},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), Canceled},
		{"other", errors.New("boom"), Retry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassOf(tt.err); got != tt.want {
				t.Errorf("ClassOf = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Class: NeedsUser, Op: "authorize", Status: 401, FlinksCode: "DISABLED_LOGIN"}
	if got, want := e.Error(), "flinks authorize: needs_user_action (HTTP 401 DISABLED_LOGIN)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	cause := errors.New("unexpected EOF")
	e = &Error{Class: Retry, Op: "investments", Err: cause}
	if got, want := e.Error(), "flinks investments: retry: unexpected EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, cause) {
		t.Error("Error does not unwrap to its cause")
	}
}
