package lineemu_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taikaibot/taikai/lineemu"
)

// do makes an authenticated call with any method and a raw body.
func do(t *testing.T, srv *httptest.Server, method, path, contentType string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func doJSON(t *testing.T, srv *httptest.Server, method, path string, v any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(v)
	return do(t, srv, method, path, "application/json", b)
}

// hook is a bot's webhook endpoint that records what it gets.
type hook struct {
	mu     sync.Mutex
	bodies []string
	sigs   []string
	status int
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bodies = append(h.bodies, string(b))
	h.sigs = append(h.sigs, r.Header.Get("x-line-signature"))
	if h.status != 0 {
		w.WriteHeader(h.status)
	}
}

func TestWebhookEndpointSettings(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
	h := &hook{}
	bot := httptest.NewServer(h)
	defer bot.Close()
	tls := httptest.NewTLSServer(h)
	defer tls.Close()
	e := lineemu.New(lineemu.Options{ChannelSecret: "s", AccessToken: token, Now: c.now, Client: tls.Client()})
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()

	if code, body := do(t, srv, "GET", "/v2/bot/channel/webhook/endpoint", "", nil); code != 404 || !strings.Contains(body, "Webhook endpoint not found") {
		t.Errorf("no endpoint yet: %d %s; want 404", code, body)
	}
	if code, _ := doJSON(t, srv, "POST", "/v2/bot/channel/webhook/test", map[string]any{}); code != 404 {
		t.Errorf("test without an endpoint: %d; want 404", code)
	}
	// LINE takes only HTTPS URLs of at most 500 characters.
	for _, bad := range []map[string]any{
		{"endpoint": bot.URL + "/callback"},
		{"endpoint": "https://" + strings.Repeat("a", 500) + ".example/callback"},
		{"endpoint": "not a url"},
		{},
	} {
		if code, _ := doJSON(t, srv, "PUT", "/v2/bot/channel/webhook/endpoint", bad); code != 400 {
			t.Errorf("set %v: %d; want 400", bad, code)
		}
	}
	if n := len(e.Violations()); n != 4 {
		t.Errorf("violations %d; want one per bad endpoint: %v", n, e.Violations())
	}
	if code, _ := doJSON(t, srv, "PUT", "/v2/bot/channel/webhook/endpoint", map[string]any{"endpoint": tls.URL + "/callback"}); code != 200 {
		t.Fatalf("set an HTTPS endpoint: %d", code)
	}
	code, body := do(t, srv, "GET", "/v2/bot/channel/webhook/endpoint", "", nil)
	if want := `{"active":true,"endpoint":"` + tls.URL + `/callback"}`; code != 200 || strings.TrimSpace(body) != want {
		t.Errorf("get: %d %s; want %s", code, body, want)
	}
	e.SetWebhookActive(false)
	if _, body := do(t, srv, "GET", "/v2/bot/channel/webhook/endpoint", "", nil); !strings.Contains(body, `"active":false`) {
		t.Errorf("after Use webhook was turned off: %s", body)
	}

	// The test sends a signed body without events, as LINE does.
	var res struct {
		Success    bool   `json:"success"`
		Timestamp  string `json:"timestamp"`
		StatusCode int    `json:"statusCode"`
		Reason     string `json:"reason"`
		Detail     string `json:"detail"`
	}
	test := func(body any) {
		t.Helper()
		code, b := doJSON(t, srv, "POST", "/v2/bot/channel/webhook/test", body)
		if code != 200 {
			t.Fatalf("test: %d %s", code, b)
		}
		res.Success, res.Reason = false, ""
		json.Unmarshal([]byte(b), &res)
	}
	test(map[string]any{})
	if !res.Success || res.StatusCode != 200 || res.Reason != "OK" || res.Detail != "200" || res.Timestamp != "2026-11-25T00:00:00.000Z" {
		t.Errorf("test result %+v; want a success", res)
	}
	want := `{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}`
	if len(h.bodies) != 1 || h.bodies[0] != want || h.sigs[0] != lineemu.Sign("s", []byte(want)) {
		t.Errorf("the bot got %q signed %q; want %s, signed", h.bodies, h.sigs, want)
	}
	h.status = 500
	test(map[string]any{})
	if res.Success || res.StatusCode != 500 || res.Reason != "ERROR_STATUS_CODE" || res.Detail != "500" {
		t.Errorf("a 500: %+v", res)
	}
	tls.Close()
	test(map[string]any{"endpoint": tls.URL + "/callback"})
	if res.Success || res.StatusCode != 0 || res.Reason != "COULD_NOT_CONNECT" {
		t.Errorf("nothing listening: %+v", res)
	}

	// 60 tests an hour.
	for i := 3; i < 60; i++ {
		doJSON(t, srv, "POST", "/v2/bot/channel/webhook/test", map[string]any{})
	}
	if code, _ := doJSON(t, srv, "POST", "/v2/bot/channel/webhook/test", map[string]any{}); code != 429 {
		t.Errorf("61st test in an hour: %d; want 429", code)
	}
	c.t = c.t.Add(time.Hour)
	if code, _ := doJSON(t, srv, "POST", "/v2/bot/channel/webhook/test", map[string]any{}); code != 200 {
		t.Errorf("an hour later: %d; want 200", code)
	}
}

func TestHTTPWebhookWhenAllowed(t *testing.T) {
	e := lineemu.New(lineemu.Options{ChannelSecret: "s", AccessToken: token, AllowHTTPWebhook: true})
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	if code, body := doJSON(t, srv, "PUT", "/v2/bot/channel/webhook/endpoint", map[string]any{"endpoint": "http://taikai:8080/callback"}); code != 200 {
		t.Errorf("http endpoint with AllowHTTPWebhook: %d %s", code, body)
	}
	if e.WebhookURL() != "http://taikai:8080/callback" {
		t.Errorf("webhook URL %q", e.WebhookURL())
	}
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func menu(name string) map[string]any {
	return map[string]any{
		"size": map[string]any{"width": 2500, "height": 843}, "selected": true, "name": name, "chatBarText": "メニュー",
		"areas": []any{
			map[string]any{"bounds": map[string]any{"x": 0, "y": 0, "width": 1250, "height": 843}, "action": map[string]any{"type": "postback", "label": "退会の手続き", "data": "a=start"}},
			map[string]any{"bounds": map[string]any{"x": 1250, "y": 0, "width": 1250, "height": 843}, "action": map[string]any{"type": "postback", "data": "a=staff"}},
		},
	}
}

func TestRichMenus(t *testing.T) {
	e, srv, _ := setup(t)

	// Every problem of a rich menu object is reported, each by property.
	bad := menu("")
	bad["size"] = map[string]any{"width": 700, "height": 843}
	bad["chatBarText"] = "とても長いチャットバーのテキストです"
	delete(bad, "selected")
	bad["areas"].([]any)[1].(map[string]any)["action"] = map[string]any{"type": "postback", "data": ""}
	code, body := doJSON(t, srv, "POST", "/v2/bot/richmenu", bad)
	for _, prop := range []string{`"size.width"`, `"size"`, `"selected"`, `"name"`, `"chatBarText"`, `"areas[1].action"`} {
		if code != 400 || !strings.Contains(body, `"property":`+prop) {
			t.Errorf("bad menu: %d %s; want 400 naming %s", code, body, prop)
		}
	}
	if !strings.Contains(body, "The request body has 6 error(s)") {
		t.Errorf("bad menu: %s; want 6 errors", body)
	}

	code, body = doJSON(t, srv, "POST", "/v2/bot/richmenu", menu("taikai 1"))
	var created struct{ RichMenuID string }
	json.Unmarshal([]byte(body), &created)
	id := created.RichMenuID
	if code != 200 || !strings.HasPrefix(id, "richmenu-") {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, body := do(t, srv, "GET", "/v2/bot/richmenu/list", "", nil); code != 200 || !strings.Contains(body, `"richMenuId":"`+id+`"`) || !strings.Contains(body, `"data":"a=staff"`) {
		t.Errorf("list: %d %s", code, body)
	}
	if code, body := do(t, srv, "GET", "/v2/bot/richmenu/"+id, "", nil); code != 200 || !strings.Contains(body, `"chatBarText":"メニュー"`) {
		t.Errorf("get: %d %s", code, body)
	}

	// The default menu needs an image first.
	if code, _ := do(t, srv, "POST", "/v2/bot/user/all/richmenu/"+id, "", nil); code != 400 {
		t.Errorf("default without an image: %d; want 400", code)
	}
	if code, _ := do(t, srv, "GET", "/v2/bot/user/all/richmenu", "", nil); code != 404 {
		t.Errorf("no default yet: %d; want 404", code)
	}
	img := pngOf(t, 2500, 843)
	for _, tc := range []struct {
		ctype string
		body  []byte
		code  int
	}{
		{"image/gif", img, 415},
		{"image/png", pngOf(t, 1200, 405), 400},   // not the menu's size
		{"image/png", pngOf(t, 2500, 2000), 400},  // aspect ratio under 1.45
		{"image/jpeg", img, 400},                  // not what it says
		{"image/png", make([]byte, 1<<20+1), 400}, // over 1 MB
	} {
		if code, body := do(t, srv, "POST", "/v2/bot/richmenu/"+id+"/content", tc.ctype, tc.body); code != tc.code {
			t.Errorf("upload %s (%d bytes): %d %s; want %d", tc.ctype, len(tc.body), code, body, tc.code)
		}
	}
	if code, body := do(t, srv, "POST", "/v2/bot/richmenu/"+id+"/content", "image/png", img); code != 200 {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, _ := do(t, srv, "POST", "/v2/bot/richmenu/"+id+"/content", "image/png", img); code != 400 {
		t.Errorf("a second image: %d; want 400 (an image cannot be replaced)", code)
	}
	if code, body := do(t, srv, "GET", "/v2/bot/richmenu/"+id+"/content", "", nil); code != 200 || body != string(img) {
		t.Errorf("download: %d, %d bytes", code, len(body))
	}
	if code, _ := do(t, srv, "POST", "/v2/bot/user/all/richmenu/"+id, "", nil); code != 200 {
		t.Errorf("set default: %d", code)
	}
	if code, body := do(t, srv, "GET", "/v2/bot/user/all/richmenu", "", nil); code != 200 || !strings.Contains(body, id) {
		t.Errorf("get default: %d %s", code, body)
	}
	m, got, ok := e.DefaultRichMenu()
	if !ok || m.ID != id || !bytes.Equal(got, img) || len(m.Areas) != 2 || !m.Areas[1].Bounds.Contains(2000, 400) || m.Areas[1].Action.Data != "a=staff" {
		t.Errorf("DefaultRichMenu: %+v, %d bytes, %v", m, len(got), ok)
	}

	// Deleting the default menu leaves none.
	if code, _ := do(t, srv, "DELETE", "/v2/bot/richmenu/"+id, "", nil); code != 200 {
		t.Errorf("delete: %d", code)
	}
	if _, _, ok := e.DefaultRichMenu(); ok {
		t.Error("the deleted menu is still the default")
	}
	for _, p := range []string{"DELETE /v2/bot/richmenu/", "GET /v2/bot/richmenu/", "POST /v2/bot/user/all/richmenu/"} {
		method, path, _ := strings.Cut(p, " ")
		if code, _ := do(t, srv, method, path+id, "", nil); code != 404 {
			t.Errorf("%s a deleted menu: %d; want 404", p, code)
		}
	}
	if n := len(e.Violations()); n != 8 {
		t.Errorf("violations: %d; want 8 (the bad menu, 5 bad uploads, a second image, a default without an image): %q", n, e.Violations())
	}
}

func TestBotInfo(t *testing.T) {
	_, srv, _ := setup(t)
	code, body := do(t, srv, "GET", "/v2/bot/info", "", nil)
	for _, want := range []string{`"userId":"U8e742f61d673b39c7fff3cecb7536ef0"`, `"chatMode":"bot"`, `"basicId":"@`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("bot info: %d %s; want %s", code, body, want)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/v2/bot/info", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("a wrong token: %v %v; want 401", res, err)
	}
}
