package extract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/syncer/syncer/payload"
)

// Product is a Flinks data product a login syncs. One Authorize session per
// login serves every product asked of it.
type Product string

const (
	// Investments is POST /Investments (retired by Flinks on 2026-04-30).
	Investments Product = "investments"
	// Banking is POST BankingServices/GetAccountsDetail, polled through
	// GetAccountsDetailAsync/{RequestId}.
	Banking Product = "banking"
)

// Products lists every product, in the order a login syncs them.
var Products = []Product{Investments, Banking}

// DefaultProducts is what a login syncs when no product is named.
var DefaultProducts = []Product{Investments}

// ParseProducts reads a comma-separated list of products ("investments",
// "banking"; case and spaces ignored) into Products order without
// duplicates. An empty list or an unknown name is an error.
func ParseProducts(s string) ([]Product, error) {
	var out []Product
	for _, f := range strings.Split(s, ",") {
		name := Product(strings.ToLower(strings.TrimSpace(f)))
		if name == "" {
			continue
		}
		if !slices.Contains(Products, name) {
			return nil, fmt.Errorf("unknown product %q (want investments, banking)", string(name))
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, errors.New("no product named (want investments, banking)")
	}
	return Normalize(out), nil
}

// Normalize returns ps in Products order without duplicates; DefaultProducts
// when ps is empty.
func Normalize(ps []Product) []Product {
	var out []Product
	for _, p := range Products {
		if slices.Contains(ps, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return slices.Clone(DefaultProducts)
	}
	return out
}

// Outcome is how one product of a login ended.
type Outcome struct {
	Product Product
	// Investments is the payload of a successful Investments product.
	Investments *payload.Investments
	// Banking is the 200 body of a successful Banking product, as Flinks
	// sent it (valid JSON, decoded by transform).
	Banking []byte
	// Body, on success, is the data call's 200 body as Flinks sent it, for
	// either product (for Banking the same bytes as Banking): what an
	// archive keeps. Callers must not modify it.
	Body []byte
	// LastRefresh, on success, is Login.LastRefresh of the session that
	// delivered the data, in UTC; zero when unknown.
	LastRefresh time.Time
	Err         error // a *Error when the product failed
}

// DefaultTransactionDays is the banking history window asked of Flinks.
const DefaultTransactionDays = 90

// daysOfTransactions is the DaysOfTransactions value of a window in days.
func daysOfTransactions(days int) string { return fmt.Sprintf("Days%d", days) }

// RetiredMessage is what the syncer says, once per run, when Flinks answers
// /Investments as a retired product.
const RetiredMessage = "Flinks retired the Investments product on 2026-04-30: /Investments no longer serves data; sync banking data with --products banking"

// retiredLog is the line logged once per Client when /Investments answers as retired.
const retiredLog = "flinks answered /Investments as a retired product; no login asks it again in this run"

// ErrRetired is wrapped by the outcome of an Investments product that Flinks
// answered as retired (class Retired).
//
//lint:ignore ST1005 Flinks is a proper noun, and the text is the line an operator reads.
var ErrRetired = errors.New(RetiredMessage)

// isRetired reports whether an answer of /Investments says the endpoint is
// gone: 404 or 410, or an error body whose FlinksCode or Message speaks of
// a retired, removed or deprecated product.
func isRetired(a answer) bool {
	if a.err != nil {
		return false
	}
	if a.status == http.StatusNotFound || a.status == http.StatusGone {
		return true
	}
	if a.status == http.StatusOK || a.status == http.StatusAccepted {
		return false
	}
	var f struct{ FlinksCode, Message string }
	if json.Unmarshal(a.body, &f) != nil {
		return false
	}
	text := strings.ToLower(f.FlinksCode + " " + f.Message)
	for _, w := range []string{"retired", "removed", "deprecated", "discontinued", "decommissioned"} {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

// bankingError reads an error object sent under a banking 200: a FlinksCode
// beside no Accounts member. "" when the body is a banking payload.
func bankingError(body []byte) string {
	var f struct {
		FlinksCode string
		Accounts   json.RawMessage
	}
	if json.Unmarshal(body, &f) != nil || f.Accounts != nil {
		return ""
	}
	return f.FlinksCode
}

// validJSON reports whether body is one JSON value and nothing else.
func validJSON(body []byte) bool {
	return json.Valid(bytes.TrimSpace(body)) && len(bytes.TrimSpace(body)) > 0
}
