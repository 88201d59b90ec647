package lineemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFlexIsDrawnFromItsJSON(t *testing.T) {
	bubble := `{"type":"bubble","size":"kilo",
	  "header":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"退会の前に","weight":"bold","color":"#1f2a37"}]},
	  "body":{"type":"box","layout":"vertical","spacing":"md","contents":[
	    {"type":"text","text":"評価（★4.8）は削除されます https://market.example/help","wrap":true,"size":"sm"},
	    {"type":"separator"},
	    {"type":"box","layout":"baseline","contents":[{"type":"text","text":"残高","flex":2},{"type":"text","text":"3,200円","flex":3,"align":"end","color":"red;background:url(x)"}]}]},
	  "footer":{"type":"box","layout":"vertical","contents":[
	    {"type":"button","style":"primary","action":{"type":"postback","label":"理解して次へ進む","data":"a=continue&c=1&s=2","displayText":"理解して次へ進む"}},
	    {"type":"button","action":{"type":"uri","label":"ヘルプ","uri":"https://market.example/help"}},
	    {"type":"button","style":"secondary","action":{"type":"message","label":"やめる","text":"やめる"}}]}}`
	msg := `{"type":"flex","altText":"退会の前に","contents":{"type":"carousel","contents":[` + bubble + `,` + bubble + `]}}`
	got := messageHTML(json.RawMessage(msg))
	for _, want := range []string{
		`<div class="carousel"><div class="flex bubble-kilo">`,
		`<div class="flex-header"><div class="box vertical"`,
		`font-weight:bold;color:#1f2a37">退会の前に</div>`,
		`<a href="https://market.example/help" target="_blank" rel="noopener">https://market.example/help</a>`,
		`<hr class="fsep">`,
		`<div class="box baseline"`,
		`flex:2 2 auto`,
		`<button type="button" class="act fbtn primary" data-act="postback" data-label="理解して次へ進む" data-data="a=continue&amp;c=1&amp;s=2" data-displaytext="理解して次へ進む"`,
		`data-act="uri" data-label="ヘルプ" data-uri="https://market.example/help"`,
		`class="act fbtn secondary" data-act="message" data-label="やめる" data-text="やめる"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("flex drawn without %s:\n%s", want, got)
		}
	}
	if strings.Count(got, `class="flex bubble-kilo"`) != 2 {
		t.Errorf("want both bubbles of the carousel:\n%s", got)
	}
	if strings.Contains(got, "url(x)") {
		t.Errorf("a colour that is not one reached a style:\n%s", got)
	}
}

func TestTemplatesAndTextAreDrawn(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{`{"type":"text","text":"<b>こんにちは</b>\n二行目"}`, `<div class="bubble text">&lt;b&gt;こんにちは&lt;/b&gt;` + "\n" + `二行目</div>`},
		{`{"type":"template","altText":"a","template":{"type":"buttons","title":"連携","text":"ログインしてください","actions":[{"type":"uri","label":"ログイン","uri":"https://m.example/link?linkToken=x"}]}}`,
			`<div class="title">連携</div><div class="body">ログインしてください</div><div class="actions buttons"><button type="button" class="act tmpl" data-act="uri" data-label="ログイン" data-uri="https://m.example/link?linkToken=x">ログイン</button>`},
		{`{"type":"template","altText":"a","template":{"type":"confirm","text":"退会しますか？","actions":[{"type":"postback","label":"はい","data":"y"},{"type":"postback","label":"いいえ","data":"n"}]}}`,
			`<div class="actions confirm"><button type="button" class="act tmpl" data-act="postback" data-label="はい" data-data="y">はい</button><button`},
		{`{"type":"audio"}`, `［audio］`},
	} {
		if got := messageHTML(json.RawMessage(tc.msg)); !strings.Contains(got, tc.want) {
			t.Errorf("%s drawn as\n%s\nwant it to contain\n%s", tc.msg, got, tc.want)
		}
	}
}

// fakeBot answers every event with one reply: a buttons template with a
// quick reply to a text, text otherwise.
type fakeBot struct {
	t    *testing.T
	emu  string // the emulator's URL
	mu   sync.Mutex
	seen []string
}

func (b *fakeBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var cb struct {
		Events []struct {
			Type       string `json:"type"`
			ReplyToken string `json:"replyToken"`
			Message    struct {
				Text string `json:"text"`
			} `json:"message"`
			Postback struct {
				Data string `json:"data"`
			} `json:"postback"`
		} `json:"events"`
	}
	json.NewDecoder(r.Body).Decode(&cb)
	for _, ev := range cb.Events {
		b.mu.Lock()
		b.seen = append(b.seen, ev.Type+":"+ev.Message.Text+ev.Postback.Data)
		b.mu.Unlock()
		msg := map[string]any{"type": "text", "text": "こんにちは",
			"quickReply": map[string]any{"items": []any{map[string]any{"type": "action", "action": map[string]any{"type": "postback", "label": "退会の手続きを始める", "data": "a=start", "displayText": "退会の手続きを始める"}}}}}
		if ev.Type == "message" {
			msg = map[string]any{"type": "template", "altText": "x", "template": map[string]any{"type": "buttons", "text": "「" + ev.Message.Text + "」ですね",
				"actions": []any{map[string]any{"type": "message", "label": "はい", "text": "はい"}}}}
		}
		body, _ := json.Marshal(map[string]any{"replyToken": ev.ReplyToken, "messages": []any{msg}})
		req, _ := http.NewRequest("POST", b.emu+"/v2/bot/message/reply", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			b.t.Errorf("reply: %v %v", res, err)
		} else {
			res.Body.Close()
		}
	}
}

func TestWebChat(t *testing.T) {
	bot := &fakeBot{t: t}
	hook := httptest.NewServer(bot)
	defer hook.Close()
	e := New(Options{ChannelSecret: "s", AccessToken: "tok", WebhookURL: hook.URL})
	mux := http.NewServeMux()
	mux.Handle("/v2/", e.Handler())
	mux.Handle("/", NewWebChat(e).Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	bot.emu = srv.URL

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(path string) string {
		t.Helper()
		res, err := browser.Get(srv.URL + path)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, res, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	var log struct {
		Entries []string `json:"entries"`
		Next    int      `json:"next"`
		Quick   string   `json:"quick"`
		Menu    string   `json:"menu"`
	}
	poll := func(after int) {
		t.Helper()
		log.Entries, log.Quick = nil, ""
		if err := json.Unmarshal([]byte(get("/chat/log?after="+itoa(after))), &log); err != nil {
			t.Fatal(err)
		}
	}

	// The first visit adds the bot as a friend; the greeting shows.
	page := get("/")
	if !strings.Contains(page, "ボットを友だち追加しました") || !strings.Contains(page, "こんにちは") || !strings.Contains(page, `data-label="退会の手続きを始める"`) {
		t.Fatalf("first page lacks the follow, the greeting or its quick reply:\n%s", page)
	}
	if len(bot.seen) != 1 || bot.seen[0] != "follow:" {
		t.Errorf("the bot got %v; want one follow", bot.seen)
	}
	if strings.Contains(page, `id="richmenu"`) {
		t.Error("a rich menu is shown before one was set")
	}
	// A second visit is the same user: no second follow.
	get("/")
	if len(bot.seen) != 1 {
		t.Errorf("a reload sent %v", bot.seen[1:])
	}
	poll(0)
	if log.Next != 2 || !strings.Contains(log.Quick, "退会の手続きを始める") {
		t.Errorf("log: next %d, quick %q; want 2 entries and the quick reply", log.Next, log.Quick)
	}

	// Pressing the quick reply posts the postback and shows its displayText.
	form := func(path string, v url.Values) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Requested-With", "fetch")
		res, err := browser.Do(req)
		if err != nil || res.StatusCode != http.StatusNoContent {
			t.Fatalf("POST %s: %v %v", path, res, err)
		}
		res.Body.Close()
	}
	form("/chat/press", url.Values{"act": {"postback"}, "data": {"a=start"}, "displaytext": {"退会の手続きを始める"}})
	poll(2)
	if len(log.Entries) != 2 || !strings.Contains(log.Entries[0], `class="msg user"`) || !strings.Contains(log.Entries[0], "退会の手続きを始める") || !strings.Contains(log.Entries[1], `class="msg bot"`) {
		t.Errorf("after the press: %q", log.Entries)
	}
	form("/chat/send", url.Values{"text": {"<退会>"}})
	poll(4)
	if len(log.Entries) != 2 || !strings.Contains(log.Entries[0], "&lt;退会&gt;") || !strings.Contains(log.Entries[1], "「&lt;退会&gt;」ですね") || log.Quick != "" {
		t.Errorf("after sending text: %q, quick %q", log.Entries, log.Quick)
	}
	form("/chat/press", url.Values{"act": {"message"}, "text": {"はい"}})
	want := []string{"follow:", "postback:a=start", "message:<退会>", "message:はい"}
	if strings.Join(bot.seen, "|") != strings.Join(want, "|") {
		t.Errorf("the bot got %q; want %q", bot.seen, want)
	}

	// A rich menu set through the API shows, its areas pressable.
	e.settings.mu.Lock()
	e.settings.init()
	m := &RichMenu{ID: "richmenu-1", Selected: true, ChatBarText: "メニュー", Areas: []RichMenuArea{
		{Bounds{0, 0, 1250, 843}, Action{Type: "postback", Label: "退会の手続き", Data: "a=start", DisplayText: "退会の手続き"}}}}
	m.Size.Width, m.Size.Height = 2500, 843
	e.settings.menus = append(e.settings.menus, m)
	e.settings.images[m.ID], e.settings.imageTypes[m.ID] = []byte("png"), "image/png"
	e.settings.defaultMenu = m.ID
	e.settings.mu.Unlock()
	poll(0)
	if log.Menu != "richmenu-1" {
		t.Errorf("log's menu %q; want the default menu's id (the page reloads on a change)", log.Menu)
	}
	page = get("/")
	for _, want := range []string{`<div id="richmenu" class="open">`, `class="act area" data-act="postback" data-label="退会の手続き" data-data="a=start" data-displaytext="退会の手続き" style="left:0.000%;top:0.000%;width:50.000%;height:100.000%"`, `メニュー <span id="menuarrow">▼</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if img := get("/chat/richmenu"); img != "png" {
		t.Errorf("menu image %q", img)
	}

	// A new user starts with a follow.
	res, err := browser.PostForm(srv.URL+"/chat/new", nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("new user: %v %v", res, err)
	}
	res.Body.Close()
	if n := len(bot.seen); n != 5 || bot.seen[4] != "follow:" {
		t.Errorf("after /chat/new the bot got %q; want a second follow", bot.seen)
	}
	if v := e.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
