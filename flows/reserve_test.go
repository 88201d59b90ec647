package flows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
)

var jst = time.FixedZone("JST", 9*60*60)

func TestRemindAt(t *testing.T) {
	payouts := func(dates ...string) *taikai.Status {
		st := &taikai.Status{AccountID: "a"}
		for _, d := range dates {
			st.PayoutsInProgress = append(st.PayoutsInProgress, taikai.Payout{PayoutID: "p", AmountJPY: 1, RequestedAt: "2026-11-01", ExpectedAt: d})
		}
		return st
	}
	evening := time.Date(2026, 11, 25, 19, 30, 0, 0, jst)
	for _, tc := range []struct {
		name string
		st   *taikai.Status
		now  time.Time
		want time.Time // zero: no reminder
	}{
		{"the morning after the expected date", payouts("2026-11-27"), evening, time.Date(2026, 11, 28, 10, 0, 0, 0, jst)},
		{"after the latest of several", payouts("2026-11-30", "2026-11-27"), evening, time.Date(2026, 12, 1, 10, 0, 0, 0, jst)},
		{"expected today", payouts("2026-11-25"), evening, time.Date(2026, 11, 26, 10, 0, 0, 0, jst)},
		{"late, in the evening: the next morning", payouts("2026-11-20"), evening, time.Date(2026, 11, 26, 10, 0, 0, 0, jst)},
		{"late, early in the morning: this morning", payouts("2026-11-20"), time.Date(2026, 11, 26, 8, 0, 0, 0, jst), time.Date(2026, 11, 26, 10, 0, 0, 0, jst)},
		{"late, at 9:30: never within the hour", payouts("2026-11-20"), time.Date(2026, 11, 26, 9, 30, 0, 0, jst), time.Date(2026, 11, 27, 10, 0, 0, 0, jst)},
		{"the morning after, seen that morning at 9:30", payouts("2026-11-25"), time.Date(2026, 11, 26, 9, 30, 0, 0, jst), time.Date(2026, 11, 27, 10, 0, 0, 0, jst)},
		{"45 days ahead at most", payouts("2027-01-08"), evening, time.Date(2027, 1, 9, 10, 0, 0, 0, jst)},
		{"further than 45 days", payouts("2027-01-09"), evening, time.Time{}},
		{"an unreadable date", payouts("2026-11-27", "soon"), evening, time.Time{}},
		{"a balance as well", func() *taikai.Status { s := payouts("2026-11-27"); s.SalesBalanceJPY = 100; return s }(), evening, time.Time{}},
		{"no payout", &taikai.Status{AccountID: "a", SalesBalanceJPY: 100}, evening, time.Time{}},
		{"nothing blocks", &taikai.Status{AccountID: "a"}, evening, time.Time{}},
	} {
		got, ok := remindAt(tc.st, tc.now)
		if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, ok, tc.want)
		}
	}
}

// TestTheBlockedStepOffersAReminderOnlyForAPayout: the reminder is offered
// when only payouts block, with when it would come; not otherwise.
func TestTheBlockedStepOffersAReminderOnlyForAPayout(t *testing.T) {
	evening := env(time.Date(2026, 11, 25, 19, 30, 0, 0, jst))
	for _, tc := range []struct {
		st   *taikai.Status
		want bool
	}{{payoutOnly, true}, {blocked, false}} {
		_, r := drive(t, atStep(StepBlocked, tc.st), text("ヘルプ"), evening, &fake{status: tc.st})
		last := r[len(r)-1]
		if got := slices.Contains(labels(last), "振込後にお知らせを受け取る"); got != tc.want {
			t.Errorf("%s: reminder offered %v; want %v (%v)", tc.st.AccountID, got, tc.want, labels(last))
		}
		if got := strings.Contains(last.Text, "11月28日（土）10:00"); got != tc.want {
			t.Errorf("%s: the foot names the reminder's time %v; want %v: %q", tc.st.AccountID, got, tc.want, last.Text)
		}
	}
	// In English too.
	s := atStep(StepBlocked, payoutOnly)
	s.Lang = LangEn
	_, r := drive(t, s, text("help"), evening, &fake{status: payoutOnly})
	if last := r[len(r)-1]; !slices.Contains(labels(last), "Remind me when paid") || !strings.Contains(last.Text, "Saturday 28 November at 10:00 Japan time") {
		t.Errorf("en: %q %v", last.Text, labels(last))
	}
}

// reserve walks a payout-only user from the blocked step to a reservation.
func reserve(t *testing.T) (State, []Reply, *fake) {
	t.Helper()
	now := env(time.Date(2026, 11, 25, 19, 30, 0, 0, jst))
	f := &fake{status: payoutOnly}
	s, r := drive(t, atStep(StepBlocked, payoutOnly), text("ヘルプ"), now, f)
	var out Output
	s, out = Next(s, tap(t, r, "振込後にお知らせを受け取る"), now)
	if out.Effect == nil || out.Effect.Kind != EffRemind || !out.Effect.At.Equal(payoutDue) {
		t.Fatalf("pressing the reminder: effect %+v; want a reminder at %v", out.Effect, payoutDue)
	}
	s, out = Next(s, Input{Kind: InReminderSet, Due: out.Effect.At, Of: EffRemind}, now)
	if s.Step != StepReserved || !s.Remind.Equal(payoutDue) || !slices.Contains(out.Events, EvReserved) {
		t.Fatalf("reminder set: step %s, remind %v, events %v", s.Step, s.Remind, out.Events)
	}
	return s, out.Replies, f
}

func TestAReservationRemindsAndNeverFilesByItself(t *testing.T) {
	s, r, _ := reserve(t)
	said := joined(r)
	for _, want := range []string{"11月28日（土）10:00", "退会の申請はまだしていません", "もう一度確認する", "退会をやめる"} {
		if !strings.Contains(said, want) {
			t.Errorf("reserved: %q lacks %q", said, want)
		}
	}
	if got := labels(r[len(r)-1]); !slices.Equal(got, []string{"もう一度確認する", "退会をやめる", "担当者に相談する"}) {
		t.Errorf("reserved: buttons %v", got)
	}

	// The reminder comes; the payout was paid.
	f := &fake{status: clean}
	due := env(payoutDue.Add(3 * time.Second))
	s2, out := Next(s, Input{Kind: InReminder, Due: payoutDue}, due)
	if out.Effect == nil || out.Effect.Kind != EffCheck || !slices.Contains(out.Events, EvReminded) || len(out.Replies) != 0 {
		t.Fatalf("reminder: effect %+v, events %v, replies %v; want a quiet check", out.Effect, out.Events, out.Replies)
	}
	s2, r = drive(t, s2, f.run(*out.Effect), due, f)
	if s2.Step != StepReady || !s2.Remind.IsZero() {
		t.Fatalf("cleared: step %s, remind %v; want ready, no reminder left", s2.Step, s2.Remind)
	}
	if said := joined(r); !strings.Contains(said, "お知らせの時間になりましたので") || !strings.Contains(said, "振込が完了し") {
		t.Errorf("cleared: said %q", said)
	}
	if got := labels(r[len(r)-1]); !slices.Equal(got, []string{"退会の手続きを続ける", "退会をやめる", "担当者に相談する"}) {
		t.Errorf("ready: buttons %v", got)
	}
	// A duplicate of the reminder, and an older one, say nothing and do nothing.
	for _, d := range []time.Time{payoutDue, payoutDue.Add(-time.Hour)} {
		s3, out := Next(s2, Input{Kind: InReminder, Due: d}, due)
		if out.Effect != nil || len(out.Replies) != 0 || s3.Step != StepReady {
			t.Errorf("reminder again (%v): %+v, step %s", d, out, s3.Step)
		}
	}

	// Going on shows the warning; only the confirm step's yes files.
	s2, r = drive(t, s2, at(tap(t, r, "退会の手続きを続ける"), due.Now.Add(time.Minute)), env(due.Now.Add(time.Minute)), f)
	if s2.Step != StepWarning || filed(f) {
		t.Fatalf("resumed: step %s, filed %v; want the warning", s2.Step, filed(f))
	}
	later := env(due.Now.Add(2 * time.Minute))
	s2, r = drive(t, s2, tap(t, r, "理解して次へ進む"), later, f)
	s2, r = drive(t, s2, tap(t, r, "回答しない"), later, f)
	if s2.Step != StepConfirm || filed(f) {
		t.Fatalf("step %s, filed %v; want confirm, nothing filed", s2.Step, filed(f))
	}
	drive(t, s2, tap(t, r, "退会する"), later, f)
	if !filed(f) {
		t.Errorf("confirmed: nothing filed")
	}
}

func TestAReminderFindingItStillBlockedSaysSoOnce(t *testing.T) {
	s, _, _ := reserve(t)
	// The payout is late: still in progress the morning after its date.
	f := &fake{status: payoutOnly}
	due := env(payoutDue.Add(time.Second))
	s, r := drive(t, s, Input{Kind: InReminder, Due: payoutDue}, due, f)
	if s.Step != StepBlocked || len(f.effects) != 1 || f.effects[0].Kind != EffCheck {
		t.Fatalf("still blocked: step %s, effects %v", s.Step, f.effects)
	}
	said := joined(r)
	for _, want := range []string{"お知らせの時間になりましたので", "12,000円", "振込予定日 2026年11月27日", "11月29日（日）10:00"} {
		if !strings.Contains(said, want) {
			t.Errorf("still blocked: %q lacks %q", said, want)
		}
	}
	if got := labels(r[len(r)-1]); !slices.Equal(got, []string{"もう一度確認する", "振込後にお知らせを受け取る", "退会をやめる", "担当者に相談する"}) {
		t.Errorf("still blocked: buttons %v", got)
	}
	// Reminded again: the next morning.
	_, out := Next(s, tap(t, r, "振込後にお知らせを受け取る"), due)
	if out.Effect == nil || out.Effect.Kind != EffRemind || !out.Effect.At.Equal(time.Date(2026, 11, 29, 10, 0, 0, 0, jst)) {
		t.Errorf("reminded again: %+v", out.Effect)
	}
	// Other blockers meanwhile: the list, and no reminder.
	f = &fake{status: blocked}
	s, _, _ = reserve(t)
	_, r = drive(t, s, Input{Kind: InReminder, Due: payoutDue}, due, f)
	if slices.Contains(labels(r[len(r)-1]), "振込後にお知らせを受け取る") || !strings.Contains(joined(r), "o-4001") {
		t.Errorf("more blockers: %q %v", joined(r), labels(r[len(r)-1]))
	}
}

// TestEveryStepTakesAReminder: at every step, with every kind of account, a
// reminder never files, and says nothing unless a reservation at the
// reserved step is due.
func TestEveryStepTakesAReminder(t *testing.T) {
	for _, step := range append(slices.Clone(Steps), StepFiled) {
		for _, st := range []*taikai.Status{clean, blocked, payoutOnly} {
			for _, remind := range []time.Time{{}, payoutDue, payoutDue.Add(time.Hour)} {
				base := atStep(step, st)
				if step == StepFiled {
					base = State{Step: StepIdle, Lang: LangJa, Filed: &Filed{ID: "wd-1", At: t0}}
				}
				base.Remind = remind
				f := &fake{status: st}
				s, r := drive(t, base, Input{Kind: InReminder, Due: payoutDue}, env(payoutDue.Add(time.Second)), f)
				if filed(f) {
					t.Errorf("%s, %s, remind %v: filed", step, st.AccountID, remind)
				}
				fires := step == StepReserved && !remind.IsZero() && !payoutDue.Before(remind)
				if fires != (len(r) > 0) || fires != (len(f.effects) > 0) {
					t.Errorf("%s, %s, remind %v: replies %d, effects %v; want them %v", step, st.AccountID, remind, len(r), f.effects, fires)
				}
				if !fires && !sameState(s, base) {
					t.Errorf("%s, %s, remind %v: the state changed: %+v", step, st.AccountID, remind, s)
				}
				if fires && (s.Step == StepReserved || !s.Remind.IsZero()) {
					t.Errorf("%s, %s: after the reminder, step %s, remind %v", step, st.AccountID, s.Step, s.Remind)
				}
			}
		}
	}
}

func sameState(a, b State) bool {
	return a.Step == b.Step && a.Seq == b.Seq && a.Remind.Equal(b.Remind) && a.Updated.Equal(b.Updated) && a.Conv == b.Conv
}

// TestAReservationNeverFiles: nothing sent at the reserved step files, and
// what leaves the step forgets the reminder.
func TestAReservationNeverFiles(t *testing.T) {
	base, _, _ := reserve(t)
	for name, in := range inputsAt(base) {
		f := &fake{status: clean}
		s, _ := drive(t, base, in, env(t0.Add(time.Hour)), f)
		if filed(f) {
			t.Errorf("reserved + %s: filed", name)
		}
		if (s.Step == StepReserved) == s.Remind.IsZero() {
			t.Errorf("reserved + %s: step %s with remind %v", name, s.Step, s.Remind)
		}
	}
}

func TestExpiryKeepsAReservation(t *testing.T) {
	base, _, _ := reserve(t)
	base.Remind = base.Updated.Add(20 * 24 * time.Hour)
	e := env(base.Updated.Add(10 * 24 * time.Hour)) // long past the 24-hour expiry
	s, r := drive(t, base, text("ヘルプ"), e, &fake{status: payoutOnly})
	if s.Step != StepReserved || !s.Remind.Equal(base.Remind) || strings.Contains(joined(r), "時間が経ったため") {
		t.Errorf("10 days into a 20-day wait: step %s, remind %v, said %q", s.Step, s.Remind, joined(r))
	}
	// A day past a reminder that never came, the conversation ends as any other.
	s, r = drive(t, base, text("ヘルプ"), env(base.Remind.Add(25*time.Hour)), &fake{status: payoutOnly})
	if s.Step != StepIdle || !strings.Contains(joined(r), "時間が経ったため") {
		t.Errorf("25 hours past the reminder: step %s, said %q", s.Step, joined(r))
	}
}

func TestCancelForgetsAReservation(t *testing.T) {
	for _, in := range []string{"button", "やめる", "連携解除", "unfollow"} {
		base, r, _ := reserve(t)
		msg := text(in)
		switch in {
		case "button":
			msg = tap(t, r, "退会をやめる")
		case "unfollow":
			msg = Input{Kind: InUnfollow}
		}
		s, r := drive(t, base, msg, env(t0.Add(time.Hour)), &fake{status: payoutOnly})
		if s.Step != StepIdle || !s.Remind.IsZero() {
			t.Errorf("%s: step %s, remind %v; want idle, no reminder", in, s.Step, s.Remind)
		}
		if in != "unfollow" && !strings.Contains(joined(r), "申請は行っていません") {
			t.Errorf("%s: said %q", in, joined(r))
		}
	}
}

// TestCheckingBeforeTheReminder: checking at once leaves the reservation
// (the check says what comes next); checked too often, it stays.
func TestCheckingBeforeTheReminder(t *testing.T) {
	base, r, _ := reserve(t)
	f := &fake{status: clean}
	s, _ := drive(t, base, tap(t, r, "もう一度確認する"), env(t0.Add(time.Hour)), f)
	if s.Step != StepWarning || !s.Remind.IsZero() {
		t.Errorf("paid early: step %s, remind %v; want the warning", s.Step, s.Remind)
	}
	busy := base
	now := env(t0.Add(time.Hour))
	busy.Checks = []time.Time{now.Now, now.Now, now.Now}
	s, r = drive(t, busy, text("はい"), now, &fake{status: payoutOnly})
	if s.Step != StepReserved || !s.Remind.Equal(base.Remind) || !strings.Contains(joined(r), "秒ほど") {
		t.Errorf("checked too often: step %s, remind %v, said %q", s.Step, s.Remind, joined(r))
	}
}

// TestAReminderWaitsForStaff: while the user waits for staff the reminder
// says nothing; back with the bot, a reminder whose time came is run.
func TestAReminderWaitsForStaff(t *testing.T) {
	base, _, _ := reserve(t)
	base.Handoff = taikai.HandoffRequested
	due := env(payoutDue.Add(time.Minute))
	s, out := Next(base, Input{Kind: InReminder, Due: payoutDue}, due)
	if len(out.Replies) != 0 || out.Effect != nil || s.Step != StepReserved {
		t.Fatalf("with staff: %+v, step %s", out, s.Step)
	}
	f := &fake{status: clean}
	s, r := drive(t, s, Input{Kind: InStaffLeft, Of: EffLeaveStaff}, env(payoutDue.Add(2*time.Hour)), f)
	if s.Step != StepReady || len(f.effects) != 1 || !strings.Contains(joined(r), "振込が完了し") {
		t.Errorf("back with the bot: step %s, effects %v, said %q", s.Step, f.effects, joined(r))
	}
}

func TestAReminderThatCannotBeRun(t *testing.T) {
	// The check at the reminder's time fails: said so, and the user can check.
	base, _, _ := reserve(t)
	s, out := Next(base, Input{Kind: InReminder, Due: payoutDue}, env(payoutDue))
	s, out = Next(s, Input{Kind: InUnavailable, Of: out.Effect.Kind}, env(payoutDue))
	if s.Step != StepChecking || !strings.Contains(joined(out.Replies), "お知らせの時間になりましたが") ||
		!slices.Contains(labels(out.Replies[len(out.Replies)-1]), "もう一度確認する") {
		t.Errorf("check failed: step %s, %q", s.Step, joined(out.Replies))
	}
	// A link event at the reserved step whose nonce cannot be resolved
	// now is no reminder: the reservation stays.
	r0, _, _ := reserve(t)
	r0, out = Next(r0, Input{Kind: InUnavailable, Of: EffResolveLink}, env(t0))
	if r0.Step != StepReserved || r0.Remind.IsZero() || strings.Contains(joined(out.Replies), "お知らせの時間") {
		t.Errorf("a link not resolved: step %s, remind %v, %q", r0.Step, r0.Remind, joined(out.Replies))
	}
	// The reminder cannot be set: the blocked step stays, and says so.
	now := env(time.Date(2026, 11, 25, 19, 30, 0, 0, jst))
	b, r := drive(t, atStep(StepBlocked, payoutOnly), text("ヘルプ"), now, &fake{status: payoutOnly})
	b, _ = Next(b, tap(t, r, "振込後にお知らせを受け取る"), now)
	b, out = Next(b, Input{Kind: InUnavailable, Of: EffRemind}, now)
	if b.Step != StepBlocked || !b.Remind.IsZero() || !strings.Contains(joined(out.Replies), "予約できませんでした") {
		t.Errorf("not set: step %s, remind %v, %q", b.Step, b.Remind, joined(out.Replies))
	}
}
