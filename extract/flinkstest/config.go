package flinkstest

import (
	"math/rand/v2"
	"time"
)

// DefaultCustomerID is the customerId of Flinks' toolbox sandbox, served by
// default.
const DefaultCustomerID = "43387ca6-0391-4c82-857d-70d95f087ecb"

// Defaults applied by New and NewHandler to zero Config fields.
const (
	DefaultSessionTTL    = 8 * time.Minute
	DefaultTokenTTL      = 30 * time.Minute
	DefaultDelay         = 30 * time.Second
	DefaultRequestLog    = 10000
	DefaultOversizeBytes = 64<<20 + 1<<20 // 65 MiB
)

// Config describes one sandbox. The zero Config is a keyless, unlimited,
// fault-free sandbox whose logins answer 200 on the first poll.
type Config struct {
	// Seed drives every draw; data and fault draws derive from Seed and the
	// LoginId only, never from request order.
	Seed int64
	// CustomerID is the only customerId accepted in URLs; default DefaultCustomerID.
	CustomerID string
	// AsOf is the as-of date of generated positions (its UTC date is used).
	// Zero means today (UTC) according to Clock, at each request.
	AsOf time.Time
	// LastRefresh, when set, decides the Login.LastRefresh member of every
	// Authorize answer: it returns the raw JSON value to send for the
	// LoginId on the as-of date (e.g. `"2026-01-10T08:00:00.1234567"`,
	// `null`, `42`), or "" to leave the member out. The data served stays
	// the as-of date's. Default: see StaleLogin and RefreshLogin.
	LastRefresh func(loginID string, asOf time.Time) string

	// SecretKey, if set, makes GenerateAuthorizeToken require the header
	// flinks-auth-key: SecretKey; it returns a single-use token, and
	// Authorize then requires flinks-auth-key: <that token>.
	SecretKey string
	// APIKey, if set, makes the data calls (Investments, GetAccountsDetail*)
	// require the header x-api-key: APIKey.
	APIKey string

	// DataFault, when set, may fail one data call beyond the LoginId's own
	// fault: a Fault other than FaultNone it returns for (endpoint, LoginId)
	// answers that call as that fault would (a fault of another stage, or
	// FaultSlow, answers as FaultAggregationError). Tests use it to fail one product of a
	// login, e.g. only EndpointAccountsDetail, and to heal it later.
	DataFault func(endpoint, loginID string) Fault

	// RetiredInvestments makes /Investments answer as Flinks' retired
	// product does: 410 Gone with RetiredMessage, whatever the request.
	RetiredInvestments bool

	// Pending is how many 202 answers a session gets before its 200.
	Pending PendingDist
	// SessionTTL is how long a RequestId lives without requests (default 8
	// min on Clock); an expired one answers 400 SESSION_NONEXISTENT.
	SessionTTL time.Duration
	// TokenTTL is how long an unused authorize token stays valid (default 30 min).
	TokenTTL time.Duration

	// Rate is the sandbox's own limit in requests per second over all
	// endpoints (0 = unlimited), with bursts of up to Burst (default 1).
	Rate  float64
	Burst int
	// Throttle is how a throttled request is answered.
	Throttle ThrottleStyle

	// FaultRate is the fraction of otherwise healthy logins that get a
	// random transient fault (kind and count drawn from Seed and LoginId).
	FaultRate float64
	// Delay is how long the FaultSlow responses wait (default 30 s; the wait
	// ends early when the client goes away).
	Delay time.Duration
	// OversizeBytes is the least size of the FaultOversize body (default 65 MiB).
	OversizeBytes int64

	// RequestLog is how many of the latest requests Requests keeps
	// (default 10,000; negative keeps none). Count is always exact.
	RequestLog int
	// Clock is the time source for expiry, rate limiting, the request log and
	// a zero AsOf (default time.Now).
	Clock func() time.Time
}

// RetiredMessage is the Message of /Investments when RetiredInvestments is set.
const RetiredMessage = "The Investments product was retired on 2026-04-30 and is no longer available"

// PendingDist is the number of 202 answers a login's session gets before its
// 200. Func, when set, decides alone; otherwise the number is drawn uniformly
// from [Min, Max] per login (deterministically from Seed and LoginId). The
// zero value means no 202 at all.
type PendingDist struct {
	Min, Max int
	Func     func(loginID string) int
}

// FixedPending is a distribution that always gives n.
func FixedPending(n int) PendingDist { return PendingDist{Min: n, Max: n} }

func (p PendingDist) draw(r *rand.Rand, loginID string) int {
	if p.Func != nil {
		return max(p.Func(loginID), 0)
	}
	if p.Max <= p.Min {
		return max(p.Min, 0)
	}
	return max(p.Min+r.IntN(p.Max-p.Min+1), 0)
}

// ThrottleStyle is how the sandbox answers a request over its rate limit.
type ThrottleStyle int

const (
	// Throttle401 answers 401 with FlinksCode TOO_MANY_REQUESTS, as Flinks does.
	Throttle401 ThrottleStyle = iota
	// Throttle429 answers 429 with a Retry-After header (whole seconds, at
	// least 1) and FlinksCode TOO_MANY_REQUESTS.
	Throttle429
)

func (c Config) withDefaults() Config {
	if c.CustomerID == "" {
		c.CustomerID = DefaultCustomerID
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	if c.Delay <= 0 {
		c.Delay = DefaultDelay
	}
	if c.OversizeBytes <= 0 {
		c.OversizeBytes = DefaultOversizeBytes
	}
	if c.RequestLog == 0 {
		c.RequestLog = DefaultRequestLog
	}
	if c.Burst <= 0 {
		c.Burst = 1
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}
