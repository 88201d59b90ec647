package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/internal/jsonw"
)

// replyWindow is how long after receipt a reply token is trusted. LINE
// guarantees one minute; past this the bot pushes instead.
const replyWindow = 50 * time.Second

// maxSteps bounds effect round trips within one event (start → link → check
// is the longest chain).
const maxSteps = 6

// maxSaves bounds retries when a save loses a compare-and-set race.
const maxSaves = 3

// UnfollowedLinkTTL is how long the account link of a user who blocked the
// bot is kept: long enough that unblocking soon after finds it, no longer.
// Unblocking, or any event of the user's, keeps it for as long as they are
// around again.
const UnfollowedLinkTTL = 30 * 24 * time.Hour

// evWhilePaused marks, in a Turn, an event the bot kept silent on because
// staff have the conversation. It is the runtime's, not the flow's.
const evWhilePaused flows.Transition = "while_paused"

// handle processes one event. A malformed, unknown or ignored event is
// logged and dropped (nil); an error means it should be tried again, with
// the same memo.
func (b *Bot) handle(ctx context.Context, ev taikai.Event, m *memo) (err error) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("event handler panicked; event dropped", "event", ev.ID, "panic", fmt.Sprint(r))
			err = nil
		}
	}()
	inc, perr := b.decode(ev)
	if perr != nil {
		// Not logged verbatim: the body may hold a user's message.
		b.log.Warn("malformed event dropped", "event", ev.ID, "bytes", len(ev.Raw), "err", b.scrub(perr, ev.Key))
		b.track(ctx, chat.Turn{Type: "malformed", At: b.opts.Now()})
		return nil
	}
	var hu string // the user's keyed hash, computed once per event
	var log *slog.Logger
	if inc.User != "" {
		hu = b.hash(inc.User)
		log = b.log.With("event", ev.ID, "type", inc.Type, "request", ev.Request, "user", hu[:12])
	} else {
		log = b.log.With("event", ev.ID, "type", inc.Type, "request", ev.Request)
	}
	if inc.Input.Kind == "" {
		log.Info("event ignored")
		b.track(ctx, chat.Turn{Type: "ignored", At: b.opts.Now()})
		return nil
	}
	if inc.Input.Kind == flows.InGroup {
		_, out := flows.Next(flows.State{}, inc.Input, b.env())
		b.deliver(ctx, log, b.outbox(log, ev, inc, out.Replies), false)
		return nil
	}
	if hu == "" {
		hu = b.hash(inc.User)
	}
	return b.step(ctx, log, ev, inc, m, hu)
}

func (b *Bot) env() flows.Env {
	return flows.Env{Now: b.opts.Now(), Expiry: b.opts.Expiry, NewConv: newConvID(), TipsURL: b.opts.TipsURL,
		StaffHours: b.opts.StaffHours, Understander: b.opts.Understander}
}

// outbox is what one event has to send, saved with the state so that a
// worker that takes over after a crash can send it. Messages are as the
// channel rendered them.
type outbox struct {
	Event      string            `json:"event"`
	ReplyToken string            `json:"reply_token,omitempty"`
	Chat       string            `json:"chat,omitempty"`
	Received   int64             `json:"received"`
	Saved      int64             `json:"saved"`
	Messages   []json.RawMessage `json:"messages,omitempty"`
}

// encode is the outbox's JSON, as encoding/json writes it but for the
// messages, which are copied as the channel rendered them (valid, compact
// JSON) instead of being checked, compacted and HTML-escaped again.
func (ob outbox) encode() []byte {
	n := 160 + len(ob.Event) + len(ob.ReplyToken) + len(ob.Chat)
	for _, m := range ob.Messages {
		n += len(m) + 1
	}
	b := make([]byte, 0, n)
	b = jsonw.AppendString(append(b, `{"event":`...), ob.Event)
	if ob.ReplyToken != "" {
		b = jsonw.AppendString(append(b, `,"reply_token":`...), ob.ReplyToken)
	}
	if ob.Chat != "" {
		b = jsonw.AppendString(append(b, `,"chat":`...), ob.Chat)
	}
	b = strconv.AppendInt(append(b, `,"received":`...), ob.Received, 10)
	b = strconv.AppendInt(append(b, `,"saved":`...), ob.Saved, 10)
	if len(ob.Messages) > 0 {
		b = append(b, `,"messages":[`...)
		for i, m := range ob.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, m...)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// resumeGrace is how old an outbox must be before a worker that finds it
// sends it again: a worker that saved it a moment ago may still be sending
// it (it lost its partition while working), and once it has, LINE refuses
// the used reply token — which is how the second sender knows.
const resumeGrace = 3 * time.Second

func (b *Bot) outbox(log *slog.Logger, ev taikai.Event, inc chat.Incoming, replies []flows.Reply) outbox {
	ob := outbox{Event: ev.ID, ReplyToken: inc.ReplyToken, Chat: inc.Chat, Received: ev.Received.UnixMilli(), Saved: b.opts.Now().UnixMilli()}
	msgs, err := b.opts.Channel.Render(replies)
	if err != nil {
		log.Error("replies not renderable", "err", b.scrub(err, inc.User))
	}
	ob.Messages = msgs
	return ob
}

// step loads the user's state, steps the flow (running effects), saves the
// state with the event's outbox, and sends it. If the save loses a race it
// starts over on fresh state, and the effects the flow asks for again are
// answered from m, not run again (see memo). An event applied before is not
// applied again: its outbox is sent if it may not have been.
//
// hu is b.hash(inc.User).
func (b *Bot) step(ctx context.Context, log *slog.Logger, ev taikai.Event, inc chat.Incoming, m *memo, hu string) error {
	user, in := inc.User, inc.Input
	for attempt := 0; ; attempt++ {
		m.begin()
		rec, receipt, recalled, err := b.load(ctx, user, hu, ev.ID)
		if err != nil {
			return err
		}
		var s flows.State
		if rec.Conv != nil {
			if err := json.Unmarshal(rec.Conv, &s); err != nil {
				log.Warn("unreadable state reset", "err", b.scrub(err, user))
				s = flows.State{}
			}
		}
		s.AccountID, s.Handoff = rec.Link, rec.Handoff
		reminder := s.Remind // the reminder the conversation waits for, if any
		if !s.Active() && in.Kind != flows.InUnfollow && in.Kind != flows.InUnsend {
			// No conversation: the user may have withdrawn lately and ask
			// about it (read with the record when the store can, else one
			// more read, only for users not in a conversation).
			if !recalled {
				receipt = b.recallFiling(ctx, log, user, hu)
			}
			useFiling(receipt, &s)
		}
		if rec.Handoff == taikai.HandoffPaused && flows.IsBack(in) {
			// The way back to the bot (the button on what staff sent, or
			// typed): the user hands the conversation back, as Resume does.
			if err := b.opts.Store.SetHandoff(ctx, user, ""); err != nil {
				return err
			}
			rec.Handoff, in = "", flows.Input{Kind: flows.InResumed}
		}
		if rec.Handoff == taikai.HandoffPaused && in.Kind != flows.InUnfollow && in.Kind != flows.InResumed && in.Kind != flows.InPaused && in.Kind != flows.InUnsend {
			// Staff have this conversation: the bot stays silent.
			log.Info("staff have the conversation; the bot stays silent")
			b.track(ctx, chat.Turn{User: user, Type: inc.Type, At: b.opts.Now(), State: s, Handoff: rec.Handoff, Events: []flows.Transition{evWhilePaused},
				Pseudonym: hu[:12]})
			return nil
		}
		if rec.Applied(ev.ID) {
			var ob outbox
			if json.Unmarshal(rec.Outbox, &ob) == nil && ob.Event == ev.ID {
				log.Info("event applied before; sending its outbox again")
				if b.deliver(ctx, log, ob, true) {
					b.sent(user, ob)
				}
			} else {
				log.Info("event applied before; skipped")
			}
			return nil
		}

		env := b.env()
		var replies []flows.Reply
		tr := chat.Turn{User: user, Type: inc.Type, Pseudonym: hu[:12]}
		cur := in
		for i := 0; i < maxSteps; i++ {
			var out flows.Output
			s, out = flows.Next(s, cur, env)
			replies = append(replies, out.Replies...)
			tr.Events = append(tr.Events, out.Events...)
			for _, e := range out.Events {
				log.Info("funnel", "step", string(s.Step), "transition", string(e))
			}
			if out.Effect == nil {
				break
			}
			cur = m.run(*out.Effect, func() flows.Input { return b.run(ctx, log, user, *out.Effect) })
			cur.Of = out.Effect.Kind
			switch out.Effect.Kind {
			case flows.EffAskStaff:
				if cur.Kind == flows.InStaffAsked {
					rec.Handoff = taikai.HandoffRequested
				}
			case flows.EffLeaveStaff:
				if cur.Kind == flows.InStaffLeft {
					rec.Handoff = ""
				}
			case flows.EffCheck:
				tr.Checked = cur.Status
			case flows.EffFile:
				tr.Filing = filing(*out.Effect, cur)
			}
		}

		next := taikai.Record{Link: s.AccountID, Version: rec.Version, ConvTTL: b.keep(s), NoLink: rec.Link == ""}
		switch {
		case in.Kind == flows.InUnfollow:
			next.LinkTTL = UnfollowedLinkTTL
		case ev.Fence == taikai.NoFence:
			// A staff action is no sign of the user: a link bound after an
			// unfollow stays bound.
			next.LinkTTL = taikai.KeepTTL
		}
		// A user who withdrew or unlinked leaves nothing but the audit
		// record of a filing (and, for a week, its receipt under the user's
		// pseudonym, to answer "was it filed?"): not even the language.
		filed := tr.Filing != nil && tr.Filing.Outcome == taikai.OutcomeFiled
		unlinked := rec.Link != "" && s.AccountID == "" && !s.Active()
		tr.Erased = filed || unlinked
		if !s.Blank() && !tr.Erased {
			// A conversation, or what outlives one (the language).
			if next.Conv, err = json.Marshal(s); err != nil {
				return err
			}
		}
		ob := b.outbox(log, ev, inc, replies)
		commit := taikai.Commit{EventID: ev.ID, Fence: ev.Fence, Erase: tr.Erased}
		tr.At, tr.State, tr.Handoff, tr.Replies = b.opts.Now(), s, rec.Handoff, replies
		// The console's record of the turn is written by the save, when the
		// store can.
		j, jw := b.prepare(tr)
		commit.Journal = jw
		if len(ob.Messages) > 0 {
			commit.Outbox = ob.encode()
		}
		if _, err := b.opts.Store.Save(ctx, user, next, commit); err != nil {
			if errors.Is(err, taikai.ErrConflict) && attempt+1 < maxSaves {
				log.Info("state changed meanwhile; stepping again")
				continue
			}
			return err
		}
		if filed && s.Filed != nil {
			b.rememberFiling(ctx, log, user, hu, s.Filed)
		}
		// (Nothing is filed while the user waits for staff: the flow keeps
		// quiet until they go back to the bot, which ends the wait.)
		if b.deliver(ctx, log, ob, false) && len(commit.Outbox) > 0 {
			b.sent(user, ob)
		}
		b.forgetReminder(ctx, log, user, reminder, s.Remind)
		tr.At = b.opts.Now()
		if !ev.Received.IsZero() {
			tr.Latency = b.opts.Now().Sub(ev.Received)
		}
		b.trackSaved(ctx, tr, j, jw)
		return nil
	}
}

// rememberFiling keeps the receipt of a filed withdrawal for
// flows.FiledMemory, under the user's pseudonym: the conversation and the
// link are erased, and "was it filed?" must still be answered. Losing it
// costs only that answer, so a failure is logged, not retried.
func (b *Bot) rememberFiling(ctx context.Context, log *slog.Logger, user, hu string, f *flows.Filed) {
	data, err := json.Marshal(f)
	if err == nil {
		err = b.opts.Store.Remember(ctx, "filed:"+hu, data, flows.FiledMemory)
	}
	if err != nil {
		log.Warn("filing not remembered", "err", b.scrub(err, user, hu))
	}
}

// recallLoader is a Store that reads a memo with the record (store.Store
// does, in one MGET on one Redis).
type recallLoader interface {
	// LoadRecall is Load that also returns what Remember kept under id; ok
	// is false when the memo was not read (call Recall if it is needed).
	// The outbox is event's only, if kept.
	LoadRecall(ctx context.Context, user, event, id string) (r taikai.Record, memo []byte, ok bool, err error)
}

// outboxDropper is a Store that drops an event's outbox once told it was
// sent (store.Store does, batched), so that an idle user keeps none.
type outboxDropper interface {
	Sent(user, event string)
}

// sent tells the store that ob went out.
func (b *Bot) sent(user string, ob outbox) {
	if d, ok := b.opts.Store.(outboxDropper); ok {
		d.Sent(user, ob.Event)
	}
}

// load reads user's record and, when the store can in the same read, the
// receipt of their latest filing (recalled reports whether it did).
func (b *Bot) load(ctx context.Context, user, hu, event string) (rec taikai.Record, filed []byte, recalled bool, err error) {
	if lr, ok := b.opts.Store.(recallLoader); ok {
		return lr.LoadRecall(ctx, user, event, "filed:"+hu)
	}
	rec, err = b.opts.Store.Load(ctx, user)
	return rec, nil, false, err
}

// recallFiling reads what is remembered of the user's latest filing. A
// failure costs only the answer to "was it filed?": it is logged.
func (b *Bot) recallFiling(ctx context.Context, log *slog.Logger, user, hu string) []byte {
	data, err := b.opts.Store.Recall(ctx, "filed:"+hu)
	if err != nil {
		log.Warn("filing not recalled", "err", b.scrub(err, user, hu))
		return nil
	}
	return data
}

// useFiling puts what is remembered of the user's latest filing into s.
func useFiling(data []byte, s *flows.State) {
	if data == nil {
		return
	}
	var f flows.Filed
	if err := json.Unmarshal(data, &f); err != nil {
		return
	}
	s.Filed = &f
	if s.Lang == "" {
		s.Lang = f.Lang
	}
}

// savedTracker is a tracker whose record of a turn the store's save can
// write in the same script (console.Journal, with its case card): Prepare
// returns that write (nil: none), and Saved finishes once the save ran it.
type savedTracker interface {
	Prepare(t chat.Turn) *taikai.JournalWrite
	Saved(ctx context.Context, t chat.Turn, w *taikai.JournalWrite)
}

// prepare has the first savedTracker among the trackers prepare its write
// of t; it returns that tracker's index (-1: none) and the write.
func (b *Bot) prepare(t chat.Turn) (int, *taikai.JournalWrite) {
	for i, tk := range b.opts.Trackers {
		if st, ok := tk.(savedTracker); ok {
			return i, st.Prepare(t)
		}
	}
	return -1, nil
}

// trackSaved tells the trackers of a saved turn: the j-th, whose write w
// the save ran (or not: then it tracks it all itself), and the others.
func (b *Bot) trackSaved(ctx context.Context, t chat.Turn, j int, w *taikai.JournalWrite) {
	for i, tk := range b.opts.Trackers {
		if i == j && w != nil {
			tk.(savedTracker).Saved(ctx, t, w)
			continue
		}
		tk.Track(ctx, t)
	}
}

func (b *Bot) track(ctx context.Context, t chat.Turn) {
	for _, tk := range b.opts.Trackers {
		tk.Track(ctx, t)
	}
}

// filing describes a filing attempt from its effect and result.
func filing(e flows.Effect, res flows.Input) *chat.Filing {
	f := &chat.Filing{AccountID: e.AccountID, Key: e.Key, Reason: e.Request.ReasonCode, Consent: e.Request.Consent}
	switch res.Kind {
	case flows.InFiled:
		f.Outcome = taikai.OutcomeFiled
		if res.Receipt != nil {
			f.Receipt = res.Receipt.WithdrawalID
		}
	case flows.InFileBlocked:
		f.Outcome = taikai.OutcomeBlocked
	case flows.InNotFound:
		f.Outcome = taikai.OutcomeNotFound
	default:
		f.Outcome = taikai.OutcomeUnavailable
	}
	return f
}

// run carries out an effect and returns its result as the flow's next input.
func (b *Bot) run(ctx context.Context, log *slog.Logger, user string, e flows.Effect) flows.Input {
	fail := func(err error) flows.Input {
		if errors.Is(err, taikai.ErrNotFound) {
			return flows.Input{Kind: flows.InNotFound}
		}
		log.Warn("effect failed", "effect", string(e.Kind), "err", b.scrub(err, user, e.AccountID, e.Nonce))
		return flows.Input{Kind: flows.InUnavailable}
	}
	switch e.Kind {
	case flows.EffIssueLink:
		tok, err := b.opts.Channel.IssueLinkToken(ctx, user)
		if err != nil {
			return fail(fmt.Errorf("%w: %v", taikai.ErrUnavailable, err))
		}
		return flows.Input{Kind: flows.InLinkURL, URL: b.opts.LinkURL + "?linkToken=" + tok}
	case flows.EffResolveLink:
		acc, err := b.opts.Marketplace.ResolveLink(ctx, e.Nonce)
		if err != nil {
			return fail(err)
		}
		return flows.Input{Kind: flows.InLinked, AccountID: acc}
	case flows.EffCheck:
		if err := b.opts.Channel.ShowLoading(ctx, user, 10); err != nil {
			log.Info("loading animation not shown", "err", b.scrub(err, user))
		}
		st, err := b.opts.Marketplace.Status(ctx, e.AccountID)
		if err != nil {
			return fail(err)
		}
		return flows.Input{Kind: flows.InStatus, Status: st}
	case flows.EffProfile:
		// Only the language is used; without it the user is spoken to in Japanese.
		lang, err := b.opts.Channel.Language(ctx, user)
		if err != nil {
			log.Info("profile not read", "err", b.scrub(err, user))
			return flows.Input{Kind: flows.InProfile}
		}
		return flows.Input{Kind: flows.InProfile, Language: lang}
	case flows.EffAskStaff:
		if err := b.opts.Store.SetHandoff(ctx, user, taikai.HandoffRequested); err != nil {
			log.Warn("staff queue unavailable", "err", b.scrub(err, user))
			return flows.Input{Kind: flows.InUnavailable}
		}
		return flows.Input{Kind: flows.InStaffAsked}
	case flows.EffRemind:
		return b.remind(ctx, log, user, e)
	case flows.EffLeaveStaff:
		if err := b.opts.Store.SetHandoff(ctx, user, ""); err != nil {
			log.Warn("staff queue unavailable", "err", b.scrub(err, user))
			return flows.Input{Kind: flows.InUnavailable}
		}
		return flows.Input{Kind: flows.InStaffLeft}
	case flows.EffFile:
		w, err := b.opts.Marketplace.Withdraw(ctx, e.AccountID, e.Key, e.Request)
		var blocked *taikai.BlockedError
		switch {
		case errors.As(err, &blocked):
			return flows.Input{Kind: flows.InFileBlocked, Status: &blocked.Status}
		case err != nil:
			return fail(err)
		}
		log.Info("withdrawal filed", "account", b.pseudonym(e.AccountID), "receipt", w.WithdrawalID)
		return flows.Input{Kind: flows.InFiled, Receipt: w}
	}
	return flows.Input{Kind: flows.InUnavailable}
}

// deliver sends an outbox: with the reply token while it is fresh, else (or
// if the channel refuses it) by push keyed by the event, so a second attempt
// never sends twice. When resuming after a crash, a fresh token that is
// refused was used by the first attempt: the messages went out. It reports
// whether they went out (then the outbox can be dropped).
func (b *Bot) deliver(ctx context.Context, log *slog.Logger, ob outbox, resume bool) bool {
	if len(ob.Messages) == 0 {
		return false
	}
	if resume {
		if wait := resumeGrace - b.opts.Now().Sub(time.UnixMilli(ob.Saved)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return false
			}
		}
	}
	fresh := b.opts.Now().Sub(time.UnixMilli(ob.Received)) < replyWindow
	if ob.ReplyToken != "" && fresh {
		err := b.opts.Channel.Reply(ctx, ob.ReplyToken, ob.Messages)
		if err == nil {
			return true
		}
		if errors.Is(err, chat.ErrInvalidReplyToken) && resume {
			log.Info("reply token already used: sent before the crash")
			return true
		}
		if !errors.Is(err, chat.ErrInvalidReplyToken) {
			log.Warn("reply failed; pushing", "err", b.scrub(err, ob.Chat))
		}
	}
	if ob.Chat == "" {
		return false
	}
	if err := b.opts.Channel.Push(ctx, ob.Chat, ob.Messages, ob.Event); err != nil {
		log.Error("push failed", "err", b.scrub(err, ob.Chat))
		return false
	}
	return true
}

// ErrNotAUser is returned by Pause and Resume for an id that is not a LINE
// user id.
var ErrNotAUser = errors.New("not a LINE user id")

// Pause hands user's conversation to staff: the user is told a person will
// answer in the chat, and the bot stays silent for them until Resume.
func (b *Bot) Pause(ctx context.Context, user string) error {
	return b.staffEvent(ctx, user, "pause", taikai.HandoffPaused, flows.Input{Kind: flows.InPaused})
}

// Resume hands user's conversation back to the bot at the same step.
func (b *Bot) Resume(ctx context.Context, user string) error {
	return b.staffEvent(ctx, user, "resume", "", flows.Input{Kind: flows.InResumed})
}

// staffEvent records a staff action's handoff state, then runs it through
// the flow like an event from the user, answered by push (there is no reply
// token).
func (b *Bot) staffEvent(ctx context.Context, user, typ, handoff string, in flows.Input) error {
	// Checked before anything is written. The error does not carry the id:
	// it comes from a URL, may be of any length, and is logged.
	if !taikai.ValidUserID(user) {
		return fmt.Errorf("bot: %s of a non-user (%d bytes): %w", typ, len(user), ErrNotAUser)
	}
	if err := b.opts.Store.SetHandoff(ctx, user, handoff); err != nil {
		return err
	}
	ev := taikai.Event{ID: fmt.Sprintf("%s-%d", typ, b.opts.Now().UnixNano()), Key: user, Fence: taikai.NoFence}
	inc := chat.Incoming{Type: typ, Input: in, User: user, Chat: user}
	hu := b.hash(user)
	log := b.log.With("user", hu[:12], "type", typ)
	m := &memo{}
	err := b.step(ctx, log, ev, inc, m, hu)
	if err == nil {
		m.report(log)
	}
	return err
}
