package flinkstest

import (
	"fmt"
	"strconv"
	"time"
)

// RefreshForm is how a login's Authorize answer carries Login.LastRefresh.
type RefreshForm int

const (
	RefreshSent    RefreshForm = iota // a zone-less UTC timestamp with 7 fractional digits, as Flinks writes it
	RefreshAbsent                     // no LastRefresh member
	RefreshNull                       // "LastRefresh": null
	RefreshGarbage                    // a string that is not a timestamp
)

// refreshPrefix starts every LoginId of the RefreshLogin pattern: "a9ed"
// reads "aged".
const refreshPrefix = "a9ed"

// StaleLogin returns a healthy LoginId whose data Flinks last refreshed days
// days before the sandbox's as-of date: its LastRefresh is on that earlier
// day, and its payload is that day's. n distinguishes several such logins.
func StaleLogin(days, n int) string { return RefreshLogin(days, RefreshSent, n) }

// RefreshLogin returns a healthy LoginId whose data was last refreshed days
// days before the as-of date and whose Authorize answer carries LastRefresh
// in the given form. Pattern:
//
//	a9edDDDD-FFFF-4000-8000-NNNNNNNNNNNN
//
// DDDD is days in decimal, FFFF the RefreshForm, NNNNNNNNNNNN is n.
func RefreshLogin(days int, form RefreshForm, n int) string {
	return fmt.Sprintf("%s%04d-%04d-4000-8000-%012d", refreshPrefix, days%10000, int(form)%10000, n%1000000000000)
}

// refreshSpec is what a LoginId of the RefreshLogin pattern asks for.
type refreshSpec struct {
	days int
	form RefreshForm
}

// parseRefreshLogin reads the RefreshLogin pattern; other LoginIds give
// the zero spec (fresh data, LastRefresh sent) and false.
func parseRefreshLogin(id string) (refreshSpec, bool) {
	if len(id) != 36 || id[:4] != refreshPrefix || id[8] != '-' || id[13] != '-' {
		return refreshSpec{}, false
	}
	d, err1 := strconv.Atoi(id[4:8])
	f, err2 := strconv.Atoi(id[9:13])
	if err1 != nil || err2 != nil || d < 0 || f < 0 || f > int(RefreshGarbage) {
		return refreshSpec{}, false
	}
	return refreshSpec{days: d, form: RefreshForm(f)}, true
}

// dataAsOf is the date whose data the sandbox serves for loginID at the
// as-of date asOf: the day Flinks last refreshed it, days earlier for a
// StaleLogin, else asOf itself.
func dataAsOf(loginID string, asOf time.Time) time.Time {
	spec, _ := parseRefreshLogin(normalizeLogin(loginID))
	return dateOfDay(dayNumber(asOf) - int64(spec.days))
}

// refreshedAt is when Flinks last refreshed loginID's data at the as-of
// date asOf: a time on its data day (see refreshedOn).
func refreshedAt(seed int64, loginID string, asOf time.Time) time.Time {
	return refreshedOn(seed, loginID, dataAsOf(loginID, asOf))
}

// refreshedOn is the time in the first six hours of the data day at which
// Flinks refreshed loginID's data, drawn from (seed, LoginId), to 100 ns as
// Flinks writes it.
func refreshedOn(seed int64, loginID string, dataDay time.Time) time.Time {
	r := newRand(seed, loginID, streamRefresh)
	return dateOfDay(dayNumber(dataDay)).Add(time.Duration(r.Int64N(int64(6*time.Hour/100))) * 100)
}

// formatRefresh writes t as Flinks writes LastRefresh: UTC, no zone suffix,
// 7 fractional digits.
func formatRefresh(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000")
}

// lastRefreshJSON is the Login.LastRefresh member of loginID's Authorize
// answer at now, as raw JSON ("" leaves the member out): Config.LastRefresh
// decides when set; otherwise the RefreshLogin pattern, else refreshedAt,
// never later than now when the as-of date is today.
func (s *Server) lastRefreshJSON(loginID string, now time.Time) string {
	asOf := s.asOf(now)
	if s.cfg.LastRefresh != nil {
		return s.cfg.LastRefresh(loginID, asOf)
	}
	spec, _ := parseRefreshLogin(loginID)
	switch spec.form {
	case RefreshAbsent:
		return ""
	case RefreshNull:
		return "null"
	case RefreshGarbage:
		return `"not refreshed yet"`
	}
	t := refreshedAt(s.cfg.Seed, loginID, asOf)
	if s.cfg.AsOf.IsZero() && t.After(now) {
		t = now
	}
	return `"` + formatRefresh(t) + `"`
}
