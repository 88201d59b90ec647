// Package flows is the withdrawal conversation as a pure function: given the
// stored state, one input and the environment, Next returns the new state,
// channel-neutral replies and at most one effect for the runtime to run.
//
// It does no I/O and knows nothing of LINE, HTTP or Redis: the runtime (bot)
// turns LINE events into Inputs, runs Effects and feeds their results back
// as Inputs, and renders Replies as LINE messages.
package flows

import (
	"fmt"
	"time"

	"github.com/taikaibot/taikai"
)

// Step is where a conversation stands.
type Step string

// The steps of the withdrawal conversation, in order.
const (
	StepIdle       Step = "idle"        // no conversation
	StepLinking    Step = "linking"     // waiting for the LINE account link
	StepChecking   Step = "checking"    // status lookup pending or failed
	StepBlocked    Step = "blocked"     // blockers explained; waiting for "check again"
	StepReserved   Step = "reserved"    // only a payout blocks: a reminder is set for after it (State.Remind)
	StepReady      Step = "ready"       // the reminder found nothing blocks any more; go on or stop
	StepWarning    Step = "warning"     // what is lost; continue or stop
	StepReason     Step = "reason"      // choose a reason
	StepReasonText Step = "reason_text" // type the "other" reason
	StepHelp       Step = "help"        // advice matched to the reason; continue or stop
	StepConfirm    Step = "confirm"     // summary; withdraw or stop
)

// StepFiled is not a stored step: it is how an idle user is seen within
// FiledMemory after a withdrawal was filed (State.Filed is set). Texts are
// understood at it, and it has its own answers (the receipt, a closing).
const StepFiled Step = "filed"

// Steps lists every stored step, in conversation order.
var Steps = []Step{StepIdle, StepLinking, StepChecking, StepBlocked, StepReserved, StepReady, StepWarning, StepReason, StepReasonText, StepHelp, StepConfirm}

// State is one LINE user's conversation. It is stored as JSON; the fields
// marked json:"-" are stored apart (the account link, the handoff state,
// the memory of a filing) or live only within one event.
type State struct {
	Step Step `json:"step"`
	// Conv identifies the conversation; postback buttons carry it, and the
	// filing's idempotency key is derived from it.
	Conv string `json:"conv,omitempty"`
	// Seq counts transitions; buttons carry it so an old button is recognised.
	Seq int `json:"seq,omitempty"`

	// Lang is the language the user is spoken to in; "" until the LINE
	// profile was read (once, then kept across conversations).
	Lang Lang `json:"lang,omitempty"`

	AccountID string `json:"-"`
	// Handoff is taikai.HandoffRequested while the user waits for staff
	// (the bot stays quiet) and "" otherwise; the runtime sets it.
	Handoff string `json:"-"`
	// Filed is the latest withdrawal filed for this user, remembered for
	// FiledMemory; the runtime sets it when there is no conversation.
	Filed *Filed `json:"-"`

	Status      *taikai.Status `json:"status,omitempty"`
	Reason      taikai.Reason  `json:"reason,omitempty"`
	ReasonText  string         `json:"reason_text,omitempty"`
	ReasonMsgID string         `json:"reason_msg_id,omitempty"`
	// Advised lists the reasons whose advice was shown: each at most once
	// per conversation.
	Advised []taikai.Reason `json:"advised,omitempty"`
	// Declined: the user said no at the confirm step; a later "yes" shows
	// the summary again rather than filing.
	Declined bool `json:"declined,omitempty"`
	// SummaryLast: the bot's last message was the confirm step's summary,
	// which ends in the yes/no question 「退会しますか？」. Only then does a
	// bare yes (はい, yes) answer it and file; any other message since — an
	// answer to a question, a note on a sticker or a greeting, a re-ask, a
	// stale button — clears it, and then only consent in its own words
	// (退会します) or the button files (see ConsentOf).
	SummaryLast bool `json:"summary_last,omitempty"`
	// WhichLast: the bot's last message asked which of two ways ("go on, or
	// keep your account?"); a bare yes does not answer it (see pickOne).
	WhichLast bool `json:"which_last,omitempty"`
	// Shown is when the current step was entered (by the bot's clock, to
	// the millisecond, as LINE stamps events): a decision — going on from
	// the warning or the advice, confirming — sent before it (Input.At) was
	// not made on this step, and only shows the step again. A replayed or
	// delayed "yes" can never file.
	Shown time.Time `json:"shown,omitzero"`
	// Asked lists the topics answered in this conversation; a repeated
	// question gets the short answer.
	Asked []Topic `json:"asked,omitempty"`
	// Strays counts off-track inputs since the last step forward; the more
	// there are, the shorter the answers.
	Strays int `json:"strays,omitempty"`
	// StaffNote is when the user was last told, while waiting for staff,
	// that a person will answer (at most once per StaffNoteEvery).
	StaffNote time.Time `json:"staff_note,omitzero"`
	// StaffHeard: the user's first message to staff, while waiting, was
	// acknowledged (once per wait).
	StaffHeard bool `json:"staff_heard,omitempty"`
	// Pressed is the data of the last button acted on, and PressedAt when:
	// the same button again within DoubleTap is a double tap, answered in
	// one short line.
	Pressed   string    `json:"pressed,omitempty"`
	PressedAt time.Time `json:"pressed_at,omitzero"`
	// Checks are when the account's status was last looked up, within
	// CheckWindow (at most MaxLookups of them); they outlive a
	// conversation, so that starting over does not lift the limits.
	Checks   []time.Time `json:"checks,omitempty"`
	Failures int         `json:"failures,omitempty"`
	// Attempt counts filings refused for blockers; each new attempt needs a
	// new idempotency key, since the marketplace replays a key's first answer.
	Attempt int `json:"attempt,omitempty"`
	// Remind is, at StepReserved, when the account is to be checked again
	// and the user told (zero otherwise): the reservation. Leaving the step
	// in any way forgets it.
	Remind time.Time `json:"remind,omitzero"`
	// Consent records what the user was shown and agreed to on the way to
	// the filing (the warning, the summary), and is filed with it.
	Consent taikai.Consent `json:"consent,omitzero"`

	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`

	// pending is a user input held while the LINE profile is read; it is
	// handled when the profile comes back, within the same event.
	pending *Input
	// then is what to do once the user has left the staff queue (a cancel
	// or an unlink asked for while waiting), within the same event.
	then action
	// listAsked: the user asked what is left (at blocked); the lookup that
	// follows shows the list even if nothing changed, within the same event.
	listAsked bool
}

// Filed is what is remembered of a filed withdrawal.
type Filed struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// Lang is the language the user was spoken to in.
	Lang Lang `json:"lang,omitempty"`
	// Conv is the conversation that filed it, so that a second tap of its
	// confirm button is known as a double tap.
	Conv string `json:"conv,omitempty"`
}

// FiledMemory is how long a filing is remembered, so that "was it filed?"
// and "thank you" are answered properly.
const FiledMemory = 7 * 24 * time.Hour

// StaffNoteEvery is how often, at most, a user waiting for staff is told
// that a person will answer.
const StaffNoteEvery = 30 * time.Minute

// DoubleTap is how soon a second press of the same button counts as a
// double tap rather than a press of an old button.
const DoubleTap = 10 * time.Second

// MaxChecks is how many lookups of a user's account at the marketplace,
// at most, there may have been within CheckWindow for the user's asking to
// check again (もう一度確認する, pressed or typed) to make one more. Past it
// the user is told, politely, when to try again, and the marketplace is not
// called: 50 「もう一度確認する」 in a row make 3 calls, not 50.
const MaxChecks = 3

// MaxLookups bounds the lookups of any kind — starting the procedure,
// linking, checking again — per CheckWindow, so that starting over and over
// cannot load the marketplace either. It is higher than MaxChecks: a user
// may well stop and start again a few times in a minute.
const MaxLookups = 10

// CheckWindow is the window MaxChecks and MaxLookups count in.
const CheckWindow = time.Minute

// Active reports whether a conversation is under way.
func (s State) Active() bool { return s.Step != StepIdle && s.Step != "" }

// Blank reports whether s holds nothing worth storing: no conversation and
// nothing learnt about the user (language, a note sent while waiting).
func (s State) Blank() bool {
	return !s.Active() && s.Lang == "" && s.Strays == 0 && s.StaffNote.IsZero() && len(s.Checks) == 0
}

// Env is what a step needs from outside: the time, settings, and a fresh
// conversation id should one start.
type Env struct {
	Now time.Time
	// Expiry is how long a conversation may idle before it starts over.
	Expiry time.Duration
	// NewConv is used as the conversation id if this input starts one.
	NewConv string
	// TipsURL is where selling tips are (shown as help for hard_to_earn); may be empty.
	TipsURL string
	// Understander reads typed text; nil is Understand.
	Understander Understander
	// StaffHours are when staff answer; the zero value is "always".
	StaffHours StaffHours
}

// DefaultExpiry is the idle time after which a conversation starts over.
const DefaultExpiry = 24 * time.Hour

// IdempotencyKey is the filing's key: one per conversation, so a retry, a
// redelivery or a double tap can never file twice.
func (s State) IdempotencyKey() string { return fmt.Sprintf("taikai-line-%s-%d", s.Conv, s.Attempt) }
