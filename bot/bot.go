// Package bot runs the withdrawal conversation for LINE users: per user, it
// loads the state, turns a LINE event into a flow input, steps the flow,
// runs the flow's effects (marketplace, account link), saves the state by
// compare-and-set, renders the replies as LINE messages and sends them.
package bot

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/flows"
)

// Store keeps each user's record. Save is a compare-and-set on Version that
// also records the commit; it fails with taikai.ErrConflict when another
// writer saved first and taikai.ErrFenced when a newer worker owns the user.
type Store interface {
	Load(ctx context.Context, user string) (taikai.Record, error)
	Save(ctx context.Context, user string, r taikai.Record, c taikai.Commit) (int64, error)
	SetHandoff(ctx context.Context, user, state string) error
	// Remember keeps data under a pseudonym for ttl; Recall returns it, or
	// nil. They keep what outlives a user's erased data: a filing's receipt.
	Remember(ctx context.Context, id string, data []byte, ttl time.Duration) error
	Recall(ctx context.Context, id string) ([]byte, error)
}

// Tracker is told what each processed event did: metrics and the staff
// console keep their records from it. Track is called after the state is
// saved and the replies sent; it must not block for long.
type Tracker interface {
	Track(ctx context.Context, t Track)
}

// Track is what one event did to one user's conversation.
type Track struct {
	User string
	// Type is the LINE event type ("message", "postback", …; "pause" and
	// "resume" for staff actions).
	Type string
	// Latency is from LINE's delivery to the replies being sent.
	Latency time.Duration
	At      time.Time
	// State is the conversation after the event (Step idle when it ended);
	// Handoff the handoff state.
	State   flows.State
	Handoff string
	// Events are the funnel transitions that happened.
	Events []string
	// Checked is the status looked up during this event, if any.
	Checked *taikai.Status
	// Filing is the outcome of a filing attempted during this event, if any.
	Filing *Filing
}

// Filing is a filing attempt and its outcome.
type Filing struct {
	Outcome   string // filed, blocked, not_found, unavailable
	AccountID string
	Key       string
	Reason    taikai.Reason
	Receipt   string
}

// Marketplace is what the bot needs of the marketplace API.
type Marketplace interface {
	Status(ctx context.Context, accountID string) (*taikai.Status, error)
	Withdraw(ctx context.Context, accountID, key string, req taikai.WithdrawalRequest) (*taikai.Withdrawal, error)
	ResolveLink(ctx context.Context, nonce string) (string, error)
}

// Options configure a Bot.
type Options struct {
	Store       Store
	Marketplace Marketplace
	LINE        LINE
	Log         *slog.Logger
	// LinkURL is the marketplace's account-link page; "?linkToken=…" is appended.
	LinkURL string
	// TipsURL is offered as help to users who find it hard to earn; may be empty.
	TipsURL string
	// StaffHours are when staff answer; the zero value is "always".
	StaffHours flows.StaffHours
	// Understander reads what users type; nil is flows.Understand.
	Understander flows.Understander
	// Expiry is how long a conversation may idle; default flows.DefaultExpiry.
	Expiry time.Duration
	// Workers bounds how many users are served at once; default 64.
	Workers int
	// EventTimeout bounds the handling of one event; default 30s.
	EventTimeout time.Duration
	// PseudonymKey keys the hash that stands for user ids in logs.
	PseudonymKey []byte
	// Trackers are told what each event did.
	Trackers []Tracker
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Bot is the runtime. It is safe for concurrent use.
type Bot struct {
	opts Options
	log  *slog.Logger
	sem  chan struct{}

	mu      sync.Mutex
	queues  map[string][]Event // per user, in arrival order
	pending int                // events enqueued and not yet done
	idle    *sync.Cond
	closed  bool
}

// Event is one webhook event: its id, the key that orders it (the LINE
// user, group or room), its raw JSON and when LINE delivered it.
type Event struct {
	ID       string
	Key      string
	Raw      []byte
	Received time.Time
	// Fence is the fencing token of the worker that handed it over; saves
	// carry it, so a worker that lost its partition cannot overwrite.
	Fence int64
	// Type is the LINE event type, once decoded.
	Type string
	// Request is the id of the webhook request that brought the event, for logs.
	Request string
	// Ack, if set, is called once the bot is done with the event: done is
	// true when it was processed (or dropped as unprocessable) and false
	// when it was not and must stay queued for another worker.
	Ack func(done bool)
}

// ErrClosed is returned by Enqueue once Close was called.
var ErrClosed = errors.New("bot: closed")

// New returns a Bot.
func New(opts Options) *Bot {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Expiry <= 0 {
		opts.Expiry = flows.DefaultExpiry
	}
	if opts.Workers <= 0 {
		opts.Workers = 64
	}
	if opts.EventTimeout <= 0 {
		opts.EventTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PseudonymKey == nil {
		opts.PseudonymKey = make([]byte, 32)
		rand.Read(opts.PseudonymKey)
	}
	b := &Bot{opts: opts, log: opts.Log, sem: make(chan struct{}, opts.Workers), queues: map[string][]Event{}}
	b.idle = sync.NewCond(&b.mu)
	return b
}

// Enqueue hands events over for processing and returns at once. Events with
// the same Key are processed one at a time, in the order given.
func (b *Bot) Enqueue(ctx context.Context, evs []Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	for _, ev := range evs {
		q, running := b.queues[ev.Key]
		b.queues[ev.Key] = append(q, ev)
		b.pending++
		if !running {
			go b.drain(ev.Key)
		}
	}
	return nil
}

// drain processes key's queue until it is empty.
func (b *Bot) drain(key string) {
	for {
		b.mu.Lock()
		q := b.queues[key]
		if len(q) == 0 {
			delete(b.queues, key)
			b.mu.Unlock()
			return
		}
		ev := q[0]
		b.queues[key] = q[1:]
		b.mu.Unlock()

		b.sem <- struct{}{}
		done := b.process(ev)
		<-b.sem
		if ev.Ack != nil {
			ev.Ack(done)
		}

		b.mu.Lock()
		b.pending--
		if b.pending == 0 {
			b.idle.Broadcast()
		}
		b.mu.Unlock()
	}
}

// process handles ev, retrying while Redis cannot be reached, so that a
// user's later events never overtake it. It reports whether ev is done.
func (b *Bot) process(ev Event) bool {
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), b.opts.EventTimeout)
		err := b.handle(ctx, ev)
		cancel()
		switch {
		case err == nil:
			return true
		case errors.Is(err, taikai.ErrFenced):
			b.log.Warn("another worker owns this event now; leaving it", "event", ev.ID)
			return false
		}
		b.mu.Lock()
		closing := b.closed
		b.mu.Unlock()
		if closing && attempt >= 2 {
			b.log.Warn("event left for another worker at shutdown", "event", ev.ID, "err", err)
			return false
		}
		b.log.Warn("event failed; retrying", "event", ev.ID, "attempt", attempt+1, "err", err)
		time.Sleep(backoff(attempt))
	}
}

// backoff is exponential with full jitter, capped at 5s.
func backoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt, 6)
	if d > 5*time.Second {
		d = 5 * time.Second
	}
	return time.Duration(mrand.Int64N(int64(d))) + 10*time.Millisecond
}

// Wait blocks until every enqueued event has been processed.
func (b *Bot) Wait() {
	b.mu.Lock()
	for b.pending > 0 {
		b.idle.Wait()
	}
	b.mu.Unlock()
}

// Close stops taking events and waits for those taken, or for ctx.
func (b *Bot) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	done := make(chan struct{})
	go func() { b.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pseudonym stands for a user id in logs: a keyed hash, stable within a run.
func (b *Bot) pseudonym(user string) string { return b.hash(user)[:12] }

// hash is the keyed hash of a user id, whole: what is remembered of a user
// after their data is erased is kept under it (the whole of it, so that two
// users never share a memo; logs show its first 12 digits).
func (b *Bot) hash(user string) string {
	m := hmac.New(sha256.New, b.opts.PseudonymKey)
	m.Write([]byte(user))
	return hex.EncodeToString(m.Sum(nil))
}

func newConvID() string {
	var x [8]byte
	rand.Read(x[:])
	return hex.EncodeToString(x[:])
}
