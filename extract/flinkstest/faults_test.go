package flinkstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// step describes one answer compactly: "A200", "I202", "I400:SESSION_NONEXISTENT",
// "I200:ok" (the login's payload), "I200:badjson", "I200:readerr" (body cut
// in transit), "Ierr" (no answer), "I503:nonjson".
func step(prefix string, r reply, seed int64, login string, oversize int64) string {
	if r.status == 0 {
		return prefix + "err"
	}
	s := fmt.Sprintf("%s%d", prefix, r.status)
	switch {
	case r.err != nil:
		return s + ":readerr"
	case r.status == 200 && prefix == "I":
		switch {
		case bytes.Equal(r.body, appendPayload(nil, seed, login, testAsOf, false)):
			return s + ":ok"
		case bytes.Equal(r.body, appendPayload(nil, seed, login, testAsOf, true)):
			return s + ":malformed"
		case !json.Valid(r.body):
			return s + ":badjson"
		case int64(len(r.body)) >= oversize:
			return s + ":big"
		}
		return s + ":other"
	case r.status == 200 && r.code() != "":
		return s + ":" + r.code() // an error object under 200
	case r.status == 202 && r.code() == "OPERATION_PENDING", r.status == 200:
		return s
	case !json.Valid(r.body):
		return s + ":nonjson"
	}
	return s + ":" + r.code()
}

// drive authorizes once and polls until an answer other than 202 (at most 8 polls).
func drive(t *testing.T, s *Server, client *http.Client, seed int64, login string, oversize int64) string {
	t.Helper()
	a := authorize(t, s, login, nil)
	out := []string{step("A", a, seed, login, oversize)}
	rid := a.field("RequestId")
	if a.status != 200 || rid == "" {
		return strings.Join(out, " ")
	}
	for range 8 {
		r := investments(t, s, client, login, rid, nil)
		out = append(out, step("I", r, seed, login, oversize))
		if r.status != 202 {
			break
		}
	}
	return strings.Join(out, " ")
}

func TestEveryFaultIsObservableWithAPlainClient(t *testing.T) {
	const oversize = 1 << 20
	s := start(t, Config{Seed: 5, Pending: FixedPending(1), Delay: time.Hour, OversizeBytes: oversize})
	impatient := &http.Client{Timeout: 200 * time.Millisecond} // only for the hour-long FaultSlow
	want := map[Fault]string{
		FaultSessionNonexistent:      "A200 I202 I400:SESSION_NONEXISTENT",
		FaultCardInUse:               "A400:CARD_IN_USE",
		FaultConcurrentSession:       "A400:CONCURRENT_SESSION",
		FaultRetryLater:              "A401:RETRY_LATER",
		FaultTooManyRequests:         "A200 I401:TOO_MANY_REQUESTS",
		FaultAggregationError:        "A200 I500:AGGREGATION_ERROR",
		FaultInvalidLogin:            "A401:INVALID_LOGIN",
		FaultDisabledLogin:           "A401:DISABLED_LOGIN",
		FaultNewAccount:              "A401:NEW_ACCOUNT",
		FaultInvalidUsername:         "A401:INVALID_USERNAME",
		FaultInvalidPassword:         "A401:INVALID_PASSWORD",
		FaultQuestionNotFound:        "A401:QUESTION_NOT_FOUND",
		FaultInvalidSecurityResponse: "A401:INVALID_SECURITY_RESPONSE",
		FaultUnauthorized:            "A401:UNAUTHORIZED",
		FaultAccessDenied:            "A200 I401:ACCESS_DENIED",
		FaultInvalidRequest:          "A200 I400:INVALID_REQUEST",
		FaultDisabledInstitution:     "A405:DISABLED_INSTITUTION",
		FaultMFA:                     "A203:",
		FaultHTTP500:                 "A200 I500:nonjson",
		FaultHTTP503:                 "A200 I503:nonjson",
		FaultSlow:                    "A200 Ierr",
		FaultCutMidBody:              "A200 I202 I200:readerr",
		FaultTruncatedJSON:           "A200 I202 I200:badjson",
		FaultOversize:                "A200 I202 I200:big",
		FaultNeverReady:              "A200 I202 I202 I202 I202 I202 I202 I202 I202",
		FaultDispatched:              "A200 I202:OPERATION_DISPATCHED I202:OPERATION_DISPATCHED I200:ok",
		FaultMalformed:               "A200 I202 I200:malformed",
		FaultTooManyRequests429:      "A200 I429:TOO_MANY_REQUESTS",
		FaultInvalidLogin200:         "A200:INVALID_LOGIN",
		FaultDisabledLogin200:        "A200:DISABLED_LOGIN",
		FaultUnauthorized200:         "A200:UNAUTHORIZED",
	}
	if len(want) != len(Faults()) {
		t.Fatalf("table covers %d faults of %d", len(want), len(Faults()))
	}
	for _, f := range Faults() {
		t.Run(f.String(), func(t *testing.T) {
			login := FaultLogin(f, 1)
			client := plainClient
			if f == FaultSlow {
				client = impatient
			}
			if got := drive(t, s, client, 5, login, oversize); got != want[f] {
				t.Errorf("got  %s\nwant %s", got, want[f])
			}
			if code := f.FlinksCode(); code != "" && code != "OPERATION_PENDING" && !strings.Contains(want[f], code) {
				t.Errorf("FlinksCode %s not seen", code)
			}
		})
	}
	t.Run("healthy", func(t *testing.T) {
		if got := drive(t, s, plainClient, 5, DemoLogins(5, 1)[0], oversize); got != "A200 I202 I200:ok" {
			t.Errorf("got %s", got)
		}
	})
}

func TestMFAAnswersSecurityChallenges(t *testing.T) {
	s := start(t, Config{Seed: 1})
	r := authorize(t, s, FaultLogin(FaultMFA, 1), nil)
	var body struct {
		HttpStatusCode     int
		RequestId          string
		SecurityChallenges []struct{ Type, Prompt string }
	}
	if err := json.Unmarshal(r.body, &body); err != nil || r.status != 203 || body.HttpStatusCode != 203 ||
		len(body.SecurityChallenges) == 0 || body.SecurityChallenges[0].Prompt == "" || body.RequestId == "" {
		t.Fatalf("%d %s (%v)", r.status, r.body, err)
	}
}

// FaultTooManyRequests429 answers 429 with Retry-After: 1 even when the
// sandbox throttles in Flinks' 401 style, and the error objects under 200
// keep Flinks' own HttpStatusCode.
func TestThrottle429AndErrorsUnder200(t *testing.T) {
	s := start(t, Config{Seed: 1, Throttle: Throttle401})
	login := FaultLogin(FaultTooManyRequests429, 1)
	rid := authorize(t, s, login, nil).field("RequestId")
	r := investments(t, s, plainClient, login, rid, nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" || r.code() != "TOO_MANY_REQUESTS" {
		t.Errorf("429 fault: %d Retry-After %q code %q", r.status, r.header.Get("Retry-After"), r.code())
	}
	for _, f := range []Fault{FaultInvalidLogin200, FaultDisabledLogin200, FaultUnauthorized200} {
		a := authorize(t, s, FaultLogin(f, 1), nil)
		var body struct {
			HttpStatusCode      int
			FlinksCode, Message string
			RequestId           *string
		}
		if err := json.Unmarshal(a.body, &body); err != nil || a.status != http.StatusOK || body.HttpStatusCode != http.StatusUnauthorized ||
			body.FlinksCode != f.FlinksCode() || body.Message == "" || body.RequestId != nil {
			t.Errorf("%s: %d %s (%v)", f, a.status, a.body, err)
		}
	}
}

func TestFiveHundredsAreNotJSON(t *testing.T) {
	s := start(t, Config{Seed: 1})
	for f, ct := range map[Fault]string{FaultHTTP500: "text/html", FaultHTTP503: "text/plain"} {
		login := FaultLogin(f, 1)
		rid := authorize(t, s, login, nil).field("RequestId")
		r := investments(t, s, plainClient, login, rid, nil)
		if !strings.HasPrefix(r.header.Get("Content-Type"), ct) || json.Valid(r.body) {
			t.Errorf("%s: Content-Type %q body %q", f, r.header.Get("Content-Type"), r.body)
		}
	}
}

func TestCutAndTruncatedAnnounceTheirLength(t *testing.T) {
	s := start(t, Config{Seed: 1})
	for _, f := range []Fault{FaultCutMidBody, FaultTruncatedJSON} {
		login := FaultLogin(f, 1)
		rid := authorize(t, s, login, nil).field("RequestId")
		req, _ := http.NewRequest(http.MethodPost, investmentsURL(s), strings.NewReader(`{"LoginId":"`+login+`","RequestId":"`+rid+`"}`))
		resp, err := plainClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var buf bytes.Buffer
		_, readErr := buf.ReadFrom(resp.Body)
		resp.Body.Close()
		full := len(Payload(1, login, testAsOf))
		switch f {
		case FaultCutMidBody:
			if resp.ContentLength != int64(full) || readErr == nil || buf.Len() >= full {
				t.Errorf("cut: Content-Length %d (full %d), read %d bytes, err %v", resp.ContentLength, full, buf.Len(), readErr)
			}
		case FaultTruncatedJSON:
			if readErr != nil || resp.ContentLength != int64(buf.Len()) || buf.Len() >= full || json.Valid(buf.Bytes()) {
				t.Errorf("truncated: Content-Length %d, read %d of %d, err %v", resp.ContentLength, buf.Len(), full, readErr)
			}
		}
	}
}

func TestOversizeStreamsPastTheDefaultCap(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 65 MiB")
	}
	s := start(t, Config{Seed: 1})
	login := FaultLogin(FaultOversize, 1)
	rid := authorize(t, s, login, nil).field("RequestId")
	req, _ := http.NewRequest(http.MethodPost, investmentsURL(s), strings.NewReader(`{"LoginId":"`+login+`","RequestId":"`+rid+`"}`))
	resp, err := plainClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var n int64
	var tail []byte
	buf := make([]byte, 256<<10)
	for {
		k, err := resp.Body.Read(buf)
		n += int64(k)
		if k > 0 {
			tail = append(tail[:0], buf[max(0, k-32):k]...)
		}
		if err != nil {
			break
		}
	}
	if resp.ContentLength != -1 || n < DefaultOversizeBytes || !bytes.HasSuffix(tail, []byte(`"Message":null}`)) {
		t.Fatalf("Content-Length %d, read %d bytes, tail %q", resp.ContentLength, n, tail)
	}
}

// persist plays a patient client: it re-authorizes when it has no session
// (or lost it) and polls otherwise, until the login's payload arrives.
func persist(t *testing.T, s *Server, seed int64, login string) (string, bool) {
	t.Helper()
	var out []string
	rid := ""
	for range 16 {
		if rid == "" {
			a := authorize(t, s, login, nil)
			out = append(out, step("A", a, seed, login, 1<<40))
			if a.status == 200 {
				rid = a.field("RequestId")
			}
			continue
		}
		r := investments(t, s, plainClient, login, rid, nil)
		st := step("I", r, seed, login, 1<<40)
		out = append(out, st)
		if st == "I200:ok" {
			return strings.Join(out, " "), true
		}
		if r.code() == "SESSION_NONEXISTENT" {
			rid = ""
		}
	}
	return strings.Join(out, " "), false
}

func TestTransientFaultsFailKTimesThenBehave(t *testing.T) {
	s := start(t, Config{Seed: 6, Pending: FixedPending(1), Delay: time.Millisecond, OversizeBytes: 64 << 10})
	for _, f := range Faults() {
		t.Run(f.String(), func(t *testing.T) {
			login := TransientFaultLogin(f, 2, 7)
			seq, ok := persist(t, s, 6, login)
			if !ok {
				t.Fatalf("never got the payload: %s", seq)
			}
			fired := 0
			for _, r := range s.Requests() {
				if r.LoginID == login && r.Fault == f {
					fired++
				}
			}
			if fired != 2 {
				t.Errorf("fault shaped %d answers, want 2: %s", fired, seq)
			}
		})
	}
	// Exact sequences for a few.
	for login, want := range map[string]string{
		TransientFaultLogin(FaultRetryLater, 2, 8):         "A401:RETRY_LATER A401:RETRY_LATER A200 I202 I200:ok",
		TransientFaultLogin(FaultAggregationError, 1, 8):   "A200 I500:AGGREGATION_ERROR I202 I200:ok",
		TransientFaultLogin(FaultSessionNonexistent, 1, 8): "A200 I202 I400:SESSION_NONEXISTENT A200 I202 I200:ok",
		TransientFaultLogin(FaultCutMidBody, 1, 8):         "A200 I202 I200:readerr I200:ok",
	} {
		if got, _ := persist(t, s, 6, login); got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", login, got, want)
		}
	}
}

func TestFaultRateGivesRecoverableFaultsToSomeLogins(t *testing.T) {
	s := start(t, Config{Seed: 8, FaultRate: 1, Pending: FixedPending(1)})
	for _, id := range DemoLogins(8, 30) {
		spec := s.faultOf(id)
		if spec.fault == FaultNone || spec.times < 1 || spec.times > 2 {
			t.Fatalf("FaultRate 1: login got %+v", spec)
		}
		if seq, ok := persist(t, s, 8, id); !ok {
			t.Errorf("%s did not recover: %s", spec.fault, seq)
		}
	}
	tenth := NewHandler(Config{Seed: 8, FaultRate: 0.1})
	faulty := 0
	for _, id := range DemoLogins(8, 2000) {
		if tenth.faultOf(id).fault != FaultNone {
			faulty++
		}
	}
	if faulty < 140 || faulty > 260 {
		t.Errorf("FaultRate 0.1 gave %d of 2000 logins a fault", faulty)
	}
	if again := NewHandler(Config{Seed: 8, FaultRate: 0.1}); again.faultOf(DemoLogins(8, 1)[0]) != tenth.faultOf(DemoLogins(8, 1)[0]) {
		t.Error("fault draw is not deterministic")
	}
}

func TestFaultLoginPattern(t *testing.T) {
	for _, f := range Faults() {
		for _, k := range []int{0, 1, 12} {
			id := TransientFaultLogin(f, k, 42)
			spec, ok := parseFaultLogin(id)
			if !ok || spec.fault != f || spec.times != k || !isGUID(id) {
				t.Errorf("%s k=%d: %s parsed as %+v %v", f, k, id, spec, ok)
			}
		}
	}
	if FaultLogin(FaultRetryLater, 3) != "fa110004-0000-4000-8000-000000000003" {
		t.Errorf("pattern changed: %s", FaultLogin(FaultRetryLater, 3))
	}
	for _, id := range append(DemoLogins(1, 200), "fa119999-0000-4000-8000-000000000001") {
		if _, ok := parseFaultLogin(id); ok {
			t.Errorf("%s parsed as a fault login", id)
		}
	}
}
