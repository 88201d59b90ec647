package line

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/retry"
)

// api serves the Messaging API with h, counting calls; the client's
// retries wait almost nothing.
func api(t *testing.T, h func(call int, w http.ResponseWriter, r *http.Request)) (*Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(int(calls.Add(1)), w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, "token", &http.Client{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.Retry = retry.Policy{Attempts: 3, Backoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: time.Millisecond}
	return c, &calls
}

func reply(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write([]byte(body))
}

var msgs = []json.RawMessage{json.RawMessage(`{"type":"text","text":"こんにちは"}`)}

func TestReplyRules(t *testing.T) {
	ctx := context.Background()
	// A reply whose answer was lost: the retry finds the token used, which
	// means the first attempt went through.
	c, calls := api(t, func(call int, w http.ResponseWriter, r *http.Request) {
		if call == 1 {
			reply(w, 500, `{"message":"internal error"}`)
			return
		}
		reply(w, 400, `{"message":"Invalid reply token"}`)
	})
	if err := c.Reply(ctx, "tok", msgs); err != nil || calls.Load() != 2 {
		t.Errorf("used token on the retry: %v after %d calls; want sent (nil) after 2", err, calls.Load())
	}
	// The token was already used or expired at the first attempt: push instead.
	c, calls = api(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		reply(w, 400, `{"message":"Invalid reply token"}`)
	})
	if err := c.Reply(ctx, "tok", msgs); !errors.Is(err, chat.ErrInvalidReplyToken) || calls.Load() != 1 {
		t.Errorf("used token: %v after %d calls; want ErrInvalidReplyToken after 1", err, calls.Load())
	}
	// Other 4xx are final.
	c, calls = api(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		reply(w, 400, `{"message":"The request body has 1 error(s)"}`)
	})
	if err := c.Reply(ctx, "tok", msgs); err == nil || errors.Is(err, chat.ErrInvalidReplyToken) || calls.Load() != 1 {
		t.Errorf("bad request: %v after %d calls; want a plain error after 1", err, calls.Load())
	}
	// The messages go out as rendered.
	type sent struct {
		ReplyToken string            `json:"replyToken"`
		Messages   []json.RawMessage `json:"messages"`
	}
	bodies := make(chan sent, 1)
	c, _ = api(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		var s sent
		json.NewDecoder(r.Body).Decode(&s)
		bodies <- s
		reply(w, 200, `{}`)
	})
	err := c.Reply(ctx, "tok", msgs)
	got := <-bodies
	if err != nil || got.ReplyToken != "tok" || len(got.Messages) != 1 || string(got.Messages[0]) != string(msgs[0]) {
		t.Errorf("reply: %v; sent %+v", err, got)
	}
}

func TestPushRules(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var keys []string
	// Throttled, then LINE says an earlier attempt with this retry key was
	// accepted: sent.
	c, calls := api(t, func(call int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("X-Line-Retry-Key"))
		mu.Unlock()
		if call == 1 {
			w.Header().Set("Retry-After", "0")
			reply(w, 429, `{"message":"The API rate limit has been exceeded. Try again later."}`)
			return
		}
		w.Header().Set("X-Line-Accepted-Request-Id", "abc")
		reply(w, 409, `{"message":"The retry key is already accepted"}`)
	})
	if err := c.Push(ctx, demoUser, msgs, "event-1"); err != nil || calls.Load() != 2 {
		t.Errorf("409 for the retry key: %v after %d calls; want sent after 2", err, calls.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 2 || keys[0] != RetryKey(demoUser, "event-1") || keys[1] != keys[0] {
		t.Errorf("retry keys %q; want %s on every attempt", keys, RetryKey(demoUser, "event-1"))
	}
	// The monthly limit does not clear by trying again.
	c, calls = api(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		reply(w, 429, `{"message":"You have reached your monthly limit."}`)
	})
	if err := c.Push(ctx, demoUser, msgs, "event-2"); err == nil || calls.Load() != 1 {
		t.Errorf("monthly limit: %v after %d calls; want an error after 1", err, calls.Load())
	}
	// 5xx is tried as often as the policy says.
	c, calls = api(t, func(_ int, w http.ResponseWriter, r *http.Request) { reply(w, 503, `{}`) })
	if err := c.Push(ctx, demoUser, msgs, "event-3"); err == nil || calls.Load() != 3 {
		t.Errorf("503: %v after %d calls; want an error after 3", err, calls.Load())
	}
}

func TestLinkTokenLoadingAndProfile(t *testing.T) {
	ctx := context.Background()
	c, calls := api(t, func(call int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/bot/user/" + demoUser + "/linkToken":
			if call == 1 {
				reply(w, 502, `{}`)
				return
			}
			reply(w, 200, `{"linkToken":"lt-1"}`)
		case "/v2/bot/chat/loading/start":
			reply(w, 500, `{}`)
		case "/v2/bot/profile/" + demoUser:
			reply(w, 200, `{"userId":"`+demoUser+`","displayName":"デモ","language":"ja"}`)
		default:
			reply(w, 404, `{"message":"Not found"}`)
		}
	})
	if tok, err := c.IssueLinkToken(ctx, demoUser); err != nil || tok != "lt-1" || calls.Load() != 2 {
		t.Errorf("link token: %q, %v after %d calls; want lt-1 on the retry", tok, err, calls.Load())
	}
	if _, err := c.IssueLinkToken(ctx, "U1/../../v2/bot/message/push"); err == nil {
		t.Error("a malformed user id reached the link-token path")
	}
	calls.Store(0)
	if err := c.ShowLoading(ctx, demoUser, 10); err == nil || calls.Load() != 1 {
		t.Errorf("loading: %v after %d calls; want an error after 1 (never retried)", err, calls.Load())
	}
	p, err := c.GetProfile(ctx, demoUser)
	if err != nil || p != (Profile{UserID: demoUser, DisplayName: "デモ", Language: "ja"}) {
		t.Errorf("profile: %+v, %v", p, err)
	}
	if lang, err := c.Language(ctx, demoUser); lang != "ja" || err != nil {
		t.Errorf("language: %q, %v; want ja", lang, err)
	}
	calls.Store(0)
	if _, err := c.GetProfile(ctx, "U0123456789abcdef0123456789abcdef"); !errors.Is(err, taikai.ErrNotFound) || calls.Load() != 1 {
		t.Errorf("unknown user's profile: %v after %d calls; want ErrNotFound after 1", err, calls.Load())
	}
	if _, err := c.GetProfile(ctx, "nobody"); err == nil {
		t.Error("a malformed user id reached the profile path")
	}
}

// TestBodiesAreTheSDKs checks that the requests written here carry what the
// SDK's MessagingApiAPI would send for the same call (the same JSON, once
// decoded), with headers it sets.
func TestBodiesAreTheSDKs(t *testing.T) {
	ctx := context.Background()
	type got struct {
		path, ctype, auth string
		body              []byte
	}
	seen := make(chan got, 1)
	c, _ := api(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen <- got{r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), b}
		reply(w, 200, `{}`)
	})
	rendered, err := Render([]flows.Reply{{Text: "一 <&> \"引用\"", Choices: []flows.Choice{{Label: "はい", Data: "a=yes&b=<1>"}}}, {Text: "二"}})
	if err != nil {
		t.Fatal(err)
	}
	sdkMsgs := make([]messaging_api.MessageInterface, len(rendered))
	for i, m := range rendered {
		sdkMsgs[i] = sdkRaw(m)
	}
	token := "tok\"\\<weird>\u3042"
	for _, tc := range []struct {
		name, path string
		call       func() error
		sdk        any
	}{
		{"reply", "/v2/bot/message/reply", func() error { return c.Reply(ctx, token, rendered) },
			&messaging_api.ReplyMessageRequest{ReplyToken: token, Messages: sdkMsgs}},
		{"push", "/v2/bot/message/push", func() error { return c.Push(ctx, demoUser, rendered, "k") },
			&messaging_api.PushMessageRequest{To: demoUser, Messages: sdkMsgs}},
		{"loading", "/v2/bot/chat/loading/start", func() error { return c.ShowLoading(ctx, demoUser, 10) },
			&messaging_api.ShowLoadingAnimationRequest{ChatId: demoUser, LoadingSeconds: 10}},
	} {
		if err := tc.call(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		g := <-seen
		want, err := json.Marshal(tc.sdk)
		if err != nil {
			t.Fatal(err)
		}
		var a, b map[string]any
		if err := json.Unmarshal(g.body, &a); err != nil {
			t.Fatalf("%s: body %s: %v", tc.name, g.body, err)
		}
		json.Unmarshal(want, &b)
		if b["customAggregationUnits"] == nil {
			delete(b, "customAggregationUnits") // the SDK sends null: the same as none
		}
		if !reflect.DeepEqual(a, b) || g.path != tc.path || g.ctype != "application/json; charset=UTF-8" || g.auth != "Bearer token" {
			t.Errorf("%s: %s %s (%s, %s)\nwant %s %s", tc.name, g.path, g.body, g.ctype, g.auth, tc.path, want)
		}
	}
}

// sdkRaw is a rendered message handed to the SDK as it is.
type sdkRaw json.RawMessage

func (m sdkRaw) GetType() string              { return "" }
func (m sdkRaw) MarshalJSON() ([]byte, error) { return m, nil }
