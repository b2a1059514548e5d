// Package pipeline runs one sync: it fans out over LoginIds, drives each
// login's Flinks session step by step, transforms payloads as they arrive and
// hands the rows to a single loader that group-commits them.
//
// Scheduling. A bounded pool of workers (Options.Concurrency) makes requests.
// A login that Flinks answers with 202 does not keep its worker: it is parked
// on a timer until its next poll is due and costs only its small state while
// it waits, so thousands of logins can be pending at once while the workers
// serve the ones that are due. Options.MaxActive bounds how many logins are
// open (in a worker, parked, or waiting for the loader) at once.
//
// Outcomes. A login's failure is data, not an error: it is recorded in
// sync_logins and the run goes on. Run returns an error only when the run
// cannot continue (credentials rejected for everyone, warehouse unwritable:
// ErrFatal, and the run stops at once) or could not proceed (no login synced
// and every failure says Flinks was unreachable or served nobody:
// ErrUnreachable; a product Flinks retired was asked for: extract.ErrRetired);
// what was committed before stays committed.
//
// Products. Each login syncs Options.Products (or, for a login in
// Options.ProductsOf, those: retry's failed products) from one session. Each
// product's outcome is a sync_login_products row; the rows of the products
// that succeeded are committed with the login whatever the others did. The
// login's sync_logins row says succeeded only when every product did; else
// it takes the status and FlinksCode of a failed product, a retryable one
// (failed, timed_out) first so that RetryCandidates finds the login, and
// RetryProducts names the products to ask again.
//
// Cancellation. When ctx is cancelled the run stops admitting logins,
// lets the loader commit what it already holds, records every listed login
// that did not finish as failed ("interrupted"), the ones never started
// included, and closes the run as interrupted. A cancellation that comes
// after every login finished changes nothing.
package pipeline
