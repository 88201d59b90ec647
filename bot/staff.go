package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
)

// ErrNotPaused is returned by Say when staff do not have the user's
// conversation: the bot answers them, and a message from staff would
// cross its answers.
var ErrNotPaused = chat.ErrNotPaused

// MaxStaffText caps what staff send in one message, in characters (LINE
// takes 5,000).
const MaxStaffText = 2000

// Say sends text from staff to user while staff have the conversation
// (after Pause), with the button that hands the user back to the bot. It
// is a push: key, one per message staff write, makes it go out once
// however often it is tried (a double click, a retry).
func (b *Bot) Say(ctx context.Context, user, text, key string) error {
	if !taikai.ValidUserID(user) {
		return fmt.Errorf("bot: a message to a non-user (%d bytes): %w", len(user), ErrNotAUser)
	}
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxStaffText || key == "" {
		return fmt.Errorf("bot: a staff message must have 1 to %d characters and a key", MaxStaffText)
	}
	rec, err := b.opts.Store.Load(ctx, user)
	if err != nil {
		return err
	}
	if rec.Handoff != taikai.HandoffPaused {
		return ErrNotPaused
	}
	var s flows.State
	if rec.Conv != nil {
		json.Unmarshal(rec.Conv, &s) // without it the button is in Japanese
	}
	msgs, err := b.opts.Channel.Render([]flows.Reply{{Text: text, Choices: []flows.Choice{flows.BackChoice(s.Lang)}}})
	if err != nil {
		return err
	}
	if err := b.opts.Channel.Push(ctx, user, msgs, "staff-"+key); err != nil {
		return err
	}
	b.log.Info("staff message sent", "user", b.pseudonym(user))
	return nil
}
