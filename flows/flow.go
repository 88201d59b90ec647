package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/taikaibot/taikai"
)

// Transition names a step of the funnel a conversation went through; Next
// reports them in Output.Events, for metrics and the staff console.
type Transition string

// The funnel's transitions.
const (
	EvStarted   Transition = "started"
	EvLinked    Transition = "linked"
	EvChecked   Transition = "checked"
	EvBlocked   Transition = "blocked"
	EvClear     Transition = "clear"
	EvWarned    Transition = "warned"
	EvReason    Transition = "reason"
	EvConfirmed Transition = "confirmed"
	EvFiled     Transition = "filed"
	EvCancelled Transition = "cancelled"
	EvExpired   Transition = "expired"
	EvHandedOff Transition = "handed_off"
	// EvReserved: a reminder was set for after a payout; EvReminded: it
	// came due, and the account was checked again.
	EvReserved Transition = "reserved"
	EvReminded Transition = "reminded"
)

// Next steps the conversation: s is the stored state, in what happened. It
// never fails: every input yields a valid state, and every user input yields
// at least one reply or an effect whose result will — except while the user
// waits for staff, when the bot stays quiet on purpose.
func Next(s State, in Input, env Env) (State, Output) {
	if s.Step == "" {
		s.Step = StepIdle
	}
	t := &turn{s: s, env: env, c: catalogFor(s.Lang)}
	if in.isResult() {
		t.result(in)
	} else {
		t.input(in)
	}
	if n := len(t.out.Replies); n > 0 {
		// The summary's question stays open only while it is the last thing said.
		t.s.SummaryLast = t.summary == n && t.s.Step == StepConfirm
		t.s.WhichLast = t.which == n
	}
	return t.s, t.out
}

// turn is one call of Next.
type turn struct {
	s       State
	env     Env
	c       *catalog
	out     Output
	expired bool
	// sent is when the user's input was sent (Input.At), zero if unknown.
	sent time.Time
	// opts backs options, so that listing a step's buttons allocates nothing.
	opts [12]press
	// asked: the summary's yes/no question was the last thing the user was
	// told before this input (State.SummaryLast, as it was).
	asked bool
	// summary is the number of the reply (from 1) that is the confirm
	// step's summary, if one was said in this turn; 0 if none.
	summary int
	// which is the number of the reply that asks which of two ways (go on,
	// or keep the account?), if one was said in this turn; 0 if none.
	// askedWhich: that question was the last thing the user was told
	// before this input (State.WhichLast, as it was).
	which      int
	askedWhich bool
}

func (t *turn) say(text string, choices ...Choice) {
	t.out.Replies = append(t.out.Replies, Reply{Text: text, Choices: choices})
}

func (t *turn) effect(e Effect) { t.out.Effect = &e }

func (t *turn) event(e Transition) { t.out.Events = append(t.out.Events, e) }

func (t *turn) setLang(l Lang) {
	t.s.Lang = l
	t.c = catalogFor(l)
}

// goTo moves to step; the step counter makes every earlier button stale,
// and a step forward forgets the stray inputs before it.
func (t *turn) goTo(step Step) {
	if step != StepReserved {
		t.s.Remind = time.Time{} // a reservation lives only at its step
	}
	t.s.Step = step
	t.s.Seq++
	t.s.Strays = 0
	t.s.Shown = t.env.Now.Truncate(time.Millisecond)
}

// decisive reports whether a moves the conversation toward the filing on
// the user's word: these are the steps an old input must never answer.
func decisive(a action) bool {
	return a == actContinue || a == actHelpContinue || a == actConfirm || a == actResume
}

// early reports whether the user's input was sent before the current step
// was shown: it answers something earlier (a message typed before the
// step arrived, a delayed or replayed event), never this step.
func (t *turn) early() bool {
	return !t.sent.IsZero() && t.sent.Before(t.s.Shown)
}

// reset ends the conversation, keeping what outlives it: the account link,
// the language, the handoff and the memory of a filing.
func (t *turn) reset() {
	t.s = State{Step: StepIdle, AccountID: t.s.AccountID, Lang: t.s.Lang, Handoff: t.s.Handoff, Filed: t.s.Filed, StaffNote: t.s.StaffNote,
		StaffHeard: t.s.StaffHeard, Pressed: t.s.Pressed, PressedAt: t.s.PressedAt, Checks: t.recentChecks()}
}

// recentChecks are the lookups within CheckWindow, in a new slice (the
// caller's state is never written to), or nil.
func (t *turn) recentChecks() []time.Time {
	var r []time.Time
	for _, c := range t.s.Checks {
		if t.env.Now.Sub(c) < CheckWindow {
			r = append(r, c)
		}
	}
	return r
}

// checkWait is how long until the account may be looked up again: zero
// unless limit lookups were made within CheckWindow.
func (t *turn) checkWait(limit int) time.Duration {
	r := t.recentChecks()
	if len(r) < limit {
		return 0
	}
	return r[len(r)-limit].Add(CheckWindow).Sub(t.env.Now)
}

// at is the step the user is at, as texts are understood and answered:
// the stored step, or StepFiled for an idle user who recently withdrew.
func (t *turn) at() Step {
	if !t.s.Active() && t.s.Filed != nil && t.env.Now.Sub(t.s.Filed.At) < FiledMemory {
		return StepFiled
	}
	return t.s.Step
}

// choiceArg makes a button for a in the current conversation and step.
func (t *turn) choiceArg(a action, arg, label string) Choice {
	p := press{act: a, arg: arg}
	if t.s.Active() {
		p.conv, p.seq = t.s.Conv, strconv.Itoa(t.s.Seq)
	}
	return Choice{Label: label, Data: p.encode()}
}

func (t *turn) choice(a action) Choice { return t.choiceArg(a, "", t.c.labels[a]) }

// options lists the buttons of the current step, as (action, argument)
// pairs; every step offers a person as a way out too.
func (t *turn) options() []press {
	return append(t.stepOptions(t.opts[:0]), press{act: actStaff})
}

// stepOptions appends the current step's own buttons to o.
func (t *turn) stepOptions(o []press) []press {
	switch t.at() {
	case StepIdle:
		o = append(o, press{act: actStart})
		if t.s.AccountID != "" {
			o = append(o, press{act: actUnlink})
		}
		return o
	case StepLinking:
		return append(o, press{act: actRelink}, press{act: actCancel})
	case StepChecking, StepBlocked:
		o = append(o, press{act: actCheck})
		if _, ok := t.canRemind(); ok {
			o = append(o, press{act: actRemind})
		}
		return append(o, press{act: actCancel})
	case StepReserved:
		return append(o, press{act: actCheck}, press{act: actCancel})
	case StepReady:
		return append(o, press{act: actResume}, press{act: actCancel})
	case StepWarning:
		return append(o, press{act: actContinue}, press{act: actCancel})
	case StepReason:
		for _, r := range taikai.Reasons {
			o = append(o, press{act: actReason, arg: string(r)})
		}
		return append(o, press{act: actCancel})
	case StepReasonText:
		return append(o, press{act: actSkipText}, press{act: actCancel})
	case StepHelp:
		return append(o, press{act: actHelpContinue}, press{act: actCancel})
	case StepConfirm:
		if t.s.Declined {
			return append(o, press{act: actChangeReason}, press{act: actCancel})
		}
		return append(o, press{act: actConfirm}, press{act: actChangeReason}, press{act: actCancel})
	}
	return o
}

func (c *catalog) label(p press) string {
	if p.act == actReason {
		return c.reasons[taikai.Reason(p.arg)]
	}
	return c.labels[p.act]
}

func (t *turn) choices() []Choice {
	opts := t.options()
	cs := make([]Choice, 0, len(opts))
	for _, p := range opts {
		cs = append(cs, t.choiceArg(p.act, p.arg, t.c.label(p)))
	}
	return cs
}

// typedLabels indexes the words of every button, normalised, in both
// languages (a user may type either): what pressing them does.
var typedLabels = func() map[string][]press {
	m := map[string][]press{}
	add := func(label string, p press) {
		n := normalize(label)
		if !slices.Contains(m[n], p) {
			m[n] = append(m[n], p)
		}
	}
	for _, c := range []*catalog{&ja, &en} {
		for a, l := range c.labels {
			add(l, press{act: a})
		}
		for r, l := range c.reasons {
			add(l, press{act: actReason, arg: string(r)})
		}
		// The link button opens a page; its words show the link again.
		add(c.linkButton, press{act: actRelink})
	}
	return m
}()

// typed finds the button of the current step whose words (normalised, in
// either language) the user typed.
func (t *turn) typed(n string) (press, bool) {
	for _, p := range typedLabels[n] {
		if slices.Contains(t.options(), p) {
			return p, true
		}
	}
	return press{}, false
}

// view shows the current step in full (again, or for the first time).
func (t *turn) view() {
	c := t.c
	switch t.at() {
	case StepFiled:
		t.remind()
	case StepIdle:
		t.say(c.idleHelp, t.choices()...)
	case StepLinking:
		// The link prompt again, with a fresh link: a link token is
		// single-use and short-lived, so every showing gets a new one.
		// (Why a link may have failed is said where the user asks or comes
		// back from it: linkRetry.)
		t.effect(Effect{Kind: EffIssueLink})
	case StepChecking:
		t.say(c.checkPending, t.choices()...)
	case StepBlocked:
		st := t.status()
		n, cards := c.blockers(st)
		head := fmt.Sprintf(c.blockedHead, st.DisplayName, n)
		if n == 1 {
			head = fmt.Sprintf(c.blockedHeadOne, st.DisplayName)
		}
		t.out.Replies = append(t.out.Replies, Reply{Text: head, Cards: cards})
		t.say(t.blockedFoot(), t.choices()...)
	case StepReserved:
		t.viewReserved()
	case StepReady:
		t.say(c.ready, t.choices()...)
	case StepWarning:
		st := t.status()
		text := fmt.Sprintf(c.warning, st.DisplayName, c.ratingLine(st.Rating), c.ordersLine(st.CompletedOrders))
		if st.Rating.Count == 0 && st.CompletedOrders == 0 {
			// Nothing rated, nothing sold: no "rating (none yet) and 0 orders".
			text = fmt.Sprintf(c.warningNone, st.DisplayName)
		}
		t.say(text, t.choices()...)
		// What was shown, for the consent record; a new showing needs a new
		// acknowledgement.
		t.s.Consent.Warning = taikai.ConsentWarning{Shown: t.shown(versions[c][0], text),
			Rating: st.Rating, CompletedOrders: st.CompletedOrders}
	case StepReason:
		t.say(c.reasonPrompt, t.choices()...)
	case StepReasonText:
		t.say(c.reasonTextPrompt, t.choices()...)
	case StepHelp:
		a := t.advice()
		if a == "" {
			a = c.remind[StepHelp] // not reached: the step is only entered with advice
		}
		t.say(a, t.choices()...)
	case StepConfirm:
		if t.s.Declined {
			t.say(c.declined, t.choices()...)
			return
		}
		st := t.status()
		loss := c.lossLineNone
		if st.Rating.Count > 0 || st.CompletedOrders > 0 {
			loss = fmt.Sprintf(c.lossLine, c.ratingLine(st.Rating), c.ordersLine(st.CompletedOrders))
		}
		text := fmt.Sprintf(c.confirm, st.DisplayName, c.reasonLabel(t.s.Reason, t.s.ReasonText), loss)
		t.say(text, t.choices()...)
		t.summary = len(t.out.Replies)
		t.s.Consent.Confirm = taikai.ConsentConfirm{Shown: t.shown(versions[c][1], text)}
	}
}

// blockedFoot says what to do once the blockers are settled.
func (t *turn) blockedFoot() string {
	if due, ok := t.canRemind(); ok {
		// Nothing to do but wait for the payout: a reminder is offered.
		return fmt.Sprintf(t.c.blockedFootRemind, t.c.openingAt(due))
	}
	b := t.status().Blockers()
	if len(b) == 1 && b[taikai.BlockerPayout] > 0 {
		return t.c.blockedFootWait // nothing to do but wait for the payout
	}
	n := 0
	for _, k := range b {
		n += k
	}
	if n == 1 {
		return t.c.blockedFootOne
	}
	return t.c.blockedFoot
}

// sameBlockers reports whether a and b are the same account with the same
// blockers.
func sameBlockers(a, b *taikai.Status) bool {
	return a != nil && b != nil && a.AccountID == b.AccountID && a.Blocked() &&
		slices.Equal(a.PurchasesInProgress, b.PurchasesInProgress) &&
		slices.Equal(a.SalesAwaitingDelivery, b.SalesAwaitingDelivery) &&
		slices.Equal(a.PayoutsInProgress, b.PayoutsInProgress) && a.SalesBalanceJPY == b.SalesBalanceJPY
}

// remind shows the current step in one line, with its buttons: after an
// answer that is not the step itself, the user sees where they are without
// reading the whole step again.
func (t *turn) remind() {
	if t.at() == StepReserved && !t.s.Remind.IsZero() {
		t.say(fmt.Sprintf(t.c.remind[StepReserved], t.c.openingAt(t.s.Remind)), t.choices()...)
		return
	}
	t.say(t.c.remind[t.at()], t.choices()...)
}

func (t *turn) status() *taikai.Status {
	if t.s.Status == nil {
		return &taikai.Status{AccountID: t.s.AccountID}
	}
	return t.s.Status
}

// touch notes the user's activity; a conversation idle past the expiry
// starts over, and the user is told that nothing was filed.
func (t *turn) touch() {
	if !t.s.Active() {
		return
	}
	idle := t.s.Updated
	if t.s.Step == StepReserved && t.s.Remind.After(idle) {
		// Waiting for a reminder is no idling: the time counts from it.
		idle = t.s.Remind
	}
	if t.env.Expiry > 0 && t.env.Now.Sub(idle) > t.env.Expiry {
		t.reset()
		t.expired = true
		t.event(EvExpired)
		t.say(t.c.expired)
		return
	}
	t.s.Updated = t.env.Now
}

// input handles what the user did.
func (t *turn) input(in Input) {
	t.sent = in.At
	switch in.Kind {
	case InGroup:
		// A group names no user whose language could be read.
		t.say(ja.group)
		return
	case InUnfollow:
		// Blocked: there is no one to answer. Forget the conversation.
		t.reset()
		return
	case InUnsend:
		// LINE asks bots to forget unsent messages; if it was the typed reason, drop it.
		if in.MessageID != "" && in.MessageID == t.s.ReasonMsgID {
			t.s.ReasonText, t.s.ReasonMsgID = "", ""
		}
		return
	case InReminder:
		// The bot's own event: no user to read a profile of, nothing to touch.
		t.reminded(in)
		return
	}
	if t.s.Lang == "" {
		// The first answer to this user: read their language from the LINE
		// profile once, and handle the input when it comes back.
		t.s.pending = &in
		t.effect(Effect{Kind: EffProfile})
		return
	}
	// Whatever the user did, the summary's question is no longer what they
	// answer next, unless it is said again (see Next).
	t.asked, t.s.SummaryLast = t.s.SummaryLast, false
	t.askedWhich, t.s.WhichLast = t.s.WhichLast, false
	switch in.Kind {
	case InPaused:
		t.say(t.c.paused)
		return
	case InResumed:
		t.say(t.c.resumed)
		t.view()
		return
	}
	if t.waiting(in) {
		return
	}
	t.touch()

	switch in.Kind {
	case InFollow:
		if t.s.Active() {
			t.say(t.c.inProgress)
			t.view()
			return
		}
		t.say(t.c.greeting, t.choices()...)
	case InLinkOK:
		if in.Nonce == "" {
			t.say(t.c.linkNotFound)
			t.view()
			return
		}
		t.effect(Effect{Kind: EffResolveLink, Nonce: in.Nonce})
	case InLinkFailed:
		// LINE refused the link (opened by another LINE user). At the
		// linking step a fresh link follows; elsewhere nothing changes.
		t.say(t.c.linkFailed)
		if t.at() == StepLinking {
			t.effect(Effect{Kind: EffIssueLink})
			return
		}
		t.remind()
	case InPostback:
		t.postback(in)
	case InText:
		t.text(in)
	case InSticker:
		t.aside(t.c.sticker)
	case InMedia:
		t.aside(t.c.media)
	default:
		t.aside(t.c.offScript)
	}
}

// waiting handles what the user sends while waiting for staff: the bot
// stays quiet — the messages are for a person — but for an acknowledgement
// of the first one, a short note at most every StaffNoteEvery, and the
// ways out: back to the bot, stopping the procedure, unlinking (pressed,
// or typed in any words: ボットに戻りたい, 退会やめます, 連携解除). A button
// pressed while waiting always gets a line. It reports whether it handled
// in.
func (t *turn) waiting(in Input) bool {
	if t.s.Handoff != taikai.HandoffRequested {
		return false
	}
	switch in.Kind {
	case InText, InPostback, InSticker, InMedia:
	default:
		return false // a follow or a link event is handled as usual
	}
	if t.isBack(in) {
		t.effect(Effect{Kind: EffLeaveStaff})
		return true
	}
	switch in.Kind {
	case InPostback:
		if p, ok := decodePress(in.Data); ok && (p.act == actCancel || p.act == actUnlink) {
			t.leaveThen(p.act)
			return true
		}
		// Any other button (an old 退会する among them) does nothing while a
		// person has the conversation; say so rather than stay silent.
		t.staffNote(false)
		return true
	case InText:
		if !asks(in.Text) {
			switch t.understand(in.Text) {
			case IntentBack:
				t.effect(Effect{Kind: EffLeaveStaff})
				return true
			case IntentCancel:
				t.leaveThen(actCancel)
				return true
			case IntentUnlink:
				t.leaveThen(actUnlink)
				return true
			}
		}
	}
	switch {
	case !t.s.StaffHeard:
		// The first message to staff: say it arrived.
		t.s.StaffHeard = true
		t.staffGot()
	case t.s.StaffNote.IsZero() || t.env.Now.Sub(t.s.StaffNote) >= StaffNoteEvery:
		t.staffNote(false)
	}
	return true
}

// leaveThen leaves the staff queue, then does a (see result, InStaffLeft).
func (t *turn) leaveThen(a action) {
	t.s.then = a
	t.effect(Effect{Kind: EffLeaveStaff})
}

// asks reports a message that asks something (a question mark, or a
// question ending): while waiting for staff it is a question for them,
// never a command to the bot (キャンセルできますか is no cancel).
func asks(text string) bool {
	if strings.ContainsAny(text, "?？؟❓❔") {
		return true
	}
	s := strings.TrimRight(strings.TrimSpace(text), "。.!！")
	for _, e := range []string{"か", "かな", "かね", "かしら"} {
		if strings.HasSuffix(s, e) {
			return true
		}
	}
	return false
}

// staffGot says that the user's message reached staff (and when they
// answer, outside staff hours), with the way back to the bot.
func (t *turn) staffGot() {
	c := t.c
	t.s.StaffNote = t.env.Now
	text := c.staffGot
	if !t.env.StaffHours.Open(t.env.Now) {
		text = fmt.Sprintf(c.staffGotClosed, c.openingAt(t.env.StaffHours.NextOpening(t.env.Now)))
	}
	t.say(text, t.choice(actBack))
}

// isBack reports whether in is the "back to the bot" button, pressed (from
// any message) or typed.
func (t *turn) isBack(in Input) bool {
	if in.Kind == InPostback {
		p, ok := decodePress(in.Data)
		return ok && p.act == actBack
	}
	return in.Kind == InText && slices.Contains(typedLabels[normalize(in.Text)], press{act: actBack})
}

// staffNote tells the user a person will answer here (and when, outside
// staff hours), with the way back to the bot.
func (t *turn) staffNote(ack bool) {
	c := t.c
	t.s.StaffNote = t.env.Now
	var text string
	open := t.env.StaffHours.Open(t.env.Now)
	switch {
	case ack && open:
		text = c.staffAsked
	case ack:
		text = fmt.Sprintf(c.staffAskedClosed, c.openingAt(t.env.StaffHours.NextOpening(t.env.Now)))
	case open:
		text = c.staffWait
	default:
		text = fmt.Sprintf(c.staffWaitClosed, c.openingAt(t.env.StaffHours.NextOpening(t.env.Now)))
	}
	t.say(text, t.choice(actBack))
}

// aside answers something off the step (a sticker, a greeting), then shows
// where the user is in one line. The more such inputs in a row, the
// shorter: after the first, only the reminder.
func (t *turn) aside(text string) {
	t.s.Strays++
	if t.s.Strays == 1 && !t.expired {
		// (After an expiry the note said why: the input answered a step
		// that is gone, and is no stray.)
		t.say(text)
	}
	t.remind()
}

func (t *turn) postback(in Input) {
	p, ok := decodePress(in.Data)
	switch {
	case !ok:
		t.aside(t.c.offScript)
	case p.conv == "" && (decisive(p.act) || p.act == actReason || p.act == actSkipText):
		// A step toward the filing is only ever pressed on its own step's
		// button, which names its conversation; one that names none was
		// never sent by this bot (a=confirm alone must not file).
		t.say(t.c.staleButton)
		t.remind()
	case p.conv == "":
		t.act(p) // a rich-menu button (start, a person) belongs to no conversation
	case (!t.s.Active() || p.conv != t.s.Conv || p.seq != strconv.Itoa(t.s.Seq)) && t.doubleTap(in, p):
		// The same button again, at once, after the first press moved on:
		// it did what it does; one short line (with the buttons), not the
		// step again. (A button still good for the step — a retry after a
		// failure — acts as pressed.)
		t.say(t.c.doubleTap, t.choices()...)
	case !t.s.Active():
		if !t.expired {
			t.say(t.c.ended)
		}
		t.view()
	case p.conv != t.s.Conv || p.seq != strconv.Itoa(t.s.Seq):
		t.say(t.c.staleButton)
		t.remind()
	default:
		t.s.Pressed, t.s.PressedAt = in.Data, t.env.Now
		t.act(p)
	}
}

// doubleTap reports a second press of the button just acted on, within
// DoubleTap: the same button data again, or the confirm button of the
// conversation whose withdrawal was just filed (its state is gone).
func (t *turn) doubleTap(in Input, p press) bool {
	if t.expired {
		return false
	}
	if in.Data == t.s.Pressed && t.env.Now.Sub(t.s.PressedAt) < DoubleTap {
		return true
	}
	f := t.s.Filed
	return f != nil && !t.s.Active() && p.act == actConfirm && p.conv != "" && p.conv == f.Conv && t.env.Now.Sub(f.At) < DoubleTap
}

// text handles a typed message: the words of one of the step's buttons
// act as that button; anything else is understood as an intent.
func (t *turn) text(in Input) {
	n := normalize(in.Text)
	if p, ok := t.typed(n); ok {
		t.act(p)
		return
	}
	if n == "" {
		t.unclear()
		return
	}
	t.understood(t.understand(in.Text), in)
}

func (t *turn) understand(text string) Intent {
	u := t.env.Understander
	var i Intent
	if u == nil {
		i = Understand(text, t.at())
	} else {
		i = u.Understand(text, t.at())
	}
	if !i.Valid() {
		return IntentUnknown
	}
	return i
}

// understood answers an intent at the current step. This is the one place
// that decides what a typed message does. The safety rule: only "yes" at
// the warning, help and confirm steps, or a reason at the reason steps,
// moves toward filing (a yes at checking or blocked only looks the account
// up again); anything unclear is asked about, with buttons.
func (t *turn) understood(i Intent, in Input) {
	step := t.at()
	if r, ok := i.Reason(); ok {
		if step == StepReason || step == StepReasonText {
			t.typedReason(r, in)
			return
		}
		i = IntentUnknown
	}
	if topic, ok := i.Topic(); ok {
		t.faq(topic)
		return
	}
	if l, ok := i.Lang(); ok {
		t.switchLang(l)
		return
	}
	switch i {
	case IntentStart:
		if step == StepFiled {
			// Filed lately: it was accepted; say so, with the receipt.
			f := t.s.Filed
			t.say(fmt.Sprintf(t.c.filedStatus, f.ID, t.c.when(f.At)), t.choices()...)
			return
		}
		t.act(press{act: actStart})
	case IntentBack:
		t.act(press{act: actBack})
	case IntentQuestion:
		// Not one of the topics: say so, and offer a person (the step's
		// buttons include one), rather than answer another question.
		t.s.Strays++
		t.say(t.c.cantAnswer)
		t.remind()
	case IntentCancel:
		if step == StepFiled {
			t.faq(TopicUndo) // nothing left to stop: say it can't be undone
			return
		}
		t.act(press{act: actCancel})
	case IntentStaff:
		t.act(press{act: actStaff})
	case IntentUnlink:
		t.act(press{act: actUnlink})
	case IntentHelp:
		t.s.Strays++
		if t.s.Strays == 1 {
			t.view()
		} else {
			t.remind()
		}
	case IntentGreeting:
		t.aside(t.c.hello)
	case IntentThanks:
		if step == StepFiled {
			t.say(t.c.filedThanks)
			return
		}
		t.aside(t.c.welcome)
	case IntentChangeReason:
		switch step {
		case StepConfirm:
			t.act(press{act: actChangeReason})
		case StepHelp:
			// The advice answers the reason given; another reason is chosen
			// at the reason step (a step back).
			t.goTo(StepReason)
			t.view()
		default:
			t.unclear()
		}
	case IntentYes:
		switch step {
		case StepWarning:
			if t.askedWhich && in.Kind == InText && agreementOnly(in.Text) {
				// A bare yes to "go on, or keep your account?" (asked after
				// an unclear answer) picks neither: ask which.
				t.pickOne()
				return
			}
			t.act(press{act: actContinue})
		case StepHelp:
			if in.Kind == InText && agreementOnly(in.Text) {
				// The advice offers two ways (keep the account, or go on);
				// a bare yes picks neither.
				t.pickOne()
				return
			}
			t.act(press{act: actHelpContinue})
		case StepConfirm:
			if t.s.Declined {
				// They said no before: a yes now answers no question. Ask again.
				t.s.Declined = false
				t.goTo(StepConfirm)
				t.view()
				return
			}
			// The understanding read a yes; the words must also be a clean
			// consent: in their own words, or a bare yes answering the
			// summary's question right after it was asked.
			switch ConsentOf(in.Text) {
			case ConsentExplicit:
				t.act(press{act: actConfirm})
			case ConsentBare:
				if t.asked {
					t.act(press{act: actConfirm})
					return
				}
				t.unclear()
			default:
				t.unclear()
			}
		case StepChecking, StepBlocked, StepReserved:
			// "Check again", typed, or "done" said of the blockers.
			t.act(press{act: actCheck})
		case StepReady:
			t.act(press{act: actResume})
		default:
			// Nothing was asked that a yes answers ("next" at the reason
			// step is no reason): show where they are and what to do.
			t.s.Strays++
			t.remind()
		}
	case IntentNo:
		switch step {
		case StepConfirm:
			t.s.Declined = true
			t.goTo(StepConfirm) // the summary's "withdraw" button is stale now
			t.view()
		case StepWarning, StepHelp, StepReason, StepReasonText:
			t.unclear()
		default:
			t.s.Strays++
			t.remind()
		}
	default:
		t.unclear()
	}
}

// pickOne asks which of the step's two ways a bare yes meant, with the
// step's buttons.
func (t *turn) pickOne() {
	t.s.Strays++
	t.say(t.c.pickOne, t.choices()...)
	t.which = len(t.out.Replies)
}

// unclear answers a text that was not understood, or not understood as an
// answer to this step: a decision step asks its question again, shortly,
// with its buttons; a reason step asks for a reason without taking the
// text as one; elsewhere the user is told, then reminded where they are.
func (t *turn) unclear() {
	c := t.c
	switch t.at() {
	case StepWarning:
		t.s.Strays++
		t.say(c.askWarning, t.choices()...)
		t.which = len(t.out.Replies)
	case StepHelp, StepReady:
		t.s.Strays++
		t.say(c.askHelp, t.choices()...)
		t.which = len(t.out.Replies)
	case StepConfirm:
		t.s.Strays++
		if t.s.Declined {
			t.view()
			return
		}
		t.say(c.askConfirm, t.choices()...)
	case StepReason:
		t.s.Strays++
		if t.s.Strays == 1 {
			t.say(c.reasonUnclear, t.choices()...)
			return
		}
		t.remind()
	case StepReasonText:
		t.s.Strays++
		if t.s.Strays == 1 {
			t.say(c.reasonTextUnclear, t.choices()...)
			return
		}
		t.remind()
	default:
		t.aside(c.offScript)
	}
}

// faq answers a question, then reminds the user where they are. A question
// asked again in the same conversation gets the one-line answer.
func (t *turn) faq(topic Topic) {
	c := t.c
	switch {
	case topic == TopicStatus && t.at() == StepFiled:
		f := t.s.Filed
		t.say(fmt.Sprintf(c.filedStatus, f.ID, c.when(f.At)), t.choices()...)
		return
	case topic == TopicStatus && t.at() == StepLinking:
		// Where things stand is the link: not made yet, why it may have
		// failed, and a fresh one.
		t.say(c.linkRetry)
		t.view()
		return
	case topic == TopicStatus && (t.at() == StepBlocked || t.at() == StepChecking):
		// What is left, can I go on now: look again, and show the list as
		// it is (not the one line for "nothing changed").
		t.s.listAsked = true
		t.startCheck(true)
		return
	case topic == TopicBalance && t.s.Status != nil:
		// The user's own balance, as last looked up.
		if b := t.s.Status.SalesBalanceJPY; b > 0 {
			t.say(fmt.Sprintf(c.faqBalanceOn, c.yen(b)))
		} else {
			t.say(c.faqBalanceZero)
		}
		t.remind()
		return
	case topic == TopicPayout && len(t.status().PayoutsInProgress) > 0:
		p := t.status().PayoutsInProgress[0]
		t.say(fmt.Sprintf(c.faqPayoutOn, c.yen(p.AmountJPY), c.date(p.ExpectedAt)))
		t.remind()
		return
	}
	if slices.Contains(t.s.Asked, topic) {
		t.s.Strays++
		t.say(c.faqShort[topic])
	} else {
		t.s.Asked = append(t.s.Asked, topic)
		t.say(c.faq[topic])
	}
	t.remind()
}

// switchLang speaks l from now on, and shows the step again in it.
func (t *turn) switchLang(l Lang) {
	t.setLang(l)
	t.say(t.c.langSet)
	if t.at() == StepLinking {
		t.link() // the link prompt itself, in the new language
		return
	}
	t.view()
}

// valid reports whether a is offered at the current step.
func (t *turn) valid(a action) bool {
	for _, p := range t.options() {
		if p.act == a {
			return true
		}
	}
	return false
}

// act carries out a pressed (or typed) button.
func (t *turn) act(p press) {
	c := t.c
	switch p.act {
	case actCancel:
		if !t.s.Active() {
			t.say(c.nothingToCancel)
			t.remind()
			return
		}
		t.reset()
		t.event(EvCancelled)
		t.say(c.cancelled, t.choices()...)
		return
	case actStart:
		if t.s.Active() {
			// Show where they are; never skip ahead.
			t.say(c.inProgress)
			t.remind()
			return
		}
		// From idle, or after a filing (when the step offers no button for it).
		t.reset()
		t.s.Conv, t.s.Started, t.s.Updated = t.env.NewConv, t.env.Now, t.env.Now
		t.event(EvStarted)
		t.startCheck(false)
		return
	case actStaff:
		t.event(EvHandedOff)
		t.effect(Effect{Kind: EffAskStaff})
		return
	case actBack:
		// Not waiting for staff (any more): the bot is already here; say
		// where the user is, in one line.
		t.remind()
		return
	case actUnlink:
		if t.s.AccountID == "" {
			t.say(c.notLinked)
			t.remind()
			return
		}
		if t.s.Active() {
			// Nothing can go on without the link: the procedure stops too.
			t.reset()
			t.s.AccountID = ""
			t.event(EvCancelled)
			t.say(c.unlinkedStopped, t.choices()...)
			return
		}
	}
	if !t.valid(p.act) {
		t.remind()
		return
	}
	if decisive(p.act) && t.early() {
		// Sent before this step was shown: say so, and show it again.
		t.say(c.beforeStep)
		t.view()
		return
	}
	switch p.act {
	case actUnlink:
		t.s.AccountID, t.s.Strays = "", 0
		t.say(c.unlinked, t.choices()...)
	case actRelink:
		t.link()
	case actCheck:
		t.startCheck(true)
	case actContinue:
		t.s.Consent.Warning.AcknowledgedAt = taikai.Stamp(t.acted())
		t.goTo(StepReason)
		t.event(EvWarned)
		t.view()
	case actRemind:
		t.reserve()
	case actResume:
		// Back on the way, from the warning: nothing was filed, and nothing
		// will be without a yes at the confirm step.
		t.goTo(StepWarning)
		t.view()
	case actReason:
		r := taikai.Reason(p.arg)
		if !r.Valid() {
			t.remind()
			return
		}
		t.setReason(r, "", "")
	case actSkipText:
		t.setReason(taikai.ReasonOther, "", "")
	case actHelpContinue:
		t.goTo(StepConfirm)
		t.view()
	case actChangeReason:
		t.s.Declined = false
		t.goTo(StepReason)
		t.view()
	case actConfirm:
		t.event(EvConfirmed)
		t.effect(Effect{
			Kind:      EffFile,
			AccountID: t.s.AccountID,
			Key:       t.s.IdempotencyKey(),
			Request:   taikai.WithdrawalRequest{ReasonCode: t.s.Reason, ReasonText: t.s.ReasonText, Channel: "line", Consent: t.consent()},
		})
	}
}

// link moves to the linking step and shows a fresh link.
func (t *turn) link() {
	t.goTo(StepLinking)
	t.effect(Effect{Kind: EffIssueLink})
}

// startCheck links the account first if needed, then looks up its status:
// the user asked to check again (again), or started or linked — each within
// its limit of lookups per CheckWindow.
func (t *turn) startCheck(again bool) {
	if t.s.AccountID == "" {
		t.link()
		return
	}
	limit := MaxLookups
	if again {
		limit = MaxChecks
	}
	if wait := t.checkWait(limit); wait > 0 {
		if t.s.listAsked && t.s.Step == StepBlocked {
			// Asked what is left: the list of the last lookup, moments ago.
			t.s.listAsked = false
			t.view()
			return
		}
		// Looked up too often lately: say when it can be done again. The
		// blocked step keeps its list, a reservation its reminder; otherwise
		// the user waits at checking.
		if t.s.Step != StepBlocked && t.s.Step != StepChecking && t.s.Step != StepReserved {
			t.goTo(StepChecking)
		}
		// In whole multiples of 5 seconds, rounded up: "about 40 seconds".
		secs := int((wait+5*time.Second-1)/(5*time.Second)) * 5
		t.say(fmt.Sprintf(t.c.checkLimit, secs), t.choices()...)
		return
	}
	t.s.Checks = append(t.recentChecks(), t.env.Now)
	t.goTo(StepChecking)
	t.effect(Effect{Kind: EffCheck, AccountID: t.s.AccountID})
}

// typedReason takes a reason the user wrote, in their own words.
func (t *turn) typedReason(r taikai.Reason, in Input) {
	switch {
	case r == taikai.ReasonNone && t.s.Step == StepReasonText:
		// Chose "other", then would rather not say: "other", without words.
		t.setReason(taikai.ReasonOther, "", "")
	case r == taikai.ReasonNone:
		t.setReason(r, "", "")
	default:
		t.setReason(r, in.Text, in.MessageID)
	}
}

func (t *turn) setReason(r taikai.Reason, text, msgID string) {
	if r == taikai.ReasonOther && text == "" && t.s.Step == StepReason {
		t.s.Reason = r
		t.goTo(StepReasonText)
		t.view()
		return
	}
	if utf8.RuneCountInString(text) > taikai.MaxReasonText {
		text = string([]rune(text)[:taikai.MaxReasonText])
		t.say(t.c.reasonTruncated)
	}
	t.s.Reason, t.s.ReasonText, t.s.ReasonMsgID = r, text, msgID
	t.s.Declined = false
	t.event(EvReason)
	if !slices.Contains(t.s.Advised, r) && t.advice() != "" {
		t.s.Advised = append(t.s.Advised, r)
		t.goTo(StepHelp)
	} else {
		t.goTo(StepConfirm)
	}
	t.view()
}

// advice is the advice matched to the reason, or "" when none applies:
// honest, never pushy, and only where it is true of this account.
func (t *turn) advice() string {
	st, c := t.status(), t.c
	switch t.s.Reason {
	case taikai.ReasonNotUsing:
		if st.CompletedOrders > 0 {
			return fmt.Sprintf(c.adviceNotUsing, c.ordersLine(st.CompletedOrders))
		}
	case taikai.ReasonHardToEarn:
		if t.env.TipsURL != "" {
			return fmt.Sprintf(c.adviceHardToEarnURL, t.env.TipsURL)
		}
		return c.adviceHardToEarn
	case taikai.ReasonResetRating:
		// Compared on the exact value: ★3.96 is below ★4.0.
		switch {
		case st.Rating.Count == 0:
		case st.Rating.Average >= 4.0:
			return fmt.Sprintf(c.adviceResetHigh, c.ratingLine(st.Rating))
		default:
			return fmt.Sprintf(c.adviceResetLow, c.ratingLine(st.Rating))
		}
	}
	return ""
}

// result handles what an effect returned.
func (t *turn) result(in Input) {
	c := t.c
	switch in.Kind {
	case InProfile:
		t.setLang(LangOf(in.Language))
		if p := t.s.pending; p != nil {
			t.s.pending = nil
			t.input(*p)
		}
	case InLinkURL:
		if t.s.Step != StepLinking {
			t.view()
			return
		}
		t.out.Replies = append(t.out.Replies, Reply{
			Text:    c.linkPrompt,
			Link:    &Link{Label: c.linkButton, URL: in.URL},
			Choices: []Choice{t.choice(actCancel), t.choice(actStaff)},
		})
	case InLinked:
		t.s.AccountID = in.AccountID
		t.event(EvLinked)
		t.say(c.linked)
		if t.s.Active() {
			// Look the (possibly different) account up again, so that what is
			// shown and filed is always about the linked account.
			t.startCheck(false)
			return
		}
		t.view()
	case InStatus:
		if t.s.Step == StepReserved {
			t.remindedStatus(in.Status)
			return
		}
		same := sameBlockers(t.s.Status, in.Status)
		defer func() { t.s.listAsked = false }()
		t.s.Status = in.Status
		t.s.Failures = 0
		t.event(EvChecked)
		if in.Status.Blocked() {
			t.event(EvBlocked)
			t.goTo(StepBlocked)
			if same && !t.s.listAsked {
				// Checked again and nothing changed: the list the user was
				// just sent is still true; say so rather than send it again.
				n, _ := c.blockers(in.Status)
				if n == 1 {
					t.say(c.blockedSameOne)
				} else {
					t.say(fmt.Sprintf(c.blockedSame, n))
				}
				t.say(t.blockedFoot(), t.choices()...)
				return
			}
		} else {
			t.event(EvClear)
			t.goTo(StepWarning)
		}
		t.view()
	case InFileBlocked:
		t.s.Status = in.Status
		t.s.Attempt++
		t.event(EvBlocked)
		t.goTo(StepBlocked)
		t.say(c.blockedAtFiling)
		t.view()
	case InFiled:
		t.event(EvFiled)
		id := ""
		if in.Receipt != nil {
			id = in.Receipt.WithdrawalID
		}
		t.s = State{Step: StepIdle, Lang: t.s.Lang, Handoff: t.s.Handoff,
			Filed: &Filed{ID: id, At: t.env.Now, Lang: t.s.Lang, Conv: t.s.Conv}}
		t.say(fmt.Sprintf(c.filed, id))
	case InNotFound:
		t.s.Failures++
		if in.Of != EffCheck && in.Of != EffFile {
			// The nonce of an account-link event was unknown, used or
			// expired (or a result names no effect: nothing says the
			// account is gone, so the link is not touched).
			if t.s.AccountID != "" {
				// A link already made stays as it is.
				t.say(c.linkInvalidKept)
				t.remind()
				return
			}
			t.say(c.linkNotFound)
			if t.s.Active() {
				t.link()
			} else {
				t.view()
			}
			return
		}
		// The marketplace says the linked account itself no longer exists:
		// the only result that unlinks. Link again.
		t.s.AccountID = ""
		t.say(c.accountGone)
		if t.s.Active() {
			t.link()
			return
		}
		t.view()
	case InReminderSet:
		t.reserved(in)
	case InStaffAsked:
		t.s.Handoff, t.s.StaffHeard = taikai.HandoffRequested, false
		t.staffNote(true)
	case InStaffLeft:
		t.s.Handoff, t.s.StaffNote, t.s.StaffHeard = "", time.Time{}, false
		then := t.s.then
		t.s.then = ""
		t.say(c.staffLeft)
		t.touch()
		if then != "" && !t.expired {
			t.act(press{act: then}) // 退会やめます or 連携解除, said while waiting
			return
		}
		t.view()
	case InUnavailable:
		t.s.Failures++
		switch in.Of {
		case EffAskStaff:
			t.say(c.staffUnavailable)
			t.remind()
			return
		case EffLeaveStaff:
			t.s.then = ""
			t.say(c.backUnavailable, t.choice(actBack))
			return
		case EffRemind:
			t.say(c.reserveUnavailable)
			t.remind()
			return
		}
		switch t.s.Step {
		case StepReserved:
			if in.Of != EffCheck {
				t.say(c.linkUnavailable) // a link event's nonce could not be resolved
				t.remind()
				return
			}
			// The reminder's check: say so, and leave the user where a
			// check that failed leaves them.
			t.goTo(StepChecking)
			t.say(c.remindUnavailable, t.choices()...)
		case StepLinking:
			t.say(c.linkUnavailable, t.choices()...)
		case StepConfirm:
			t.say(c.fileUnavailable, t.choices()...)
		case StepChecking:
			t.say(c.checkUnavailable, t.choices()...)
		default:
			t.say(c.linkUnavailable)
			t.view()
		}
	}
}
