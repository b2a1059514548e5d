package extract

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"testing"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/schema"
)

func TestBodyCap(t *testing.T) {
	const limit = 1 << 20
	s, c, _ := fakeTimeSandbox(t, flinkstest.Config{OversizeBytes: 8 << 20}, Config{MaxBodyBytes: limit})
	// A healthy login first: its connection is kept for reuse.
	if _, _, err := c.Fetch(context.Background(), healthyLogin); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.Fetch(context.Background(), flinkstest.FaultLogin(flinkstest.FaultOversize, 1))
	var e *Error
	if !errors.As(err, &e) || e.Class != Rejected || !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err = %v, want Rejected ErrBodyTooLarge", err)
	}
	if !strings.Contains(err.Error(), "size cap") {
		t.Errorf("error is not clear: %q", err)
	}
	// The oversize answer's connection was dropped, not drained for reuse.
	var reused []bool
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { reused = append(reused, info.Reused) }}
	ctx := httptrace.WithClientTrace(context.Background(), trace)
	other := "0b7c2c1e-3f3a-4c4e-9d7e-5a8a3b2c1d0e"
	if _, _, err := c.Fetch(ctx, other); err != nil {
		t.Fatal(err)
	}
	if len(reused) == 0 || reused[0] {
		t.Errorf("the next request reused a connection (%v): the oversize body was drained", reused)
	}
	if s.Count("", "") == 0 {
		t.Fatal("sandbox saw nothing")
	}
}

// Money survives from the wire to payload.Value exactly: no float64 on the way.
func TestDecimalsSurviveExactly(t *testing.T) {
	const body = `{"Investments":[{"Name":"X","Id":"1","Accounts":[{"Id":"a1","Cash":0.000000011,
		"AccountValue":12345678901234.5678,"CurrencyValue":-0.1,"NewField":{"x":1},
		"Positions":[{"Quantity":123456789.123456789123,"Price":"0.30000000000000004"}]}]}],"Message":null,"Surprise":true}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/Authorize"):
			w.Write([]byte(`{"HttpStatusCode":200,"RequestId":"r-1","InstitutionId":14.0}`))
		case strings.HasSuffix(r.URL.Path, "/Investments"):
			w.Write([]byte(body))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, err := New(Config{BankingURL: srv.URL, WealthURL: srv.URL, CustomerID: "c", Clock: NewFakeClock(start)})
	if err != nil {
		t.Fatal(err)
	}
	inv, _, err := c.Fetch(context.Background(), healthyLogin)
	if err != nil {
		t.Fatal(err)
	}
	acct := inv.Institutions[0].Accounts[0]
	pos := acct.Positions[0]
	checks := map[string]struct {
		got  func() (string, error)
		want string
	}{
		"Cash":         {decimalText(acct.Cash.Decimal), "0.000000011"},
		"AccountValue": {decimalText(acct.AccountValue.Decimal), "12345678901234.5678"},
		"CurrencyVal":  {decimalText(acct.CurrencyValue.Decimal), "-0.1"},
		"Quantity":     {decimalText(pos.Quantity.Decimal), "123456789.123456789123"},
		"Price":        {decimalText(pos.Price.Decimal), "0.30000000000000004"},
	}
	for name, ch := range checks {
		got, err := ch.got()
		if err != nil || got != ch.want {
			t.Errorf("%s = %q (%v), want %q", name, got, err, ch.want)
		}
	}
}

// decimalText adapts payload.Value.Decimal to a text result for comparison.
func decimalText(dec func() (schema.Decimal, bool, error)) func() (string, error) {
	return func() (string, error) {
		d, ok, err := dec()
		if err != nil || !ok {
			return "", errors.Join(err, errors.New("no decimal"))
		}
		return d.String(), nil
	}
}
