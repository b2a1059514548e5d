package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// answer is one HTTP exchange with Flinks, body read in full (under the cap).
type answer struct {
	status     int
	code       string // FlinksCode of the body, if it has one
	body       []byte
	retryAfter time.Duration
	err        error // transport error, cancellation or ErrBodyTooLarge (then status is 0 or the status seen)
}

// flinksFields are the few top-level members read from every JSON answer.
// Unknown fields are ignored and no number is decoded.
type flinksFields struct {
	FlinksCode string
	RequestID  string `json:"RequestId"`
	Token      string
}

// post sends body as JSON to url with the given headers and reads the answer
// through the size cap. A body past the cap fails with ErrBodyTooLarge and
// the connection is dropped rather than drained.
func (c *Client) post(ctx context.Context, url string, body any, headers map[string]string) answer {
	buf, err := json.Marshal(body)
	if err != nil {
		return answer{err: err}
	}
	return c.exchange(ctx, http.MethodPost, url, buf, headers)
}

// get is post for a GET without a body (GetAccountsDetailAsync).
func (c *Client) get(ctx context.Context, url string, headers map[string]string) answer {
	return c.exchange(ctx, http.MethodGet, url, nil, headers)
}

// exchange sends one request (a JSON body when body is not nil) and reads the
// answer as post says.
func (c *Client) exchange(ctx context.Context, method, url string, body []byte, headers map[string]string) answer {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return answer{err: sanitize(err)}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	c.requests.Add(1)
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return answer{err: sanitize(err)}
	}
	defer resp.Body.Close() // unread bytes left: the transport closes the connection
	a := answer{status: resp.StatusCode, retryAfter: retryAfter(resp.Header, c.cfg.Clock.Now())}
	if resp.ContentLength > c.cfg.MaxBodyBytes {
		a.err = fmt.Errorf("%w (%d > %d bytes announced)", ErrBodyTooLarge, resp.ContentLength, c.cfg.MaxBodyBytes)
		return a
	}
	a.body, err = readCapped(resp.Body, resp.ContentLength, c.cfg.MaxBodyBytes)
	if err != nil {
		a.err = sanitize(err)
		return a
	}
	var f flinksFields
	if a.status != http.StatusOK && json.Unmarshal(a.body, &f) == nil {
		a.code = f.FlinksCode
	}
	return a
}

// readCapped reads r to EOF, failing with ErrBodyTooLarge past limit bytes.
func readCapped(r io.Reader, announced, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if announced > 0 {
		buf.Grow(int(announced))
	}
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%w (more than %d bytes)", ErrBodyTooLarge, limit)
	}
	return buf.Bytes(), nil
}

// cutShort reports whether body is the beginning of a JSON value that stops
// too soon, which is what a transfer cut short leaves, rather than a body
// that is empty, is not JSON, or has data after its value.
func cutShort(body []byte) bool {
	var v json.RawMessage
	return errors.Is(json.NewDecoder(bytes.NewReader(body)).Decode(&v), io.ErrUnexpectedEOF)
}

// fieldsOf returns the FlinksCode and RequestId/Token of a JSON body, or zero values.
func fieldsOf(body []byte) flinksFields {
	var f flinksFields
	if err := json.Unmarshal(body, &f); err != nil {
		return flinksFields{}
	}
	return f
}

// isCanceled reports whether err comes from the caller's context ending
// (rather than the per-request timeout).
func isCanceled(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
