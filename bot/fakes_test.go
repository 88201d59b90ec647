package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/retry"
)

// Hand-written fakes: a map and a mutex each, with knobs for failures.

// fakeStore is Store with the real one's compare-and-set and fencing.
type fakeStore struct {
	mu      sync.Mutex
	recs    map[string]taikai.Record
	fences  map[string]int64
	loadErr []error // returned by the next Loads, one each
	// beforeSave, if set, runs before each Save (a concurrent writer).
	beforeSave func(user string)
	saves      int
	handoffErr error
	// memos are what Remember kept, by id (TTLs are not kept: the tests
	// that need expiry drop a memo themselves).
	memos   map[string][]byte
	memoErr error
}

func newStore() *fakeStore {
	return &fakeStore{recs: map[string]taikai.Record{}, fences: map[string]int64{}}
}

func (s *fakeStore) Load(_ context.Context, user string) (taikai.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.loadErr) > 0 {
		err := s.loadErr[0]
		s.loadErr = s.loadErr[1:]
		return taikai.Record{}, err
	}
	return s.recs[user], nil
}

func (s *fakeStore) Save(_ context.Context, user string, r taikai.Record, c taikai.Commit) (int64, error) {
	if s.beforeSave != nil {
		s.beforeSave(user)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saves++
	old := s.recs[user]
	if c.Fence >= 0 && c.Fence < s.fences[user] {
		return 0, fmt.Errorf("fake: %w", taikai.ErrFenced)
	}
	if r.Version != old.Version {
		return 0, fmt.Errorf("fake: %w", taikai.ErrConflict)
	}
	r.Version++
	r.Handoff = old.Handoff
	if c.Erase {
		r.Conv, r.Link, r.Handoff = nil, "", ""
	}
	r.Done = append([]string{c.EventID}, old.Done...)
	r.Outbox = c.Outbox
	s.recs[user] = r
	if c.Fence > s.fences[user] {
		s.fences[user] = c.Fence
	}
	return r.Version, nil
}

func (s *fakeStore) SetHandoff(_ context.Context, user, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handoffErr != nil {
		return s.handoffErr
	}
	r := s.recs[user]
	r.Handoff = state
	s.recs[user] = r
	return nil
}

func (s *fakeStore) Remember(_ context.Context, id string, data []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.memoErr != nil {
		return s.memoErr
	}
	if s.memos == nil {
		s.memos = map[string][]byte{}
	}
	s.memos[id] = append([]byte(nil), data...)
	return nil
}

func (s *fakeStore) Recall(_ context.Context, id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.memoErr != nil {
		return nil, s.memoErr
	}
	return s.memos[id], nil
}

// loseRaces makes the next n saves find that another writer saved first.
func (s *fakeStore) loseRaces(n int) {
	s.beforeSave = func(user string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if n > 0 {
			n--
			r := s.recs[user]
			r.Version++
			s.recs[user] = r
		}
	}
}

func (s *fakeStore) record(user string) taikai.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recs[user]
}

func (s *fakeStore) put(user string, r taikai.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs[user] = r
}

// sent is one message set the channel sent.
type sent struct {
	via     string // "reply" or "push"
	to      string // reply token or chat
	key     string // push key
	replies []flows.Reply
}

// fakeChannel is Channel. Its raw events are JSON-encoded chat.Incoming
// values, and it renders a reply as the reply's JSON, so tests can read
// the buttons back.
type fakeChannel struct {
	mu       sync.Mutex
	sent     []sent
	replyErr []error // returned by the next Replies, one each
	pushErr  error
	linkErr  error
	loading  int
	tokens   int
	// lang is the language of the user's profile; langErr fails its read.
	lang     string
	langErr  error
	profiles int // profile reads
	// used are reply tokens already used, refused with ErrInvalidReplyToken.
	used map[string]bool
}

func (c *fakeChannel) Decode(raw []byte) (chat.Incoming, error) {
	if string(raw) == "panic" {
		panic("decoder bug")
	}
	var inc chat.Incoming
	err := json.Unmarshal(raw, &inc)
	return inc, err
}

func (c *fakeChannel) Render(replies []flows.Reply) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for _, r := range replies {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// decodeReplies reads back what Render made.
func decodeReplies(msgs []json.RawMessage) []flows.Reply {
	var rs []flows.Reply
	for _, m := range msgs {
		var r flows.Reply
		if err := json.Unmarshal(m, &r); err != nil {
			panic(fmt.Sprintf("sent message %s: %v", m, err))
		}
		rs = append(rs, r)
	}
	return rs
}

func (c *fakeChannel) Reply(_ context.Context, token string, msgs []json.RawMessage) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.replyErr) > 0 {
		err := c.replyErr[0]
		c.replyErr = c.replyErr[1:]
		if err != nil {
			return err
		}
	}
	if c.used[token] {
		return chat.ErrInvalidReplyToken
	}
	if c.used == nil {
		c.used = map[string]bool{}
	}
	c.used[token] = true
	c.sent = append(c.sent, sent{via: "reply", to: token, replies: decodeReplies(msgs)})
	return nil
}

func (c *fakeChannel) Push(_ context.Context, to string, msgs []json.RawMessage, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pushErr != nil {
		return c.pushErr
	}
	for _, s := range c.sent {
		if s.via == "push" && s.key == key {
			return nil // idempotent, as LINE's retry key makes it
		}
	}
	c.sent = append(c.sent, sent{via: "push", to: to, key: key, replies: decodeReplies(msgs)})
	return nil
}

func (c *fakeChannel) ShowLoading(context.Context, string, int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loading++
	return errors.New("loading is a courtesy; its failure changes nothing")
}

func (c *fakeChannel) IssueLinkToken(_ context.Context, user string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.linkErr != nil {
		return "", c.linkErr
	}
	c.tokens++
	return fmt.Sprintf("lt-%d", c.tokens), nil
}

func (c *fakeChannel) Language(context.Context, string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.profiles++
	return c.lang, c.langErr
}

func (c *fakeChannel) messages() []sent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sent(nil), c.sent...)
}

// fakeMarket is Marketplace.
type fakeMarket struct {
	mu        sync.Mutex
	accounts  map[string]*taikai.Status
	nonces    map[string]string
	keys      map[string]bool // idempotency keys filed
	filed     int
	requests  []taikai.WithdrawalRequest // every filing's request
	err       error                      // returned by every call when set
	statusErr error                      // returned by Status when set
	// calls counts the calls of each method ("status", "withdraw", "resolve").
	calls map[string]int
	// after, if set, runs after each call, outside the lock (a concurrent
	// writer saving between the call and the bot's save).
	after func(method string)
}

func (m *fakeMarket) called(method string) {
	m.mu.Lock()
	if m.calls == nil {
		m.calls = map[string]int{}
	}
	m.calls[method]++
	after := m.after
	m.mu.Unlock()
	if after != nil {
		after(method)
	}
}

func (m *fakeMarket) count(method string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[method]
}

func newMarket() *fakeMarket {
	return &fakeMarket{
		accounts: map[string]*taikai.Status{"acc_clean": {AccountID: "acc_clean", DisplayName: "山田 花子", Rating: taikai.Rating{Average: 4.8, Count: 52}, CompletedOrders: 50}},
		nonces:   map[string]string{"nonce-1": "acc_clean"},
		keys:     map[string]bool{},
	}
}

func (m *fakeMarket) Status(_ context.Context, id string) (*taikai.Status, error) {
	defer m.called("status")
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	if m.statusErr != nil {
		return nil, m.statusErr
	}
	st, ok := m.accounts[id]
	if !ok {
		return nil, taikai.ErrNotFound
	}
	c := *st
	return &c, nil
}

func (m *fakeMarket) Withdraw(_ context.Context, id, key string, req taikai.WithdrawalRequest) (*taikai.Withdrawal, error) {
	defer m.called("withdraw")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests = append(m.requests, req)
	if m.err != nil {
		return nil, m.err
	}
	st, ok := m.accounts[id]
	switch {
	case !ok:
		return nil, taikai.ErrNotFound
	case st.Blocked():
		return nil, &taikai.BlockedError{Status: *st}
	}
	if !m.keys[key] {
		m.keys[key] = true
		m.filed++
	}
	return &taikai.Withdrawal{WithdrawalID: fmt.Sprintf("wd-%06d", m.filed), Status: "accepted"}, nil
}

func (m *fakeMarket) ResolveLink(_ context.Context, nonce string) (string, error) {
	defer m.called("resolve")
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return "", m.err
	}
	acc, ok := m.nonces[nonce]
	delete(m.nonces, nonce)
	if !ok {
		return "", taikai.ErrNotFound
	}
	return acc, nil
}

// turns is a chat.Tracker that keeps every Turn.
type turns struct {
	mu sync.Mutex
	ts []chat.Turn
}

func (r *turns) Track(_ context.Context, t chat.Turn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ts = append(r.ts, t)
}

func (r *turns) all() []chat.Turn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chat.Turn(nil), r.ts...)
}

// harness is a Bot on fakes, with a clock the test sets.
type harness struct {
	t      *testing.T
	store  *fakeStore
	ch     *fakeChannel
	market *fakeMarket
	turns  *turns
	b      *Bot

	mu  sync.Mutex
	now time.Time
	seq int
}

const user = "U0123456789abcdef0123456789abcdef"

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, store: newStore(), ch: &fakeChannel{}, market: newMarket(), turns: &turns{}, now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	h.b = New(Options{
		Store: h.store, Marketplace: h.market, Channel: h.ch,
		LinkURL: "https://market.example/link", Trackers: []chat.Tracker{h.turns},
		Retry: retry.Policy{Backoff: time.Millisecond, MaxBackoff: time.Millisecond},
		Now:   h.clock,
	})
	return h
}

func (h *harness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	h.now = h.now.Add(d)
	h.mu.Unlock()
}

// event makes an event from the user, with a fresh reply token.
func (h *harness) event(in flows.Input) (taikai.Event, chat.Incoming) {
	h.mu.Lock()
	h.seq++
	n := h.seq
	h.mu.Unlock()
	inc := chat.Incoming{Type: "message", Input: in, User: user, Chat: user, ReplyToken: fmt.Sprintf("rt-%d", n)}
	raw, err := json.Marshal(inc)
	if err != nil {
		h.t.Fatal(err)
	}
	return taikai.Event{ID: fmt.Sprintf("ev-%d", n), Key: user, Raw: raw, Received: h.clock(), Fence: 1}, inc
}

// process runs events through Enqueue, as the queue does, and reports
// whether each was acknowledged as done.
func (h *harness) process(evs ...taikai.Event) []bool {
	h.t.Helper()
	done := make([]bool, len(evs))
	for i := range evs {
		i := i
		evs[i].Ack = func(d bool) { done[i] = d }
	}
	if err := h.b.Enqueue(context.Background(), evs); err != nil {
		h.t.Fatal(err)
	}
	h.b.Wait()
	return done
}

// send processes one input from the user and fails the test unless it is done.
func (h *harness) send(in flows.Input) {
	h.t.Helper()
	ev, _ := h.event(in)
	if done := h.process(ev); !done[0] {
		h.t.Fatalf("%+v was not processed", in)
	}
}

// last is the last message set the user was sent.
func (h *harness) last() sent {
	h.t.Helper()
	ms := h.ch.messages()
	if len(ms) == 0 {
		h.t.Fatal("nothing sent")
	}
	return ms[len(ms)-1]
}

// press presses the button of the last message whose postback data is for
// action a (a=…) and, if given, has argument r (r=…).
func (h *harness) press(a string, r ...string) flows.Input {
	h.t.Helper()
	rs := h.last().replies
	for _, c := range rs[len(rs)-1].Choices {
		v, err := url.ParseQuery(c.Data)
		if err == nil && v.Get("a") == a && (len(r) == 0 || v.Get("r") == r[0]) {
			return flows.Input{Kind: flows.InPostback, Data: c.Data}
		}
	}
	h.t.Fatalf("no %q %v button in %+v", a, r, rs[len(rs)-1])
	return flows.Input{}
}
