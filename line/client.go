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
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/internal/jsonw"
	"github.com/taikaibot/taikai/retry"
)

// Client is the Messaging API. It speaks the same requests as the official
// SDK's MessagingApiAPI (same paths, headers and JSON), but writes the
// bodies itself: the messages are already rendered, and the SDK would decode
// each one for its type and encode and compact it again on every call. It
// is safe for concurrent use.
type Client struct {
	hc       *http.Client
	endpoint url.URL
	auth     string // "Bearer " + the channel access token
	// The fixed paths, resolved once.
	replyURL, pushURL, loadingURL string
	// Retry is how calls are tried again; default retry.Default(). Set it
	// before the first call.
	Retry retry.Policy
}

// userAgent is sent with every call.
const userAgent = "taikai (LINE Messaging API)"

// NewClient returns a client of the Messaging API at endpoint (LINE's
// https://api.line.me, or an emulator). hc must not be http.DefaultClient:
// it has no timeout, and its transport keeps only 2 idle connections per host.
func NewClient(endpoint, accessToken string, hc *http.Client) (*Client, error) {
	u, err := url.ParseRequestURI(endpoint)
	if err != nil {
		return nil, fmt.Errorf("line: %w", err)
	}
	if hc == nil {
		return nil, fmt.Errorf("line: no HTTP client")
	}
	c := &Client{hc: hc, endpoint: *u, Retry: retry.Default()}
	if accessToken != "" {
		c.auth = "Bearer " + accessToken
	}
	c.replyURL = c.url("/v2/bot/message/reply")
	c.pushURL = c.url("/v2/bot/message/push")
	c.loadingURL = c.url("/v2/bot/chat/loading/start")
	return c, nil
}

// url is p under the endpoint, as the SDK joins them.
func (c *Client) url(p string) string {
	u := c.endpoint
	u.Path = path.Join(u.Path, p)
	return u.String()
}

// send makes one call: method on url with body (JSON; nil for none). A
// status other than 2xx is an error that quotes LINE's answer, as the SDK's
// does ("unexpected status code: 400, {...}"); the response is returned with
// it, its body read. On success the body is read into into (if not nil) or
// discarded, so the connection is kept for the next call.
func (c *Client) send(ctx context.Context, method, url string, body []byte, retryKey string, into any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	h := req.Header
	if body != nil {
		h["Content-Type"] = contentJSON
	}
	if retryKey != "" {
		h["X-Line-Retry-Key"] = []string{retryKey}
	}
	if c.auth != "" {
		h["Authorization"] = []string{c.auth}
	}
	h["User-Agent"] = agent
	res, err := c.hc.Do(req)
	if err != nil {
		return res, err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		if err != nil {
			return res, fmt.Errorf("failed to read response body: %w", err)
		}
		return res, fmt.Errorf("unexpected status code: %d, %s", res.StatusCode, b)
	}
	if into == nil {
		io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		return res, nil
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err == nil {
		err = json.Unmarshal(b, into)
	}
	if err != nil {
		return res, fmt.Errorf("failed to decode JSON: %w", err)
	}
	return res, nil
}

// Shared header values (never modified).
var (
	contentJSON = []string{"application/json; charset=UTF-8"}
	agent       = []string{userAgent}
)

// do runs one API call under the retry policy, adding LINE's rule: a 429 for
// the monthly message limit will not clear by trying again. f returns the
// answer (nil when none came) and error; a nil error is success.
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
	body := messagesBody(`{"replyToken":`, token, msgs)
	return c.do(ctx, c.Retry, func(attempt int) (*http.Response, error) {
		res, err := c.send(ctx, http.MethodPost, c.replyURL, body, "", nil)
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
	body := messagesBody(`{"to":`, to, msgs)
	return c.do(ctx, c.Retry, func(int) (*http.Response, error) {
		res, err := c.send(ctx, http.MethodPost, c.pushURL, body, rk, nil)
		if err != nil && res != nil && res.StatusCode == http.StatusConflict && res.Header.Get("X-Line-Accepted-Request-Id") != "" {
			return nil, nil
		}
		return res, err
	})
}

// messagesBody is the JSON of a reply or push request: head (the opening
// brace and the first key) with its value v, then the messages as rendered
// (Render encodes them with encoding/json, so they are valid and compact).
func messagesBody(head, v string, msgs []json.RawMessage) []byte {
	n := len(head) + len(v) + 64
	for _, m := range msgs {
		n += len(m) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, head...)
	b = jsonw.AppendString(b, v)
	b = append(b, `,"messages":[`...)
	for i, m := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, m...)
	}
	return append(b, `],"notificationDisabled":false}`...)
}

// ShowLoading shows the loading animation in user's chat. It is tried once:
// it is a courtesy, and the answer it precedes should not wait for it.
func (c *Client) ShowLoading(ctx context.Context, user string, seconds int) error {
	body := jsonw.AppendString([]byte(`{"chatId":`), user)
	if seconds != 0 {
		body = strconv.AppendInt(append(body, `,"loadingSeconds":`...), int64(int32(seconds)), 10)
	}
	body = append(body, '}')
	return c.do(ctx, c.Retry.Once(), func(int) (*http.Response, error) {
		return c.send(ctx, http.MethodPost, c.loadingURL, body, "", nil)
	})
}

// IssueLinkToken issues an account-link token for user (valid 10 minutes,
// single use). A retry at worst issues a token nobody uses.
func (c *Client) IssueLinkToken(ctx context.Context, user string) (string, error) {
	if !taikai.ValidUserID(user) {
		// The id is spliced into the path.
		return "", fmt.Errorf("line: %q is not a user id", user)
	}
	u := c.url("/v2/bot/user/" + user + "/linkToken")
	var tok string
	err := c.do(ctx, c.Retry, func(int) (*http.Response, error) {
		var r struct {
			LinkToken string `json:"linkToken"`
		}
		res, err := c.send(ctx, http.MethodPost, u, nil, "", &r)
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
	u := c.url("/v2/bot/profile/" + user)
	var p Profile
	err := c.do(ctx, c.Retry, func(int) (*http.Response, error) {
		var r struct {
			UserID      string `json:"userId"`
			DisplayName string `json:"displayName"`
			Language    string `json:"language"`
		}
		res, err := c.send(ctx, http.MethodGet, u, nil, "", &r)
		if err != nil && res != nil && res.StatusCode == http.StatusNotFound {
			return res, retry.Permanent(fmt.Errorf("line: profile: %w", taikai.ErrNotFound))
		}
		if err == nil {
			p = Profile{UserID: r.UserID, DisplayName: r.DisplayName, Language: r.Language}
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
