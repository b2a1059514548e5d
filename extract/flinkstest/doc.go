// Package flinkstest is the Flinks imitation (sandbox): a real HTTP server
// with deterministic data and faults, for tests and for `syncer sandbox`.
//
// # Starting it
//
//	s := flinkstest.New(flinkstest.Config{Seed: 1, Pending: flinkstest.FixedPending(2)})
//	defer s.Close()
//	client := extract.New(extract.Config{BankingURL: s.URL, WealthURL: s.URL, ...})
//
// NewHandler gives the same server without a listener: Server is an
// http.Handler, and Serve(l) serves it on any listener.
//
// # Endpoints
//
// Under ROOT/v3/{customerId}/ (customerId: Config.CustomerID, by default
// DefaultCustomerID; any other answers 401 UNAUTHORIZED):
//
//	POST BankingServices/GenerateAuthorizeToken           -> 200 {"HttpStatusCode":200,"Token":...}
//	POST BankingServices/Authorize  {"LoginId":...}        -> 200 with RequestId, Login, Institution
//	POST Investments {"LoginId":...,"RequestId":...}       -> 202 OPERATION_PENDING ... then 200 payload
//	POST BankingServices/GetAccountsDetail {"RequestId"}  -> 202 ... then 200 banking-shaped accounts
//	GET  BankingServices/GetAccountsDetailAsync/{RequestId} -> the same poll
//
// Every error body is {"HttpStatusCode": n, "Message": "...", "FlinksCode":
// "..."} (except the deliberately non-JSON 5xx faults). An unknown path is
// 404 and a wrong method 405, both INVALID_REQUEST; a body that is not JSON,
// or a missing LoginId or RequestId, is 400 INVALID_REQUEST.
//
// Keys: with Config.SecretKey, GenerateAuthorizeToken needs
// flinks-auth-key: <secret> and returns a single-use token valid TokenTTL;
// Authorize needs flinks-auth-key: <token>; anything else is 401
// UNAUTHORIZED. With Config.APIKey, data calls need x-api-key: <key>, else
// 401 ACCESS_DENIED. Without keys the headers are ignored.
//
// Rate limit: Config.Rate requests/s over all endpoints (burst Config.Burst),
// on Config.Clock; over it, 401 TOO_MANY_REQUESTS or, with Throttle429, 429
// with Retry-After. Throttled requests are counted like any other.
//
// # Logins and sessions
//
// Any GUID is a valid LoginId whose data derives from (Seed, LoginId); case
// does not matter. A LoginId that is not a GUID answers Authorize with 401
// INVALID_LOGIN, as does the FaultInvalidLogin pattern.
//
// Authorize opens a session (a RequestId) bound to its LoginId; a data call
// naming another LoginId is 400 INVALID_REQUEST. A session answers 202
// OPERATION_PENDING to its first N data calls (N from Config.Pending, per
// login), then 200. One session per login: Authorize while the login's
// session has not yet answered 200 is 400 CONCURRENT_SESSION; after the 200,
// Authorize replaces the session and the old RequestId is gone. A session
// unused for SessionTTL (on Config.Clock) is gone: 400 SESSION_NONEXISTENT.
// Gone sessions and tokens are swept, so memory is bounded by what was
// opened within one TTL.
//
// # Faults by LoginId
//
// LoginIds of the form
//
//	fa11FFFF-KKKK-4000-8000-NNNNNNNNNNNN
//
// ("fa11" reads "fail") show fault number FFFF (decimal, see the Fault
// constants and Faults), on the first KKKK opportunities and then behave
// (0000 = always); N (decimal) tells several such logins apart. Build them
// with FaultLogin(f, n) and TransientFaultLogin(f, k, n). Examples:
//
//	fa110004-0000-4000-8000-000000000001  RETRY_LATER at every Authorize
//	fa110004-0002-4000-8000-000000000001  RETRY_LATER twice, then healthy
//	fa110018-0000-4000-8000-000000000001  MFA: 203 with SecurityChallenges
//	fa110001-0000-4000-8000-000000000001  SESSION_NONEXISTENT after the first 202
//	fa110023-0000-4000-8000-000000000001  200 with a truncated JSON body
//	fa110025-0000-4000-8000-000000000001  202 forever
//	fa110027-0000-4000-8000-000000000001  200 with malformed fragments
//	fa110028-0001-4000-8000-000000000001  429 with Retry-After: 1 once, then healthy
//	fa110029-0000-4000-8000-000000000001  Authorize: 200 carrying the INVALID_LOGIN error object
//
// Authorize faults answer Authorize (no session opens). Data faults answer a
// data call of an open session: most on any data call; SESSION_NONEXISTENT
// on a poll after a 202; OPERATION_DISPATCHED on the 202s (at least two);
// never-ready, cut, truncated, oversize and malformed in place of the 200.
// FaultSlow delays the answer by Config.Delay, then answers normally.
//
// Config.FaultRate gives that fraction of other logins a transient fault (one
// of the recoverable kinds, once or twice; a truncated body once), drawn from
// Seed and LoginId.
//
// # Last refresh
//
// Authorize's Login.LastRefresh says when Flinks last refreshed the login's
// data, as Flinks writes it: UTC, no zone suffix, 7 fractional digits. For
// most logins it is a time in the first six hours of the as-of date, drawn
// from (Seed, LoginId), and never later than Clock when the as-of date is
// today. LoginIds of the form
//
//	a9edDDDD-FFFF-4000-8000-NNNNNNNNNNNN
//
// ("a9ed" reads "aged") were last refreshed DDDD days before the as-of date:
// LastRefresh is on that day and the payload is that day's data, as Flinks'
// cached data would be. FFFF chooses how LastRefresh is sent (a RefreshForm:
// 0 as above, 1 absent, 2 null, 3 not a timestamp). Build them with
// StaleLogin(days, n) and RefreshLogin(days, form, n). Config.LastRefresh
// overrides LastRefresh for every login.
//
// # Data
//
// Payload(seed, loginID, asOf) is the exact 200 body for a login: 0 to 5
// accounts at one or two institutions; positions drawn from a shared universe
// of 200 securities (ETFs, stocks, funds, bonds, crypto; full Security
// objects, some Cusip/Isin null or missing); transactions over a rolling
// TransactionWindowDays window with Ids stable across as-of dates, cash
// movements without Security, partial Security references ({Id, Symbol},
// {Symbol}, {Isin}, {Id}); fractional, negative (short accounts) and
// many-digit numbers; non-ASCII names; nulls, missing members and unknown
// extra members. AccountValue = Cash + ΣMarketValue except for about one
// account in 25, off by a few cents on purpose. Numbers are written from
// integers, never through float64.
//
// # Observing
//
// Count(endpoint, loginID) counts every request exactly; Requests() keeps
// the latest Config.RequestLog of them in order. Both are updated before the
// answer is written.
package flinkstest
