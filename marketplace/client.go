// Package marketplace is the client of the marketplace API the bot uses
// (see api/marketplace.yaml), and a sandbox that serves the same contract.
package marketplace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/taikaibot/taikai"
)

// Client calls the marketplace API. It is safe for concurrent use.
type Client struct {
	base  string
	token string
	hc    *http.Client
	// Attempts is how often an idempotent call is tried; default 2.
	Attempts int
	// Backoff is the pause before a second attempt; default 200ms.
	Backoff time.Duration
}

// NewClient returns a client of the API at baseURL (e.g.
// "https://api.example.com"), authenticating with token. hc should have a
// timeout; the bot's default is a few seconds, since a user is waiting.
func NewClient(baseURL, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("marketplace: bad base URL %q", baseURL)
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, hc: hc, Attempts: 2, Backoff: 200 * time.Millisecond}, nil
}

// Status fetches an account's withdrawal status. ErrNotFound for an unknown
// account; ErrUnavailable when the API cannot answer now.
func (c *Client) Status(ctx context.Context, accountID string) (*taikai.Status, error) {
	var st taikai.Status
	path := "/v1/accounts/" + url.PathEscape(accountID) + "/withdrawal-status"
	code, body, err := c.do(ctx, http.MethodGet, path, nil, "", true)
	if err != nil {
		return nil, err
	}
	switch code {
	case http.StatusOK:
		if err := json.Unmarshal(body, &st); err != nil {
			return nil, fmt.Errorf("marketplace: status: %w: %v", taikai.ErrUnavailable, err)
		}
		return &st, nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("marketplace: account: %w", taikai.ErrNotFound)
	}
	return nil, statusError("status", code)
}

// Withdraw files a withdrawal. key makes it idempotent: the same key never
// files twice. A *taikai.BlockedError reports blockers found meanwhile.
func (c *Client) Withdraw(ctx context.Context, accountID, key string, req taikai.WithdrawalRequest) (*taikai.Withdrawal, error) {
	b, _ := json.Marshal(req)
	path := "/v1/accounts/" + url.PathEscape(accountID) + "/withdrawals"
	// Safe to retry: the idempotency key makes a second attempt answer like the first.
	code, body, err := c.do(ctx, http.MethodPost, path, b, key, true)
	if err != nil {
		return nil, err
	}
	switch code {
	case http.StatusCreated, http.StatusOK:
		var w taikai.Withdrawal
		if err := json.Unmarshal(body, &w); err != nil || w.WithdrawalID == "" {
			return nil, fmt.Errorf("marketplace: withdraw: %w: bad body", taikai.ErrUnavailable)
		}
		return &w, nil
	case http.StatusConflict:
		var st taikai.Status
		if err := json.Unmarshal(body, &st); err != nil {
			return nil, fmt.Errorf("marketplace: withdraw: %w: bad 409 body", taikai.ErrUnavailable)
		}
		return nil, &taikai.BlockedError{Status: st}
	case http.StatusNotFound:
		return nil, fmt.Errorf("marketplace: account: %w", taikai.ErrNotFound)
	}
	return nil, statusError("withdraw", code)
}

// ResolveLink exchanges an account-link nonce for the account id. The nonce
// is consumed, so this is never retried.
func (c *Client) ResolveLink(ctx context.Context, nonce string) (string, error) {
	b, _ := json.Marshal(map[string]string{"nonce": nonce})
	code, body, err := c.do(ctx, http.MethodPost, "/v1/account-links", b, "", false)
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

// retryAfter is how long to wait before trying again: the server's
// Retry-After (in seconds, capped at 5s) if it sent one, else def with jitter.
func retryAfter(res *http.Response, def time.Duration) time.Duration {
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, 5*time.Second)
	}
	return def/2 + time.Duration(rand.Int64N(int64(def)+1))
}

func statusError(op string, code int) error {
	return fmt.Errorf("marketplace: %s: HTTP %d: %w", op, code, taikai.ErrUnavailable)
}

// maxBody caps what is read of an answer.
const maxBody = 1 << 20

// do sends one request, retrying (if retry) on network errors, 5xx and 429. It
// returns the final status code and body; err only when no answer came.
func (c *Client) do(ctx context.Context, method, path string, body []byte, key string, retry bool) (int, []byte, error) {
	attempts := 1
	if retry && c.Attempts > 1 {
		attempts = c.Attempts
	}
	var lastErr error
	wait := c.Backoff
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return 0, nil, fmt.Errorf("marketplace: %w: %v", taikai.ErrUnavailable, ctx.Err())
			case <-time.After(wait):
			}
			wait = c.Backoff
		}
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
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
			lastErr = err
			continue
		}
		b, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
		res.Body.Close()
		if err != nil {
			lastErr = err
			continue
		}
		if (res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests) && i+1 < attempts {
			lastErr = fmt.Errorf("HTTP %d", res.StatusCode)
			wait = retryAfter(res, c.Backoff)
			continue
		}
		return res.StatusCode, b, nil
	}
	if errors.Is(lastErr, context.Canceled) {
		return 0, nil, lastErr
	}
	return 0, nil, fmt.Errorf("marketplace: %s %s: %w: %v", method, path, taikai.ErrUnavailable, lastErr)
}
