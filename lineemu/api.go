package lineemu

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/random"
)

// Action is a button's action in a message the bot sent.
type Action struct {
	Type        string `json:"type"`
	Label       string `json:"label"`
	Data        string `json:"data,omitempty"`
	DisplayText string `json:"displayText,omitempty"`
	Text        string `json:"text,omitempty"`
	URI         string `json:"uri,omitempty"`
}

// Message is a message the bot sent (the parts the emulator checks and shows).
type Message struct {
	Type       string `json:"type"`
	Text       string `json:"text,omitempty"`
	AltText    string `json:"altText,omitempty"`
	QuickReply *struct {
		Items []struct {
			Type   string `json:"type"`
			Action Action `json:"action"`
		} `json:"items"`
	} `json:"quickReply,omitempty"`
	Template *struct {
		Type    string   `json:"type"`
		Title   string   `json:"title,omitempty"`
		Text    string   `json:"text"`
		Actions []Action `json:"actions"`
	} `json:"template,omitempty"`
	// Via is "reply" or "push".
	Via string `json:"-"`
	// Raw is the message as the bot sent it (the web chat draws it from this).
	Raw json.RawMessage `json:"-"`
}

// Buttons returns every action the user can press on m: template buttons
// first, then quick replies.
func (m Message) Buttons() []Action {
	var as []Action
	if m.Template != nil {
		as = append(as, m.Template.Actions...)
	}
	if m.QuickReply != nil {
		for _, it := range m.QuickReply.Items {
			as = append(as, it.Action)
		}
	}
	return as
}

// Handler serves the Messaging API under /v2/bot/ and LINE's account-link
// dialog at /dialog/bot/accountLink.
func (e *Emulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/bot/message/reply", e.auth(e.handleReply))
	mux.HandleFunc("POST /v2/bot/message/push", e.auth(e.counted(e.handlePush)))
	mux.HandleFunc("POST /v2/bot/chat/loading/start", e.auth(e.handleLoading))
	mux.HandleFunc("POST /v2/bot/user/{userId}/linkToken", e.auth(e.handleLinkToken))
	mux.HandleFunc("GET /v2/bot/profile/{userId}", e.auth(e.handleProfile))
	mux.HandleFunc("GET /dialog/bot/accountLink", e.handleAccountLink)
	e.setupRoutes(mux)
	e.quotaRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		e.violate(w, http.StatusNotFound, "unknown endpoint %s %s", r.Method, r.URL.Path)
	})
	return mux
}

func (e *Emulator) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+e.opts.AccessToken {
			e.violate(w, http.StatusUnauthorized, "%s: missing or wrong channel access token", r.URL.Path)
			return
		}
		h(w, r)
	}
}

// readJSON reads a request body of at most 2 MB, LINE's limit.
func (e *Emulator) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 2<<20+1))
	if err != nil {
		e.violate(w, http.StatusBadRequest, "%s: unreadable body", r.URL.Path)
		return false
	}
	if len(b) > 2<<20 {
		e.violate(w, http.StatusRequestEntityTooLarge, "%s: body over 2 MB", r.URL.Path)
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		e.violate(w, http.StatusBadRequest, "%s: invalid JSON: %v", r.URL.Path, err)
		return false
	}
	return true
}

func (e *Emulator) handleReply(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ReplyToken string            `json:"replyToken"`
		Messages   []json.RawMessage `json:"messages"`
	}
	if !e.readJSON(w, r, &req) {
		return
	}
	msgs, problem := validate(req.Messages)
	if problem != "" {
		e.violate(w, http.StatusBadRequest, "reply: %s", problem)
		return
	}
	e.mu.Lock()
	t := e.replyTokens[req.ReplyToken]
	if t == nil || t.used || e.opts.Now().Sub(t.issued) > ReplyTokenTTL {
		e.rejected++
		e.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Invalid reply token"})
		return
	}
	t.used = true
	for _, m := range msgs {
		m.Via = "reply"
		e.inbox[t.user] = append(e.inbox[t.user], m)
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"sentMessages": []any{}})
}

func (e *Emulator) handlePush(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("X-Line-Retry-Key")
	if _, present := r.Header["X-Line-Retry-Key"]; present && !retryKeyRe.MatchString(key) {
		e.violate(w, http.StatusBadRequest, "push: X-Line-Retry-Key %q is not a UUID", key)
		return
	}
	var req struct {
		To       string            `json:"to"`
		Messages []json.RawMessage `json:"messages"`
	}
	if !e.readJSON(w, r, &req) {
		return
	}
	if !taikai.ValidUserID(req.To) {
		e.violate(w, http.StatusBadRequest, "push: bad user id %q", req.To)
		return
	}
	msgs, problem := validate(req.Messages)
	if problem != "" {
		e.violate(w, http.StatusBadRequest, "push: %s", problem)
		return
	}
	e.mu.Lock()
	now := e.opts.Now()
	if k, ok := e.retryKeys[key]; key != "" && ok && now.Sub(k.at) < RetryKeyTTL {
		e.mu.Unlock()
		w.Header().Set("X-Line-Accepted-Request-Id", k.requestID)
		writeJSON(w, http.StatusConflict, map[string]any{"message": "The retry key is already accepted", "sentMessages": []any{}})
		return
	}
	if key != "" {
		e.retryKeys[key] = retryKey{requestID: random.Hex(16), at: now}
	}
	for _, m := range msgs {
		m.Via = "push"
		e.inbox[req.To] = append(e.inbox[req.To], m)
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"sentMessages": []any{}})
}

func (e *Emulator) handleLoading(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ChatID         string `json:"chatId"`
		LoadingSeconds *int   `json:"loadingSeconds"`
	}
	if !e.readJSON(w, r, &req) {
		return
	}
	if !taikai.ValidUserID(req.ChatID) {
		e.violate(w, http.StatusBadRequest, "loading: chatId %q is not a user id (1:1 chats only)", req.ChatID)
		return
	}
	if s := req.LoadingSeconds; s != nil && (*s < 5 || *s > 60 || *s%5 != 0) {
		e.violate(w, http.StatusBadRequest, "loading: loadingSeconds %d must be a multiple of 5 between 5 and 60", *s)
		return
	}
	e.mu.Lock()
	e.loading[req.ChatID]++
	e.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{})
}

func (e *Emulator) handleLinkToken(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("userId")
	if !taikai.ValidUserID(user) {
		e.violate(w, http.StatusBadRequest, "linkToken: bad user id %q", user)
		return
	}
	tok := random.Hex(16)
	e.mu.Lock()
	e.linkTokens[tok] = &token{user: user, issued: e.opts.Now()}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"linkToken": tok})
}

func (e *Emulator) handleProfile(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	p := e.users[r.PathValue("userId")]
	e.mu.Unlock()
	if p == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not found"})
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// handleAccountLink is LINE's dialog: it checks that the LINE user who opened
// the link is the one the token was issued for, then sends the accountLink
// event. An expired or used token sends nothing and shows an error, as LINE does.
func (e *Emulator) handleAccountLink(w http.ResponseWriter, r *http.Request) {
	tok, nonce := r.URL.Query().Get("linkToken"), r.URL.Query().Get("nonce")
	if l := len(nonce); l < 10 || l > 255 {
		e.violate(w, http.StatusBadRequest, "accountLink: nonce must be 10 to 255 characters, got %d", l)
		return
	}
	e.mu.Lock()
	t := e.linkTokens[tok]
	valid := t != nil && !t.used && e.opts.Now().Sub(t.issued) <= LinkTokenTTL
	var user, as string
	if valid {
		t.used = true
		user, as = t.user, e.linkAs[t.user]
		delete(e.linkAs, t.user)
	}
	e.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if !valid {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, page("このリンクは無効です", "有効期限が切れたか、すでに使われています。トークに戻ってもう一度お試しください。"))
		return
	}
	ok := as == "" || as == user
	code, err := e.Send(r.Context(), e.AccountLink(user, nonce, ok))
	if err != nil || code != http.StatusOK {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, page("連携できませんでした", fmt.Sprintf("webhook: %d %v", code, err)))
		return
	}
	fmt.Fprint(w, page("LINEに戻ってください", "トークに戻ってください。"))
}

func page(title, text string) string {
	return "<!doctype html><meta charset=\"utf-8\"><title>" + html.EscapeString(title) + "</title><h1>" +
		html.EscapeString(title) + "</h1><p>" + html.EscapeString(text) + "</p>" +
		// Back to the web chat, where there is one (taikai emulator).
		`<p><a id="back" href="/">トークに戻る</a></p>`
}

// utf16Len counts UTF-16 code units, as LINE counts text.
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// chars approximates LINE's grapheme count for labels by counting runes.
func chars(s string) int { return utf8.RuneCountInString(s) }

// validate decodes messages and checks them against LINE's limits; it returns
// the first problem found.
func validate(raw []json.RawMessage) ([]Message, string) {
	if len(raw) < 1 || len(raw) > MaxMessages {
		return nil, fmt.Sprintf("%d messages; must be 1 to %d", len(raw), MaxMessages)
	}
	var msgs []Message
	for i, r := range raw {
		var m Message
		if err := json.Unmarshal(r, &m); err != nil {
			return nil, fmt.Sprintf("message %d: %v", i, err)
		}
		if p := checkMessage(m); p != "" {
			return nil, fmt.Sprintf("message %d: %s", i, p)
		}
		m.Raw = r
		if m.QuickReply != nil && i != len(raw)-1 {
			// Not an API error, but LINE shows only the last message's quick reply.
			return nil, fmt.Sprintf("message %d: quick reply on a message that is not the last is never shown", i)
		}
		msgs = append(msgs, m)
	}
	return msgs, ""
}

func checkMessage(m Message) string {
	switch m.Type {
	case "text":
		if m.Text == "" {
			return "text is empty"
		}
		if n := utf16Len(m.Text); n > 5000 {
			return fmt.Sprintf("text is %d characters; max 5000", n)
		}
	case "template":
		if m.AltText == "" || utf16Len(m.AltText) > 1500 {
			return "altText must be 1 to 1500 characters"
		}
		t := m.Template
		if t == nil {
			return "template missing"
		}
		switch t.Type {
		case "buttons":
			limit := 160
			if t.Title != "" {
				limit = 60
			}
			if chars(t.Title) > 40 {
				return "buttons title over 40 characters"
			}
			if t.Text == "" || chars(t.Text) > limit {
				return fmt.Sprintf("buttons text is %d characters; must be 1 to %d", chars(t.Text), limit)
			}
			if len(t.Actions) < 1 || len(t.Actions) > 4 {
				return fmt.Sprintf("buttons has %d actions; must be 1 to 4", len(t.Actions))
			}
		case "confirm":
			if t.Text == "" || chars(t.Text) > 240 {
				return "confirm text must be 1 to 240 characters"
			}
			if len(t.Actions) != 2 {
				return "confirm needs exactly 2 actions"
			}
		default:
			return fmt.Sprintf("template type %q not supported by the emulator", t.Type)
		}
		for _, a := range t.Actions {
			if p := checkAction(a, 20); p != "" {
				return p
			}
		}
	default:
		return fmt.Sprintf("message type %q not supported by the emulator", m.Type)
	}
	if q := m.QuickReply; q != nil {
		if len(q.Items) < 1 || len(q.Items) > 13 {
			return fmt.Sprintf("quickReply has %d items; must be 1 to 13", len(q.Items))
		}
		for _, it := range q.Items {
			if it.Type != "action" {
				return fmt.Sprintf("quickReply item type %q; must be \"action\"", it.Type)
			}
			if it.Action.Label == "" {
				return "quickReply label is required"
			}
			if p := checkAction(it.Action, 20); p != "" {
				return p
			}
		}
	}
	return ""
}

func checkAction(a Action, maxLabel int) string {
	if chars(a.Label) > maxLabel {
		return fmt.Sprintf("label %q is %d characters; max %d", a.Label, chars(a.Label), maxLabel)
	}
	switch a.Type {
	case "postback":
		if a.Data == "" || utf16Len(a.Data) > 300 {
			return fmt.Sprintf("postback data must be 1 to 300 characters, got %d", utf16Len(a.Data))
		}
		if chars(a.DisplayText) > 300 {
			return "displayText over 300 characters"
		}
		if a.DisplayText != "" && a.Text != "" {
			return "displayText and text are mutually exclusive"
		}
	case "message":
		if a.Text == "" || chars(a.Text) > 300 {
			return "message action text must be 1 to 300 characters"
		}
	case "uri":
		u, err := url.Parse(a.URI)
		if err != nil || len(a.URI) > 1000 || !(u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "line" || u.Scheme == "tel") {
			return fmt.Sprintf("uri %q must be http(s), line or tel, at most 1000 characters", a.URI)
		}
	default:
		return fmt.Sprintf("action type %q not supported by the emulator", a.Type)
	}
	if strings.TrimSpace(a.Label) == "" && a.Type != "" {
		return "action label is required"
	}
	return ""
}
