package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

// LINE is what the bot needs of the Messaging API.
type LINE interface {
	Reply(ctx context.Context, token string, msgs []messaging_api.MessageInterface) error
	Push(ctx context.Context, to string, msgs []messaging_api.MessageInterface, retryKey string) error
	ShowLoading(ctx context.Context, user string, seconds int32) error
	IssueLinkToken(ctx context.Context, user string) (string, error)
	GetProfile(ctx context.Context, user string) (*messaging_api.UserProfileResponse, error)
}

// ErrInvalidReplyToken: the reply token expired or was used; push instead.
var ErrInvalidReplyToken = errors.New("line: invalid reply token")

// LineClient is the Messaging API through the official SDK.
type LineClient struct {
	api *messaging_api.MessagingApiAPI
}

// NewLineClient returns a client of the Messaging API at endpoint (LINE's
// https://api.line.me, or an emulator). hc must not be http.DefaultClient:
// it has no timeout, and its transport keeps only 2 idle connections per host.
func NewLineClient(endpoint, accessToken string, hc *http.Client) (*LineClient, error) {
	api, err := messaging_api.NewMessagingApiAPI(accessToken,
		messaging_api.WithEndpoint(endpoint), messaging_api.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("line: %w", err)
	}
	return &LineClient{api: api}, nil
}

// call returns a copy of the SDK client bound to ctx. The SDK's WithContext
// mutates its receiver, so calling it on the shared client would race.
func (c *LineClient) call(ctx context.Context) *messaging_api.MessagingApiAPI {
	api := *c.api
	return api.WithContext(ctx)
}

// Attempts is how often a call to LINE is tried when it fails for a reason
// worth retrying: no answer, 5xx, or 429 (other than the monthly limit).
const lineAttempts = 3

// retryable reports whether a failed call may be tried again, and how long
// to wait first (LINE's Retry-After if it sent one, capped at 5s).
func retryable(res *http.Response, err error, attempt int) (bool, time.Duration) {
	if err == nil || errors.Is(err, ErrInvalidReplyToken) {
		return false, 0
	}
	wait := backoff(attempt)
	if res == nil {
		return true, wait // no answer (timeout, connection)
	}
	switch {
	case res.StatusCode == http.StatusTooManyRequests:
		if strings.Contains(err.Error(), "monthly limit") {
			return false, 0
		}
	case res.StatusCode >= 500:
	default:
		return false, 0
	}
	if s, perr := strconv.Atoi(res.Header.Get("Retry-After")); perr == nil && s >= 0 {
		wait = min(time.Duration(s)*time.Second, 5*time.Second)
	}
	return true, wait
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// withRetry calls f until it succeeds, fails for a reason not worth
// retrying, or lineAttempts are used; it returns f's last error.
func withRetry(ctx context.Context, f func(attempt int) (*http.Response, error)) error {
	for attempt := 0; ; attempt++ {
		res, err := f(attempt)
		again, wait := retryable(res, err, attempt)
		if !again || attempt+1 >= lineAttempts {
			return err
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Reply sends msgs with a reply token. It retries on timeouts, 5xx and 429;
// if a retry finds the token used, the earlier attempt went through.
func (c *LineClient) Reply(ctx context.Context, token string, msgs []messaging_api.MessageInterface) error {
	return withRetry(ctx, func(attempt int) (*http.Response, error) {
		res, _, err := c.call(ctx).ReplyMessageWithHttpInfo(&messaging_api.ReplyMessageRequest{ReplyToken: token, Messages: msgs})
		if err != nil && res != nil && res.StatusCode == http.StatusBadRequest && strings.Contains(err.Error(), "Invalid reply token") {
			if attempt > 0 {
				return nil, nil
			}
			return nil, ErrInvalidReplyToken
		}
		return res, err
	})
}

// Push sends msgs to a user. retryKey makes it idempotent for 24 hours, so
// it is retried on timeouts, 5xx and 429; a 409 with an accepted request id
// means an earlier attempt went through.
func (c *LineClient) Push(ctx context.Context, to string, msgs []messaging_api.MessageInterface, retryKey string) error {
	return withRetry(ctx, func(int) (*http.Response, error) {
		res, _, err := c.call(ctx).PushMessageWithHttpInfo(&messaging_api.PushMessageRequest{To: to, Messages: msgs}, retryKey)
		if err != nil && res != nil && res.StatusCode == http.StatusConflict && res.Header.Get("X-Line-Accepted-Request-Id") != "" {
			return nil, nil
		}
		return res, err
	})
}

// ShowLoading shows the loading animation in user's chat.
func (c *LineClient) ShowLoading(ctx context.Context, user string, seconds int32) error {
	_, err := c.call(ctx).ShowLoadingAnimation(&messaging_api.ShowLoadingAnimationRequest{ChatId: user, LoadingSeconds: seconds})
	return err
}

// IssueLinkToken issues an account-link token for user (valid 10 minutes,
// single use). A retry at worst issues a token nobody uses.
func (c *LineClient) IssueLinkToken(ctx context.Context, user string) (string, error) {
	if !userIDRe.MatchString(user) {
		// The SDK splices the id into the path unescaped.
		return "", fmt.Errorf("line: %q is not a user id", user)
	}
	var tok string
	err := withRetry(ctx, func(int) (*http.Response, error) {
		res, r, err := c.call(ctx).IssueLinkTokenWithHttpInfo(user)
		if err == nil {
			tok = r.LinkToken
		}
		return res, err
	})
	return tok, err
}

// GetProfile reads user's LINE profile (for its language). It is a read:
// retried on timeouts, 5xx and 429. A user who blocked the bot, or never
// consented to sharing a profile, gets a 404.
func (c *LineClient) GetProfile(ctx context.Context, user string) (*messaging_api.UserProfileResponse, error) {
	if !userIDRe.MatchString(user) {
		// The SDK splices the id into the path unescaped.
		return nil, fmt.Errorf("line: %q is not a user id", user)
	}
	var p *messaging_api.UserProfileResponse
	err := withRetry(ctx, func(int) (*http.Response, error) {
		res, r, err := c.call(ctx).GetProfileWithHttpInfo(user)
		if err == nil {
			p = r
		}
		return res, err
	})
	return p, err
}

var userIDRe = regexp.MustCompile(`^U[0-9a-f]{32}$`)

// NewHTTPClient returns a client for outbound API calls: a timeout (a user
// is waiting, and a reply token lives a minute), and a transport that keeps
// enough idle connections per host (the default keeps 2, which costs about a
// third of the throughput under load).
func NewHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Timeout: timeout, Transport: t}
}
