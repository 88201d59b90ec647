package flows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/taikaibot/taikai"
)

// A reservation (退会予約): when nothing but a payout in progress keeps the
// account from withdrawing, there is nothing for the user to do but wait.
// The blocked step then offers a reminder: the account is checked again on
// the morning after the payout's expected date, and the user told by push —
// that they may go on (StepReady), or what still blocks. Nothing is ever
// filed on a reminder: going on shows the warning, and only a fresh yes at
// the confirm step files.

// RemindHour is the hour, in Japan, when reminders are due: the morning
// after the latest expected payout date, at 10:00.
const RemindHour = 10

// MaxReservation is the longest a reminder may be set ahead: a payout
// expected later than that is no wait worth a reminder.
const MaxReservation = 45 * 24 * time.Hour

// remindAt is when a reminder for st is due, seen at now: 10:00 in Japan on
// the day after the latest expected payout date, or — a payout already
// late — the next 10:00 at least an hour away. It reports false when st is
// blocked by anything but payouts, a payout's date is unreadable, or the
// reminder would be more than MaxReservation away.
func remindAt(st *taikai.Status, now time.Time) (time.Time, bool) {
	b := st.Blockers()
	if len(b) != 1 || b[taikai.BlockerPayout] == 0 {
		return time.Time{}, false
	}
	var last time.Time
	for _, p := range st.PayoutsInProgress {
		d, err := time.ParseInLocation("2006-01-02", p.ExpectedAt, japan)
		if err != nil {
			return time.Time{}, false
		}
		if d.After(last) {
			last = d
		}
	}
	due := last.AddDate(0, 0, 1).Add(RemindHour * time.Hour)
	if due.Sub(now) < time.Hour {
		due = nextMorning(now.Add(time.Hour))
	}
	if due.Sub(now) > MaxReservation {
		return time.Time{}, false
	}
	return due, true
}

// nextMorning is the first RemindHour o'clock in Japan at or after t.
func nextMorning(t time.Time) time.Time {
	t = t.In(japan)
	m := time.Date(t.Year(), t.Month(), t.Day(), RemindHour, 0, 0, 0, japan)
	if m.Before(t) {
		m = m.AddDate(0, 0, 1)
	}
	return m
}

// canRemind reports whether the blocked step offers a reminder, and when
// it would be due.
func (t *turn) canRemind() (time.Time, bool) {
	if t.s.Step != StepBlocked {
		return time.Time{}, false
	}
	return remindAt(t.status(), t.env.Now)
}

// reminded handles a reminder that came due. One that no longer matches
// the conversation — the reservation was cancelled, replaced by a later
// one, or already handled (a duplicate) — is dropped without a word. While
// the user is with staff the reminder waits: it is handled when they come
// back to the bot (see viewReserved).
func (t *turn) reminded(in Input) {
	if t.s.Step != StepReserved || t.s.Remind.IsZero() || in.Due.Before(t.s.Remind) || t.s.Handoff != "" {
		return
	}
	t.fire()
}

// fire checks the account again, as the reminder promised: the step stays
// reserved until the status comes back (see remindedStatus).
func (t *turn) fire() {
	t.s.Remind = time.Time{}
	t.s.Updated = t.env.Now // the conversation idles from the reminder on
	t.s.Checks = append(t.recentChecks(), t.env.Now)
	t.event(EvReminded)
	t.effect(Effect{Kind: EffCheck, AccountID: t.s.AccountID})
}

// remindedStatus tells the user what the reminder's check found: nothing
// blocks any more (go on, or stop), or what still blocks — all of it, once,
// with the reminder offered again where it applies.
func (t *turn) remindedStatus(st *taikai.Status) {
	t.s.Status = st
	t.s.Failures = 0
	t.event(EvChecked)
	t.say(t.c.remindedCheck)
	if st.Blocked() {
		t.event(EvBlocked)
		t.goTo(StepBlocked)
	} else {
		t.event(EvClear)
		t.goTo(StepReady)
	}
	t.view()
}

// viewReserved shows the reservation, or checks the account at once if
// its time has come (the reminder came while staff had the conversation).
func (t *turn) viewReserved() {
	if (t.s.Remind.IsZero() || !t.env.Now.Before(t.s.Remind)) && t.s.Handoff == "" {
		t.fire()
		return
	}
	t.say(fmt.Sprintf(t.c.reserved, t.c.openingAt(t.s.Remind)), t.choices()...)
}

// reserve asks for the reminder offered at the blocked step.
func (t *turn) reserve() {
	due, ok := t.canRemind()
	if !ok {
		t.remind()
		return
	}
	t.effect(Effect{Kind: EffRemind, At: due})
}

// reserved: the reminder is set.
func (t *turn) reserved(in Input) {
	if t.s.Step != StepBlocked || in.Due.IsZero() {
		t.view()
		return
	}
	t.goTo(StepReserved)
	t.s.Remind = in.Due
	t.event(EvReserved)
	t.say(fmt.Sprintf(t.c.reservedSet, t.c.openingAt(in.Due)), t.choices()...)
}

// lang is the language the turn speaks.
func (t *turn) lang() Lang {
	if t.c == &en {
		return LangEn
	}
	return LangJa
}

// acted is when the user acted: LINE's timestamp, or the bot's clock when
// the input has none.
func (t *turn) acted() time.Time {
	if t.sent.IsZero() {
		return t.env.Now
	}
	return t.sent
}

// copyVersion names a version of the copy in l made of parts: a change of
// any part changes it.
func copyVersion(l Lang, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return string(l) + "-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// warningVersion and confirmVersion are the versions of the copy of the
// warning and of the confirmation summary, in each catalog: everything
// their text is made of.
func (c *catalog) warningVersion(l Lang) string {
	return copyVersion(l, c.warning, c.warningNone, c.rating, c.ratingOne, c.noRating, c.orders, c.ordersOne)
}

func (c *catalog) confirmVersion(l Lang) string {
	return copyVersion(l, c.confirm, c.lossLine, c.lossLineNone, c.reasonWithText, c.rating, c.ratingOne, c.noRating, c.orders, c.ordersOne)
}

// versions are the catalogs' copy versions, computed once: [warning, confirm].
var versions = map[*catalog][2]string{
	&ja: {ja.warningVersion(LangJa), ja.confirmVersion(LangJa)},
	&en: {en.warningVersion(LangEn), en.confirmVersion(LangEn)},
}

// shown records that text, of the copy version, was shown now.
func (t *turn) shown(version, text string) taikai.Shown {
	sum := sha256.Sum256([]byte(text))
	return taikai.Shown{Version: version, SHA256: hex.EncodeToString(sum[:]), ShownAt: taikai.Stamp(t.env.Now)}
}

// consent is the record filed with the withdrawal, or the zero Consent
// when this conversation did not record both the acknowledged warning and
// the summary (a conversation begun before consent was recorded): a
// partial record is not sent.
func (t *turn) consent() taikai.Consent {
	c := t.s.Consent
	if c.Warning.AcknowledgedAt == "" || c.Confirm.ShownAt == "" {
		return taikai.Consent{}
	}
	c.Language = string(t.lang())
	c.ReasonCode = t.s.Reason
	c.Confirm.ConfirmedAt = taikai.Stamp(t.acted())
	return c
}
