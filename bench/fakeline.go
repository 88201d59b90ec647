package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// fakeLINE is the Messaging API as the bots see it, answering at once: it
// accepts replies, pushes, loading animations, profiles and link tokens,
// and counts them. Every reply token the load generator sent is registered
// first, so it can tell a reply to an unknown or already used token (which
// LINE refuses with 400 "Invalid reply token", as it does here). It also
// serves LINE's account-link dialog for the whole-flow workload.
type fakeLINE struct {
	accessToken string

	seed   maphash.Seed
	shards [64]tokenShard

	replies, pushes, loading, profiles, linkTokens atomic.Int64
	// Anomalies: replies to tokens never sent, second uses of a token,
	// requests without the channel access token, bad bodies, unknown paths.
	unknownToken, reusedToken, badAuth, badBody, unexpected atomic.Int64
	conns                                                   atomic.Int64 // TCP connections accepted
	lastReply                                               atomic.Int64 // unix ns of the latest reply or push

	// keep makes it decode messages and hand them to the user's inbox
	// (the whole-flow workload reads them; the throughput workload does not).
	keep    atomic.Bool
	inboxes sync.Map // user → chan []message

	linkMu sync.Mutex
	links  map[string]string // link token → user
	// onLink, if set, is LINE sending the accountLink event once a user
	// came back through the dialog with a nonce (set with setOnLink).
	onLink func(ctx context.Context, user, nonce string) error
}

type tokenShard struct {
	mu sync.Mutex
	m  map[string]*replyToken
}

type replyToken struct {
	user string
	uses int
}

func newFakeLINE(accessToken string) *fakeLINE {
	f := &fakeLINE{accessToken: accessToken, seed: maphash.MakeSeed(), links: map[string]string{}}
	for i := range f.shards {
		f.shards[i].m = map[string]*replyToken{}
	}
	return f
}

func (f *fakeLINE) shard(token string) *tokenShard {
	return &f.shards[maphash.String(f.seed, token)%uint64(len(f.shards))]
}

// expect registers a reply token sent in a webhook to user.
func (f *fakeLINE) expect(token, user string) {
	s := f.shard(token)
	s.mu.Lock()
	if s.m[token] == nil {
		s.m[token] = &replyToken{user: user}
	}
	s.mu.Unlock()
}

// unanswered counts registered tokens never used (only meaningful once the
// bot is done).
func (f *fakeLINE) unanswered() int {
	n := 0
	for i := range f.shards {
		s := &f.shards[i]
		s.mu.Lock()
		for _, t := range s.m {
			if t.uses == 0 {
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}

// forget drops the registered tokens (between runs).
func (f *fakeLINE) forget() {
	for i := range f.shards {
		s := &f.shards[i]
		s.mu.Lock()
		s.m = map[string]*replyToken{}
		s.mu.Unlock()
	}
}

// message is a message a bot sent, the parts the whole-flow workload reads.
type message struct {
	Type       string  `json:"type"`
	Text       string  `json:"text"`
	AltText    string  `json:"altText"`
	Template   *tmpl   `json:"template"`
	QuickReply *qreply `json:"quickReply"`
	// Contents is a Flex message's container, walked for its buttons.
	Contents json.RawMessage `json:"contents"`
	Via      string          `json:"-"` // reply or push
}

type tmpl struct {
	Text    string   `json:"text"`
	Actions []action `json:"actions"`
}

type qreply struct {
	Items []struct {
		Action action `json:"action"`
	} `json:"items"`
}

type action struct {
	Type  string `json:"type"`
	Label string `json:"label"`
	Data  string `json:"data"`
	URI   string `json:"uri"`
}

// buttons lists what the user can press on m.
func (m message) buttons() []action {
	var as []action
	if m.Template != nil {
		as = append(as, m.Template.Actions...)
	}
	if len(m.Contents) > 0 {
		var v any
		if json.Unmarshal(m.Contents, &v) == nil {
			as = flexButtons(v, as)
		}
	}
	if m.QuickReply != nil {
		for _, it := range m.QuickReply.Items {
			as = append(as, it.Action)
		}
	}
	return as
}

// flexButtons appends the actions of every Flex button in v (a decoded
// bubble or carousel) to as.
func flexButtons(v any, as []action) []action {
	switch v := v.(type) {
	case map[string]any:
		if v["type"] == "button" {
			if raw, err := json.Marshal(v["action"]); err == nil {
				var a action
				if json.Unmarshal(raw, &a) == nil {
					as = append(as, a)
				}
			}
			return as
		}
		for _, x := range v {
			as = flexButtons(x, as)
		}
	case []any:
		for _, x := range v {
			as = flexButtons(x, as)
		}
	}
	return as
}

func (m message) String() string {
	if m.Template != nil {
		return m.Template.Text
	}
	return m.Text
}

// inbox returns user's inbox, making it if need be.
func (f *fakeLINE) inbox(user string) chan []message {
	if c, ok := f.inboxes.Load(user); ok {
		return c.(chan []message)
	}
	c, _ := f.inboxes.LoadOrStore(user, make(chan []message, 16))
	return c.(chan []message)
}

func (f *fakeLINE) deliver(user, via string, raw []json.RawMessage) {
	if !f.keep.Load() {
		return
	}
	msgs := make([]message, 0, len(raw))
	for _, r := range raw {
		var m message
		if json.Unmarshal(r, &m) != nil {
			f.badBody.Add(1)
			continue
		}
		m.Via = via
		msgs = append(msgs, m)
	}
	select {
	case f.inbox(user) <- msgs:
	default:
		f.unexpected.Add(1) // nobody reads: more replies than the walk expects
	}
}

// sentMessages are LINE's answers to a send of 1 to 5 messages.
var sentMessages = func() [6][]byte {
	var out [6][]byte
	for n := 1; n <= 5; n++ {
		var parts []string
		for i := 0; i < n; i++ {
			parts = append(parts, fmt.Sprintf(`{"id":"5%017d","quoteToken":"IStG5h1Tz7b0"}`, i))
		}
		out[n] = []byte(`{"sentMessages":[` + strings.Join(parts, ",") + `]}`)
	}
	return out
}()

// handler serves the Messaging API under /v2/bot/ and the dialog at
// /dialog/bot/accountLink.
func (f *fakeLINE) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/bot/message/reply", f.auth(f.handleReply))
	mux.HandleFunc("POST /v2/bot/message/push", f.auth(f.handlePush))
	mux.HandleFunc("POST /v2/bot/chat/loading/start", f.auth(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		f.loading.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte("{}"))
	}))
	mux.HandleFunc("GET /v2/bot/profile/{userId}", f.auth(func(w http.ResponseWriter, r *http.Request) {
		f.profiles.Add(1)
		writeJSON(w, http.StatusOK, map[string]string{"userId": r.PathValue("userId"), "displayName": "ベンチ", "language": "ja"})
	}))
	mux.HandleFunc("POST /v2/bot/user/{userId}/linkToken", f.auth(func(w http.ResponseWriter, r *http.Request) {
		f.linkTokens.Add(1)
		tok := randomHex(16)
		f.linkMu.Lock()
		f.links[tok] = r.PathValue("userId")
		f.linkMu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"linkToken": tok})
	}))
	mux.HandleFunc("GET /dialog/bot/accountLink", f.handleDialog)
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		f.unexpected.Add(1)
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not found"})
	})
	return mux
}

func (f *fakeLINE) auth(h http.HandlerFunc) http.HandlerFunc {
	want := "Bearer " + f.accessToken
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != want {
			f.badAuth.Add(1)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Authentication failed"})
			return
		}
		h(w, r)
	}
}

func (f *fakeLINE) handleReply(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ReplyToken string            `json:"replyToken"`
		Messages   []json.RawMessage `json:"messages"`
	}
	if !f.decode(w, r, &req) || !f.countMessages(w, len(req.Messages)) {
		return
	}
	s := f.shard(req.ReplyToken)
	s.mu.Lock()
	t := s.m[req.ReplyToken]
	var user string
	var bad *atomic.Int64
	switch {
	case t == nil:
		bad = &f.unknownToken
	case t.uses > 0:
		t.uses++
		bad = &f.reusedToken
	default:
		t.uses = 1
		user = t.user
	}
	s.mu.Unlock()
	if bad != nil {
		bad.Add(1)
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Invalid reply token"})
		return
	}
	f.lastReply.Store(time.Now().UnixNano())
	f.replies.Add(1)
	f.deliver(user, "reply", req.Messages)
	w.Header().Set("Content-Type", "application/json")
	w.Write(sentMessages[len(req.Messages)])
}

func (f *fakeLINE) handlePush(w http.ResponseWriter, r *http.Request) {
	var req struct {
		To       string            `json:"to"`
		Messages []json.RawMessage `json:"messages"`
	}
	if !f.decode(w, r, &req) || !f.countMessages(w, len(req.Messages)) {
		return
	}
	f.lastReply.Store(time.Now().UnixNano())
	f.pushes.Add(1)
	f.deliver(req.To, "push", req.Messages)
	w.Header().Set("Content-Type", "application/json")
	w.Write(sentMessages[len(req.Messages)])
}

func (f *fakeLINE) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		f.badBody.Add(1)
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "The request body has 1 error(s)"})
		return false
	}
	return true
}

func (f *fakeLINE) countMessages(w http.ResponseWriter, n int) bool {
	if n < 1 || n > 5 {
		f.badBody.Add(1)
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "messages: size must be between 1 and 5"})
		return false
	}
	return true
}

// handleDialog is LINE's account-link dialog: the marketplace sends the
// user here with the link token and its nonce; LINE sends the bot the
// accountLink event and shows a page.
func (f *fakeLINE) handleDialog(w http.ResponseWriter, r *http.Request) {
	tok, nonce := r.URL.Query().Get("linkToken"), r.URL.Query().Get("nonce")
	f.linkMu.Lock()
	user, ok := f.links[tok]
	delete(f.links, tok) // single use
	onLink := f.onLink
	f.linkMu.Unlock()
	if !ok || nonce == "" || onLink == nil {
		f.unexpected.Add(1)
		http.Error(w, "invalid link token", http.StatusBadRequest)
		return
	}
	if err := onLink(r.Context(), user, nonce); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, "<!doctype html><title>LINE</title><p>トークに戻ってください。")
}

// setOnLink sets what the dialog does once a user came back with a nonce.
func (f *fakeLINE) setOnLink(h func(ctx context.Context, user, nonce string) error) {
	f.linkMu.Lock()
	f.onLink = h
	f.linkMu.Unlock()
}

// countConns is an http.Server ConnState hook counting new connections.
func (f *fakeLINE) countConns(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		f.conns.Add(1)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// lineCounts is a snapshot of the fake API's counters.
type lineCounts struct {
	replies, pushes, loading, profiles, linkTokens          int64
	unknownToken, reusedToken, badAuth, badBody, unexpected int64
	conns                                                   int64
}

func (f *fakeLINE) counts() lineCounts {
	return lineCounts{
		replies: f.replies.Load(), pushes: f.pushes.Load(), loading: f.loading.Load(), profiles: f.profiles.Load(),
		linkTokens: f.linkTokens.Load(), unknownToken: f.unknownToken.Load(), reusedToken: f.reusedToken.Load(),
		badAuth: f.badAuth.Load(), badBody: f.badBody.Load(), unexpected: f.unexpected.Load(), conns: f.conns.Load(),
	}
}

func (a lineCounts) sub(b lineCounts) lineCounts {
	return lineCounts{
		a.replies - b.replies, a.pushes - b.pushes, a.loading - b.loading, a.profiles - b.profiles, a.linkTokens - b.linkTokens,
		a.unknownToken - b.unknownToken, a.reusedToken - b.reusedToken, a.badAuth - b.badAuth, a.badBody - b.badBody, a.unexpected - b.unexpected,
		a.conns - b.conns,
	}
}

// anomalies sums what must never happen in a run.
func (a lineCounts) anomalies() int64 {
	return a.unknownToken + a.reusedToken + a.badAuth + a.badBody + a.unexpected
}
