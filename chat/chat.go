// Package chat is what passes between the bot and the adapters around it,
// in words of no particular chat platform: a platform's event decoded into
// the flow's input and whom it concerns (Incoming), and what the bot did with
// it (Turn), for the trackers that keep records — the metrics and the staff
// console.
//
// The LINE adapter (line) produces Incoming values; the bot consumes them
// and produces Turns. Neither the bot nor the trackers import the adapter.
package chat

import (
	"context"
	"errors"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/flows"
)

// Incoming is a chat platform's event, decoded.
type Incoming struct {
	// Type is the platform's event type ("message", "postback", …), for
	// logs and metrics.
	Type string
	// Input is what happened, as the flow takes it, with when the user
	// acted by the platform's clock (Input.At). Kind is "" when the bot
	// has nothing to do with the event: an unknown type, an event in standby
	// mode, a failed account link that names no one, a group's sticker.
	Input flows.Input
	// User is the user the event is about; "" in a group or room.
	User string
	// Chat is where to push an answer: the user, or the group or room.
	Chat string
	// ReplyToken answers the event once, for a short while; "" when the
	// event cannot be replied to.
	ReplyToken string
}

// ErrNotPaused refuses a message from staff to a user whose conversation
// staff do not have (the bot answers them).
var ErrNotPaused = errors.New("the conversation is not with staff")

// ErrInvalidReplyToken is a reply refused because its token expired or was
// used: push instead.
var ErrInvalidReplyToken = errors.New("invalid reply token")

// Tracker is told what each processed event did: metrics and the staff
// console keep their records from it. Track is called after the state is
// saved and the replies sent; it must not block for long.
type Tracker interface {
	Track(ctx context.Context, t Turn)
}

// Turn is what one event did to one user's conversation.
type Turn struct {
	User string
	// Type is the platform's event type ("message", "postback", …; "pause"
	// and "resume" for staff actions, "ignored" and "malformed" for events
	// dropped).
	Type string
	// Latency is from the platform's delivery to the replies being sent.
	Latency time.Duration
	At      time.Time
	// State is the conversation after the event (Step idle when it ended);
	// Handoff the handoff state.
	State   flows.State
	Handoff string
	// Events are the funnel transitions that happened.
	Events []flows.Transition
	// Checked is the status looked up during this event, if any.
	Checked *taikai.Status
	// Filing is the filing attempted during this event, if any.
	Filing *Filing
	// Erased: the user withdrew or unlinked, and their data was erased;
	// trackers that keep anything per user forget them too.
	Erased bool
	// Pseudonym stands for User in logs (a keyed hash), so that staff can
	// find a case from a log line.
	Pseudonym string
	// Replies are what the bot said in this event, as the flow wrote them
	// (in no platform's format): the bot's own words, of which the user's
	// only part is a typed reason quoted back.
	Replies []flows.Reply
}

// Filing is a filing attempt and its outcome.
type Filing struct {
	Outcome   taikai.Outcome
	AccountID string
	Key       string
	Reason    taikai.Reason
	Receipt   string
	// Consent is what the user was shown and agreed to, as filed (the zero
	// value when none was recorded).
	Consent taikai.Consent
}
