package flows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
)

// Dead ends, misreadings and copy a reviewer found walking the demo as
// users (the filings without a yes are in consent_test.go).

// TestAQuestionNoTopicAnswersOffersAPerson: "I can't answer that here" and
// the step's buttons (a person among them), never another topic's answer.
func TestAQuestionNoTopicAnswersOffersAPerson(t *testing.T) {
	for _, step := range []Step{StepBlocked, StepWarning, StepConfirm, StepIdle} {
		f := &fake{status: clean}
		s, r := drive(t, atStep(step, blocked), text("intent:question"), env(t0), f)
		if s.Step != step || filed(f) || len(r) != 2 || r[0].Text != ja.cantAnswer || !slices.Contains(labels(r[1]), "担当者に相談する") {
			t.Errorf("%s + question: step %s, %q %v; want it said, with a person offered", step, s.Step, joined(r), labels(r[len(r)-1]))
		}
	}
	// With the real understanding, at confirm.
	for _, q := range []string{"クーポンは消えますか？", "ポイントはどうなりますか？", "振込手数料はかかりますか", "退会したことは相手に通知されますか？", "お気に入りは？"} {
		f := &fake{status: clean}
		_, r := drive(t, confirmState(true), text(q), realEnv(), f)
		if filed(f) || len(r) == 0 || r[0].Text != ja.cantAnswer {
			t.Errorf("%q: %q; want %q", q, joined(r), ja.cantAnswer)
		}
	}
}

// TestWhatIsLeftShowsTheList: at blocked, asking what is left looks the
// account up and shows the list as it is — in full, even unchanged — and,
// past the lookup limit, the list as last seen.
func TestWhatIsLeftShowsTheList(t *testing.T) {
	f := &fake{status: blocked}
	s, r := drive(t, atStep(StepBlocked, blocked), text("intent:faq:status"), env(t0), f)
	if s.Step != StepBlocked || len(f.effects) != 1 || !strings.Contains(joined(r), "o-4001") || !strings.Contains(joined(r), "4件") {
		t.Errorf("what is left: %q, effects %v; want one lookup and the list", joined(r), f.effects)
	}
	// Past the limit: no lookup, the list all the same.
	s.Checks = []time.Time{t0, t0, t0}
	f = &fake{status: blocked}
	_, r = drive(t, s, text("intent:faq:status"), env(t0.Add(time.Second)), f)
	if len(f.effects) != 0 || !strings.Contains(joined(r), "o-4001") {
		t.Errorf("what is left, past the limit: %q, effects %v; want the list, no lookup", joined(r), f.effects)
	}
	// "Check again" with nothing changed still says so in one line.
	f = &fake{status: blocked}
	_, r = drive(t, atStep(StepBlocked, blocked), text("intent:yes"), env(t0), f)
	if strings.Contains(joined(r), "o-4001") {
		t.Errorf("check again, unchanged: %q; want one line", joined(r))
	}
}

// TestDoneReportsCheckAgain: "I did it" in the user's words looks again.
func TestDoneReportsCheckAgain(t *testing.T) {
	for _, x := range []string{"承認しました", "納品しました", "振込申請しました", "残高は振込申請しました", "取引を完了しました", "I delivered it", "i requested a payout", "ok I did it"} {
		f := &fake{status: blocked}
		drive(t, atStep(StepBlocked, blocked), text(x), realEnv(), f)
		if len(f.effects) != 1 || f.effects[0].Kind != EffCheck {
			t.Errorf("%q at blocked: effects %v; want a lookup", x, f.effects)
		}
	}
}

// TestWaitingForStaffTheWaysOut: while waiting for a person, going back,
// stopping and unlinking work typed in the user's words (and stopping and
// unlinking pressed), each leaving the queue first; a question for staff
// is never taken as one of them.
func TestWaitingForStaffTheWaysOut(t *testing.T) {
	waiting := func() State {
		s := atStep(StepWarning, clean)
		s.Handoff, s.StaffHeard, s.StaffNote = taikai.HandoffRequested, true, t0
		return s
	}
	e := realEnv()
	for _, x := range []string{"ボットに戻りたい", "ボットにもどる", "戻る", "back to bot", "go back", "ボットに戻る"} {
		f := &fake{status: clean}
		s, r := drive(t, waiting(), text(x), e, f)
		if s.Handoff != "" || s.Step != StepWarning || !strings.Contains(joined(r), ja.staffLeft) {
			t.Errorf("%q while waiting: handoff %q, step %s, %q; want back at the same step", x, s.Handoff, s.Step, joined(r))
		}
	}
	for _, x := range []string{"退会やめます", "cancel", "stop", "I want to keep my account", "退会をやめる"} {
		f := &fake{status: clean}
		s, r := drive(t, waiting(), text(x), e, f)
		if s.Handoff != "" || s.Active() || !strings.Contains(joined(r), "申請は行っていません") && !strings.Contains(joined(r), "Nothing was filed") {
			t.Errorf("%q while waiting: handoff %q, step %s, %q; want the queue left and the procedure stopped", x, s.Handoff, s.Step, joined(r))
		}
	}
	for _, x := range []string{"連携解除", "連携を解除する"} {
		f := &fake{status: clean}
		s, r := drive(t, waiting(), text(x), e, f)
		if s.Handoff != "" || s.AccountID != "" || s.Active() {
			t.Errorf("%q while waiting: handoff %q, account %q, step %s, %q; want unlinked", x, s.Handoff, s.AccountID, s.Step, joined(r))
		}
	}
	cancel := Input{Kind: InPostback, Data: press{act: actCancel, conv: "c1", seq: "2"}.encode()}
	f := &fake{status: clean}
	if s, _ := drive(t, waiting(), cancel, e, f); s.Handoff != "" || s.Active() {
		t.Errorf("退会をやめる pressed while waiting: handoff %q, step %s", s.Handoff, s.Step)
	}
	for _, x := range []string{"キャンセルできますか？", "退会をやめることはできますか", "戻れますか？"} {
		f := &fake{status: clean}
		s, r := drive(t, waiting(), text(x), e, f)
		if s.Handoff != taikai.HandoffRequested || s.Step != StepWarning || len(r) != 0 {
			t.Errorf("%q while waiting: handoff %q, step %s, %q; want it left for staff, in silence", x, s.Handoff, s.Step, joined(r))
		}
	}
}

// TestStaffHearsTheFirstMessage: in staff hours too, the first message to
// staff is acknowledged, once.
func TestStaffHearsTheFirstMessage(t *testing.T) {
	e := env(t0)
	e.StaffHours, _ = ParseStaffHours("Mon-Sun 00:00-24:00")
	f := &fake{status: clean}
	s, _ := drive(t, atStep(StepIdle, clean), text("担当者"), e, f)
	s, r := drive(t, s, text("売上金のことで相談があります"), e, f)
	if joined(r) != ja.staffGot+"\n" {
		t.Errorf("the first message: %q; want %q", joined(r), ja.staffGot)
	}
	if _, r = drive(t, s, text("よろしくお願いします"), e, f); len(r) != 0 {
		t.Errorf("the second message: %q; want silence", joined(r))
	}
}

// TestLinkingAsidesGetTheirOwnAnswer: thanks, a greeting or a sticker at
// the linking step get their answer and the step in one line — not "the
// link did not work" — and back from staff the link prompt comes fresh.
func TestLinkingAsidesGetTheirOwnAnswer(t *testing.T) {
	s := State{Step: StepLinking, Conv: "c1", Seq: 1, Lang: LangJa, Started: t0, Updated: t0}
	for _, in := range []Input{text("ありがとう"), text("こんにちは"), {Kind: InSticker}} {
		f := &fake{status: clean}
		_, r := drive(t, s, in, env(t0), f)
		if strings.Contains(joined(r), ja.linkRetry) || len(r) != 2 || r[1].Text != ja.remind[StepLinking] {
			t.Errorf("%v %q at linking: %q; want its answer and the step in one line", in.Kind, in.Text, joined(r))
		}
	}
	s.Handoff = taikai.HandoffRequested
	f := &fake{status: clean}
	_, r := drive(t, s, text("ボットに戻る"), env(t0), f)
	if strings.Contains(joined(r), ja.linkRetry) || r[len(r)-1].Link == nil {
		t.Errorf("back from staff at linking: %q; want the link prompt, fresh", joined(r))
	}
}

// TestADoubleTapGetsOneLine: the same button twice at once does what it
// does once, then says so in one short line.
func TestADoubleTapGetsOneLine(t *testing.T) {
	f := &fake{status: clean}
	s := atStep(StepWarning, clean)
	in := tap(t, []Reply{{Choices: (&turn{s: s, c: &ja}).choices()}}, "理解して次へ進む")
	s, _ = drive(t, s, in, env(t0), f)
	s2, r := drive(t, s, in, env(t0.Add(time.Second)), f)
	if s2.Step != StepReason || len(r) != 1 || r[0].Text != ja.doubleTap || len(r[0].Choices) == 0 {
		t.Errorf("double tap: step %s, %q; want one line", s2.Step, joined(r))
	}
	// The confirm button twice: filed once, then the one line.
	f = &fake{status: clean}
	c := confirmState(true)
	file := tap(t, []Reply{{Choices: (&turn{s: c, c: &ja}).choices()}}, "退会する")
	after, _ := drive(t, c, file, env(t0), f)
	if _, r = drive(t, after, file, env(t0.Add(time.Second)), f); len(r) != 1 || r[0].Text != ja.doubleTap {
		t.Errorf("confirm tapped twice: %q; want the one line", joined(r))
	}
	if n := len(f.effects); n != 1 {
		t.Errorf("confirm tapped twice: %d effects; want one filing", n)
	}
	// The confirm button again after the filing failed is a retry, not a
	// double tap: it files.
	f = &fake{status: clean}
	c, out := Next(confirmState(true), file, env(t0))
	if out.Effect == nil || out.Effect.Kind != EffFile {
		t.Fatalf("confirm: %+v; want a filing", out.Effect)
	}
	c, _ = Next(c, Input{Kind: InUnavailable, Of: EffFile}, env(t0))
	if drive(t, c, file, env(t0.Add(time.Second)), f); !filed(f) {
		t.Errorf("confirm pressed again after a failure: not filed")
	}
	// Later, it is an old button.
	_, r = drive(t, s, in, env(t0.Add(time.Minute)), f)
	if !strings.HasPrefix(joined(r), ja.staleButton) {
		t.Errorf("the same button a minute later: %q; want it said to be old", joined(r))
	}
}

// TestCopyTheReviewAskedFor: the payout's date, an account with nothing
// rated or sold, the reason not given, one blocker in English.
func TestCopyTheReviewAskedFor(t *testing.T) {
	payout := &taikai.Status{AccountID: "acc_payout", DisplayName: "田中 翔", PayoutsInProgress: []taikai.Payout{{PayoutID: "p-1", AmountJPY: 45800, RequestedAt: "2026-11-21", ExpectedAt: "2026-11-30"}}}
	_, r := drive(t, atStep(StepBlocked, payout), text("intent:faq:payout"), env(t0), &fake{status: payout})
	if !strings.Contains(joined(r), "振込予定日は2026年11月30日です") || !strings.Contains(joined(r), "45,800円") {
		t.Errorf("when is it paid: %q; want the date and the amount", joined(r))
	}
	fresh := &taikai.Status{AccountID: "acc_new", DisplayName: "小林 結衣"}
	_, r = drive(t, atStep(StepBlocked, blocked), text("intent:yes"), env(t0), &fake{status: fresh})
	if got := joined(r); !strings.Contains(got, "小林 結衣さんのアカウント情報は、退会するとすべて削除されます") || strings.Contains(got, "まだありません") || strings.Contains(got, "完了0件") {
		t.Errorf("warning with nothing rated or sold: %q", got)
	}
	s := atStep(StepConfirm, clean)
	s.Reason = taikai.ReasonNone
	_, r = drive(t, s, text("intent:help"), env(t0), &fake{status: clean})
	if !strings.Contains(joined(r), "理由：（回答なし）") {
		t.Errorf("summary without a reason: %q", joined(r))
	}
	one := &taikai.Status{AccountID: "acc_balance", DisplayName: "伊藤 さくら", SalesBalanceJPY: 3200}
	s = atStep(StepChecking, one)
	s.Lang, s.Status = LangEn, nil // not looked up yet
	s, r = drive(t, s, text("intent:yes"), env(t0), &fake{status: one})
	if got := joined(r); !strings.Contains(got, "Before 伊藤 さくら's account can be closed, one thing needs to be settled:") || !strings.Contains(got, "When it's settled") {
		t.Errorf("one blocker in English: %q", got)
	}
	_, r = drive(t, s, text("intent:yes"), env(t0.Add(time.Second)), &fake{status: one})
	if got := joined(r); !strings.Contains(got, "the item I sent you earlier still needs") {
		t.Errorf("one blocker, unchanged, in English: %q", got)
	}
}
