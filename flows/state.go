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
	StepWarning    Step = "warning"     // what is lost; continue or stop
	StepReason     Step = "reason"      // choose a reason
	StepReasonText Step = "reason_text" // type the "other" reason
	StepHelp       Step = "help"        // one piece of help matched to the reason
	StepConfirm    Step = "confirm"     // summary; withdraw or stop
)

// Steps lists every step, in conversation order.
var Steps = []Step{StepIdle, StepLinking, StepChecking, StepBlocked, StepWarning, StepReason, StepReasonText, StepHelp, StepConfirm}

// State is one LINE user's conversation. It is stored as JSON; AccountID is
// the account link, which outlives conversations and is stored apart.
type State struct {
	Step Step `json:"step"`
	// Conv identifies the conversation; postback buttons carry it, and the
	// filing's idempotency key is derived from it.
	Conv string `json:"conv,omitempty"`
	// Seq counts transitions; buttons carry it so an old button is recognised.
	Seq int `json:"seq,omitempty"`

	AccountID string `json:"-"`

	Status      *taikai.Status `json:"status,omitempty"`
	Reason      taikai.Reason  `json:"reason,omitempty"`
	ReasonText  string         `json:"reason_text,omitempty"`
	ReasonMsgID string         `json:"reason_msg_id,omitempty"`
	HelpShown   bool           `json:"help_shown,omitempty"`
	Failures    int            `json:"failures,omitempty"`
	// Attempt counts filings refused for blockers; each new attempt needs a
	// new idempotency key, since the marketplace replays a key's first answer.
	Attempt int `json:"attempt,omitempty"`

	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`
}

// Active reports whether a conversation is under way.
func (s State) Active() bool { return s.Step != StepIdle && s.Step != "" }

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
}

// DefaultExpiry is the idle time after which a conversation starts over.
const DefaultExpiry = 24 * time.Hour

// IdempotencyKey is the filing's key: one per conversation, so a retry, a
// redelivery or a double tap can never file twice.
func (s State) IdempotencyKey() string { return fmt.Sprintf("taikai-line-%s-%d", s.Conv, s.Attempt) }
