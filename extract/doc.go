// Package extract is the Flinks client: it opens a cached session for one
// LoginId, polls /Investments and/or GetAccountsDetail until the data is
// ready, and says why when it is not (a typed *Error whose Class tells the caller what to do next).
//
// One Client is shared by every worker of a run: it owns the HTTP transport,
// the run-wide rate limiter (which also absorbs throttling), and the set of
// LoginIds with an open session, so one LoginId never has two sessions at once.
//
// Throttling (TOO_MANY_REQUESTS under any status, or HTTP 429) slows the
// whole Client, not only the login that saw it: every login is paused until
// Retry-After has passed, and the shared rate is halved, then raised back
// step by step while no throttling is seen (see governor).
//
// A Login is driven step by step (Login.Step), so a scheduler can park a
// pending login between polls without holding a goroutine or a connection;
// Client.Fetch is the simple blocking loop over the same steps. The Step that
// delivers the payload also carries Step.LastRefresh, the session's
// Login.LastRefresh from its Authorize answer (when Flinks last refreshed the
// data, which dates the snapshot); one that is missing or unreadable is zero,
// never an error.
//
// # Products
//
// A Login syncs the products its Begin names (Investments, Banking; in that
// order) from one Authorize session. Banking is POST
// BankingServices/GetAccountsDetail (WithAccountIdentity, WithKYC,
// WithTransactions, DaysOfTransactions from Config.TransactionDays,
// MostRecentCached), then, while Flinks answers 202, GET
// GetAccountsDetailAsync/{RequestId} every PollInterval up to PollTimeout
// after the product's first data call. Each product has its own retry,
// throttling and re-authorization budgets and its own Outcome
// (Step.Outcomes): one product failing does not end the other, except when
// no session can be opened or the run is stopped. SESSION_NONEXISTENT opens a
// new session and continues the product that met it.
//
// Flinks retired /Investments on 2026-04-30. An /Investments answer of 404 or
// 410, or an error body that speaks of a retired or removed product, ends that
// product as Retired (ErrRetired): not retried, logged once per Client, and
// no other Login of the Client calls /Investments again.
//
// Nothing in this package logs or returns a LoginId, a secret, a token or a
// response body: LoginIds appear in logs only as HashLogin(id).
package extract
