package flows

import (
	"strings"
	"time"

	"github.com/taikaibot/taikai"
)

// InputKind names a kind of input.
type InputKind string

// Inputs from the user (through LINE) and results of effects.
const (
	InText       InputKind = "text"        // Text, MessageID
	InPostback   InputKind = "postback"    // Data
	InSticker    InputKind = "sticker"     // a sticker
	InMedia      InputKind = "media"       // image, video, audio, file, location
	InFollow     InputKind = "follow"      // Unblocked
	InUnfollow   InputKind = "unfollow"    // the user blocked the bot
	InUnsend     InputKind = "unsend"      // MessageID
	InLinkOK     InputKind = "link_ok"     // Nonce
	InLinkFailed InputKind = "link_failed" // LINE refused the link (an event naming the user)
	InGroup      InputKind = "group"       // any event from a group or room
	InPaused     InputKind = "paused"      // staff took the conversation over
	InResumed    InputKind = "resumed"     // staff handed it back
	InReminder   InputKind = "reminder"    // Due: a reminder the user asked for came due

	// Results of effects.
	InLinkURL     InputKind = "link_url"     // URL: the account-link page, with its token
	InStaffAsked  InputKind = "staff_asked"  // the user is in the staff queue
	InStaffLeft   InputKind = "staff_left"   // the user left the staff queue
	InProfile     InputKind = "profile"      // Language: the LINE profile's language tag ("" if unknown)
	InLinked      InputKind = "linked"       // AccountID
	InStatus      InputKind = "status"       // Status
	InFiled       InputKind = "filed"        // Receipt
	InFileBlocked InputKind = "file_blocked" // Status: the marketplace refused with blockers
	InNotFound    InputKind = "not_found"    // the effect's subject is unknown
	InUnavailable InputKind = "unavailable"  // the effect could not be run now
	InReminderSet InputKind = "reminder_set" // Due: the reminder is set for then
)

// Input is one thing that happened: a user's action or an effect's result.
type Input struct {
	Kind      InputKind
	Text      string
	MessageID string
	Data      string
	Nonce     string
	Unblocked bool
	// At is when the user acted, by the chat platform's clock (LINE's
	// event timestamp); zero when unknown (an effect's result, a staff
	// action). An input older than the step it would answer does not move
	// that step (see State.Shown).
	At time.Time

	URL       string
	AccountID string
	Status    *taikai.Status
	Receipt   *taikai.Withdrawal
	// Language is the BCP 47 tag of the user's LINE profile ("" if unknown).
	Language string
	// Due is when a reminder is due: the one set (InReminderSet), or the
	// one that came due (InReminder).
	Due time.Time
	// Of is the effect a result answers.
	Of EffectKind
}

// isResult reports whether the input is an effect's result.
func (in Input) isResult() bool {
	switch in.Kind {
	case InLinkURL, InLinked, InStatus, InFiled, InFileBlocked, InNotFound, InUnavailable, InStaffAsked, InStaffLeft, InProfile,
		InReminderSet:
		return true
	}
	return false
}

// EffectKind names an effect.
type EffectKind string

// The effects a step may ask for. Each is answered by the runtime with one
// result Input.
const (
	// EffIssueLink: issue a LINE link token and build the account-link URL.
	// Result: InLinkURL or InUnavailable.
	EffIssueLink EffectKind = "issue_link"
	// EffResolveLink: resolve Nonce to a marketplace account.
	// Result: InLinked, InNotFound or InUnavailable.
	EffResolveLink EffectKind = "resolve_link"
	// EffCheck: fetch AccountID's withdrawal status (show a loading animation meanwhile).
	// Result: InStatus, InNotFound or InUnavailable.
	EffCheck EffectKind = "check"
	// EffFile: file the withdrawal with Key as the idempotency key.
	// Result: InFiled, InFileBlocked, InNotFound or InUnavailable.
	EffFile EffectKind = "file"
	// EffAskStaff: put the user in the staff queue.
	// Result: InStaffAsked or InUnavailable.
	EffAskStaff EffectKind = "ask_staff"
	// EffLeaveStaff: take the user out of the staff queue.
	// Result: InStaffLeft or InUnavailable.
	EffLeaveStaff EffectKind = "leave_staff"
	// EffProfile: read the user's LINE profile for its language.
	// Result: InProfile (with Language "" when it could not be read).
	EffProfile EffectKind = "profile"
	// EffRemind: have the user reminded at At (an InReminder then), in
	// place of any reminder set before. The runtime forgets a reminder by
	// itself once the state no longer holds one (State.Remind).
	// Result: InReminderSet or InUnavailable.
	EffRemind EffectKind = "remind"
)

// Effect is I/O a step needs; the runtime runs it and feeds back the result.
type Effect struct {
	Kind      EffectKind
	AccountID string
	Nonce     string
	Key       string
	Request   taikai.WithdrawalRequest
	// At is when a reminder is due (EffRemind).
	At time.Time
}

// Reply is one message to the user. A channel renders it; only the last
// reply's Choices are offered (LINE shows quick replies on the last message).
type Reply struct {
	Text string
	// Link, if set, is a button that opens a web page.
	Link *Link
	// Choices are the buttons the user can press; typing a label works too.
	Choices []Choice
	// Cards, if any, follow Text: items a channel may show each on its own
	// (one per blocker), side by side. Each also has a plain-text form.
	Cards []Card
}

// Plain is the whole reply as plain text: Text, then each card's text,
// separated by blank lines.
func (r Reply) Plain() string {
	if len(r.Cards) == 0 {
		return r.Text
	}
	var b strings.Builder
	b.WriteString(r.Text)
	for _, c := range r.Cards {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(c.Text)
	}
	return b.String()
}

// Card is one item of a reply shown on its own: what it is about (Title),
// the facts (Lines, one each: an order's title, id and counterparty, or an
// amount and its dates), what to do (Note) and a page about it (Link).
// Text is the same card as plain text (with the link's URL), for a channel
// that shows only text and for previews such as notifications.
type Card struct {
	Title string
	Lines []string
	Note  string
	Link  *Link
	Text  string
}

// Link is a button that opens URL.
type Link struct {
	Label string
	URL   string
}

// Choice is a button. Data is what a press sends back (as InPostback).
type Choice struct {
	Label string
	Data  string
}

// Output is what one call of Next produced.
type Output struct {
	Replies []Reply
	Effect  *Effect
	// Events are the funnel transitions that happened, if any (for metrics
	// and the staff console).
	Events []Transition
}
