package extract

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/payload"
)

// Client talks to one Flinks customer. It is safe for concurrent use, and one
// Client is meant to be shared by every worker of a run: its limiter, its
// throttling state and its set of open LoginIds are run-wide.
type Client struct {
	cfg      Config
	gov      *governor
	requests atomic.Int64
	fatal    atomic.Pointer[Error] // first Fatal answer; stops every later Step
	retired  atomic.Bool           // Flinks answered /Investments as retired

	tokenURL, authorizeURL, investmentsURL string
	accountsURL, accountsAsyncURL          string // GetAccountsDetail; GetAccountsDetailAsync/ + RequestId

	mu   sync.Mutex
	open map[string]struct{} // LoginIds with an open Login
}

// New validates cfg, fills its defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	banking := cfg.BankingURL + "/v3/" + cfg.CustomerID + "/BankingServices"
	return &Client{
		cfg:              cfg,
		gov:              newGovernor(cfg.Rate, cfg.Burst, cfg.ThrottleRecovery),
		tokenURL:         banking + "/GenerateAuthorizeToken",
		authorizeURL:     banking + "/Authorize",
		investmentsURL:   cfg.WealthURL + "/v3/" + cfg.CustomerID + "/Investments",
		accountsURL:      banking + "/GetAccountsDetail",
		accountsAsyncURL: banking + "/GetAccountsDetailAsync/",
		open:             make(map[string]struct{}),
	}, nil
}

// Begin opens the Login of loginID, to sync products (DefaultProducts when
// none is named; see Normalize). It fails with ErrBusy while another Login
// of the same LoginId is open in this Client. The caller must Close it.
func (c *Client) Begin(loginID string, products ...Product) (*Login, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, busy := c.open[loginID]; busy {
		return nil, ErrBusy
	}
	c.open[loginID] = struct{}{}
	return &Login{c: c, id: loginID, log: c.cfg.Logger.With(LoginAttr(loginID)), products: Normalize(products)}, nil
}

func (c *Client) release(loginID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.open, loginID)
}

// Fetch runs one login to its end: Begin, Step until Done, waiting on the
// Clock between steps, Close. The error is a *Error (or ErrBusy).
func (c *Client) Fetch(ctx context.Context, loginID string) (*payload.Investments, Report, error) {
	l, err := c.Begin(loginID)
	if err != nil {
		return nil, Report{}, err
	}
	defer l.Close()
	for {
		s := l.Step(ctx)
		if s.Done {
			return s.Payload, l.Report(), s.Err
		}
		_ = clock.Sleep(ctx, c.cfg.Clock, s.Wait) // a canceled ctx ends the next Step
	}
}

// Retired reports whether Flinks answered /Investments as a retired product
// during this Client's run.
func (c *Client) Retired() bool { return c.retired.Load() }

// Requests returns how many HTTP requests the client has sent.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Throttles returns how many throttling answers the client has received.
func (c *Client) Throttles() int64 {
	c.gov.mu.Lock()
	defer c.gov.mu.Unlock()
	return c.gov.throttles
}

// Rate returns the client's current request rate limit (lowered while it
// recovers from throttling).
func (c *Client) Rate() float64 { return c.gov.limit() }

// deadline returns the poll deadline of a login whose first data call was at first.
func (c *Client) deadline(first time.Time) time.Time { return first.Add(c.cfg.PollTimeout) }
