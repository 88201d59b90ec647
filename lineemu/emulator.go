// Package lineemu emulates the LINE Platform for the demo and the tests: it
// signs and posts webhook events the way LINE does, serves the Messaging API
// endpoints the bot uses (reply, push, loading animation, link token,
// profile; the message quota, quota.go), those `taikai setup` uses (webhook endpoint, rich menus, bot
// info; setup.go) and the account-link dialog, and enforces LINE's documented rules
// so that a violation fails loudly: an HTTP 400 like LINE's, and an entry in
// Violations.
package lineemu

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/taikaibot/taikai/internal/random"
)

// Rules LINE documents in the Messaging API reference
// (https://developers.line.biz/en/reference/messaging-api/): reply tokens
// (#send-reply-message), account-link tokens (#issue-link-token) and retry
// keys (#retry-api-request).
const (
	ReplyTokenTTL = time.Minute
	LinkTokenTTL  = 10 * time.Minute
	RetryKeyTTL   = 24 * time.Hour
	MaxMessages   = 5
)

var retryKeyRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Options configure an Emulator.
type Options struct {
	ChannelSecret string
	AccessToken   string
	// Destination is the bot's user id put in every webhook body.
	Destination string
	// WebhookURL is where events are posted; it can be set later with SetWebhookURL.
	WebhookURL string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Client posts webhooks; default a client with a 10s timeout.
	Client *http.Client
	// AllowHTTPWebhook accepts http:// webhook endpoints in the webhook
	// settings calls, where LINE takes only HTTPS: for a local system
	// (compose) whose bot has no certificate.
	AllowHTTPWebhook bool
}

// Emulator is an in-process LINE Platform. It is safe for concurrent use.
type Emulator struct {
	opts Options

	mu          sync.Mutex
	webhookURL  string
	seq         int
	users       map[string]*Profile
	replyTokens map[string]*token
	linkTokens  map[string]*token
	retryKeys   map[string]retryKey
	inbox       map[string][]Message
	loading     map[string]int
	violations  []string
	rejected    int
	linkAs      map[string]string

	// settings are the channel's webhook and rich menu settings (setup.go).
	settings channelSettings
	// quota is the monthly message budget (quota.go).
	quota quota
}

type token struct {
	user   string
	issued time.Time
	used   bool
}

type retryKey struct {
	requestID string
	at        time.Time
}

// Profile is a LINE user's profile.
type Profile struct {
	UserID      string `json:"userId"`
	DisplayName string `json:"displayName"`
	Language    string `json:"language,omitempty"`
}

// New returns an Emulator.
func New(opts Options) *Emulator {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Destination == "" {
		opts.Destination = "U8e742f61d673b39c7fff3cecb7536ef0"
	}
	return &Emulator{
		opts: opts, webhookURL: opts.WebhookURL,
		users: map[string]*Profile{}, replyTokens: map[string]*token{}, linkTokens: map[string]*token{},
		retryKeys: map[string]retryKey{}, inbox: map[string][]Message{}, loading: map[string]int{}, linkAs: map[string]string{},
	}
}

// SetWebhookURL sets where events are posted.
func (e *Emulator) SetWebhookURL(u string) {
	e.mu.Lock()
	e.webhookURL = u
	e.mu.Unlock()
}

// AddUser registers a LINE user, so the profile endpoint knows them.
func (e *Emulator) AddUser(p Profile) {
	e.mu.Lock()
	e.users[p.UserID] = &p
	e.mu.Unlock()
}

// Sign returns the x-line-signature of body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Post signs body and posts it to the webhook, returning the HTTP status.
// Reply tokens in the body are registered first, so the bot can use them.
func (e *Emulator) Post(ctx context.Context, body []byte) (int, error) {
	e.mu.Lock()
	u := e.webhookURL
	e.mu.Unlock()
	return e.PostTo(ctx, u, body)
}

// PostTo is Post to another webhook URL (another replica of the bot).
func (e *Emulator) PostTo(ctx context.Context, u string, body []byte) (int, error) {
	var cb struct {
		Events []struct {
			ReplyToken string `json:"replyToken"`
			Source     struct {
				UserID string `json:"userId"`
			} `json:"source"`
		} `json:"events"`
	}
	if json.Unmarshal(body, &cb) == nil {
		e.mu.Lock()
		for _, ev := range cb.Events {
			if ev.ReplyToken != "" {
				if _, ok := e.replyTokens[ev.ReplyToken]; !ok {
					e.replyTokens[ev.ReplyToken] = &token{user: ev.Source.UserID, issued: e.opts.Now()}
				}
			}
		}
		e.mu.Unlock()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("x-line-signature", Sign(e.opts.ChannelSecret, body))
	res, err := e.opts.Client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// Send posts events in one webhook body, as LINE does.
func (e *Emulator) Send(ctx context.Context, events ...Event) (int, error) {
	return e.Post(ctx, e.Body(events...))
}

// Body is the webhook body LINE would send for events.
func (e *Emulator) Body(events ...Event) []byte {
	body, _ := json.Marshal(map[string]any{"destination": e.opts.Destination, "events": events})
	return body
}

// CloseIdleConnections closes the webhook client's idle connections.
func (e *Emulator) CloseIdleConnections() { e.opts.Client.CloseIdleConnections() }

// Violations lists the rules the bot broke, in order.
func (e *Emulator) Violations() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.violations...)
}

// Rejected counts replies refused for an invalid (expired or used) reply
// token. That is not a violation: a bot is expected to fall back to push.
func (e *Emulator) Rejected() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rejected
}

// Messages returns what user has received, oldest first.
func (e *Emulator) Messages(user string) []Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Message(nil), e.inbox[user]...)
}

// LoadingShown counts loading animations started for user.
func (e *Emulator) LoadingShown(user string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.loading[user]
}

// LinkAs makes the next account-link of user's token look as if another LINE
// user (impostor) opened the link, so LINE sends a failed accountLink event.
func (e *Emulator) LinkAs(user, impostor string) {
	e.mu.Lock()
	e.linkAs[user] = impostor
	e.mu.Unlock()
}

func (e *Emulator) violate(w http.ResponseWriter, code int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	e.mu.Lock()
	e.violations = append(e.violations, msg)
	e.mu.Unlock()
	writeJSON(w, code, map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Line-Request-Id", random.Hex(16))
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// nextID returns a sequence number, for ids that must be unique and stable in a run.
func (e *Emulator) nextID() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq++
	return e.seq
}
