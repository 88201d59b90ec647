// Package marketplace is the client of the marketplace API the bot uses
// (see api/marketplace.yaml). Its sandbox, which serves the same contract
// from memory, is marketplace/sandbox.
package marketplace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/retry"
)

// Client calls the marketplace API. It is safe for concurrent use.
type Client struct {
	base  string
	token string
	hc    *http.Client
	// Retry is how reads and idempotency-keyed writes are tried again
	// (on no answer, 429 and 5xx); default retry.Default(). The single-use
	// link nonce is never retried. Set it before the first call.
	Retry retry.Policy
	// Pseudonym, if set, stands for an account id in errors (they are
	// logged); unset, errors do not name the account.
	Pseudonym func(accountID string) string
}

// NewClient returns a client of the API at baseURL (e.g.
// "https://api.example.com"), authenticating with token. hc should have a
// timeout; the bot's default is a few seconds, since a user is waiting.
func NewClient(baseURL, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Not echoed: it may hold a password.
		return nil, errors.New("marketplace: the base URL is not an http(s) URL with a host")
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, hc: hc, Retry: retry.Default()}, nil
}

// Status fetches an account's withdrawal status. ErrNotFound for an unknown
// account; ErrUnavailable when the API cannot answer now.
func (c *Client) Status(ctx context.Context, accountID string) (*taikai.Status, error) {
	var st taikai.Status
	path := "/v1/accounts/" + url.PathEscape(accountID) + "/withdrawal-status"
	op := "status of " + c.account(accountID)
	code, body, err := c.do(ctx, op, http.MethodGet, path, nil, "", false)
	if err != nil {
		return nil, err
	}
	switch code {
	case http.StatusOK:
		if err := json.Unmarshal(body, &st); err != nil {
			return nil, fmt.Errorf("marketplace: %s: %w: %v", op, taikai.ErrUnavailable, err)
		}
		return &st, nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("marketplace: %s: %w", op, taikai.ErrNotFound)
	}
	return nil, statusError(op, code)
}

// Withdraw files a withdrawal. key makes it idempotent: the same key never
// files twice. A *taikai.BlockedError reports blockers found meanwhile.
func (c *Client) Withdraw(ctx context.Context, accountID, key string, req taikai.WithdrawalRequest) (*taikai.Withdrawal, error) {
	b, _ := json.Marshal(req)
	path := "/v1/accounts/" + url.PathEscape(accountID) + "/withdrawals"
	op := "withdrawal of " + c.account(accountID)
	// Safe to retry: the idempotency key makes a second attempt answer like the first.
	code, body, err := c.do(ctx, op, http.MethodPost, path, b, key, false)
	if err != nil {
		return nil, err
	}
	switch code {
	case http.StatusCreated, http.StatusOK:
		var w taikai.Withdrawal
		if err := json.Unmarshal(body, &w); err != nil || w.WithdrawalID == "" {
			return nil, fmt.Errorf("marketplace: %s: %w: bad body", op, taikai.ErrUnavailable)
		}
		return &w, nil
	case http.StatusConflict:
		var st taikai.Status
		if err := json.Unmarshal(body, &st); err != nil {
			return nil, fmt.Errorf("marketplace: %s: %w: bad 409 body", op, taikai.ErrUnavailable)
		}
		return nil, &taikai.BlockedError{Status: st}
	case http.StatusNotFound:
		return nil, fmt.Errorf("marketplace: %s: %w", op, taikai.ErrNotFound)
	}
	return nil, statusError(op, code)
}

// ResolveLink exchanges an account-link nonce for the account id. The nonce
// is consumed, so this is never retried.
func (c *Client) ResolveLink(ctx context.Context, nonce string) (string, error) {
	b, _ := json.Marshal(map[string]string{"nonce": nonce})
	// Once: the nonce is single-use, so an attempt whose answer was lost
	// consumed it, and a second attempt could only be refused.
	code, body, err := c.do(ctx, "link", http.MethodPost, "/v1/account-links", b, "", true)
	if err != nil {
		return "", err
	}
	switch code {
	case http.StatusOK:
		var r struct {
			AccountID string `json:"account_id"`
		}
		if err := json.Unmarshal(body, &r); err != nil || r.AccountID == "" {
			return "", fmt.Errorf("marketplace: link: %w: bad body", taikai.ErrUnavailable)
		}
		return r.AccountID, nil
	case http.StatusNotFound:
		return "", fmt.Errorf("marketplace: nonce: %w", taikai.ErrNotFound)
	}
	return "", statusError("link", code)
}

// account names an account in errors: by its pseudonym, or not at all.
func (c *Client) account(id string) string {
	if c.Pseudonym == nil {
		return "an account"
	}
	return "account " + c.Pseudonym(id)
}

func statusError(op string, code int) error {
	return fmt.Errorf("marketplace: %s: HTTP %d: %w", op, code, taikai.ErrUnavailable)
}

// maxBody caps what is read of an answer.
const maxBody = 1 << 20

// do sends a request, trying it again (unless once) as c.Retry says, and
// returns the status code and body of the last answer; err only when no
// answer came, naming the request by op (never by its URL, whose path may
// hold an account id and whose user info a password).
func (c *Client) do(ctx context.Context, op, method, path string, body []byte, key string, once bool) (int, []byte, error) {
	p := c.Retry
	if once {
		p = p.Once()
	}
	var code int
	var answer []byte
	err := p.Do(ctx, func(int) (retry.Answer, error) {
		code, answer = 0, nil
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
		if err != nil {
			return retry.Answer{}, retry.Permanent(err)
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := c.hc.Do(req)
		if err != nil {
			return retry.Answer{}, err
		}
		b, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
		res.Body.Close()
		if err != nil {
			return retry.Answer{}, err
		}
		code, answer = res.StatusCode, b
		if code >= 300 {
			// Retried if the policy finds the status worth it; else (and
			// after the last attempt) the caller reads the answer.
			return retry.Answer{Status: code, RetryAfter: res.Header.Get("Retry-After")}, fmt.Errorf("HTTP %d", code)
		}
		return retry.Answer{}, nil
	})
	if code != 0 {
		return code, answer, nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // what happened, without the URL
	}
	if errors.Is(err, context.Canceled) {
		return 0, nil, fmt.Errorf("marketplace: %s: %w", op, err)
	}
	return 0, nil, fmt.Errorf("marketplace: %s: %w: %v", op, taikai.ErrUnavailable, err)
}
