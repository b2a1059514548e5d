package flinkstest

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHealthyLoginPollsThen200WithPayload(t *testing.T) {
	s := start(t, Config{Seed: 1, Pending: FixedPending(2)})
	login := DemoLogins(1, 1)[0]

	a := authorize(t, s, login, nil)
	if a.status != http.StatusOK || a.field("RequestId") == "" {
		t.Fatalf("Authorize: %d %s", a.status, a.body)
	}
	for _, want := range []string{`"Institution":`, `"InstitutionId":`, `"LastRefresh":`, `"Id":"` + login + `"`} {
		if !bytes.Contains(a.body, []byte(want)) {
			t.Errorf("Authorize body lacks %s: %s", want, a.body)
		}
	}
	rid := a.field("RequestId")
	var got []int
	var last reply
	for range 3 {
		last = investments(t, s, plainClient, login, rid, nil)
		got = append(got, last.status)
	}
	if !slices.Equal(got, []int{202, 202, 200}) {
		t.Fatalf("statuses %v, want [202 202 200]", got)
	}
	if want := Payload(1, login, testAsOf); !bytes.Equal(last.body, want) {
		t.Fatalf("200 body differs from Payload (%d vs %d bytes)", len(last.body), len(want))
	}
	if ct := last.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var seq []string
	for _, r := range s.Requests() {
		seq = append(seq, fmt.Sprintf("%s:%d:%s", r.Endpoint, r.Status, r.FlinksCode))
		if r.LoginID != login {
			t.Errorf("request logged for login %q", r.LoginID)
		}
	}
	want := []string{"Authorize:200:", "Investments:202:OPERATION_PENDING", "Investments:202:OPERATION_PENDING", "Investments:200:"}
	if !slices.Equal(seq, want) {
		t.Errorf("request log %v, want %v", seq, want)
	}
	if s.Count(EndpointInvestments, login) != 3 || s.Count(EndpointAuthorize, login) != 1 || s.Count("", login) != 4 || s.Count("", "") != 4 {
		t.Errorf("counts: inv %d auth %d login %d all %d", s.Count(EndpointInvestments, login), s.Count(EndpointAuthorize, login), s.Count("", login), s.Count("", ""))
	}
}

func TestPendingBodyShape(t *testing.T) {
	s := start(t, Config{Seed: 1, Pending: FixedPending(1)})
	login := DemoLogins(1, 1)[0]
	rid := authorize(t, s, login, nil).field("RequestId")
	r := investments(t, s, plainClient, login, rid, nil)
	want := `{"FlinksCode":"OPERATION_PENDING","HttpStatusCode":202,"Message":"Your operation is still processing","RequestId":"` + rid + `","Links":[]}`
	if r.status != 202 || string(r.body) != want {
		t.Fatalf("got %d %s\nwant %s", r.status, r.body, want)
	}
}

func TestAccountsDetailBankingTwin(t *testing.T) {
	s := start(t, Config{Seed: 1, Pending: FixedPending(1)})
	login := DemoLogins(1, 2)[1]
	rid := authorize(t, s, login, nil).field("RequestId")
	first := do(t, plainClient, http.MethodPost, banking(s, "GetAccountsDetail"), map[string]string{"RequestId": rid}, nil)
	if first.status != 202 || first.code() != "OPERATION_PENDING" {
		t.Fatalf("GetAccountsDetail: %d %s", first.status, first.body)
	}
	second := do(t, plainClient, http.MethodGet, banking(s, "GetAccountsDetailAsync/"+rid), nil, nil)
	if second.status != 200 || !bytes.Contains(second.body, []byte(`"Accounts":[`)) || !bytes.Contains(second.body, []byte(`"RequestId":"`+rid+`"`)) {
		t.Fatalf("GetAccountsDetailAsync: %d %s", second.status, second.body)
	}
	if s.Count(EndpointAccountsDetail, login) != 1 || s.Count(EndpointAccountsDetailAsync, login) != 1 {
		t.Errorf("counts %d %d", s.Count(EndpointAccountsDetail, login), s.Count(EndpointAccountsDetailAsync, login))
	}
}

func TestBadRequestsAnswerFlinksErrors(t *testing.T) {
	s := start(t, Config{Seed: 1})
	login := DemoLogins(1, 1)[0]
	other := DemoLogins(1, 2)[1]
	rid := authorize(t, s, login, nil).field("RequestId")
	otherRID := authorize(t, s, other, nil).field("RequestId")
	root := s.URL + "/v3/"
	tests := []struct {
		name        string
		method, url string
		body        any
		status      int
		code        string
	}{
		{"wrong customer", "POST", root + "00000000-0000-4000-8000-000000000000/BankingServices/Authorize", map[string]string{"LoginId": login}, 401, "UNAUTHORIZED"},
		{"wrong customer on investments", "POST", root + "nope/Investments", map[string]string{"RequestId": rid}, 401, "UNAUTHORIZED"},
		{"unknown endpoint", "POST", banking(s, "Transfer"), nil, 404, "INVALID_REQUEST"},
		{"unknown root", "GET", s.URL + "/", nil, 404, "INVALID_REQUEST"},
		{"GET on Authorize", "GET", banking(s, "Authorize"), nil, 405, "INVALID_REQUEST"},
		{"POST on Async", "POST", banking(s, "GetAccountsDetailAsync/"+rid), nil, 405, "INVALID_REQUEST"},
		{"body not JSON", "POST", banking(s, "Authorize"), "{", 400, "INVALID_REQUEST"},
		{"no LoginId", "POST", banking(s, "Authorize"), map[string]bool{"MostRecentCached": true}, 400, "INVALID_REQUEST"},
		{"LoginId not a GUID", "POST", banking(s, "Authorize"), map[string]string{"LoginId": "Greatday"}, 401, "INVALID_LOGIN"},
		{"no RequestId", "POST", investmentsURL(s), map[string]string{"LoginId": login}, 400, "INVALID_REQUEST"},
		{"unknown RequestId", "POST", investmentsURL(s), map[string]string{"LoginId": login, "RequestId": "11111111-1111-4111-8111-111111111111"}, 400, "SESSION_NONEXISTENT"},
		{"RequestId of another login", "POST", investmentsURL(s), map[string]string{"LoginId": login, "RequestId": otherRID}, 400, "INVALID_REQUEST"},
		{"unknown RequestId async", "GET", banking(s, "GetAccountsDetailAsync/nope"), nil, 400, "SESSION_NONEXISTENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r reply
			if str, ok := tt.body.(string); ok {
				req, _ := http.NewRequest(tt.method, tt.url, strings.NewReader(str))
				resp, err := plainClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				r = reply{status: resp.StatusCode}
				r.body = readAll(t, resp)
			} else {
				r = do(t, plainClient, tt.method, tt.url, tt.body, nil)
			}
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			code, fields := r.errorBody(t)
			slices.Sort(fields)
			if code != tt.code || !slices.Equal(fields, []string{"FlinksCode", "HttpStatusCode", "Message"}) {
				t.Fatalf("body %s: code %q fields %v", r.body, code, fields)
			}
			if !strings.Contains(string(r.body), fmt.Sprintf(`"HttpStatusCode":%d`, tt.status)) {
				t.Errorf("HttpStatusCode does not match the status: %s", r.body)
			}
		})
	}
}

func readAll(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSecretKeyTokenIsSingleUse(t *testing.T) {
	clock := newFakeClock()
	s := start(t, Config{Seed: 1, SecretKey: "s3cret", Clock: clock.Now})
	login := DemoLogins(1, 1)[0]
	token := func(key string) reply {
		h := map[string]string{}
		if key != "" {
			h["flinks-auth-key"] = key
		}
		return do(t, plainClient, http.MethodPost, banking(s, "GenerateAuthorizeToken"), nil, h)
	}
	if r := token(""); r.status != 401 || r.code() != "UNAUTHORIZED" {
		t.Fatalf("token without key: %d %s", r.status, r.body)
	}
	if r := token("wrong"); r.status != 401 || r.code() != "UNAUTHORIZED" {
		t.Fatalf("token with wrong key: %d %s", r.status, r.body)
	}
	r := token("s3cret")
	tok := r.field("Token")
	if r.status != 200 || !isGUID(tok) || !strings.Contains(string(r.body), `"HttpStatusCode":200`) {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	if r := authorize(t, s, login, nil); r.status != 401 || r.code() != "UNAUTHORIZED" {
		t.Fatalf("authorize without token: %d %s", r.status, r.body)
	}
	if r := authorize(t, s, login, map[string]string{"flinks-auth-key": "s3cret"}); r.status != 401 {
		t.Fatalf("authorize with the secret instead of a token: %d %s", r.status, r.body)
	}
	if r := authorize(t, s, login, map[string]string{"flinks-auth-key": tok}); r.status != 200 {
		t.Fatalf("authorize with token: %d %s", r.status, r.body)
	}
	if r := authorize(t, s, DemoLogins(1, 2)[1], map[string]string{"flinks-auth-key": tok}); r.status != 401 || r.code() != "UNAUTHORIZED" {
		t.Fatalf("token reused: %d %s", r.status, r.body)
	}
	stale := token("s3cret").field("Token")
	clock.Advance(DefaultTokenTTL)
	if r := authorize(t, s, DemoLogins(1, 3)[2], map[string]string{"flinks-auth-key": stale}); r.status != 401 {
		t.Fatalf("expired token accepted: %d %s", r.status, r.body)
	}
	if strings.Contains(fmt.Sprint(s.Requests()), "s3cret") {
		t.Error("the secret key shows in the request log")
	}
}

func TestAPIKeyGuardsDataCalls(t *testing.T) {
	s := start(t, Config{Seed: 1, APIKey: "k3y"})
	login := DemoLogins(1, 1)[0]
	rid := authorize(t, s, login, nil).field("RequestId") // Authorize needs no api key
	if rid == "" {
		t.Fatal("no RequestId")
	}
	for _, h := range []map[string]string{nil, {"x-api-key": "wrong"}} {
		if r := investments(t, s, plainClient, login, rid, h); r.status != 401 || r.code() != "ACCESS_DENIED" {
			t.Fatalf("investments with %v: %d %s", h, r.status, r.body)
		}
	}
	if r := investments(t, s, plainClient, login, rid, map[string]string{"x-api-key": "k3y"}); r.status != 200 {
		t.Fatalf("investments with key: %d %s", r.status, r.body)
	}
}

func TestSessionExpiresWhenIdle(t *testing.T) {
	clock := newFakeClock()
	s := start(t, Config{Seed: 1, Clock: clock.Now, Pending: FixedPending(5)})
	login := DemoLogins(1, 1)[0]
	rid := authorize(t, s, login, nil).field("RequestId")
	for range 3 { // every poll restarts the idle timer
		clock.Advance(DefaultSessionTTL - time.Second)
		if r := investments(t, s, plainClient, login, rid, nil); r.status != 202 {
			t.Fatalf("poll within TTL: %d %s", r.status, r.body)
		}
	}
	clock.Advance(DefaultSessionTTL)
	if r := investments(t, s, plainClient, login, rid, nil); r.status != 400 || r.code() != "SESSION_NONEXISTENT" {
		t.Fatalf("poll after TTL: %d %s", r.status, r.body)
	}
	// The expired session no longer blocks a new one.
	if r := authorize(t, s, login, nil); r.status != 200 {
		t.Fatalf("authorize after expiry: %d %s", r.status, r.body)
	}
}

func TestExpiredSessionsAreSwept(t *testing.T) {
	clock := newFakeClock()
	s := start(t, Config{Seed: 1, Clock: clock.Now, SessionTTL: time.Minute})
	for _, id := range DemoLogins(2, 50) {
		authorize(t, s, id, nil)
	}
	if n := s.OpenSessions(); n != 50 {
		t.Fatalf("open sessions %d, want 50", n)
	}
	clock.Advance(time.Minute)
	authorize(t, s, DemoLogins(3, 1)[0], nil)
	if n := s.OpenSessions(); n != 1 {
		t.Fatalf("open sessions after TTL %d, want 1", n)
	}
}

func TestOneSessionPerLogin(t *testing.T) {
	s := start(t, Config{Seed: 1, Pending: FixedPending(1)})
	login := DemoLogins(1, 1)[0]
	first := authorize(t, s, login, nil).field("RequestId")
	if r := authorize(t, s, login, nil); r.status != 400 || r.code() != "CONCURRENT_SESSION" {
		t.Fatalf("second authorize while processing: %d %s", r.status, r.body)
	}
	if r := investments(t, s, plainClient, login, first, nil); r.status != 202 {
		t.Fatalf("first poll %d", r.status)
	}
	if r := authorize(t, s, login, nil); r.status != 400 {
		t.Fatalf("authorize while still pending: %d %s", r.status, r.body)
	}
	if r := investments(t, s, plainClient, login, first, nil); r.status != 200 {
		t.Fatalf("second poll %d", r.status)
	}
	if r := investments(t, s, plainClient, login, first, nil); r.status != 200 {
		t.Fatalf("re-read of a delivered session: %d", r.status)
	}
	second := authorize(t, s, login, nil).field("RequestId")
	if second == "" || second == first {
		t.Fatalf("no new session after delivery: %q", second)
	}
	if r := investments(t, s, plainClient, login, first, nil); r.status != 400 || r.code() != "SESSION_NONEXISTENT" {
		t.Fatalf("replaced RequestId: %d %s", r.status, r.body)
	}
}

func TestRateLimitUnderConcurrentLoad(t *testing.T) {
	for _, style := range []ThrottleStyle{Throttle401, Throttle429} {
		t.Run(fmt.Sprint(style), func(t *testing.T) {
			clock := newFakeClock() // frozen: no token comes back until Advance
			s := start(t, Config{Seed: 1, Rate: 10, Burst: 5, Throttle: style, Clock: clock.Now})
			burst := func(n int) (ok, throttled int) {
				var mu sync.Mutex
				var wg sync.WaitGroup
				for range n {
					wg.Go(func() {
						r := do(t, plainClient, http.MethodPost, banking(s, "GenerateAuthorizeToken"), nil, nil)
						mu.Lock()
						defer mu.Unlock()
						switch {
						case r.status == 200:
							ok++
						case style == Throttle401 && r.status == 401 && r.code() == "TOO_MANY_REQUESTS" && r.header.Get("Retry-After") == "":
							throttled++
						case style == Throttle429 && r.status == 429 && r.code() == "TOO_MANY_REQUESTS" && r.header.Get("Retry-After") == "1":
							throttled++
						default:
							t.Errorf("unexpected answer %d %v %s", r.status, r.header, r.body)
						}
					})
				}
				wg.Wait()
				return ok, throttled
			}
			if ok, thr := burst(40); ok != 5 || thr != 35 {
				t.Fatalf("first burst: %d ok, %d throttled; want 5 and 35", ok, thr)
			}
			clock.Advance(200 * time.Millisecond) // 2 tokens at 10/s
			if ok, thr := burst(10); ok != 2 || thr != 8 {
				t.Fatalf("after 200ms: %d ok, %d throttled; want 2 and 8", ok, thr)
			}
			clock.Advance(time.Hour) // refills to the burst, not beyond
			if ok, thr := burst(10); ok != 5 || thr != 5 {
				t.Fatalf("after an hour: %d ok, %d throttled; want 5 and 5", ok, thr)
			}
			if n := s.Count(EndpointGenerateToken, ""); n != 60 {
				t.Errorf("counted %d requests, want 60", n)
			}
		})
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	clock := newFakeClock()
	s := start(t, Config{Seed: 1, Rate: 0.25, Burst: 1, Throttle: Throttle429, Clock: clock.Now})
	do(t, plainClient, http.MethodPost, banking(s, "GenerateAuthorizeToken"), nil, nil)
	r := do(t, plainClient, http.MethodPost, banking(s, "GenerateAuthorizeToken"), nil, nil)
	if r.status != 429 || r.header.Get("Retry-After") != "4" {
		t.Fatalf("got %d Retry-After %q, want 429 and 4", r.status, r.header.Get("Retry-After"))
	}
}

func TestCountsAreExactUnderConcurrency(t *testing.T) {
	s := start(t, Config{Seed: 4, Pending: PendingDist{Min: 0, Max: 3}, RequestLog: 7})
	logins := DemoLogins(4, 60)
	polls := make([]int, len(logins))
	var wg sync.WaitGroup
	for i, id := range logins {
		wg.Go(func() {
			rid := authorize(t, s, id, nil).field("RequestId")
			for {
				polls[i]++
				r := investments(t, s, plainClient, id, rid, nil)
				if r.status == 200 {
					return
				}
				if r.status != 202 {
					t.Errorf("login %d: %d %s", i, r.status, r.body)
					return
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for i, id := range logins {
		want := PendingDist{Min: 0, Max: 3}.draw(newRand(4, id, streamPending), id) + 1
		if polls[i] != want || s.Count(EndpointInvestments, id) != want || s.Count(EndpointAuthorize, id) != 1 {
			t.Errorf("login %d: polled %d, counted %d, want %d", i, polls[i], s.Count(EndpointInvestments, id), want)
		}
		total += want + 1
	}
	if s.Count("", "") != total {
		t.Errorf("total %d, want %d", s.Count("", ""), total)
	}
	if got := s.Requests(); len(got) != 7 {
		t.Errorf("request log kept %d, want the last 7", len(got))
	}
}

func TestRequestLogKeepsTheLatestInOrder(t *testing.T) {
	clock := newFakeClock()
	s := start(t, Config{Seed: 1, RequestLog: 3, Clock: clock.Now})
	for i := range 5 {
		clock.Advance(time.Second)
		authorize(t, s, DemoLogins(1, 5)[i], nil)
	}
	got := s.Requests()
	if len(got) != 3 {
		t.Fatalf("kept %d", len(got))
	}
	for i, r := range got {
		if r.LoginID != DemoLogins(1, 5)[i+2] || !r.Time.Equal(newFakeClock().Now().Add(time.Duration(i+3)*time.Second)) {
			t.Errorf("entry %d: %+v", i, r)
		}
	}
	off := start(t, Config{Seed: 1, RequestLog: -1})
	authorize(t, off, DemoLogins(1, 1)[0], nil)
	if len(off.Requests()) != 0 || off.Count("", "") != 1 {
		t.Errorf("RequestLog -1: kept %d, counted %d", len(off.Requests()), off.Count("", ""))
	}
}

func TestNewHandlerServesOnAnyListener(t *testing.T) {
	h := NewHandler(Config{Seed: 1})
	if h.URL != "" {
		t.Errorf("URL %q before serving", h.URL)
	}
	s := httpTestServer(t, h)
	r := do(t, plainClient, http.MethodPost, s+"/v3/"+DefaultCustomerID+"/BankingServices/Authorize", map[string]string{"LoginId": DemoLogins(1, 1)[0]}, nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestZeroAsOfIsTodayOnTheClock(t *testing.T) {
	clock := newFakeClock()
	s := New(Config{Seed: 1, Clock: clock.Now}) // no AsOf
	t.Cleanup(s.Close)
	login := DemoLogins(1, 1)[0]
	clock.Advance(24 * time.Hour)
	rid := authorize(t, s, login, nil).field("RequestId")
	r := investments(t, s, plainClient, login, rid, nil)
	if want := Payload(1, login, clock.Now()); r.status != 200 || !bytes.Equal(r.body, want) || bytes.Equal(r.body, Payload(1, login, testAsOf)) {
		t.Fatalf("%d: body is not the payload of the clock's date", r.status)
	}
}
