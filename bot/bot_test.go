package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
)

var start = flows.Input{Kind: flows.InPostback, Data: flows.StartData}

// withdraw walks the user through a whole withdrawal: start, link, warning,
// reason (not using it), its advice, confirm.
func (h *harness) withdraw() {
	h.t.Helper()
	h.send(start)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	h.send(h.press("continue"))
	h.send(h.press("reason", string(taikai.ReasonNotUsing)))
	h.send(h.press("help_continue"))
	h.send(h.press("confirm"))
}

func TestAWholeWithdrawal(t *testing.T) {
	h := newHarness(t)
	h.withdraw()

	if h.market.filed != 1 {
		t.Fatalf("filed %d; want 1", h.market.filed)
	}
	ms := h.ch.messages()
	if len(ms) != 6 {
		t.Fatalf("%d message sets; want one per event (6)", len(ms))
	}
	for i, m := range ms {
		if m.via != "reply" || m.to != fmt.Sprintf("rt-%d", i+1) {
			t.Errorf("answer %d went by %s to %s; want a reply with the event's token", i, m.via, m.to)
		}
	}
	link := ms[0].replies[len(ms[0].replies)-1].Link
	if link == nil || link.URL != "https://market.example/link?linkToken=lt-1" {
		t.Errorf("link button %+v; want the link page with the issued token", link)
	}
	if h.ch.loading != 1 {
		t.Errorf("loading shown %d times; want once, for the status check", h.ch.loading)
	}
	// The conversation and the link are erased, the language too (the
	// receipt's memo keeps it for a week).
	rec := h.store.record(user)
	if rec.Conv != nil || rec.Link != "" {
		t.Errorf("stored after the withdrawal: %s, link %q; want nothing", rec.Conv, rec.Link)
	}
	if ts := h.turns.all(); !ts[len(ts)-1].Erased {
		t.Errorf("the last turn was not marked erased: trackers would keep the user")
	}

	var events []flows.Transition
	var checked, filing bool
	for _, tr := range h.turns.all() {
		events = append(events, tr.Events...)
		checked = checked || tr.Checked != nil
		if f := tr.Filing; f != nil {
			filing = true
			if f.Outcome != taikai.OutcomeFiled || f.AccountID != "acc_clean" || f.Receipt != "wd-000001" || !strings.HasPrefix(f.Key, "taikai-line-") || f.Reason != taikai.ReasonNotUsing {
				t.Errorf("filing tracked as %+v", f)
			}
		}
		if tr.User != user || tr.At.IsZero() {
			t.Errorf("turn %+v lacks its user or time", tr)
		}
	}
	for _, want := range []flows.Transition{flows.EvStarted, flows.EvLinked, flows.EvChecked, flows.EvClear, flows.EvWarned, flows.EvReason, flows.EvConfirmed, flows.EvFiled} {
		if !slices.Contains(events, want) {
			t.Errorf("funnel lacks %s: %v", want, events)
		}
	}
	if !checked || !filing {
		t.Errorf("turns: checked %v, filing %v; want both tracked", checked, filing)
	}
}

func TestALostCompareAndSetStepsAgainOnFreshState(t *testing.T) {
	h := newHarness(t)
	h.store.loseRaces(1)
	h.send(start)
	if h.store.saves != 2 {
		t.Errorf("%d saves; want 2 (one lost, one on fresh state)", h.store.saves)
	}
	if n := len(h.ch.messages()); n != 1 {
		t.Errorf("%d message sets sent; want 1", n)
	}
	if h.ch.tokens != 1 {
		t.Errorf("%d link tokens issued; want 1 (the step ran again, with the token issued before)", h.ch.tokens)
	}
}

func TestConflictsBeyondTheBoundAreRetriedAsAWhole(t *testing.T) {
	h := newHarness(t)
	h.store.loseRaces(maxSaves)
	h.send(start)
	if h.store.saves != maxSaves+1 {
		t.Errorf("%d saves; want %d", h.store.saves, maxSaves+1)
	}
	if n := len(h.ch.messages()); n != 1 {
		t.Errorf("%d message sets sent; want 1", n)
	}
}

func TestAnEventWaitsForRedis(t *testing.T) {
	h := newHarness(t)
	h.store.loadErr = []error{errors.New("redis: connection refused"), errors.New("redis: i/o timeout")}
	h.send(start)
	if n := len(h.ch.messages()); n != 1 {
		t.Errorf("%d message sets sent; want 1 once Redis answered", n)
	}
}

func TestAFencedSaveLeavesTheEvent(t *testing.T) {
	h := newHarness(t)
	h.store.fences[user] = 5 // a newer owner saved for this user
	ev, _ := h.event(start)
	if done := h.process(ev); done[0] {
		t.Error("a fenced event was acknowledged as done; it belongs to the newer owner")
	}
	if n := len(h.ch.messages()); n != 0 {
		t.Errorf("%d message sets sent by a fenced worker", n)
	}
	// Staff actions come from outside the queue: not fenced.
	if err := h.b.Pause(context.Background(), user); err != nil {
		t.Errorf("Pause: %v; want it unfenced", err)
	}
}

func TestAnAppliedEventResendsItsOutbox(t *testing.T) {
	for _, tc := range []struct {
		name     string
		age      time.Duration // of the event when resent
		used     bool          // the first attempt used the reply token
		wantVia  string        // "" for nothing sent
		wantSent int
	}{
		{"token used by the first attempt", 10 * time.Second, true, "", 0},
		{"token unused", 10 * time.Second, false, "reply", 1},
		{"token too old", time.Minute, false, "push", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			ev, inc := h.event(start)
			replies, _ := h.ch.Render([]flows.Reply{{Text: "前回の返事"}})
			ob, _ := json.Marshal(outbox{Event: ev.ID, ReplyToken: inc.ReplyToken, Chat: user, Received: h.clock().UnixMilli(), Saved: h.clock().UnixMilli(), Messages: replies})
			h.store.put(user, taikai.Record{Version: 1, Done: []string{ev.ID}, Outbox: ob})
			if tc.used {
				h.ch.used = map[string]bool{inc.ReplyToken: true}
			}
			h.advance(tc.age) // past the grace: the first sender had its chance
			if done := h.process(ev); !done[0] {
				t.Fatal("not done")
			}
			ms := h.ch.messages()
			if len(ms) != tc.wantSent {
				t.Fatalf("%d message sets sent; want %d", len(ms), tc.wantSent)
			}
			if tc.wantSent > 0 && (ms[0].via != tc.wantVia || ms[0].replies[0].Text != "前回の返事") {
				t.Errorf("sent %+v; want the saved outbox by %s", ms[0], tc.wantVia)
			}
			if tc.wantVia == "push" && ms[0].key != ev.ID {
				t.Errorf("pushed with key %q; want the event id", ms[0].key)
			}
			if h.store.saves != 0 || h.ch.tokens != 0 {
				t.Errorf("the event was applied again: %d saves, %d link tokens", h.store.saves, h.ch.tokens)
			}
		})
	}
}

func TestAFreshOutboxIsLeftToItsFirstSender(t *testing.T) {
	h := newHarness(t)
	h.b.opts.EventTimeout = 50 * time.Millisecond // far below the grace
	ev, inc := h.event(start)
	replies, _ := h.ch.Render([]flows.Reply{{Text: "送信中"}})
	ob, _ := json.Marshal(outbox{Event: ev.ID, ReplyToken: inc.ReplyToken, Chat: user, Received: h.clock().UnixMilli(), Saved: h.clock().UnixMilli(), Messages: replies})
	h.store.put(user, taikai.Record{Version: 1, Done: []string{ev.ID}, Outbox: ob})
	h.process(ev)
	if n := len(h.ch.messages()); n != 0 {
		t.Errorf("%d message sets sent while the first sender may still be sending", n)
	}
}

func TestWhileStaffHaveTheConversationTheBotIsSilent(t *testing.T) {
	h := newHarness(t)
	h.send(start)
	if err := h.b.Pause(context.Background(), user); err != nil {
		t.Fatal(err)
	}
	if got := h.store.record(user).Handoff; got != taikai.HandoffPaused {
		t.Fatalf("handoff %q; want paused", got)
	}
	paused := h.last()
	if paused.via != "push" {
		t.Errorf("the pause notice went by %s; want push (staff actions have no reply token)", paused.via)
	}
	before := len(h.ch.messages())
	h.send(flows.Input{Kind: flows.InText, Text: "電話で話せますか"})
	h.send(flows.Input{Kind: flows.InSticker})
	if n := len(h.ch.messages()) - before; n != 0 {
		t.Errorf("the bot answered %d times while paused", n)
	}
	ts := h.turns.all()
	if last := ts[len(ts)-1]; !slices.Contains(last.Events, evWhilePaused) || last.Handoff != taikai.HandoffPaused {
		t.Errorf("last turn %+v; want it marked while_paused", last)
	}
	if err := h.b.Resume(context.Background(), user); err != nil {
		t.Fatal(err)
	}
	if got := h.store.record(user).Handoff; got != "" {
		t.Errorf("handoff %q after resume; want none", got)
	}
	if n := len(h.ch.messages()) - before; n != 1 {
		t.Errorf("%d message sets on resume; want 1 (a note and the step again)", n)
	}
	if err := h.b.Pause(context.Background(), "not-a-user"); err == nil {
		t.Error("Pause accepted a malformed user id")
	}
}

func TestAReplyRefusedFallsBackToPush(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"token expired", chat.ErrInvalidReplyToken},
		{"LINE failed", errors.New("line: 500")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.ch.replyErr = []error{tc.err}
			ev, _ := h.event(start)
			h.process(ev)
			ms := h.ch.messages()
			if len(ms) != 1 || ms[0].via != "push" || ms[0].to != user || ms[0].key != ev.ID {
				t.Errorf("sent %+v; want one push to the user keyed by the event", ms)
			}
		})
	}
	// An event older than the reply window is pushed without trying the token.
	h := newHarness(t)
	ev, _ := h.event(start)
	h.advance(replyWindow + time.Second)
	h.process(ev)
	if ms := h.ch.messages(); len(ms) != 1 || ms[0].via != "push" {
		t.Errorf("sent %+v; want a push", ms)
	}
}

func TestAGroupGetsOneLineAndNoState(t *testing.T) {
	h := newHarness(t)
	for _, replyErr := range []error{nil, chat.ErrInvalidReplyToken} {
		h.ch.replyErr = []error{replyErr}
		inc := chat.Incoming{Type: "message", Input: flows.Input{Kind: flows.InGroup}, Chat: "Cgroup", ReplyToken: "rt-group-" + fmt.Sprint(replyErr != nil)}
		raw, _ := json.Marshal(inc)
		h.process(taikai.Event{ID: "g-" + fmt.Sprint(replyErr != nil), Key: "group:Cgroup", Raw: raw, Received: h.clock()})
	}
	ms := h.ch.messages()
	if len(ms) != 2 || ms[0].via != "reply" || ms[1].via != "push" || ms[1].to != "Cgroup" || len(ms[0].replies) != 1 {
		t.Errorf("sent %+v; want one line replied, then one pushed to the group when the token failed", ms)
	}
	if len(h.store.recs) != 0 || h.store.saves != 0 {
		t.Errorf("a group event touched the store: %v", h.store.recs)
	}
}

func TestEventsTheBotDoesNotActOnAreDropped(t *testing.T) {
	h := newHarness(t)
	ignored, _ := json.Marshal(chat.Incoming{Type: "somethingNew", User: user})
	done := h.process(
		taikai.Event{ID: "bad", Key: user, Raw: []byte(`{"type":`)},
		taikai.Event{ID: "ignored", Key: user, Raw: ignored},
		taikai.Event{ID: "panics", Key: user, Raw: []byte("panic")},
	)
	if !done[0] || !done[1] || !done[2] {
		t.Errorf("done %v; want each dropped for good", done)
	}
	if n := len(h.ch.messages()); n != 0 {
		t.Errorf("%d message sets sent", n)
	}
	var types []string
	for _, tr := range h.turns.all() {
		types = append(types, tr.Type)
	}
	if !slices.Equal(types, []string{"malformed", "ignored"}) {
		t.Errorf("tracked %v; want malformed, ignored", types)
	}
}

func TestEffectsThatFailAreToldToTheFlow(t *testing.T) {
	h := newHarness(t)
	h.ch.linkErr = errors.New("line: 503")
	h.send(start)
	// The flow said something (it could not make the link) rather than nothing.
	if rs := h.last().replies; len(rs) == 0 || rs[len(rs)-1].Link != nil {
		t.Errorf("replies %+v; want words and no link", rs)
	}
	h.ch.linkErr = nil

	h = newHarness(t)
	h.send(start)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "unknown-nonce"})
	if got := h.store.record(user).Link; got != "" {
		t.Errorf("linked to %q with an unknown nonce", got)
	}

	h = newHarness(t)
	h.send(start)
	h.market.err = fmt.Errorf("marketplace: %w", taikai.ErrUnavailable)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	if got := h.store.record(user).Link; got != "" {
		t.Errorf("linked to %q while the marketplace was down", got)
	}
	h.market.err = nil
	h.market.statusErr = fmt.Errorf("marketplace: %w", taikai.ErrUnavailable)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	if got := h.store.record(user).Link; got != "acc_clean" {
		t.Errorf("linked to %q; want acc_clean", got)
	}
	h.send(h.press("check"))
	var st flows.State
	json.Unmarshal(h.store.record(user).Conv, &st)
	if st.Step != flows.StepChecking || st.Failures == 0 {
		t.Errorf("after a failed check: step %s, failures %d; want checking and counted", st.Step, st.Failures)
	}
}

func TestFilingOutcomesAreTracked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(m *fakeMarket)
		want  taikai.Outcome
	}{
		{"blocked", func(m *fakeMarket) { m.accounts["acc_clean"].SalesBalanceJPY = 3200 }, taikai.OutcomeBlocked},
		{"not found", func(m *fakeMarket) { delete(m.accounts, "acc_clean") }, taikai.OutcomeNotFound},
		{"unavailable", func(m *fakeMarket) { m.err = taikai.ErrUnavailable }, taikai.OutcomeUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.send(start)
			h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
			h.send(h.press("continue"))
			h.send(h.press("reason", string(taikai.ReasonNone)))
			h.market.mu.Lock()
			tc.setup(h.market)
			h.market.mu.Unlock()
			h.send(h.press("confirm"))
			ts := h.turns.all()
			f := ts[len(ts)-1].Filing
			if f == nil || f.Outcome != tc.want {
				t.Errorf("filing %+v; want outcome %s", f, tc.want)
			}
			if h.market.filed != 0 {
				t.Errorf("filed %d", h.market.filed)
			}
		})
	}
}

func TestAskingForStaffQueuesTheUserAndTheBotKeepsQuiet(t *testing.T) {
	h := newHarness(t)
	h.send(start)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	h.send(h.press("staff"))
	if got := h.store.record(user).Handoff; got != taikai.HandoffRequested {
		t.Errorf("handoff %q; want requested", got)
	}
	h.press("back") // the acknowledgement offers the way back
	before := len(h.ch.messages())
	h.send(flows.Input{Kind: flows.InText, Text: "まだですか"})
	h.send(flows.Input{Kind: flows.InSticker})
	if n := len(h.ch.messages()) - before; n != 1 {
		t.Errorf("the bot answered %d times to the first messages to staff; want one acknowledgement, then silence", n)
	}
	h.advance(flows.StaffNoteEvery)
	h.send(flows.Input{Kind: flows.InText, Text: "まだですか"})
	h.send(flows.Input{Kind: flows.InText, Text: "もしもし"})
	if n := len(h.ch.messages()) - before; n != 2 {
		t.Errorf("%d notes after %v of waiting; want one more", n-1, flows.StaffNoteEvery)
	}
	if got := h.store.record(user).Handoff; got != taikai.HandoffRequested {
		t.Errorf("handoff %q while waiting; want requested", got)
	}

	// Back to the bot: out of the staff queue, at the same step.
	h.send(h.press("back"))
	if got := h.store.record(user).Handoff; got != "" {
		t.Errorf("handoff %q after going back to the bot; want none", got)
	}
	h.send(h.press("continue"))
	h.send(h.press("reason", string(taikai.ReasonNone)))
	h.send(h.press("confirm"))
	if h.market.filed != 1 {
		t.Errorf("filed %d after going back to the bot; want 1", h.market.filed)
	}

	// The staff queue cannot be reached: not queued, and told so.
	h = newHarness(t)
	h.send(start)
	h.store.handoffErr = errors.New("redis down")
	h.send(h.press("staff"))
	if got := h.store.record(user).Handoff; got != "" {
		t.Errorf("handoff %q though the staff queue failed", got)
	}
	// Nor can it be left: still queued, and the way back offered again.
	h.store.handoffErr = nil
	h.send(h.press("staff"))
	h.store.handoffErr = errors.New("redis down")
	h.send(flows.Input{Kind: flows.InText, Text: "ボットに戻る"})
	if got := h.store.record(user).Handoff; got != taikai.HandoffRequested {
		t.Errorf("handoff %q though leaving the queue failed; want requested", got)
	}
	h.press("back")
}

func TestTheLanguageIsReadOncePerUser(t *testing.T) {
	h := newHarness(t)
	h.ch.lang = "en"
	h.withdraw()
	h.send(flows.Input{Kind: flows.InSticker})
	h.send(start)
	if h.ch.profiles != 1 {
		t.Errorf("the profile was read %d times; want once", h.ch.profiles)
	}
	if h.market.filed != 1 {
		t.Fatalf("filed %d; want 1", h.market.filed)
	}
	for _, m := range h.ch.messages()[2:] {
		for _, r := range m.replies {
			if strings.ContainsAny(r.Text, "をはのに") {
				t.Errorf("Japanese for an English profile: %q", r.Text)
			}
		}
	}

	// A profile that cannot be read: Japanese, and not asked again.
	h = newHarness(t)
	h.ch.langErr = errors.New("line: 404")
	h.send(start)
	h.send(flows.Input{Kind: flows.InSticker})
	if h.ch.profiles != 1 {
		t.Errorf("the profile was read %d times; want once", h.ch.profiles)
	}
	if rs := h.last().replies; !strings.Contains(rs[len(rs)-1].Text, "。") {
		t.Errorf("replies %+v; want Japanese", rs)
	}
}

func TestAFilingIsRememberedForTheUser(t *testing.T) {
	h := newHarness(t)
	h.withdraw()
	if rec := h.store.record(user); rec.Link != "" {
		t.Errorf("still linked to %q after the withdrawal", rec.Link)
	}
	if len(h.store.memos) != 1 {
		t.Fatalf("memos %v; want the filing's", h.store.memos)
	}
	for id, memo := range h.store.memos {
		if strings.Contains(id, user) || strings.Contains(string(memo), user) {
			t.Errorf("memo %s = %s names the user", id, memo)
		}
	}
	h.send(flows.Input{Kind: flows.InText, Text: "退会できましたか？"})
	if rs := h.last().replies; !strings.Contains(rs[0].Text, "wd-000001") {
		t.Errorf("asked whether it was filed: %+v; want the receipt", rs)
	}

	// Another user is not told of it.
	other := "U00000000000000000000000000000002"
	inc := chat.Incoming{Type: "message", Input: flows.Input{Kind: flows.InText, Text: "退会できましたか？"}, User: other, Chat: other, ReplyToken: "rt-other"}
	raw, _ := json.Marshal(inc)
	h.process(taikai.Event{ID: "ev-other", Key: other, Raw: raw, Received: h.clock(), Fence: 1})
	if rs := h.last().replies; strings.Contains(rs[0].Text, "wd-000001") {
		t.Errorf("another user was told of the filing: %+v", rs)
	}

	// Without the memo, the filing itself is unharmed.
	h = newHarness(t)
	h.store.memoErr = errors.New("redis down")
	h.withdraw()
	if h.market.filed != 1 {
		t.Errorf("filed %d with the memo failing; want 1", h.market.filed)
	}
	if rs := h.last().replies; !strings.Contains(rs[0].Text, "wd-000001") {
		t.Errorf("receipt %+v", rs)
	}
	h.send(flows.Input{Kind: flows.InText, Text: "退会できましたか？"})
	if len(h.last().replies) == 0 {
		t.Error("no answer when the memo cannot be read")
	}
}

func TestAnUnreadableStateStartsOver(t *testing.T) {
	h := newHarness(t)
	h.store.put(user, taikai.Record{Version: 3, Conv: []byte("{not json")})
	h.send(start)
	var st flows.State
	if err := json.Unmarshal(h.store.record(user).Conv, &st); err != nil || st.Step != flows.StepLinking {
		t.Errorf("state %s (%v); want a fresh conversation at linking", h.store.record(user).Conv, err)
	}
}

func TestEventsOfAUserKeepTheirOrder(t *testing.T) {
	h := newHarness(t)
	var evs []taikai.Event
	for i := 0; i < 5; i++ {
		ev, _ := h.event(flows.Input{Kind: flows.InSticker})
		evs = append(evs, ev)
	}
	h.process(evs...)
	ms := h.ch.messages()
	if len(ms) != 5 {
		t.Fatalf("%d message sets; want 5", len(ms))
	}
	for i, m := range ms {
		if m.to != fmt.Sprintf("rt-%d", i+1) {
			t.Errorf("answer %d is to %s; want rt-%d (in order)", i, m.to, i+1)
		}
	}
	if got := h.store.record(user).Done; len(got) != 5 || got[0] != evs[4].ID {
		t.Errorf("applied %v; want all five, newest first", got)
	}
}

func TestClose(t *testing.T) {
	h := newHarness(t)
	h.send(start)
	if err := h.b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev, _ := h.event(start)
	if err := h.b.Enqueue(context.Background(), []taikai.Event{ev}); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Close: %v; want ErrClosed", err)
	}
}

func TestAtShutdownAFailingEventIsLeftForAnotherWorker(t *testing.T) {
	h := newHarness(t)
	down := errors.New("redis: connection refused")
	h.store.loadErr = []error{down, down, down, down, down, down, down, down}
	h.b.mu.Lock()
	h.b.closed = true
	h.b.mu.Unlock()
	ev, _ := h.event(start)
	if h.b.process(ev) {
		t.Error("an event that never reached Redis counted as done at shutdown")
	}
	if left := len(h.store.loadErr); left != 5 {
		t.Errorf("%d attempts at shutdown; want 3", 8-left)
	}
}

func TestPseudonymsAreStableAndHideTheUser(t *testing.T) {
	h := newHarness(t)
	a, b := h.b.pseudonym(user), h.b.pseudonym(user)
	if a != b || len(a) != 12 || strings.Contains(user, a) || h.b.pseudonym("U1") == a {
		t.Errorf("pseudonym %q, %q", a, b)
	}
}

// droppingStore is a fakeStore that is told when an outbox was sent.
type droppingStore struct {
	*fakeStore
	mu   sync.Mutex
	sent []string
}

func (s *droppingStore) Sent(user, event string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, user+" "+event)
}

// TestAnOutboxIsDroppedOnceSentAndOnlyThen: the store is told an event's
// outbox went out — by reply, or by push after a refused reply — and not
// when it could not be sent (a worker that takes over must still find it).
func TestAnOutboxIsDroppedOnceSentAndOnlyThen(t *testing.T) {
	for _, tc := range []struct {
		name     string
		replyErr error
		pushErr  error
		dropped  bool
	}{
		{"replied", nil, nil, true},
		{"pushed", chat.ErrInvalidReplyToken, nil, true},
		{"not sent", errors.New("line: 500"), errors.New("line: 500"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			st := &droppingStore{fakeStore: h.store}
			h.b.opts.Store = st
			if tc.replyErr != nil {
				h.ch.replyErr = []error{tc.replyErr}
			}
			h.ch.pushErr = tc.pushErr
			ev, _ := h.event(start)
			h.process(ev)
			if r := h.store.recs[user]; !r.Applied(ev.ID) || r.Outbox == nil {
				t.Fatalf("record %+v; want the event applied with its outbox", r)
			}
			want := []string(nil)
			if tc.dropped {
				want = []string{user + " " + ev.ID}
			}
			if !slices.Equal(st.sent, want) {
				t.Errorf("sent %q; want %q", st.sent, want)
			}
		})
	}
}
