package flows

import (
	"fmt"
	"strconv"
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
)

// Next steps the conversation: s is the stored state, in what happened. It
// never fails: every input yields a valid state, and every user input yields
// at least one reply or an effect whose result will.
func Next(s State, in Input, env Env) (State, Output) {
	if s.Step == "" {
		s.Step = StepIdle
	}
	t := &turn{s: s, env: env, c: &ja}
	if in.isResult() {
		t.result(in)
	} else {
		t.input(in)
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
}

func (t *turn) say(text string, choices ...Choice) {
	t.out.Replies = append(t.out.Replies, Reply{Text: text, Choices: choices})
}

func (t *turn) effect(e Effect) { t.out.Effect = &e }

func (t *turn) event(e Transition) { t.out.Events = append(t.out.Events, e) }

// goTo moves to step; the step counter makes every earlier button stale.
func (t *turn) goTo(step Step) {
	t.s.Step = step
	t.s.Seq++
}

// reset ends the conversation, keeping the account link.
func (t *turn) reset() {
	t.s = State{Step: StepIdle, AccountID: t.s.AccountID}
}

// choice makes a button for a in the current conversation and step.
func (t *turn) choice(a action) Choice {
	return t.choiceArg(a, "", t.c.labels[a])
}

func (t *turn) choiceArg(a action, arg, label string) Choice {
	p := press{act: a, arg: arg}
	if t.s.Active() {
		p.conv, p.seq = t.s.Conv, strconv.Itoa(t.s.Seq)
	}
	return Choice{Label: label, Data: p.encode()}
}

// options lists the buttons of the current step, as (action, argument)
// pairs; every step offers a person as a way out too.
func (t *turn) options() []press {
	return append(t.stepOptions(), press{act: actStaff})
}

func (t *turn) stepOptions() []press {
	switch t.s.Step {
	case StepIdle:
		o := []press{{act: actStart}}
		if t.s.AccountID != "" {
			o = append(o, press{act: actUnlink})
		}
		return o
	case StepLinking:
		return []press{{act: actRelink}, {act: actCancel}}
	case StepChecking, StepBlocked:
		return []press{{act: actCheck}, {act: actCancel}}
	case StepWarning:
		return []press{{act: actContinue}, {act: actCancel}}
	case StepReason:
		o := make([]press, 0, len(taikai.Reasons)+1)
		for _, r := range taikai.Reasons {
			o = append(o, press{act: actReason, arg: string(r)})
		}
		return append(o, press{act: actCancel})
	case StepReasonText:
		return []press{{act: actSkipText}, {act: actCancel}}
	case StepHelp:
		return []press{{act: actHelpContinue}, {act: actCancel}}
	case StepConfirm:
		return []press{{act: actConfirm}, {act: actCancel}}
	}
	return nil
}

func (t *turn) label(p press) string {
	if p.act == actReason {
		return t.c.reasons[taikai.Reason(p.arg)]
	}
	return t.c.labels[p.act]
}

func (t *turn) choices() []Choice {
	var cs []Choice
	for _, p := range t.options() {
		cs = append(cs, t.choiceArg(p.act, p.arg, t.label(p)))
	}
	return cs
}

// typed finds the button of the current step whose label (or an alias)
// the user typed.
func (t *turn) typed(n string) (press, bool) {
	for _, p := range t.options() {
		if normalize(t.label(p)) == n || (p.act == actReason && n == p.arg) {
			return p, true
		}
		if p.act == actReason {
			continue
		}
		for _, a := range t.c.aliases[p.act] {
			if normalize(a) == n {
				return p, true
			}
		}
	}
	return press{}, false
}

// view shows the current step again (or for the first time).
func (t *turn) view() {
	c := t.c
	switch t.s.Step {
	case StepIdle:
		t.say(c.idleHelp, t.choices()...)
	case StepLinking:
		// Shown again: the user came back without linking (LINE tells a bot
		// nothing when a link fails), so say why it may have failed. A link
		// token is single-use and short-lived: every showing gets a new one.
		t.say(c.linkRetry)
		t.effect(Effect{Kind: EffIssueLink})
	case StepChecking:
		t.say(c.checkPending, t.choices()...)
	case StepBlocked:
		st := t.status()
		n, items := c.blockers(st)
		t.say(fmt.Sprintf(c.blockedHead, st.DisplayName, n) + "\n\n" + items)
		t.say(c.blockedFoot, t.choices()...)
	case StepWarning:
		st := t.status()
		t.say(fmt.Sprintf(c.warning, st.DisplayName, c.rating(st.Rating), st.CompletedOrders), t.choices()...)
	case StepReason:
		t.say(c.reasonPrompt, t.choices()...)
	case StepReasonText:
		t.say(c.reasonTextPrompt, t.choices()...)
	case StepHelp:
		t.say(t.help(), t.choices()...)
	case StepConfirm:
		st := t.status()
		t.say(fmt.Sprintf(c.confirm, st.DisplayName, c.reasonLabel(t.s.Reason, t.s.ReasonText)), t.choices()...)
	}
}

func (t *turn) status() *taikai.Status {
	if t.s.Status == nil {
		return &taikai.Status{AccountID: t.s.AccountID}
	}
	return t.s.Status
}

// input handles what the user did.
func (t *turn) input(in Input) {
	switch in.Kind {
	case InGroup:
		t.say(t.c.group)
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
	case InLinkFailed:
		// A failed link event names no user and carries no reply token; the
		// linking step explains the failure when the user writes again.
		return
	case InPaused:
		t.say(t.c.paused)
		return
	case InResumed:
		t.say(t.c.resumed)
		t.view()
		return
	}

	if t.s.Active() {
		if t.env.Expiry > 0 && t.env.Now.Sub(t.s.Updated) > t.env.Expiry {
			t.reset()
			t.expired = true
			t.event(EvExpired)
			t.say(t.c.expired)
		} else {
			t.s.Updated = t.env.Now
		}
	}

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

// aside answers something off-script, then shows the current step again.
// At the linking step the step's own note says enough.
func (t *turn) aside(text string) {
	if t.s.Step != StepLinking {
		t.say(text)
	}
	t.view()
}

func (t *turn) postback(in Input) {
	p, ok := decodePress(in.Data)
	switch {
	case !ok:
		t.aside(t.c.offScript)
	case p.conv == "":
		t.act(p) // a rich-menu button belongs to no conversation
	case !t.s.Active():
		if !t.expired {
			t.say(t.c.ended)
		}
		t.view()
	case p.conv != t.s.Conv || p.seq != strconv.Itoa(t.s.Seq):
		t.say(t.c.staleButton)
		t.view()
	default:
		t.act(p)
	}
}

func (t *turn) text(in Input) {
	n := normalize(in.Text)
	if p, ok := t.typed(n); ok {
		t.act(p)
		return
	}
	switch {
	case n == "":
		t.aside(t.c.offScript)
	case isCancel(n):
		t.act(press{act: actCancel})
	case isStartExact(n):
		t.act(press{act: actStart})
	case t.s.Step == StepReason || t.s.Step == StepReasonText:
		// Whatever else is typed here is the reason, in the user's own words.
		t.setReason(taikai.ReasonOther, in.Text, in.MessageID)
	case isStart(n):
		t.act(press{act: actStart})
	case isUnlinkText(n):
		t.act(press{act: actUnlink})
	case isHelp(n):
		t.view()
	default:
		t.aside(t.c.offScript)
	}
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
	if p.act == actCancel {
		if !t.s.Active() {
			t.say(c.nothingToCancel)
			t.view()
			return
		}
		t.reset()
		t.event(EvCancelled)
		t.say(c.cancelled, t.choices()...)
		return
	}
	if p.act == actStart && t.s.Active() {
		t.say(c.inProgress)
		t.view()
		return
	}
	if p.act == actStaff {
		t.event(EvHandedOff)
		t.effect(Effect{Kind: EffAskStaff})
		return
	}
	if p.act == actUnlink && t.s.AccountID == "" {
		t.say(c.notLinked)
		t.view()
		return
	}
	if !t.valid(p.act) {
		t.view()
		return
	}
	switch p.act {
	case actStart:
		t.s = State{Step: StepIdle, AccountID: t.s.AccountID, Conv: t.env.NewConv, Started: t.env.Now, Updated: t.env.Now}
		t.event(EvStarted)
		t.startCheck()
	case actUnlink:
		t.s.AccountID = ""
		t.say(c.unlinked, t.choices()...)
	case actRelink:
		t.goTo(StepLinking)
		t.view()
	case actCheck:
		t.startCheck()
	case actContinue:
		t.goTo(StepReason)
		t.event(EvWarned)
		t.view()
	case actReason:
		r := taikai.Reason(p.arg)
		if !r.Valid() {
			t.view()
			return
		}
		t.setReason(r, "", "")
	case actSkipText:
		t.setReason(taikai.ReasonOther, "", "")
	case actHelpContinue:
		t.goTo(StepConfirm)
		t.view()
	case actConfirm:
		t.event(EvConfirmed)
		t.effect(Effect{
			Kind:      EffFile,
			AccountID: t.s.AccountID,
			Key:       t.s.IdempotencyKey(),
			Request:   taikai.WithdrawalRequest{ReasonCode: t.s.Reason, ReasonText: t.s.ReasonText, Channel: "line"},
		})
	}
}

// link moves to the linking step and shows a fresh link.
func (t *turn) link() {
	t.goTo(StepLinking)
	t.effect(Effect{Kind: EffIssueLink})
}

// startCheck links the account first if needed, then looks up its status.
func (t *turn) startCheck() {
	if t.s.AccountID == "" {
		t.link()
		return
	}
	t.goTo(StepChecking)
	t.effect(Effect{Kind: EffCheck, AccountID: t.s.AccountID})
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
	t.event(EvReason)
	if !t.s.HelpShown && t.help() != "" {
		t.s.HelpShown = true
		t.goTo(StepHelp)
	} else {
		t.goTo(StepConfirm)
	}
	t.view()
}

// help is the one piece of help matched to the reason, or "".
func (t *turn) help() string {
	st := t.status()
	switch t.s.Reason {
	case taikai.ReasonResetRating:
		if st.Rating.Count > 0 && st.Rating.Average >= 4.0 {
			return fmt.Sprintf(t.c.helpResetRating, fmt.Sprintf("%.1f", st.Rating.Average), st.Rating.Count)
		}
	case taikai.ReasonHardToEarn:
		if t.env.TipsURL != "" {
			return fmt.Sprintf(t.c.helpHardToEarnURL, t.env.TipsURL)
		}
		return t.c.helpHardToEarn
	}
	return ""
}

// result handles what an effect returned.
func (t *turn) result(in Input) {
	c := t.c
	switch in.Kind {
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
			t.startCheck()
			return
		}
		t.view()
	case InStatus:
		t.s.Status = in.Status
		t.s.Failures = 0
		t.event(EvChecked)
		if in.Status.Blocked() {
			t.event(EvBlocked)
			t.goTo(StepBlocked)
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
		t.s = State{Step: StepIdle}
		id := ""
		if in.Receipt != nil {
			id = in.Receipt.WithdrawalID
		}
		t.say(fmt.Sprintf(c.filed, id))
	case InNotFound:
		t.s.Failures++
		if t.s.Step == StepLinking || !t.s.Active() {
			// The nonce of an account-link event was unknown, used or expired.
			t.say(c.linkNotFound)
			if t.s.Active() {
				t.link()
			} else {
				t.view()
			}
			return
		}
		// The linked account no longer exists: link again.
		t.s.AccountID = ""
		t.say(c.accountGone)
		t.link()
	case InStaffAsked:
		t.say(c.staffAsked)
		t.view()
	case InUnavailable:
		t.s.Failures++
		if in.Of == EffAskStaff {
			t.say(c.staffUnavailable)
			t.view()
			return
		}
		switch t.s.Step {
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
