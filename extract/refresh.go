package extract

import (
	"encoding/json"
	"strings"
	"time"
)

// authorizeLogin is the part of a 200 Authorize answer that says when
// Flinks last refreshed the login's data: {"Login": {"LastRefresh": ...}}.
type authorizeLogin struct {
	Login struct {
		LastRefresh json.RawMessage
	}
}

// lastRefreshOf returns Login.LastRefresh of an Authorize answer as a UTC
// instant, or false when the answer has none that is usable (absent, null,
// not a string, not a timestamp). It never fails: an unknown LastRefresh
// must not fail the login.
func lastRefreshOf(body []byte) (time.Time, bool) {
	var a authorizeLogin
	if json.Unmarshal(body, &a) != nil {
		return time.Time{}, false
	}
	var s string
	if json.Unmarshal(a.Login.LastRefresh, &s) != nil {
		return time.Time{}, false // absent, null, or not a string
	}
	return parseLastRefresh(s)
}

// refreshLayout is how Flinks writes LastRefresh: a UTC instant with no zone
// suffix, "2019-05-09T13:47:46.5227901" (6 or 7 fractional digits; .NET
// leaves out trailing zeros, so fewer are read too).
const refreshLayout = "2006-01-02T15:04:05"

// minRefresh is the earliest LastRefresh taken as real: .NET writes its
// DateTime.MinValue, 0001-01-01T00:00:00, for "never".
var minRefresh = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// parseLastRefresh reads a Login.LastRefresh value: the zone-less form
// Flinks documents (taken as UTC) with up to 7 fractional digits, or an RFC
// 3339 timestamp with a zone. It returns the UTC instant, or false for
// anything else and for instants before 2000 (a "never" placeholder).
func parseLastRefresh(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(refreshLayout, s) // fractional seconds are accepted after the seconds
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return time.Time{}, false
		}
	}
	if frac := fraction(s); len(frac) > 7 || t.Before(minRefresh) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// fraction returns the fractional-second digits of a timestamp text.
func fraction(s string) string {
	i := strings.IndexByte(s, '.')
	if i < 0 {
		return ""
	}
	j := i + 1
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return s[i+1 : j]
}
