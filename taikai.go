// Package taikai holds the domain of the withdrawal bot: a marketplace
// account's withdrawal status, the blockers derived from it, withdrawal
// reasons, receipts and filing outcomes, a user's stored record, the
// webhook event on its way to the bot, and the errors every adapter speaks in.
//
// It imports nothing of the project. The conversation (flows), the runtime
// (bot) and the adapters (marketplace, store, webhook, queue) all depend on it.
package taikai

import (
	"errors"
	"fmt"
	"time"
)

// Rating is an account's public rating.
type Rating struct {
	Average float64 `json:"average"`
	Count   int     `json:"count"`
}

// Order is an order that keeps an account from withdrawing: a purchase not
// completed yet, or a sale without formal delivery.
type Order struct {
	OrderID      string `json:"order_id"`
	Title        string `json:"title"`
	Counterparty string `json:"counterparty"`
	Status       string `json:"status"`
	URL          string `json:"url,omitempty"`
}

// Order statuses the bot tells apart (others are shown as in progress).
const (
	// OrderDelivered: the seller formally delivered; the buyer has yet to approve.
	OrderDelivered = "delivered"
)

// Payout is a payout request that is still being paid (振込申請中).
// Dates are calendar dates in Japan, formatted YYYY-MM-DD.
type Payout struct {
	PayoutID    string `json:"payout_id"`
	AmountJPY   int64  `json:"amount_jpy"`
	RequestedAt string `json:"requested_at"`
	ExpectedAt  string `json:"expected_at"`
}

// Status is what the marketplace says about an account that wants to
// withdraw: who it is, what it would lose, and what blocks it.
type Status struct {
	AccountID             string   `json:"account_id"`
	DisplayName           string   `json:"display_name"`
	Rating                Rating   `json:"rating"`
	CompletedOrders       int      `json:"completed_orders"`
	PurchasesInProgress   []Order  `json:"purchases_in_progress"`
	SalesAwaitingDelivery []Order  `json:"sales_awaiting_delivery"`
	PayoutsInProgress     []Payout `json:"payouts_in_progress"`
	SalesBalanceJPY       int64    `json:"sales_balance_jpy"`
}

// BlockerKind names a kind of blocker.
type BlockerKind string

// The kinds of blocker a marketplace account can have.
const (
	BlockerPurchase BlockerKind = "purchase_in_progress"
	BlockerDelivery BlockerKind = "sale_awaiting_delivery"
	BlockerPayout   BlockerKind = "payout_in_progress"
	BlockerBalance  BlockerKind = "sales_balance"
)

// BlockerKinds lists every blocker kind, in the order they are explained.
var BlockerKinds = []BlockerKind{BlockerPurchase, BlockerDelivery, BlockerPayout, BlockerBalance}

// Blockers counts the blockers of each kind. An account may withdraw only
// when every count is zero.
func (s Status) Blockers() map[BlockerKind]int {
	m := map[BlockerKind]int{}
	if n := len(s.PurchasesInProgress); n > 0 {
		m[BlockerPurchase] = n
	}
	if n := len(s.SalesAwaitingDelivery); n > 0 {
		m[BlockerDelivery] = n
	}
	if n := len(s.PayoutsInProgress); n > 0 {
		m[BlockerPayout] = n
	}
	if s.SalesBalanceJPY != 0 {
		m[BlockerBalance] = 1
	}
	return m
}

// Blocked reports whether anything keeps the account from withdrawing.
func (s Status) Blocked() bool { return len(s.Blockers()) > 0 }

// Reason is why a user withdraws, as the marketplace API codes it.
type Reason string

// The withdrawal reasons the marketplace accepts.
const (
	ReasonNone        Reason = "none"
	ReasonNotUsing    Reason = "not_using"
	ReasonHardToEarn  Reason = "hard_to_earn"
	ReasonResetRating Reason = "reset_rating"
	ReasonOther       Reason = "other"
)

// Reasons lists every reason code.
var Reasons = []Reason{ReasonNotUsing, ReasonHardToEarn, ReasonResetRating, ReasonOther, ReasonNone}

// Valid reports whether r is a reason code the marketplace accepts.
func (r Reason) Valid() bool {
	for _, x := range Reasons {
		if r == x {
			return true
		}
	}
	return false
}

// MaxReasonText caps a typed reason, in characters (runes).
const MaxReasonText = 500

// WithdrawalRequest is what is filed.
type WithdrawalRequest struct {
	ReasonCode Reason `json:"reason_code"`
	ReasonText string `json:"reason_text"`
	Channel    string `json:"channel"`
	// Consent is what the user was shown and agreed to (optional: the
	// zero value is left out).
	Consent Consent `json:"consent,omitzero"`
}

// Withdrawal is the marketplace's receipt for a filed withdrawal.
type Withdrawal struct {
	WithdrawalID string `json:"withdrawal_id"`
	Status       string `json:"status"`
}

// Outcome is how an attempt to file a withdrawal ended.
type Outcome string

// The outcomes of a filing.
const (
	OutcomeFiled       Outcome = "filed"       // the marketplace gave a receipt
	OutcomeBlocked     Outcome = "blocked"     // refused: blockers appeared meanwhile
	OutcomeNotFound    Outcome = "not_found"   // the account is unknown (or gone)
	OutcomeUnavailable Outcome = "unavailable" // no answer; nothing is known to be filed
)

// Outcomes lists every filing outcome.
var Outcomes = []Outcome{OutcomeFiled, OutcomeBlocked, OutcomeNotFound, OutcomeUnavailable}

// Errors every adapter wraps, so that callers can tell outcomes apart with
// errors.Is without knowing the adapter.
var (
	// ErrNotFound: the account, nonce or key is unknown (or used, or expired).
	ErrNotFound = errors.New("not found")
	// ErrUnavailable: the other side could not answer now; trying again later may work.
	ErrUnavailable = errors.New("unavailable")
	// ErrConflict: a record changed since it was read (compare-and-set lost).
	ErrConflict = errors.New("conflict")
	// ErrFenced: a newer owner took over the work; this worker must stop.
	ErrFenced = errors.New("fenced")
)

// ValidUserID reports whether id is a LINE user id ("U" and 32 hex digits).
// Users are LINE users; an id checked here is safe to put in a URL path or
// a Redis key.
// It is `^U[0-9a-f]{32}$` (checked on every event and call: a loop is a
// tenth of the regexp's cost).
func ValidUserID(id string) bool {
	if len(id) != 33 || id[0] != 'U' {
		return false
	}
	for i := 1; i < len(id); i++ {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Event is one webhook event on its way from the webhook through the queue
// to the bot: its id, the key that orders it (the user, group or room), its
// raw JSON and when it was delivered. The webhook fills in what it read; the
// queue adds the fencing token and the acknowledgement.
type Event struct {
	ID       string
	Key      string
	Raw      []byte
	Received time.Time
	// Request is the id of the webhook request that brought the event, for logs.
	Request string
	// Fence is the fencing token of the worker that handed it over; saves
	// carry it, so a worker that lost its partition cannot overwrite.
	Fence int64
	// Ack, if set, is called once the bot is done with the event: done is
	// true when it was processed (or dropped as unprocessable) and false
	// when it was not and must stay queued for another worker.
	Ack func(done bool)
}

// Record is what is stored for one LINE user: the encoded conversation (nil
// when there is none), the linked marketplace account ("" when not linked),
// and a version that every save bumps.
type Record struct {
	Conv    []byte
	Link    string
	Version int64
	// Done lists the ids of the latest events applied to this record, newest
	// first, so that an event processed again is recognised.
	Done []string
	// Outbox is what the latest event had to send, kept until it is known
	// sent (an event re-processed after a crash sends it instead).
	Outbox []byte
	// Handoff is HandoffRequested while the user waits for staff, and
	// HandoffPaused while staff have the conversation (the bot is silent).
	Handoff string
	// LinkTTL is, when saving, how long the link is kept: 0 for as long as
	// the user is around (a save by the user's own event makes it so
	// again), > 0 once the user has blocked the bot (it expires after),
	// KeepTTL to leave its expiry as it is (a staff action).
	LinkTTL time.Duration
	// NoLink is, when saving, that the record this one follows had no link
	// when loaded: a save without a link then need not delete one (the
	// version's compare-and-set stands for no link written since).
	NoLink bool
	// ConvTTL is, when saving, how long the conversation is kept at least:
	// the store keeps it for the longer of this and its own default. A
	// conversation waiting for a reminder must outlive the wait.
	ConvTTL time.Duration
}

// KeepTTL, as Record.LinkTTL, leaves the link's expiry as it is.
const KeepTTL time.Duration = -1

// Handoff states.
const (
	HandoffRequested = "requested"
	HandoffPaused    = "paused"
)

// Commit is what a save records besides the record: the event applied, its
// outbox, the fencing token of the worker (a save with a token lower
// than one already seen fails with ErrFenced), and whether the user's data
// is to be erased. NoFence marks an action that
// does not come through the queue (a staff action): it is not fenced, and
// the compare-and-set on the version alone orders it.
type Commit struct {
	EventID string
	Outbox  []byte
	Fence   int64
	// Erase: the user withdrew or unlinked, and nothing of theirs is to be
	// kept — the conversation, the link and the handoff state are deleted,
	// and what the save itself needs for a while (the version, the applied
	// events, the outbox, the fence) expires with the outbox.
	Erase bool
	// Journal, when not nil, is written by the save's own script too, after
	// the record (a store that cannot leaves Written false; the caller then
	// writes it apart).
	Journal *JournalWrite
}

// JournalWrite is a tracker's record of an event that a save writes with
// the user's record, in the same script: its keys share the user's hash
// tag. Keys and Args are those of the tracker's script (the store's
// Options name it); Written and Result are set by the save that ran it.
type JournalWrite struct {
	Keys    []string
	Args    []any
	Written bool
	Result  string
	// Note is the tracker's own, for when the save is done.
	Note any
}

// NoFence is the fencing token of actions from outside the queue.
const NoFence = -1

// Applied reports whether event id was already applied to r.
func (r Record) Applied(id string) bool {
	for _, d := range r.Done {
		if d == id {
			return true
		}
	}
	return false
}

// BlockedError is returned when a withdrawal is refused because blockers
// appeared; Status holds them.
type BlockedError struct {
	Status Status
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("withdrawal of %s is blocked", e.Status.AccountID)
}
