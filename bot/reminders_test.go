package bot

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/flows"
)

// fakeReminders is Reminders: a map and a mutex.
type fakeReminders struct {
	mu      sync.Mutex
	at      map[string]time.Time
	forgot  int
	failing error
}

func (r *fakeReminders) Remind(_ context.Context, user string, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing != nil {
		return r.failing
	}
	r.at[user] = at
	return nil
}

func (r *fakeReminders) Forget(_ context.Context, user string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forgot++
	delete(r.at, user)
	return nil
}

func (r *fakeReminders) get(user string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.at[user]
	return at, ok
}

var jst = time.FixedZone("JST", 9*60*60)

// payoutDue is when a reminder for acc_payout's payout (expected on 27
// November) is due.
var payoutDue = time.Date(2026, 11, 28, 10, 0, 0, 0, jst)

// reservingHarness is a harness whose user is blocked by a payout alone
// and has asked to be reminded.
func reservingHarness(t *testing.T) (*harness, *fakeReminders) {
	h := newHarness(t)
	rem := &fakeReminders{at: map[string]time.Time{}}
	h.b.opts.Reminders = rem
	h.market.accounts["acc_payout"] = &taikai.Status{AccountID: "acc_payout", DisplayName: "田中 翔", Rating: taikai.Rating{Average: 4.2, Count: 15}, CompletedOrders: 15,
		PayoutsInProgress: []taikai.Payout{{PayoutID: "p-3001", AmountJPY: 12000, RequestedAt: "2026-11-20", ExpectedAt: "2026-11-27"}}}
	h.market.nonces["nonce-1"] = "acc_payout"
	h.send(start)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	h.send(h.press("remind"))
	return h, rem
}

// remindNow processes the reminder event the poller would enqueue at due.
func (h *harness) remindNow(due time.Time) []bool {
	ev := taikai.ReminderEvent(user, due, h.clock())
	ev.Fence = 1
	return h.process(ev)
}

func TestAReminderIsSetKeptAndPushed(t *testing.T) {
	h, rem := reservingHarness(t)
	if at, ok := rem.get(user); !ok || !at.Equal(payoutDue) {
		t.Fatalf("reminder %v, %v; want %v", at, ok, payoutDue)
	}
	if said := h.last().replies[0].Text; !strings.Contains(said, "11月28日（土）10:00") {
		t.Errorf("the user was told %q", said)
	}
	// Kept past the reminder, however long the wait.
	if rec := h.store.record(user); rec.ConvTTL < payoutDue.Sub(h.clock()) {
		t.Errorf("the conversation is kept %v; the reminder is %v away", rec.ConvTTL, payoutDue.Sub(h.clock()))
	}

	// The payout is paid; the reminder comes.
	h.market.accounts["acc_payout"].PayoutsInProgress = nil
	h.advance(payoutDue.Sub(h.clock()) + 2*time.Second)
	if done := h.remindNow(payoutDue); !done[0] {
		t.Fatal("the reminder was not processed")
	}
	m := h.last()
	if m.via != "push" || m.to != user || !strings.HasPrefix(m.key, "reminder:") {
		t.Fatalf("answered by %s to %s keyed %q; want a push keyed by the reminder", m.via, m.to, m.key)
	}
	if said := m.replies[0].Text + m.replies[len(m.replies)-1].Text; !strings.Contains(said, "お知らせの時間になりました") || !strings.Contains(said, "振込が完了し") {
		t.Errorf("pushed %q", said)
	}
	if h.market.count("status") != 2 || h.market.filed != 0 {
		t.Errorf("status looked up %d times, filed %d; want a second look, nothing filed", h.market.count("status"), h.market.filed)
	}
	if _, ok := rem.get(user); ok {
		t.Errorf("the reminder is still kept after it came")
	}
	tr := h.turns.all()
	if last := tr[len(tr)-1]; last.Type != "reminder" || last.State.Step != flows.StepReady {
		t.Errorf("tracked as %q at %s", last.Type, last.State.Step)
	}

	// The reminder again, taken again after its lease (another id, a
	// later due time), does nothing: the conversation waits for none.
	pushes := len(h.ch.messages())
	h.remindNow(payoutDue.Add(time.Minute))
	if n := len(h.ch.messages()); n != pushes || h.market.count("status") != 2 {
		t.Errorf("a second delivery sent %d message sets and looked the account up again", n-pushes)
	}

	// Going on: the warning, then a fresh yes files, with the consent.
	h.send(h.press("resume"))
	h.send(h.press("continue"))
	h.send(h.press("reason", string(taikai.ReasonNone)))
	if h.market.filed != 0 {
		t.Fatalf("filed before the confirmation")
	}
	h.send(h.press("confirm"))
	if h.market.filed != 1 {
		t.Fatalf("filed %d; want 1", h.market.filed)
	}
	c := h.market.requests[0].Consent
	if c.Language != "ja" || c.Warning.AcknowledgedAt == "" || c.Confirm.ConfirmedAt == "" || c.Warning.CompletedOrders != 15 {
		t.Errorf("filed with consent %+v", c)
	}
	tr = h.turns.all()
	if f := tr[len(tr)-1].Filing; f == nil || f.Consent != c {
		t.Errorf("the filing was tracked without its consent: %+v", f)
	}
}

func TestStoppingForgetsTheReminder(t *testing.T) {
	for _, how := range []string{"cancel", "unlink", "unfollow"} {
		h, rem := reservingHarness(t)
		switch how {
		case "cancel":
			h.send(h.press("cancel"))
		case "unlink":
			h.send(flows.Input{Kind: flows.InText, Text: "連携解除"})
		case "unfollow":
			h.send(flows.Input{Kind: flows.InUnfollow})
		}
		if _, ok := rem.get(user); ok || rem.forgot != 1 {
			t.Errorf("%s: reminder kept (forgotten %d times)", how, rem.forgot)
		}
		// Were it to come anyway (forgotten too late), it would say nothing.
		n := len(h.ch.messages())
		h.advance(payoutDue.Sub(h.clock()))
		h.remindNow(payoutDue)
		if len(h.ch.messages()) != n {
			t.Errorf("%s: a reminder after stopping sent %+v", how, h.last())
		}
	}
}

func TestAReminderThatCannotBeSet(t *testing.T) {
	h := newHarness(t)
	rem := &fakeReminders{at: map[string]time.Time{}, failing: errors.New("redis down")}
	h.b.opts.Reminders = rem
	h.market.accounts["acc_clean"].PayoutsInProgress = []taikai.Payout{{PayoutID: "p", AmountJPY: 1, RequestedAt: "2026-11-20", ExpectedAt: "2026-11-27"}}
	h.send(start)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	h.send(h.press("remind"))
	if said := h.last().replies[0].Text; !strings.Contains(said, "予約できませんでした") {
		t.Errorf("said %q", said)
	}
	var s flows.State
	if err := jsonState(h.store.record(user).Conv, &s); err != nil || s.Step != flows.StepBlocked || !s.Remind.IsZero() {
		t.Errorf("state %s, remind %v (%v); want still blocked", s.Step, s.Remind, err)
	}
}

// TestAReminderWhileStaffHaveTheConversation: the bot stays silent, and the
// reminder is run when staff hand back.
func TestAReminderWhileStaffHaveTheConversation(t *testing.T) {
	h, _ := reservingHarness(t)
	ctx := context.Background()
	if err := h.b.Pause(ctx, user); err != nil {
		t.Fatal(err)
	}
	n := len(h.ch.messages())
	h.market.accounts["acc_payout"].PayoutsInProgress = nil
	h.advance(payoutDue.Sub(h.clock()) + time.Minute)
	h.remindNow(payoutDue)
	if len(h.ch.messages()) != n || h.market.count("status") != 1 {
		t.Fatalf("while paused, the reminder sent %d message sets", len(h.ch.messages())-n)
	}
	if err := h.b.Resume(ctx, user); err != nil {
		t.Fatal(err)
	}
	if h.market.count("status") != 2 || !strings.Contains(h.last().replies[len(h.last().replies)-1].Text, "振込が完了し") {
		t.Errorf("handed back: %d lookups, said %+v", h.market.count("status"), h.last().replies)
	}
}

// TestOnlyTheBotMakesReminders: a LINE event whose body looks like a
// reminder is no reminder (the webhook never makes a reminder's id).
func TestOnlyTheBotMakesReminders(t *testing.T) {
	h, _ := reservingHarness(t)
	ev := taikai.ReminderEvent(user, payoutDue, h.clock())
	ev.ID, ev.Fence = "01JDXYZ", 1
	h.advance(payoutDue.Sub(h.clock()))
	n := h.market.count("status")
	h.process(ev)
	if h.market.count("status") != n {
		t.Errorf("a body shaped like a reminder ran the reminder")
	}
}

func jsonState(b []byte, s *flows.State) error { return json.Unmarshal(b, s) }
