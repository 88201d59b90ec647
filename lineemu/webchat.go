package lineemu

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/random"
)

// WebChat is a LINE-like chat in the browser over an Emulator: each browser
// is a LINE user (a cookie keeps its id) who adds the bot as a friend on the
// first visit. What the person types or presses is posted to the bot as a
// signed webhook, as LINE posts it; the bot's replies and pushes show as
// they arrive (the page asks every half second). Buttons, quick replies,
// Flex buttons and the rich menu set by `taikai setup` can be pressed. The
// page is drawn on the server; a little plain script sends and fetches.
type WebChat struct {
	e *Emulator

	mu   sync.Mutex
	logs map[string]*chatLog
}

// chatLog is one user's conversation as the page shows it.
type chatLog struct {
	entries []chatEntry
	botSeen int // how many of the emulator's messages for the user are in entries
}

// chatEntry is a message in the chat: the user's, the bot's, or a note.
type chatEntry struct {
	From string        // "user", "bot" or "note"
	HTML template.HTML // drawn once
	At   time.Time
	// quick is the bot message's quick reply, drawn.
	quick template.HTML
}

// NewWebChat returns the web chat over e. Serve its Handler at "/" beside
// e.Handler() (at "/v2/" and "/dialog/").
func NewWebChat(e *Emulator) *WebChat {
	return &WebChat{e: e, logs: map[string]*chatLog{}}
}

const userCookie = "lineemu_user"

//go:embed webchat.html
var webchatPage string

var pageTmpl = template.Must(template.New("page").Parse(webchatPage))

// Handler serves the page at / and what its script calls under /chat/.
func (c *WebChat) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", c.handlePage)
	mux.HandleFunc("GET /chat/log", c.handleLog)
	mux.HandleFunc("POST /chat/send", c.handleSend)
	mux.HandleFunc("POST /chat/press", c.handlePress)
	mux.HandleFunc("POST /chat/new", c.handleNew)
	mux.HandleFunc("GET /chat/richmenu", c.handleMenuImage)
	return mux
}

// user returns the browser's LINE user, making a new one (who adds the bot
// as a friend) on a first visit.
func (c *WebChat) user(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(userCookie); err == nil && taikai.ValidUserID(ck.Value) {
		c.mu.Lock()
		_, known := c.logs[ck.Value]
		c.mu.Unlock()
		if known {
			return ck.Value
		}
	}
	u := "U" + random.Hex(16)
	c.e.AddUser(Profile{UserID: u, DisplayName: "ブラウザのユーザー", Language: "ja"})
	c.mu.Lock()
	c.logs[u] = &chatLog{}
	c.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: userCookie, Value: u, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	c.note(u, "ボットを友だち追加しました")
	c.post(r.Context(), u, c.e.Follow(u, false))
	return u
}

// sync appends the bot's messages the log does not have yet. Callers hold c.mu.
func (c *WebChat) sync(user string) *chatLog {
	l := c.logs[user]
	if l == nil {
		l = &chatLog{}
		c.logs[user] = l
	}
	msgs := c.e.Messages(user)
	for _, m := range msgs[l.botSeen:] {
		e := chatEntry{From: "bot", HTML: template.HTML(messageHTML(m.Raw)), At: time.Now()}
		if m.QuickReply != nil {
			var raw struct {
				QuickReply struct {
					Items []struct {
						Action obj `json:"action"`
					} `json:"items"`
				} `json:"quickReply"`
			}
			json.Unmarshal(m.Raw, &raw)
			q := ""
			for _, it := range raw.QuickReply.Items {
				q += actionButton(it.Action, "", "act quick", "")
			}
			e.quick = template.HTML(q)
		}
		l.entries = append(l.entries, e)
	}
	l.botSeen = len(msgs)
	return l
}

func (c *WebChat) add(user string, e chatEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.sync(user)
	e.At = time.Now()
	l.entries = append(l.entries, e)
}

func (c *WebChat) note(user, text string) {
	c.add(user, chatEntry{From: "note", HTML: template.HTML(esc(text))})
}

// post sends one event, as LINE would, and notes in the chat if the bot did
// not take it.
func (c *WebChat) post(ctx context.Context, user string, ev Event) {
	code, err := c.e.Send(ctx, ev)
	switch {
	case err != nil:
		c.note(user, fmt.Sprintf("Webhook を送れませんでした（%v）", err))
	case code != http.StatusOK:
		c.note(user, fmt.Sprintf("ボットが Webhook を受け取りませんでした（HTTP %d）", code))
	}
}

// view is what the page and its updates show.
type view struct {
	Bot      BotInfo
	Entries  []chatEntry
	Next     int
	Quick    template.HTML
	Menu     *RichMenu
	MenuID   string
	MenuOpen bool
	// Areas are the rich menu's areas as buttons over its image.
	Areas []template.HTML
}

func (c *WebChat) view(user string, after int) view {
	c.mu.Lock()
	l := c.sync(user)
	v := view{Bot: c.e.Info(), Next: len(l.entries)}
	if after < len(l.entries) {
		v.Entries = append(v.Entries, l.entries[max(after, 0):]...)
	}
	// LINE shows the quick reply of the latest message only, until the
	// user sends something.
	if n := len(l.entries); n > 0 && l.entries[n-1].From == "bot" {
		v.Quick = l.entries[n-1].quick
	}
	c.mu.Unlock()
	if m, _, ok := c.e.DefaultRichMenu(); ok {
		v.Menu, v.MenuID, v.MenuOpen = &m, m.ID, m.Selected
		w, h := float64(m.Size.Width), float64(m.Size.Height)
		for _, a := range m.Areas {
			b := a.Bounds
			pos := fmt.Sprintf("left:%.3f%%;top:%.3f%%;width:%.3f%%;height:%.3f%%",
				100*float64(b.X)/w, 100*float64(b.Y)/h, 100*float64(b.Width)/w, 100*float64(b.Height)/h)
			act := obj{"type": a.Action.Type, "label": a.Action.Label, "data": a.Action.Data, "text": a.Action.Text,
				"displayText": a.Action.DisplayText, "uri": a.Action.URI}
			v.Areas = append(v.Areas, template.HTML(actionButton(act, "", "act area", pos)))
		}
	}
	return v
}

func (c *WebChat) handlePage(w http.ResponseWriter, r *http.Request) {
	u := c.user(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	pageTmpl.Execute(w, c.view(u, 0)) // an error is a browser gone
}

// handleLog answers the page's script with what is new since ?after=.
func (c *WebChat) handleLog(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(userCookie)
	if err != nil || !taikai.ValidUserID(ck.Value) {
		http.Error(w, "no chat user: reload the page", http.StatusBadRequest)
		return
	}
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	v := c.view(ck.Value, after)
	items := []string{}
	for _, e := range v.Entries {
		var b strings.Builder
		pageTmpl.ExecuteTemplate(&b, "entry", e)
		items = append(items, b.String())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"entries": items, "next": v.Next, "quick": v.Quick, "menu": v.MenuID})
}

// chatUser is the user of a request from the page's script or forms.
func (c *WebChat) chatUser(w http.ResponseWriter, r *http.Request) (string, bool) {
	ck, err := r.Cookie(userCookie)
	if err != nil || !taikai.ValidUserID(ck.Value) {
		http.Error(w, "no chat user: reload the page", http.StatusBadRequest)
		return "", false
	}
	return ck.Value, true
}

// done answers a form: the script wants 204, a browser without it the page.
func done(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Requested-With") == "fetch" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (c *WebChat) handleSend(w http.ResponseWriter, r *http.Request) {
	u, ok := c.chatUser(w, r)
	if !ok {
		return
	}
	text := r.FormValue("text")
	if text == "" {
		done(w, r)
		return
	}
	c.add(u, chatEntry{From: "user", HTML: template.HTML(textHTML(text))})
	c.post(r.Context(), u, c.e.Text(u, text))
	done(w, r)
}

// handlePress sends what a pressed button sends on LINE: a postback (its
// displayText, if any, shown as the user's message) or a text message.
// Link buttons are opened by the page itself.
func (c *WebChat) handlePress(w http.ResponseWriter, r *http.Request) {
	u, ok := c.chatUser(w, r)
	if !ok {
		return
	}
	switch r.FormValue("act") {
	case "postback":
		if d := r.FormValue("displaytext"); d != "" {
			c.add(u, chatEntry{From: "user", HTML: template.HTML(esc(d))})
		} else {
			c.mu.Lock()
			c.sync(u)
			c.mu.Unlock()
		}
		c.post(r.Context(), u, c.e.Postback(u, r.FormValue("data")))
	case "message":
		c.add(u, chatEntry{From: "user", HTML: template.HTML(textHTML(r.FormValue("text")))})
		c.post(r.Context(), u, c.e.Text(u, r.FormValue("text")))
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	done(w, r)
}

// handleNew forgets the browser's user: the next visit is a new friend.
func (c *WebChat) handleNew(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: userCookie, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (c *WebChat) handleMenuImage(w http.ResponseWriter, r *http.Request) {
	m, img, ok := c.e.DefaultRichMenu()
	if !ok || img == nil {
		http.NotFound(w, r)
		return
	}
	c.e.settings.mu.Lock()
	typ := c.e.settings.imageTypes[m.ID]
	c.e.settings.mu.Unlock()
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(img)
}
