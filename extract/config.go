package extract

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/internal/logs"
)

// Defaults for Config fields left zero. The CLI exposes the first two as
// --poll-interval and --poll-timeout.
const (
	DefaultPollInterval     = 10 * time.Second
	DefaultPollTimeout      = 30 * time.Minute
	DefaultRate             = 20.0 // requests per second, whole client
	DefaultBurst            = 10
	DefaultMaxAttempts      = 5
	DefaultMaxReauth        = 3
	DefaultBackoffBase      = 1 * time.Second
	DefaultBackoffMax       = 1 * time.Minute
	DefaultMaxBodyBytes     = 32 << 20
	DefaultRequestTimeout   = 2 * time.Minute
	DefaultThrottleRecovery = 10 * time.Second
	DefaultInstance         = "toolbox"
	// SandboxCustomerID is the customerId of Flinks' toolbox instance.
	SandboxCustomerID = "43387ca6-0391-4c82-857d-70d95f087ecb"
)

// Config configures a Client. Zero fields take the Default* values.
//
// URLs: with --base-url U, BankingURL and WealthURL are both U; with
// --instance N, they come from URLsForInstance(N).
type Config struct {
	BankingURL string // root for banking calls: BankingURL + "/v3/{CustomerID}/BankingServices/..."
	WealthURL  string // root for investments: WealthURL + "/v3/{CustomerID}/Investments"
	CustomerID string
	SecretKey  string // enables GenerateAuthorizeToken -> flinks-auth-key; never logged or printed
	APIKey     string // sent as x-api-key on data calls; never logged or printed
	Tag        string // optional Authorize Tag, to label a run
	// TransactionDays is the banking history window asked of Flinks
	// (DaysOfTransactions): 90 or 365; 0 means DefaultTransactionDays.
	TransactionDays int

	// HTTP is the client to use; nil means one built on NewTransport. Its
	// redirects are never followed (a redirect would carry our secret headers).
	HTTP *http.Client
	// Rate is the most requests per second for the whole client (every
	// login, in any second; math.Inf(1) for no limit); Burst the most sent
	// back to back (the limiter lets at most 2 ms of the rate come early, so
	// fewer under 4,500/s). Throttling of the run lowers the rate for
	// everyone (see governor).
	Rate  float64
	Burst int
	// ThrottleRecovery is how long the client must go unthrottled before it
	// raises a lowered rate one step (an eighth of Rate) back towards Rate.
	ThrottleRecovery time.Duration

	PollInterval time.Duration // wait between polls of a pending login
	PollTimeout  time.Duration // give up this long after the login's first data call
	MaxAttempts  int           // retryable failures a login may have; the last one ends it
	MaxReauth    int           // new sessions after SESSION_NONEXISTENT
	BackoffBase  time.Duration // first retry waits up to this (full jitter), doubling
	BackoffMax   time.Duration // cap of one backoff wait
	// RequestTimeout bounds one HTTP exchange (headers and body), in real time.
	RequestTimeout time.Duration
	MaxBodyBytes   int64 // largest response body read; bigger fails the login

	// OnAnswer, when set, is called once per HTTP exchange with Flinks, as
	// it ends, with the API call's name (one of Endpoints) and what it came
	// to (one of AnswerOutcomes), from the goroutine of the login that made
	// it. Live metrics count requests with it. It must not block.
	OnAnswer func(endpoint, outcome string)

	Clock  Clock          // nil means RealClock
	Rand   func() float64 // in [0,1), for jitter; nil means math/rand/v2
	Logger *slog.Logger   // nil discards
}

// URLsForInstance returns the banking and wealth roots of a Flinks instance:
// https://NAME-api.private.fin.ag and https://NAME-wealth-api.private.fin.ag.
func URLsForInstance(instance string) (banking, wealth string) {
	return "https://" + instance + "-api.private.fin.ag", "https://" + instance + "-wealth-api.private.fin.ag"
}

// withDefaults validates c and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	c.BankingURL = strings.TrimRight(c.BankingURL, "/")
	c.WealthURL = strings.TrimRight(c.WealthURL, "/")
	for name, u := range map[string]string{"banking URL": c.BankingURL, "wealth URL": c.WealthURL} {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an absolute http(s) URL", name))
		}
	}
	if c.CustomerID == "" || strings.ContainsAny(c.CustomerID, "/?#") {
		errs = append(errs, errors.New("customer id must be set and contain no / ? #"))
	}
	if c.Rate < 0 || c.Burst < 0 || c.MaxAttempts < 0 || c.MaxReauth < 0 || c.MaxBodyBytes < 0 ||
		c.PollInterval < 0 || c.PollTimeout < 0 || c.BackoffBase < 0 || c.BackoffMax < 0 ||
		c.RequestTimeout < 0 || c.ThrottleRecovery < 0 {
		errs = append(errs, errors.New("rates, counts, sizes and durations must not be negative"))
	}
	if c.TransactionDays != 0 && c.TransactionDays != 90 && c.TransactionDays != 365 {
		errs = append(errs, errors.New("transaction days must be 90 or 365"))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("extract config: %w", errors.Join(errs...))
	}
	setDefault(&c.TransactionDays, DefaultTransactionDays)
	setDefault(&c.Rate, DefaultRate)
	setDefault(&c.Burst, DefaultBurst)
	setDefault(&c.ThrottleRecovery, DefaultThrottleRecovery)
	setDefault(&c.PollInterval, DefaultPollInterval)
	setDefault(&c.PollTimeout, DefaultPollTimeout)
	setDefault(&c.MaxAttempts, DefaultMaxAttempts)
	setDefault(&c.MaxReauth, DefaultMaxReauth)
	setDefault(&c.BackoffBase, DefaultBackoffBase)
	setDefault(&c.BackoffMax, DefaultBackoffMax)
	setDefault(&c.RequestTimeout, DefaultRequestTimeout)
	setDefault(&c.MaxBodyBytes, DefaultMaxBodyBytes)
	if c.BackoffMax < c.BackoffBase {
		c.BackoffMax = c.BackoffBase
	}
	c.Clock = clock.Or(c.Clock)
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	c.Logger = logs.OrDiscard(c.Logger)
	hc := http.Client{Transport: NewTransport()}
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.HTTP = &hc
	return c, nil
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// NewTransport returns an HTTP transport tuned for many concurrent logins to
// one or two hosts: enough idle connections per host to reuse them between
// polls, bounded dial and TLS handshake times, and TLS verification always on.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// String describes c without its secrets, so %v and %+v never print them.
func (c Config) String() string {
	return fmt.Sprintf("extract.Config{BankingURL:%q WealthURL:%q CustomerID:%q SecretKey:%s APIKey:%s Rate:%g Burst:%d PollInterval:%v PollTimeout:%v MaxAttempts:%d MaxReauth:%d}",
		c.BankingURL, c.WealthURL, c.CustomerID, redacted(c.SecretKey), redacted(c.APIKey),
		c.Rate, c.Burst, c.PollInterval, c.PollTimeout, c.MaxAttempts, c.MaxReauth)
}

// GoString is String, for %#v.
func (c Config) GoString() string { return c.String() }

// LogValue renders c for slog without its secrets.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func redacted(secret string) string {
	if secret == "" {
		return "unset"
	}
	return "set"
}
