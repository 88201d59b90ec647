package bot

import (
	"context"
	"log/slog"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
)

// Reminders keeps the reminders users ask for (a re-check after a payout):
// Remind sets user's, in place of any set before; Forget removes it. When
// one comes due, the keeper puts a reminder event (taikai.ReminderEvent)
// into the intake, and the bot handles it like the user's own events, in
// order, answering by push. queue.Reminders is one.
type Reminders interface {
	Remind(ctx context.Context, user string, at time.Time) error
	Forget(ctx context.Context, user string) error
}

// decode turns an event into the flow's input: the bot's own reminder
// events first (they come from no chat platform), then the channel's.
func (b *Bot) decode(ev taikai.Event) (chat.Incoming, error) {
	if user, due, ok := taikai.ParseReminder(ev); ok {
		// No reply token: the answer is a push, keyed by the event.
		return chat.Incoming{Type: "reminder", User: user, Chat: user, Input: flows.Input{Kind: flows.InReminder, Due: due}}, nil
	}
	return b.opts.Channel.Decode(ev.Raw)
}

// remind sets the reminder the flow asked for. It runs before the state is
// saved: a save that then fails leaves a reminder the conversation does not
// wait for, which it drops when it comes; the other way round, a crash
// between the two would lose the reminder.
func (b *Bot) remind(ctx context.Context, log *slog.Logger, user string, e flows.Effect) flows.Input {
	if b.opts.Reminders == nil {
		log.Warn("reminder asked for, and no reminders are kept")
		return flows.Input{Kind: flows.InUnavailable}
	}
	if err := b.opts.Reminders.Remind(ctx, user, e.At); err != nil {
		log.Warn("reminder not set", "err", b.scrub(err, user))
		return flows.Input{Kind: flows.InUnavailable}
	}
	return flows.Input{Kind: flows.InReminderSet, Due: e.At}
}

// forgetReminder removes the user's reminder once the saved conversation
// waits for none where it waited for one (cancelled, checked, handled,
// unlinked, withdrawn, blocked): a reminder left behind would only be
// dropped when it came, but it names the user until then. A failure is
// logged; the reminder then comes, and is dropped.
func (b *Bot) forgetReminder(ctx context.Context, log *slog.Logger, user string, had, has time.Time) {
	if had.IsZero() || !has.IsZero() || b.opts.Reminders == nil {
		return
	}
	if err := b.opts.Reminders.Forget(ctx, user); err != nil {
		log.Warn("reminder not forgotten", "err", b.scrub(err, user))
	}
}

// keep is how long a conversation must be kept from now: past its reminder
// by as long as any conversation is kept past its last event (twice the
// expiry), or 0 when it waits for none (the store's default).
func (b *Bot) keep(s flows.State) time.Duration {
	if s.Remind.IsZero() {
		return 0
	}
	return s.Remind.Sub(b.opts.Now()) + 2*b.opts.Expiry
}
