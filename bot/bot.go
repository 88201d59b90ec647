// Package bot runs the withdrawal conversation: per user, it loads the
// state, has the chat channel (LINE) decode an event into a flow input,
// steps the flow, runs the flow's effects (marketplace, account link, staff
// queue), saves the state with its outbox by compare-and-set, has the channel
// render the replies and sends them.
//
// It knows neither LINE nor Redis: it depends on the small interfaces below
// (Store, Marketplace, Channel, chat.Tracker), which the adapters implement.
package bot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/internal/random"
	"github.com/taikaibot/taikai/retry"
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

// Marketplace is what the bot needs of the marketplace API.
type Marketplace interface {
	Status(ctx context.Context, accountID string) (*taikai.Status, error)
	Withdraw(ctx context.Context, accountID, key string, req taikai.WithdrawalRequest) (*taikai.Withdrawal, error)
	ResolveLink(ctx context.Context, nonce string) (string, error)
}

// Channel is the chat platform, as the bot needs it: its raw events decoded
// into flow inputs, replies rendered as its messages (kept opaque, so they
// can be saved in the outbox and sent later as they are), and the calls that
// send them. line.Client is the LINE one.
type Channel interface {
	// Decode decodes one raw event; an error means it is malformed.
	Decode(raw []byte) (chat.Incoming, error)
	Render(replies []flows.Reply) ([]json.RawMessage, error)
	// Reply answers with a reply token; chat.ErrInvalidReplyToken means the
	// token expired or was used.
	Reply(ctx context.Context, token string, msgs []json.RawMessage) error
	// Push sends to a chat; pushes with the same key are sent once.
	Push(ctx context.Context, to string, msgs []json.RawMessage, key string) error
	ShowLoading(ctx context.Context, user string, seconds int) error
	IssueLinkToken(ctx context.Context, user string) (string, error)
	// Language is the language the user's profile names (a BCP 47 tag
	// such as "ja" or "en"), or "" when the platform does not say.
	Language(ctx context.Context, user string) (string, error)
}

// Options configure a Bot.
type Options struct {
	Store       Store
	Marketplace Marketplace
	Channel     Channel
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
	Trackers []chat.Tracker
	// Reminders keeps the reminders users ask for; nil: none can be set.
	Reminders Reminders
	// Retry paces the retries of an event that failed for want of Redis
	// (its attempts are not bounded: later events of its user wait behind
	// it); default retry.Default().
	Retry retry.Policy
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Bot is the runtime. It is safe for concurrent use.
//
// Events are processed by at most Workers goroutines, which stay while
// there is work (and workerIdle after): a goroutine per event would start
// with a small stack and grow it, copying it each time, on every event (5 %
// of the process's CPU under load).
type Bot struct {
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	queues   map[string][]taikai.Event // per key, in arrival order; a key is here while it has events or one is being processed
	runnable []string                  // keys with events and none being processed, in the order they became so
	pending  int                       // events enqueued and not yet done
	idle     *sync.Cond
	closed   bool
	workers  int           // worker goroutines
	waiting  int           // of them, those idle and not yet woken
	wake     chan struct{} // one token per waiting worker woken
}

// workerIdle is how long a worker waits for work before it ends.
const workerIdle = 2 * time.Second

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
		opts.PseudonymKey = []byte(random.Hex(32))
	}
	if opts.Retry.MaxBackoff <= 0 {
		opts.Retry = retry.Default()
	}
	b := &Bot{opts: opts, log: opts.Log, queues: map[string][]taikai.Event{}, wake: make(chan struct{}, opts.Workers)}
	b.idle = sync.NewCond(&b.mu)
	return b
}

// Enqueue hands events over for processing and returns at once. Events with
// the same Key are processed one at a time, in the order given.
func (b *Bot) Enqueue(ctx context.Context, evs []taikai.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	for _, ev := range evs {
		q, known := b.queues[ev.Key]
		b.queues[ev.Key] = append(q, ev)
		b.pending++
		if !known {
			b.ready(ev.Key)
		}
	}
	return nil
}

// ready queues key, which has events and none being processed, for a
// worker: a waiting one, else a new one if there are fewer than Workers
// (else the next to finish takes it). b.mu is held.
func (b *Bot) ready(key string) {
	b.runnable = append(b.runnable, key)
	switch {
	case b.waiting > 0:
		b.waiting--
		b.wake <- struct{}{} // never blocks: one token per waiting worker, fewer than Workers
	case b.workers < b.opts.Workers:
		b.workers++
		go b.work()
	}
}

// work processes events, one key's at a time and one event of it at a
// time: a key with more is queued again behind the others, so that one
// user's backlog does not hold back the rest. It ends when there has been
// nothing to do for workerIdle, or at once when the bot is closed.
func (b *Bot) work() {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	b.mu.Lock()
	for {
		if len(b.runnable) == 0 {
			if b.closed {
				b.workers--
				b.mu.Unlock()
				return
			}
			b.waiting++
			b.mu.Unlock()
			t.Reset(workerIdle)
			select {
			case <-b.wake: // woken by ready, which counted it out of waiting
				b.mu.Lock()
				continue
			case <-t.C:
			}
			b.mu.Lock()
			select {
			case <-b.wake: // woken just as the wait ended
				continue
			default:
			}
			b.waiting--
			b.workers--
			b.mu.Unlock()
			return
		}
		key := b.runnable[0]
		b.runnable[0] = ""
		b.runnable = b.runnable[1:]
		q := b.queues[key]
		ev := q[0]
		q[0] = taikai.Event{}
		b.queues[key] = q[1:]
		b.mu.Unlock()

		done := b.process(ev)
		if ev.Ack != nil {
			ev.Ack(done)
		}

		b.mu.Lock()
		if len(b.queues[key]) == 0 {
			delete(b.queues, key)
		} else {
			b.runnable = append(b.runnable, key)
		}
		b.pending--
		if b.pending == 0 {
			b.idle.Broadcast()
		}
	}
}

// process handles ev, retrying while Redis cannot be reached, so that a
// user's later events never overtake it. It reports whether ev is done.
func (b *Bot) process(ev taikai.Event) bool {
	// One memo for every attempt: an attempt that failed after an effect
	// (a lost race, Redis gone before the save) hands its result on.
	m := &memo{}
	err := b.opts.Retry.Forever().Run(context.Background(), func(attempt int) error {
		ctx, cancel := context.WithTimeout(context.Background(), b.opts.EventTimeout)
		err := b.handle(ctx, ev, m)
		cancel()
		switch {
		case err == nil:
			m.report(b.log, "event", ev.ID) // not a logger With it: formatted for every event, logged for few
			return nil
		case errors.Is(err, taikai.ErrFenced):
			b.log.Warn("another worker owns this event now; leaving it", "event", ev.ID)
			return retry.Permanent(err)
		}
		b.mu.Lock()
		closing := b.closed
		b.mu.Unlock()
		if closing && attempt >= 2 {
			b.log.Warn("event left for another worker at shutdown", "event", ev.ID, "err", b.scrub(err, ev.Key))
			return retry.Permanent(err)
		}
		b.log.Warn("event failed; retrying", "event", ev.ID, "attempt", attempt+1, "err", b.scrub(err, ev.Key))
		return err
	})
	return err == nil
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
	for ; b.waiting > 0; b.waiting-- {
		b.wake <- struct{}{} // they find nothing to do, and end
	}
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

func newConvID() string { return random.Hex(8) }
