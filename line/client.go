// Package line is the LINE Messaging API adapter: a client for the calls the
// bot makes (reply, push, loading animation, account-link token, profile),
// retried by the retry policy with LINE's own rules on top, and the
// translation both ways between LINE and the channel-neutral words of the
// bot — webhook events decoded into chat.Incoming, flows.Reply values
// rendered as LINE messages.
//
// It is the only package besides the webhook that knows LINE's SDK.
package line

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/retry"
)

// Client is the Messaging API through the official SDK. It is safe for
// concurrent use.
type Client struct {
	api *messaging_api.MessagingApiAPI
	// Retry is how calls are tried again; default retry.Default(). Set it
	// before the first call.
	Retry retry.Policy
}

// NewClient returns a client of the Messaging API at endpoint (LINE's
// https://api.line.me, or an emulator). hc must not be http.DefaultClient:
// it has no timeout, and its transport keeps only 2 idle connections per host.
func NewClient(endpoint, accessToken string, hc *http.Client) (*Client, error) {
	api, err := messaging_api.NewMessagingApiAPI(accessToken,
		messaging_api.WithEndpoint(endpoint), messaging_api.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("line: %w", err)
	}
	return &Client{api: api, Retry: retry.Default()}, nil
}

// call returns a copy of the SDK client bound to ctx. The SDK's WithContext
// mutates its receiver, so calling it on the shared client would race.
func (c *Client) call(ctx context.Context) *messaging_api.MessagingApiAPI {
	api := *c.api
	return api.WithContext(ctx)
}

// do runs one API call under the retry policy, adding LINE's rule: a 429 for
// the monthly message limit will not clear by trying again. f returns the
// SDK's answer (nil when none came) and error; a nil error is success.
func (c *Client) do(ctx context.Context, p retry.Policy, f func(attempt int) (*http.Response, error)) error {
	return p.Do(ctx, func(attempt int) (retry.Answer, error) {
		res, err := f(attempt)
		if err == nil || res == nil {
			return retry.Answer{}, err
		}
		if res.StatusCode == http.StatusTooManyRequests && strings.Contains(err.Error(), "monthly limit") {
			err = retry.Permanent(err)
		}
		return retry.Answer{Status: res.StatusCode, RetryAfter: res.Header.Get("Retry-After")}, err
	})
}

// Reply sends msgs (rendered by Render) with a reply token. It fails with
// chat.ErrInvalidReplyToken when the token expired or was used; if a retry
// finds the token used, the earlier attempt went through, and it succeeds.
func (c *Client) Reply(ctx context.Context, token string, msgs []json.RawMessage) error {
	return c.do(ctx, c.Retry, func(attempt int) (*http.Response, error) {
		res, _, err := c.call(ctx).ReplyMessageWithHttpInfo(&messaging_api.ReplyMessageRequest{ReplyToken: token, Messages: sdkMessages(msgs)})
		if err != nil && res != nil && res.StatusCode == http.StatusBadRequest && strings.Contains(err.Error(), "Invalid reply token") {
			if attempt > 0 {
				return nil, nil // used by our own earlier attempt, whose answer was lost
			}
			return res, retry.Permanent(chat.ErrInvalidReplyToken)
		}
		return res, err
	})
}

// Push sends msgs to a user, group or room. key makes it idempotent for 24
// hours (it is sent as a retry key derived from to and key), so it is
// retried; a 409 with an accepted request id means an earlier attempt went
// through.
func (c *Client) Push(ctx context.Context, to string, msgs []json.RawMessage, key string) error {
	rk := RetryKey(to, key)
	return c.do(ctx, c.Retry, func(int) (*http.Response, error) {
		res, _, err := c.call(ctx).PushMessageWithHttpInfo(&messaging_api.PushMessageRequest{To: to, Messages: sdkMessages(msgs)}, rk)
		if err != nil && res != nil && res.StatusCode == http.StatusConflict && res.Header.Get("X-Line-Accepted-Request-Id") != "" {
			return nil, nil
		}
		return res, err
	})
}

// ShowLoading shows the loading animation in user's chat. It is tried once:
// it is a courtesy, and the answer it precedes should not wait for it.
func (c *Client) ShowLoading(ctx context.Context, user string, seconds int) error {
	return c.do(ctx, c.Retry.Once(), func(int) (*http.Response, error) {
		res, _, err := c.call(ctx).ShowLoadingAnimationWithHttpInfo(&messaging_api.ShowLoadingAnimationRequest{ChatId: user, LoadingSeconds: int32(seconds)})
		return res, err
	})
}

// IssueLinkToken issues an account-link token for user (valid 10 minutes,
// single use). A retry at worst issues a token nobody uses.
func (c *Client) IssueLinkToken(ctx context.Context, user string) (string, error) {
	if !taikai.ValidUserID(user) {
		// The SDK splices the id into the path unescaped.
		return "", fmt.Errorf("line: %q is not a user id", user)
	}
	var tok string
	err := c.do(ctx, c.Retry, func(int) (*http.Response, error) {
		res, r, err := c.call(ctx).IssueLinkTokenWithHttpInfo(user)
		if err == nil {
			tok = r.LinkToken
		}
		return res, err
	})
	return tok, err
}

// Profile is a LINE user's profile.
type Profile struct {
	UserID      string
	DisplayName string
	// Language is a BCP 47 tag ("ja", "en"); "" until the user consents to
	// LINE's privacy policy.
	Language string
}

// GetProfile fetches user's profile. It fails with taikai.ErrNotFound when
// LINE does not know the user, or the user has not added (or has blocked)
// the bot.
func (c *Client) GetProfile(ctx context.Context, user string) (Profile, error) {
	if !taikai.ValidUserID(user) {
		return Profile{}, fmt.Errorf("line: %q is not a user id", user)
	}
	var p Profile
	err := c.do(ctx, c.Retry, func(int) (*http.Response, error) {
		res, r, err := c.call(ctx).GetProfileWithHttpInfo(user)
		if err != nil && res != nil && res.StatusCode == http.StatusNotFound {
			return res, retry.Permanent(fmt.Errorf("line: profile: %w", taikai.ErrNotFound))
		}
		if err == nil {
			p = Profile{UserID: r.UserId, DisplayName: r.DisplayName, Language: r.Language}
		}
		return res, err
	})
	return p, err
}

// Language is the language of user's profile, for the bot (bot.Channel).
func (c *Client) Language(ctx context.Context, user string) (string, error) {
	p, err := c.GetProfile(ctx, user)
	return p.Language, err
}

// RetryKey derives the X-Line-Retry-Key of a push to `to` from key: a UUID
// (version 5 layout, SHA-1 based), the same for the same pair, as LINE
// requires. The recipient is part of it: LINE keeps retry keys per
// channel, so two users' pushes for events that share an id (staff actions,
// an id reused) must not share one, or the second would be taken for a
// retry of the first and never sent.
func RetryKey(to, key string) string {
	h := sha1.Sum([]byte("taikai:push:" + to + "\x00" + key))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// rawMessage is a message already encoded; the SDK sends it as it is.
type rawMessage json.RawMessage

func (m rawMessage) GetType() string {
	var t struct {
		Type string `json:"type"`
	}
	json.Unmarshal(m, &t)
	return t.Type
}

func (m rawMessage) MarshalJSON() ([]byte, error) { return m, nil }

func sdkMessages(msgs []json.RawMessage) []messaging_api.MessageInterface {
	out := make([]messaging_api.MessageInterface, len(msgs))
	for i, m := range msgs {
		out[i] = rawMessage(m)
	}
	return out
}
