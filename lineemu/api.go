package lineemu

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"slices"
	"strings"

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
	// Contents is a Flex message's container.
	Contents *FlexNode `json:"contents,omitempty"`
	// Via is "reply" or "push".
	Via string `json:"-"`
	// Raw is the message as the bot sent it (the web chat draws it from this).
	Raw json.RawMessage `json:"-"`
}

// FlexNode is a Flex container or component: the parts the emulator shows.
type FlexNode struct {
	Type   string    `json:"type"`
	Text   string    `json:"text,omitempty"`
	Header *FlexNode `json:"header,omitempty"`
	Hero   *FlexNode `json:"hero,omitempty"`
	Body   *FlexNode `json:"body,omitempty"`
	Footer *FlexNode `json:"footer,omitempty"`
	// Contents are a carousel's bubbles, a box's components or a text's spans.
	Contents []FlexNode `json:"contents,omitempty"`
	Action   *Action    `json:"action,omitempty"`
}

// Walk calls f on n and everything inside it, in the order LINE draws them.
func (n *FlexNode) Walk(f func(*FlexNode)) {
	if n == nil {
		return
	}
	f(n)
	for _, b := range []*FlexNode{n.Header, n.Hero, n.Body, n.Footer} {
		b.Walk(f)
	}
	for i := range n.Contents {
		n.Contents[i].Walk(f)
	}
}

// Texts returns the texts of n's text components (a text of spans joined),
// in order.
func (n *FlexNode) Texts() []string {
	var ts []string
	n.Walk(func(c *FlexNode) {
		if c.Type != "text" {
			return
		}
		t := c.Text
		if len(c.Contents) > 0 {
			t = ""
			for _, sp := range c.Contents {
				t += sp.Text
			}
		}
		ts = append(ts, t)
	})
	return ts
}

// Actions returns the actions of everything in n that can be pressed, in order.
func (n *FlexNode) Actions() []Action {
	var as []Action
	n.Walk(func(c *FlexNode) {
		if c.Action != nil {
			as = append(as, *c.Action)
		}
	})
	return as
}

// Shown is the text the user reads in m: a text message's text, a
// template's title and text, a Flex message's texts one per line (its
// bubbles parted by a blank line).
func (m Message) Shown() string {
	switch {
	case m.Template != nil:
		if m.Template.Title != "" {
			return m.Template.Title + "\n" + m.Template.Text
		}
		return m.Template.Text
	case m.Contents != nil && m.Contents.Type == "carousel":
		parts := make([]string, len(m.Contents.Contents))
		for i := range m.Contents.Contents {
			parts[i] = strings.Join(m.Contents.Contents[i].Texts(), "\n")
		}
		return strings.Join(parts, "\n\n")
	case m.Contents != nil:
		return strings.Join(m.Contents.Texts(), "\n")
	}
	return m.Text
}

// Buttons returns every action the user can press on m: a template's or a
// Flex message's buttons first, then the quick replies that are not the
// same action as one of them (a bot may offer its choices both ways: in
// the message for LINE for PC, as quick replies for the phone).
func (m Message) Buttons() []Action {
	var as []Action
	if m.Template != nil {
		as = append(as, m.Template.Actions...)
	}
	as = append(as, m.Contents.Actions()...)
	if m.QuickReply != nil {
		for _, it := range m.QuickReply.Items {
			if !slices.ContainsFunc(as, it.Action.same) {
				as = append(as, it.Action)
			}
		}
	}
	return as
}

// same reports whether pressing a and b does the same.
func (a Action) same(b Action) bool {
	return a.Type == b.Type && a.Data == b.Data && a.Text == b.Text && a.URI == b.URI
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
	msgs, problems := validate(req.Messages)
	if len(problems) > 0 {
		e.refuse(w, "reply", problems)
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
	msgs, problems := validate(req.Messages)
	if len(problems) > 0 {
		e.refuse(w, "push", problems)
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
		fmt.Fprint(w, page("このリンクは無効です", "有効期限が切れたか、すでに使われています。LINEのトークに戻り、新しいリンクを受け取ってからもう一度お試しください。"))
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

// validate checks messages against LINE's schema (schema.go) and decodes
// them; it returns every problem found.
func validate(raw []json.RawMessage) ([]Message, []Detail) {
	if ds := CheckMessages(raw); len(ds) > 0 {
		return nil, ds
	}
	msgs := make([]Message, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &msgs[i]); err != nil {
			return nil, []Detail{{Message: err.Error(), Property: fmt.Sprintf("messages[%d]", i)}}
		}
		msgs[i].Raw = r
		if msgs[i].QuickReply != nil && i != len(raw)-1 {
			// Not an API error, but LINE shows only the last message's quick reply.
			return nil, []Detail{{Message: "a quick reply on a message that is not the last is never shown", Property: fmt.Sprintf("messages[%d].quickReply", i)}}
		}
	}
	return msgs, nil
}

// refuse answers 400 with the details, as LINE does, and records the violation.
func (e *Emulator) refuse(w http.ResponseWriter, call string, ds []Detail) {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	msg := fmt.Sprintf("The request body has %d error(s)", len(ds))
	e.mu.Lock()
	e.violations = append(e.violations, fmt.Sprintf("%s: %s: %s", call, msg, strings.Join(parts, "; ")))
	e.mu.Unlock()
	writeJSON(w, http.StatusBadRequest, map[string]any{"message": msg, "details": ds})
}
