package lineemu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai/lineemu"
)

const (
	user  = "Ue8dafe9e1ea8071f3031bf970cc75bcf"
	token = "tok"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*lineemu.Emulator, *httptest.Server, *clock) {
	c := &clock{t: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(hook.Close)
	e := lineemu.New(lineemu.Options{ChannelSecret: "s", AccessToken: token, WebhookURL: hook.URL, Now: c.now})
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return e, srv, c
}

func call(t *testing.T, srv *httptest.Server, path string, body any, headers ...string) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	return res.StatusCode, buf.String()
}

func text(s string) map[string]any { return map[string]any{"type": "text", "text": s} }

func replyTokenOf(ev lineemu.Event) string { return ev["replyToken"].(string) }

func TestReplyTokenIsSingleUseAndExpires(t *testing.T) {
	e, srv, c := setup(t)
	ev := e.Text(user, "hi")
	if code, err := e.Send(context.Background(), ev); err != nil || code != 200 {
		t.Fatal(code, err)
	}
	req := map[string]any{"replyToken": replyTokenOf(ev), "messages": []any{text("a")}}
	if code, _ := call(t, srv, "/v2/bot/message/reply", req); code != 200 {
		t.Fatalf("first reply: %d", code)
	}
	if code, body := call(t, srv, "/v2/bot/message/reply", req); code != 400 || !strings.Contains(body, "Invalid reply token") {
		t.Errorf("second use: %d %s; want 400 Invalid reply token", code, body)
	}
	ev2 := e.Text(user, "again")
	e.Send(context.Background(), ev2)
	c.t = c.t.Add(61 * time.Second)
	if code, _ := call(t, srv, "/v2/bot/message/reply", map[string]any{"replyToken": replyTokenOf(ev2), "messages": []any{text("late")}}); code != 400 {
		t.Errorf("after a minute: %d; want 400", code)
	}
	if got := len(e.Messages(user)); got != 1 || e.Rejected() != 2 {
		t.Errorf("inbox %d, rejected %d; want 1 and 2", got, e.Rejected())
	}
	if len(e.Violations()) != 0 {
		t.Errorf("an invalid token is not a violation: %v", e.Violations())
	}
}

func TestLimitsAreEnforced(t *testing.T) {
	e, srv, _ := setup(t)
	qr := func(n int, label string) map[string]any {
		var items []any
		for i := 0; i < n; i++ {
			items = append(items, map[string]any{"type": "action", "action": map[string]any{"type": "postback", "label": label, "data": "x"}})
		}
		return map[string]any{"type": "text", "text": "q", "quickReply": map[string]any{"items": items}}
	}
	for _, tc := range []struct {
		name string
		msgs []any
	}{
		{"six messages", []any{text("1"), text("2"), text("3"), text("4"), text("5"), text("6")}},
		{"no messages", []any{}},
		{"long text", []any{text(strings.Repeat("あ", 5001))}},
		{"14 quick replies", []any{qr(14, "a")}},
		{"long label", []any{qr(1, strings.Repeat("あ", 21))}},
		{"quick reply not last", []any{qr(1, "a"), text("x")}},
		{"long postback data", []any{map[string]any{"type": "text", "text": "q", "quickReply": map[string]any{"items": []any{
			map[string]any{"type": "action", "action": map[string]any{"type": "postback", "label": "a", "data": strings.Repeat("d", 301)}}}}}}},
		{"item without type", []any{map[string]any{"type": "text", "text": "q", "quickReply": map[string]any{"items": []any{
			map[string]any{"action": map[string]any{"type": "postback", "label": "a", "data": "d"}}}}}}},
		{"long altText", []any{map[string]any{"type": "template", "altText": strings.Repeat("a", 1501), "template": map[string]any{"type": "buttons", "text": "t", "actions": []any{map[string]any{"type": "uri", "label": "l", "uri": "https://x"}}}}}},
	} {
		before := len(e.Violations())
		code, _ := call(t, srv, "/v2/bot/message/push", map[string]any{"to": user, "messages": tc.msgs})
		if code != 400 || len(e.Violations()) != before+1 {
			t.Errorf("%s: %d, violations %d→%d; want 400 and a violation", tc.name, code, before, len(e.Violations()))
		}
	}
	if n := len(e.Messages(user)); n != 0 {
		t.Errorf("refused messages were delivered: %d", n)
	}
}

func TestPushRetryKey(t *testing.T) {
	e, srv, _ := setup(t)
	key := "123e4567-e89b-12d3-a456-426614174000"
	req := map[string]any{"to": user, "messages": []any{text("a")}}
	if code, _ := call(t, srv, "/v2/bot/message/push", req, "X-Line-Retry-Key", key); code != 200 {
		t.Fatalf("push: %d", code)
	}
	if code, _ := call(t, srv, "/v2/bot/message/push", req, "X-Line-Retry-Key", key); code != 409 {
		t.Errorf("same key: %d; want 409", code)
	}
	if code, _ := call(t, srv, "/v2/bot/message/push", req, "X-Line-Retry-Key", "nope"); code != 400 {
		t.Errorf("bad key: %d; want 400", code)
	}
	if n := len(e.Messages(user)); n != 1 {
		t.Errorf("delivered %d; want 1", n)
	}
}

func TestLoadingAndAuth(t *testing.T) {
	e, srv, _ := setup(t)
	if code, _ := call(t, srv, "/v2/bot/chat/loading/start", map[string]any{"chatId": user, "loadingSeconds": 7}); code != 400 {
		t.Errorf("7 seconds: %d; want 400", code)
	}
	if code, _ := call(t, srv, "/v2/bot/chat/loading/start", map[string]any{"chatId": user, "loadingSeconds": 10}); code != 202 || e.LoadingShown(user) != 1 {
		t.Errorf("10 seconds: %d; want 202", code)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v2/bot/message/push", strings.NewReader(`{}`))
	res, _ := http.DefaultClient.Do(req)
	if res.StatusCode != 401 {
		t.Errorf("no token: %d; want 401", res.StatusCode)
	}
}

func TestAccountLinkDialog(t *testing.T) {
	var got []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cb struct{ Events []map[string]any }
		json.NewDecoder(r.Body).Decode(&cb)
		got = append(got, cb.Events...)
	}))
	defer hook.Close()
	e := lineemu.New(lineemu.Options{ChannelSecret: "s", AccessToken: token, WebhookURL: hook.URL})
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	_, body := call(t, srv, "/v2/bot/user/"+user+"/linkToken", nil)
	var lt struct{ LinkToken string }
	json.Unmarshal([]byte(body), &lt)
	open := func() int {
		res, err := http.Get(srv.URL + "/dialog/bot/accountLink?linkToken=" + lt.LinkToken + "&nonce=abcdefghijklmnop")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := open(); code != 200 || len(got) != 1 || got[0]["link"].(map[string]any)["result"] != "ok" {
		t.Fatalf("link: %d %v; want an ok event", code, got)
	}
	if code := open(); code != 400 || len(got) != 1 {
		t.Errorf("used token: %d, %d events; want 400 and no event", code, len(got))
	}
	_, body = call(t, srv, "/v2/bot/user/"+user+"/linkToken", nil)
	json.Unmarshal([]byte(body), &lt)
	e.LinkAs(user, "U00000000000000000000000000000bad")
	open()
	if len(got) != 2 || got[1]["source"] != nil || got[1]["replyToken"] != nil || got[1]["link"].(map[string]any)["result"] != "failed" {
		t.Errorf("impostor: %v; want a failed event without source or reply token", got[len(got)-1])
	}
}
