package extract

import (
	"context"
	"testing"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

// TestLastRefreshForms reads Login.LastRefresh in the forms an Authorize
// answer may carry: the documented zone-less UTC form with 6 or 7
// fractional digits (and .NET's shorter trimmed forms), an explicit zone,
// and everything that must read as unknown rather than fail the login.
func TestLastRefreshForms(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return v.UTC()
	}
	for _, tc := range []struct {
		name, body string
		want       time.Time // zero: unknown
	}{
		{"7 digits, no zone", `{"Login":{"LastRefresh":"2019-05-09T13:47:46.5227901"}}`, utc("2019-05-09T13:47:46.5227901Z")},
		{"6 digits, no zone", `{"Login":{"LastRefresh":"2025-01-31T17:40:54.569261"}}`, utc("2025-01-31T17:40:54.569261Z")},
		{"trailing zeros trimmed", `{"Login":{"LastRefresh":"2025-01-31T17:40:54.5"}}`, utc("2025-01-31T17:40:54.5Z")},
		{"no fraction", `{"Login":{"LastRefresh":"2025-01-31T23:59:59"}}`, utc("2025-01-31T23:59:59Z")},
		{"explicit UTC", `{"Login":{"LastRefresh":"2025-01-31T17:40:54.569261Z"}}`, utc("2025-01-31T17:40:54.569261Z")},
		{"offset: the UTC instant", `{"Login":{"LastRefresh":"2025-01-31T22:00:00-05:00"}}`, utc("2025-02-01T03:00:00Z")},
		{"among other members", `{"HttpStatusCode":200,"Login":{"Username":"Greatday","IsScheduledRefresh":false,"LastRefresh":"2019-05-09T13:47:46.5227901","Type":"Personal","Id":"x"},"RequestId":"r"}`, utc("2019-05-09T13:47:46.5227901Z")},
		{"absent", `{"Login":{"Username":"Greatday"}}`, time.Time{}},
		{"no Login", `{"RequestId":"r"}`, time.Time{}},
		{"Login null", `{"Login":null}`, time.Time{}},
		{"null", `{"Login":{"LastRefresh":null}}`, time.Time{}},
		{"empty", `{"Login":{"LastRefresh":""}}`, time.Time{}},
		{"a number", `{"Login":{"LastRefresh":1706722854}}`, time.Time{}},
		{"an object", `{"Login":{"LastRefresh":{"t":1}}}`, time.Time{}},
		{"garbage", `{"Login":{"LastRefresh":"yesterday"}}`, time.Time{}},
		{"a date only", `{"Login":{"LastRefresh":"2025-01-31"}}`, time.Time{}},
		{"8 digits", `{"Login":{"LastRefresh":"2025-01-31T17:40:54.56926123"}}`, time.Time{}},
		{"out of range", `{"Login":{"LastRefresh":"2025-02-30T10:00:00.000000"}}`, time.Time{}},
		{"DateTime.MinValue", `{"Login":{"LastRefresh":"0001-01-01T00:00:00"}}`, time.Time{}},
		{"not JSON", `<html>`, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := lastRefreshOf([]byte(tc.body))
			if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
				t.Errorf("lastRefreshOf = %v, %v; want %v (zero: unknown)", got, ok, tc.want)
			}
			if ok && got.Location() != time.UTC {
				t.Errorf("%v is not in UTC", got)
			}
		})
	}
}

// runToEnd steps a login of c to its end, moving clock over the waits.
func runToEnd(t *testing.T, c *Client, clock *FakeClock, loginID string) Step {
	t.Helper()
	l, err := c.Begin(loginID)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for {
		s := l.Step(context.Background())
		if s.Done {
			return s
		}
		clock.Advance(s.Wait)
	}
}

// TestStepCarriesLastRefresh: over loopback, the Step that delivers a
// payload carries the session's Login.LastRefresh, and an unusable one
// (absent, null, garbage) is zero without failing the login.
func TestStepCarriesLastRefresh(t *testing.T) {
	forms := map[string]string{
		flinkstest.DemoLogins(7, 1)[0]: `"2026-03-01T23:59:59.123456"`,
		flinkstest.DemoLogins(7, 2)[1]: "",
		flinkstest.DemoLogins(7, 3)[2]: "null",
		flinkstest.DemoLogins(7, 4)[3]: `"last tuesday"`,
	}
	_, c, clock := fakeTimeSandbox(t, flinkstest.Config{Pending: flinkstest.FixedPending(1),
		LastRefresh: func(loginID string, _ time.Time) string { return forms[loginID] }}, Config{})
	want := map[string]time.Time{flinkstest.DemoLogins(7, 1)[0]: time.Date(2026, 3, 1, 23, 59, 59, 123456000, time.UTC)}
	for login := range forms {
		s := runToEnd(t, c, clock, login)
		if s.Err != nil || s.Payload == nil {
			t.Errorf("login %s: %v", HashLogin(login), s.Err)
			continue
		}
		if !s.LastRefresh.Equal(want[login]) {
			t.Errorf("LastRefresh %s (%s), want %v", forms[login], s.LastRefresh, want[login])
		}
	}
}
