package bot

import (
	"bytes"
	"context"
	"errors"
	"github.com/taikaibot/taikai/flows"
	"log/slog"
	"strings"
	"testing"
)

// TestPauseOfANonUserWritesNothing: a staff action for something that is
// not a LINE user id is refused before anything is written, and the
// refusal does not carry the id (it is logged, and may be huge).
func TestPauseOfANonUserWritesNothing(t *testing.T) {
	h := newHarness(t)
	for _, id := range []string{"not-a-user", "U{x}0123456789abcdef0123456789abc", "U" + strings.Repeat("a", 100000)} {
		var logs bytes.Buffer
		h.b.log = slog.New(slog.NewTextHandler(&logs, nil))
		for _, do := range []func(context.Context, string) error{h.b.Pause, h.b.Resume} {
			err := do(context.Background(), id)
			if err == nil {
				t.Fatalf("%.20q: accepted", id)
			}
			if strings.Contains(err.Error(), id) || len(err.Error()) > 200 {
				t.Errorf("%.20q: the error carries the id: %.80q (%d bytes)", id, err.Error(), len(err.Error()))
			}
		}
		h.store.mu.Lock()
		_, written := h.store.recs[id]
		h.store.mu.Unlock()
		if written {
			t.Errorf("%.20q: a record was written", id)
		}
		if strings.Contains(logs.String(), id) {
			t.Errorf("%.20q: logged in clear", id)
		}
	}
}

// TestStaffSpeakWhilePausedAndTheUserComesBack: staff's message goes out by
// push with its key (once, however often it is sent) and the button back to
// the bot; pressing it hands the conversation back at the same step.
func TestStaffSpeakWhilePausedAndTheUserComesBack(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.send(start)
	if err := h.b.Say(ctx, user, "お電話します", "k1"); !errors.Is(err, ErrNotPaused) {
		t.Fatalf("Say before Pause: %v; want ErrNotPaused", err)
	}
	if err := h.b.Pause(ctx, user); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := h.b.Say(ctx, user, "  担当の佐藤です。お電話します。 ", "k1"); err != nil {
			t.Fatal(err)
		}
	}
	var said []sent
	for _, m := range h.ch.messages() {
		if strings.HasPrefix(m.key, "staff-") {
			said = append(said, m)
		}
	}
	if len(said) != 1 || said[0].via != "push" || said[0].key != "staff-k1" {
		t.Fatalf("staff messages sent: %+v; want one push keyed staff-k1", said)
	}
	r := said[0].replies[0]
	if r.Text != "担当の佐藤です。お電話します。" || len(r.Choices) != 1 || r.Choices[0].Label != "ボットに戻る" {
		t.Fatalf("sent %+v; want the text and the button back to the bot", r)
	}
	for _, bad := range []string{"", strings.Repeat("あ", MaxStaffText+1)} {
		if err := h.b.Say(ctx, user, bad, "k2"); err == nil {
			t.Errorf("Say of %d characters accepted", len([]rune(bad)))
		}
	}

	h.send(flows.Input{Kind: flows.InPostback, Data: r.Choices[0].Data})
	if got := h.store.record(user).Handoff; got != "" {
		t.Fatalf("handoff %q after the user pressed the way back; want none", got)
	}
	ts := h.turns.all()
	last := ts[len(ts)-1]
	if len(last.Replies) == 0 || last.Replies[0].Text == "" || last.Pseudonym != h.b.pseudonym(user) || last.Handoff != "" {
		t.Errorf("last turn %+v; want the bot's replies, the pseudonym and no handoff", last)
	}
}
