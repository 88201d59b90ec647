package flows

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/taikaibot/taikai"
)

// These tests use the fake Understander (says): they are about what the
// conversation does with an intent, not about how a text is read.

// atStep is a Japanese-speaking user of account st at step.
func atStep(step Step, st *taikai.Status) State {
	s := State{Step: step, Conv: "c1", Seq: 3, AccountID: st.AccountID, Status: st, Lang: LangJa, Started: t0, Updated: t0}
	if step == StepIdle {
		s = State{Step: StepIdle, AccountID: st.AccountID, Lang: LangJa}
	}
	if step == StepHelp || step == StepConfirm {
		s.Reason = taikai.ReasonHardToEarn
	}
	if step == StepReserved {
		s.Remind = payoutDue
	}
	return s
}

func filed(f *fake) bool {
	for _, e := range f.effects {
		if e.Kind == EffFile {
			return true
		}
	}
	return false
}

func labels(r Reply) []string {
	var ls []string
	for _, c := range r.Choices {
		ls = append(ls, c.Label)
	}
	return ls
}

func TestTheReasonStepNeverTakesAnUnclearText(t *testing.T) {
	e := env(t0)
	e.Understander = says{"なにこれ": IntentUnknown, "やめたい": IntentUnknown}
	for _, tc := range []struct {
		text, want string
		step       Step
	}{
		{"やっぱりやめます", "中止しました", StepIdle},
		{"次へ", "ボタンから選ぶか", StepReason},
		{"はい", "ボタンから選ぶか", StepReason},
		{"こんにちは", "こんにちは", StepReason},
		{"再登録できますか？", "引き継がれず", StepReason},
		{"なにこれ", "理由として受け取ってよいか分かりませんでした", StepReason},
		{"やめたい", "理由として受け取ってよいか分かりませんでした", StepReason},
		{"", "理由として受け取ってよいか分かりませんでした", StepReason},
	} {
		for _, step := range []Step{StepReason, StepReasonText} {
			f := &fake{status: clean}
			s, r := drive(t, atStep(step, clean), text(tc.text), e, f)
			want := tc.step
			if want == StepReason {
				want = step
			}
			if s.Step != want || s.Reason != "" || s.ReasonText != "" {
				t.Errorf("%s + %q: step %s, reason %q %q; want %s and no reason", step, tc.text, s.Step, s.Reason, s.ReasonText, want)
			}
			if step == StepReason && !strings.Contains(joined(r), tc.want) {
				t.Errorf("%s + %q: %q; want %q", step, tc.text, joined(r), tc.want)
			}
		}
	}
	// A reason stated in words is taken, in those words.
	f := &fake{status: clean}
	s, r := drive(t, atStep(StepReason, clean), text("引っ越すので"), e, f)
	if s.Step != StepConfirm || s.Reason != taikai.ReasonOther || s.ReasonText != "引っ越すので" {
		t.Fatalf("typed reason: step %s reason %q %q", s.Step, s.Reason, s.ReasonText)
	}
	if !strings.Contains(joined(r), "理由：その他（引っ越すので）") {
		t.Errorf("summary: %q", joined(r))
	}
}

func TestUnclearAtADecisionStepIsAskedWithButtons(t *testing.T) {
	for _, tc := range []struct {
		step    Step
		ask     string
		buttons []string
	}{
		{StepWarning, "次へ進みますか、それとも退会をやめますか？", []string{"理解して次へ進む", "退会をやめる", "担当者に相談する"}},
		{StepHelp, "退会の手続きを続けますか、それとも退会をやめますか？", []string{"退会手続きを続ける", "退会をやめる", "担当者に相談する"}},
		{StepConfirm, ja.askConfirm, []string{"退会する", "理由を変更する", "退会をやめる", "担当者に相談する"}},
	} {
		for _, in := range []string{"やめたい", "うーん", "いいえ"} {
			if tc.step == StepConfirm && in == "いいえ" {
				continue // "no" at confirm has its own answer
			}
			f := &fake{status: clean}
			base := atStep(tc.step, clean)
			s, r := drive(t, base, text(in), env(t0), f)
			if s.Step != tc.step || filed(f) || len(r) != 1 {
				t.Fatalf("%s + %q: step %s, %d replies, filed %v; want one question and nothing else", tc.step, in, s.Step, len(r), filed(f))
			}
			if r[0].Text != tc.ask || !slices.Equal(labels(r[0]), tc.buttons) {
				t.Errorf("%s + %q: %q %v; want %q %v", tc.step, in, r[0].Text, labels(r[0]), tc.ask, tc.buttons)
			}
		}
	}
	// Ways of saying stop, at the warning, stop.
	for _, in := range []string{"やっぱりやめます", "やめる", "intent:cancel"} {
		s, r := drive(t, atStep(StepWarning, clean), text(in), env(t0), &fake{status: clean})
		if s.Active() || !strings.Contains(joined(r), "申請は行っていません") {
			t.Errorf("warning + %q: step %s, %q; want stopped, saying nothing was filed", in, s.Step, joined(r))
		}
	}
}

// TestOnlyYesOrAReasonMovesTowardFiling sends every intent at every step:
// none but "yes" (at the checking, blocked, warning, help and confirm steps) and a
// reason (at the reason steps) moves the conversation forward, and only
// "yes" at the confirm step files. "start" starts from idle only.
func TestOnlyYesOrAReasonMovesTowardFiling(t *testing.T) {
	rank := map[Step]int{StepIdle: 0, StepLinking: 1, StepChecking: 2, StepBlocked: 2, StepReserved: 2, StepReady: 2, StepWarning: 3, StepReason: 4, StepReasonText: 4, StepHelp: 5, StepConfirm: 6}
	for _, step := range Steps {
		for _, i := range Intents() {
			for _, declined := range []bool{false, true} {
				if declined && step != StepConfirm {
					continue
				}
				base := atStep(step, clean)
				base.Declined = declined
				f := &fake{status: clean}
				s, _ := drive(t, base, typedIntent(i), env(t0), f)
				_, isReason := i.Reason()
				forward := rank[s.Step] > rank[step]
				// (A status question at checking or blocked looks the account up
				// again, as a yes there does.)
				lookup := step == StepChecking || step == StepBlocked
				allowed := (i == IntentYes && step != StepReason && step != StepReasonText) || i == FAQIntent(TopicStatus) && lookup ||
					(isReason && (step == StepReason || step == StepReasonText)) ||
					(i == IntentStart && step == StepIdle)
				if forward && !allowed {
					t.Errorf("%s + %s: moved forward to %s", step, i, s.Step)
				}
				if filed(f) != (step == StepConfirm && i == IntentYes && !declined) {
					t.Errorf("%s (declined %v) + %s: filed %v", step, declined, i, filed(f))
				}
				if !isReason && s.Reason != "" && s.Reason != base.Reason {
					t.Errorf("%s + %s: reason became %q", step, i, s.Reason)
				}
			}
		}
	}
}

// TestDoneAtBlockedChecksAgain: a yes at the blocked step ("もう一度確認して",
// "対応しました") looks the account up again, and nothing else. Nothing
// changed: said in one line, not the list again; fewer blockers: the list;
// cleared: the warning.
func TestDoneAtBlockedChecksAgain(t *testing.T) {
	f := &fake{status: blocked}
	s, r := drive(t, atStep(StepBlocked, blocked), text("intent:yes"), env(t0), f)
	if s.Step != StepBlocked || len(f.effects) != 1 || f.effects[0].Kind != EffCheck || strings.Contains(joined(r), "o-4001") || r[0].Text != fmt.Sprintf(ja.blockedSame, 4) {
		t.Errorf("unchanged: step %s, effects %v, replies %q; want one check, said unchanged", s.Step, f.effects, joined(r))
	}
	if !slices.Contains(labels(r[len(r)-1]), "もう一度確認する") {
		t.Errorf("unchanged: buttons %v", labels(r[len(r)-1]))
	}
	fewer := *blocked
	fewer.SalesBalanceJPY = 0
	f = &fake{status: &fewer}
	s, r = drive(t, atStep(StepBlocked, blocked), text("intent:yes"), env(t0), f)
	if s.Step != StepBlocked || !strings.Contains(joined(r), "o-4001") || strings.Contains(joined(r), "15,400") {
		t.Errorf("fewer blockers: step %s, replies %q; want the list as it is now", s.Step, joined(r))
	}
	f = &fake{status: clean}
	s, _ = drive(t, atStep(StepBlocked, blocked), text("intent:yes"), env(t0), f)
	if s.Step != StepWarning || filed(f) {
		t.Errorf("cleared: step %s, filed %v; want the warning", s.Step, filed(f))
	}
}

func TestQuestionsAreAnsweredInPlace(t *testing.T) {
	e := env(t0)
	s := atStep(StepBlocked, blocked)
	_, full := drive(t, s, text("intent:start"), e, &fake{status: blocked}) // "in progress" + where they are
	s, r := drive(t, s, text("評価ってどうなるの？"), e, &fake{status: blocked})
	if s.Step != StepBlocked || len(r) != 2 {
		t.Fatalf("question: step %s, %d replies; want the answer and a reminder", s.Step, len(r))
	}
	if !strings.Contains(r[0].Text, "評価と取引実績") || strings.Contains(joined(r), "o-4001") {
		t.Errorf("answer %q: want the answer, not the blockers again", joined(r))
	}
	if n := utf8.RuneCountInString(r[1].Text); n > 80 || !slices.Contains(labels(r[1]), "もう一度確認する") {
		t.Errorf("reminder %q (%d characters, buttons %v): want one line with the step's buttons", r[1].Text, n, labels(r[1]))
	}
	if len(full) != 2 || full[0].Text != ja.inProgress {
		t.Errorf("start during a conversation: %q; want where they are", joined(full))
	}
	// Asked again: the one-line answer.
	s, again := drive(t, s, text("評価ってどうなるの？"), e, &fake{status: blocked})
	if utf8.RuneCountInString(joined(again)) >= utf8.RuneCountInString(joined(r)) || again[0].Text != ja.faqShort[TopicRatings] {
		t.Errorf("asked again: %q; want shorter than %q", joined(again), joined(r))
	}
	// Every topic is answered at every step, idle and after filing too.
	for _, step := range append(slices.Clone(Steps), StepFiled) {
		for _, topic := range Topics {
			base := atStep(step, clean)
			if step == StepFiled {
				base = State{Step: StepIdle, Lang: LangJa, Filed: &Filed{ID: "wd-9", At: t0}}
			}
			f := &fake{status: clean}
			s, r := drive(t, base, text("intent:"+string(FAQIntent(topic))), env(t0.Add(time.Hour)), f)
			relink := step == StepLinking && topic == TopicStatus // the answer is a fresh link
			// What is left, at checking and blocked: a look at the account now.
			lookup := (step == StepChecking || step == StepBlocked) && topic == TopicStatus
			if lookup {
				if len(f.effects) != 1 || f.effects[0].Kind != EffCheck {
					t.Errorf("%s + faq:status: effects %v; want one lookup", step, f.effects)
				}
				continue
			}
			if len(r) == 0 || s.Step != base.Step || len(f.effects) > 0 && !(relink && f.effects[0].Kind == EffIssueLink) {
				t.Errorf("%s + faq:%s: step %s, replies %q, effects %v; want an answer in place", step, topic, s.Step, joined(r), f.effects)
			}
			if step == StepFiled && topic == TopicStatus && !strings.Contains(joined(r), "wd-9") {
				t.Errorf("after filing, the status: %q; want the receipt", joined(r))
			}
		}
	}
}

func TestStrayInputGetsShorter(t *testing.T) {
	e := env(t0)
	s := atStep(StepWarning, clean)
	var lens []int
	for _, in := range []Input{{Kind: InSticker}, {Kind: InMedia}, {Kind: InSticker}, text("こんにちは")} {
		var r []Reply
		s, r = drive(t, s, in, e, &fake{status: clean})
		lens = append(lens, utf8.RuneCountInString(joined(r)))
		if len(r) == 0 || !slices.Contains(labels(r[len(r)-1]), "理解して次へ進む") {
			t.Fatalf("%v: %q; want the step's buttons", in.Kind, joined(r))
		}
	}
	if !(lens[1] < lens[0] && lens[2] <= lens[1] && lens[3] <= lens[2]) {
		t.Errorf("answer lengths %v; want them shorter after the first", lens)
	}
	if s.Strays != 4 {
		t.Errorf("strays %d; want 4", s.Strays)
	}
	s, _ = drive(t, s, text("理解して次へ進む"), e, &fake{status: clean})
	if s.Strays != 0 {
		t.Errorf("a step forward left strays at %d", s.Strays)
	}
}

func TestAdviceMatchesTheReasonOnce(t *testing.T) {
	rated := func(avg float64, n int) *taikai.Status {
		return &taikai.Status{AccountID: "a", DisplayName: "x", Rating: taikai.Rating{Average: avg, Count: n}, CompletedOrders: n}
	}
	for _, tc := range []struct {
		name   string
		status *taikai.Status
		in     Input // at the reason step
		want   []string
		not    []string
	}{
		{"typed reset, ★4.8", clean, text("評価をリセットしたいです"), []string{"★4.8・52件", "あまりないかもしれません", "選ばれにくい"}, nil},
		{"reset, ★4.0", rated(4.0, 10), text("評価をリセットしたいです"), []string{"★4.0・10件", "あまりない"}, nil},
		{"reset, ★3.96", rated(3.96, 25), text("評価をリセットしたいです"), []string{"★3.9・25件", "上げていける"}, []string{"★4.0", "あまりない"}},
		{"reset, ★3.1", rated(3.1, 8), text("評価をリセットしたいです"), []string{"★3.1・8件", "上げていける", "選ばれにくい"}, nil},
		{"typed not using", clean, text("仕事が忙しくなったので"), []string{"完了50件", "活かせます"}, nil},
		{"hard to earn", clean, text("intent:reason:hard_to_earn"), []string{"ほかのサービス", "https://example.com/tips"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{status: tc.status}
			s, r := drive(t, atStep(StepReason, tc.status), tc.in, env(t0), f)
			if s.Step != StepHelp {
				t.Fatalf("step %s; want the advice (%q)", s.Step, joined(r))
			}
			for _, w := range tc.want {
				if !strings.Contains(joined(r), w) {
					t.Errorf("advice %q lacks %q", joined(r), w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(joined(r), w) {
					t.Errorf("advice %q says %q", joined(r), w)
				}
			}
			if got := labels(r[len(r)-1]); !slices.Equal(got, []string{"退会手続きを続ける", "退会をやめる", "担当者に相談する"}) {
				t.Errorf("buttons %v; want continue and stop", got)
			}
			// Once per conversation: change the reason to the same one, and
			// the summary follows at once.
			s, r = drive(t, s, tap(t, r, "退会手続きを続ける"), env(t0), f)
			s, r = drive(t, s, tap(t, r, "理由を変更する"), env(t0), f)
			s, _ = drive(t, s, tc.in, env(t0), f)
			if s.Step != StepConfirm {
				t.Errorf("the same reason again: step %s; want confirm without the advice again", s.Step)
			}
		})
	}
}

func TestConfirmShowsTheLossAndLetsTheReasonChange(t *testing.T) {
	f := &fake{status: clean}
	e := env(t0)
	s, r := drive(t, atStep(StepReason, clean), tap(t, []Reply{{Choices: (&turn{s: atStep(StepReason, clean), c: &ja}).choices()}}, "回答しない"), e, f)
	if s.Step != StepConfirm {
		t.Fatalf("step %s; want confirm", s.Step)
	}
	for _, want := range []string{"理由：（回答なし）", "評価（★4.8・52件）と取引実績（完了50件）は削除され"} {
		if !strings.Contains(joined(r), want) {
			t.Errorf("summary %q lacks %q", joined(r), want)
		}
	}
	fileButton := tap(t, r, "退会する")
	// "No": nothing filed, and the ways on.
	s, r = drive(t, s, text("いいえ"), e, f)
	if s.Step != StepConfirm || filed(f) || !strings.Contains(joined(r), "まだ申請していません") {
		t.Fatalf("no: step %s, %q", s.Step, joined(r))
	}
	if got := labels(r[len(r)-1]); !slices.Equal(got, []string{"理由を変更する", "退会をやめる", "担当者に相談する"}) {
		t.Errorf("after no: buttons %v", got)
	}
	// The summary's button is stale now, and a "yes" answers no question.
	s, _ = drive(t, s, fileButton, e, f)
	s, r = drive(t, s, text("はい"), e, f)
	if filed(f) || !strings.Contains(joined(r), "退会しますか？") {
		t.Fatalf("after no, a stale button and a yes: filed %v, %q; want the summary again", filed(f), joined(r))
	}
	s, r = drive(t, s, tap(t, r, "理由を変更する"), e, f)
	if s.Step != StepReason {
		t.Fatalf("change reason: step %s", s.Step)
	}
	s, r = drive(t, s, tap(t, r, "稼ぐのが難しい"), e, f)
	s, r = drive(t, s, text("次へ"), e, f)
	if s.Step != StepConfirm || !strings.Contains(joined(r), "理由：稼ぐのが難しい") {
		t.Fatalf("new reason: step %s, %q", s.Step, joined(r))
	}
	drive(t, s, text("はい"), e, f)
	if !filed(f) {
		t.Errorf("a yes at the summary did not file")
	}
}

func TestExpirySaysNothingWasFiled(t *testing.T) {
	s, r := drive(t, atStep(StepConfirm, clean), text("はい"), env(t0.Add(25*time.Hour)), &fake{status: clean})
	if s.Active() || !strings.Contains(joined(r), "申請は行っていません") {
		t.Errorf("expired: step %s, %q; want it said that nothing was filed", s.Step, joined(r))
	}
	// The text answered the step that is gone: not called not understood.
	e := env(t0.Add(25 * time.Hour))
	e.Understander = says{"はい": IntentUnknown}
	_, r = drive(t, atStep(StepWarning, clean), text("はい"), e, &fake{status: clean})
	if strings.Contains(joined(r), ja.offScript) || len(r) != 2 || r[0].Text != ja.expired {
		t.Errorf("expired, then a text: %q; want the expiry note and where the user is", joined(r))
	}
}

// TestTheReasonCanChangeAtItsAdvice: at the advice for a reason, asking to
// change the reason goes back to the reason step, and files nothing.
func TestTheReasonCanChangeAtItsAdvice(t *testing.T) {
	f := &fake{status: clean}
	s, r := drive(t, atStep(StepHelp, clean), text("intent:change_reason"), env(t0), f)
	if s.Step != StepReason || len(f.effects) != 0 || !slices.Contains(labels(r[len(r)-1]), "稼ぐのが難しい") {
		t.Errorf("change the reason at help: step %s, effects %v, %q; want the reason step", s.Step, f.effects, joined(r))
	}
}

func TestAfterFiling(t *testing.T) {
	f := &fake{status: clean}
	st := atStep(StepConfirm, clean)
	st.SummaryLast = true // the summary was just said
	s, _ := drive(t, st, text("はい"), env(t0), f)
	if s.Filed == nil || s.Filed.ID != "wd-1" || !s.Filed.At.Equal(t0) || s.Filed.Lang != LangJa || s.AccountID != "" {
		t.Fatalf("after filing: %+v", s)
	}
	later := env(t0.Add(2 * 24 * time.Hour))
	_, r := drive(t, s, text("ありがとう"), later, f)
	if joined(r) != ja.filedThanks+"\n" {
		t.Errorf("thanks: %q; want a closing", joined(r))
	}
	_, r = drive(t, s, text("退会できましたか？"), later, f)
	if !strings.Contains(joined(r), "wd-1") || !strings.Contains(joined(r), "2026年11月25日 19:00") {
		t.Errorf("was it filed: %q; want the receipt and its time", joined(r))
	}
	_, r = drive(t, s, text("やっぱりやめます"), later, f)
	if !strings.Contains(joined(r), "取り消すことはできません") {
		t.Errorf("cancel after filing: %q; want it said that it can't be undone", joined(r))
	}
	s2, r := drive(t, s, text("退会したい"), later, f)
	if s2.Active() || !strings.Contains(joined(r), "受け付け済み") || !strings.Contains(joined(r), "wd-1") {
		t.Errorf("退会したい after filing: step %s, %q; want the receipt: it was accepted", s2.Step, joined(r))
	}
	// The rich menu's start button still starts (another account, say).
	if s2, _ = drive(t, s, Input{Kind: InPostback, Data: StartData}, later, f); s2.Step != StepLinking {
		t.Errorf("start from the rich menu after filing: step %s; want linking", s2.Step)
	}
	// After a week it is forgotten.
	_, r = drive(t, s, text("ありがとう"), env(t0.Add(8*24*time.Hour)), f)
	if strings.Contains(joined(r), "ご丁寧に") {
		t.Errorf("a week later: %q", joined(r))
	}
}

func TestHandoffStaysQuiet(t *testing.T) {
	hours, err := ParseStaffHours(DefaultStaffHours)
	if err != nil {
		t.Skip(err)
	}
	// t0 is Wednesday 19:00 in Tokyo: after hours.
	e := env(t0)
	e.StaffHours = hours
	f := &fake{status: clean}
	s, r := drive(t, atStep(StepWarning, clean), text("担当者"), e, f)
	if s.Handoff != taikai.HandoffRequested || len(r) != 1 || !slices.Equal(labels(r[0]), []string{"ボットに戻る"}) {
		t.Fatalf("asked for a person: handoff %q, %q %v; want one acknowledgement with the way back", s.Handoff, joined(r), labels(r[0]))
	}
	if !strings.Contains(r[0].Text, "11月26日（木）10:00以降") {
		t.Errorf("after hours: %q; want when to expect an answer", r[0].Text)
	}
	// The first message to staff is acknowledged, once (with when, after hours).
	e10 := env(t0.Add(10 * time.Minute))
	e10.StaffHours = hours
	s, r = drive(t, s, text("まだですか"), e10, f)
	if len(r) != 1 || !strings.Contains(r[0].Text, "担当者に届いています") || !strings.Contains(r[0].Text, "11月26日（木）10:00以降") || !slices.Equal(labels(r[0]), []string{"ボットに戻る"}) {
		t.Errorf("the first message to staff: %q; want it acknowledged, with when", joined(r))
	}
	for _, in := range []Input{text("まだですか"), {Kind: InSticker}, text("intent:start"), text("キャンセルできますか")} {
		s, r = drive(t, s, in, e10, f)
		if len(r) != 0 || s.Step != StepWarning || s.Handoff != taikai.HandoffRequested {
			t.Errorf("waiting, %v %q: %q; want silence", in.Kind, in.Text, joined(r))
		}
	}
	// A button pressed while waiting (an old one) acts on nothing but is
	// answered: a short note with the way back.
	old := atStep(StepWarning, clean)
	s, r = drive(t, s, Input{Kind: InPostback, Data: (&turn{s: old, c: &ja}).choices()[0].Data}, e10, f)
	if len(r) != 1 || s.Step != StepWarning || !slices.Equal(labels(r[0]), []string{"ボットに戻る"}) || len(f.effects) != 1 {
		t.Errorf("a button while waiting: %q, step %s, effects %v; want a short note, nothing done", joined(r), s.Step, f.effects)
	}
	e2 := env(t0.Add(41 * time.Minute))
	e2.StaffHours = hours
	s, r = drive(t, s, text("まだですか"), e2, f)
	if len(r) != 1 || !strings.Contains(r[0].Text, "担当者は11月26日（木）10:00以降") || !slices.Equal(labels(r[0]), []string{"ボットに戻る"}) {
		t.Errorf("after 30 minutes: %q; want one short note", joined(r))
	}
	note := r
	s, r = drive(t, s, text("まだですか"), e2, f)
	if len(r) != 0 {
		t.Errorf("right after the note: %q; want silence", joined(r))
	}
	s, r = drive(t, s, text("ボットに戻る"), e2, f)
	if s.Handoff != "" || s.Step != StepWarning || !strings.Contains(joined(r), "退会の前に、必ずご確認ください") {
		t.Errorf("back to the bot: handoff %q step %s, %q; want the same step again", s.Handoff, s.Step, joined(r))
	}
	// The way back, pressed again from the old message: where the user
	// is, in one line, not the whole step.
	_, r = drive(t, s, tap(t, note, "ボットに戻る"), e2, f)
	if len(r) != 1 || r[0].Text != ja.remind[StepWarning] {
		t.Errorf("an old ボットに戻る: %q; want the one-line reminder", joined(r))
	}
	// In hours, the acknowledgement names no time.
	e.StaffHours, _ = ParseStaffHours("Mon-Sun 00:00-24:00")
	_, r = drive(t, atStep(StepIdle, clean), tap(t, []Reply{{Choices: (&turn{s: atStep(StepIdle, clean), c: &ja}).choices()}}, "担当者に相談する"), e, f)
	if joined(r) != ja.staffAsked+"\n" {
		t.Errorf("in hours: %q", joined(r))
	}
}

func TestLanguageComesFromTheProfileAndCanChange(t *testing.T) {
	f := &fake{status: clean, language: "en-US"}
	s, r := drive(t, State{}, Input{Kind: InFollow}, env(t0), f)
	if s.Lang != LangEn || !strings.HasPrefix(joined(r), "Thank you for adding us") || !slices.Equal(labels(r[0]), []string{"Close my account", "Talk to a person"}) {
		t.Fatalf("English profile: lang %q, %q %v", s.Lang, joined(r), labels(r[0]))
	}
	if n := len(f.effects); n != 1 || f.effects[0].Kind != EffProfile {
		t.Fatalf("effects %v; want one profile read", f.effects)
	}
	s, _ = drive(t, s, text("close my account"), env(t0), f)
	s.AccountID = "acc_clean"
	s, r = drive(t, s, Input{Kind: InLinkOK, Nonce: "nonce-0123456789"}, env(t0), f)
	if !strings.Contains(joined(r), "The rating (★4.8 from 52 ratings) and track record (50 completed orders) of 山田 花子") {
		t.Errorf("warning in English: %q", joined(r))
	}
	for _, e := range f.effects[1:] {
		if e.Kind == EffProfile {
			t.Errorf("the profile was read again")
		}
	}
	// The user asks for Japanese: the step again, in Japanese.
	s, r = drive(t, s, text("日本語で"), env(t0), f)
	if s.Lang != LangJa || !strings.HasPrefix(joined(r), ja.langSet) || !strings.Contains(joined(r), "退会の前に") {
		t.Errorf("日本語で: %q", joined(r))
	}
	// The words of a button work in either language.
	s, r = drive(t, s, text("keep my account"), env(t0), f)
	if s.Active() || !strings.Contains(joined(r), "中止しました") {
		t.Errorf("English button words in Japanese: step %s, %q", s.Step, joined(r))
	}
	// No language in the profile (no consent): Japanese.
	s, _ = drive(t, State{}, text("こんにちは"), env(t0), &fake{status: clean})
	if s.Lang != LangJa {
		t.Errorf("no profile language: %q; want ja", s.Lang)
	}
}

func TestAccountLinkEvents(t *testing.T) {
	// An unknown or used nonce for a linked user leaves the link as it is.
	f := &fake{status: clean, notFound: EffResolveLink}
	s, r := drive(t, atStep(StepWarning, clean), Input{Kind: InLinkOK, Nonce: "nonce-used-0123"}, env(t0), f)
	if s.AccountID != "acc_clean" || s.Step != StepWarning || !strings.Contains(joined(r), "現在のアカウント連携はそのままです") {
		t.Errorf("used nonce, linked: account %q step %s, %q", s.AccountID, s.Step, joined(r))
	}
	s, r = drive(t, atStep(StepIdle, clean), Input{Kind: InLinkOK, Nonce: "nonce-used-0123"}, env(t0), f)
	if s.AccountID != "acc_clean" || !strings.Contains(joined(r), "そのままです") {
		t.Errorf("used nonce, idle and linked: account %q, %q", s.AccountID, joined(r))
	}
	// A linked account that is gone is unlinked.
	s, _ = drive(t, atStep(StepChecking, clean), tap(t, []Reply{{Choices: (&turn{s: atStep(StepChecking, clean), c: &ja}).choices()}}, "もう一度確認する"), env(t0), &fake{status: clean, notFound: EffCheck})
	if s.AccountID != "" || s.Step != StepLinking {
		t.Errorf("account gone: account %q step %s; want unlinked, linking again", s.AccountID, s.Step)
	}
	// A failed link is answered: at the linking step with a fresh link.
	linking := atStep(StepLinking, clean)
	linking.AccountID = ""
	s, r = drive(t, linking, Input{Kind: InLinkFailed}, env(t0), &fake{status: clean})
	if s.Step != StepLinking || len(r) != 2 || !strings.Contains(r[0].Text, "連携ができませんでした") || r[1].Link == nil {
		t.Errorf("failed link: step %s, %+v; want it explained with a new link", s.Step, r)
	}
}

// TestAStaleNonceNeverUnlinks: at every step, an account-link event whose
// nonce the marketplace does not know (unknown, used or expired) leaves a
// linked user's link and step as they are, and says the attempt was not
// valid. So does a not-found result that names no effect: only a status
// check or a filing that finds the account gone unlinks.
func TestAStaleNonceNeverUnlinks(t *testing.T) {
	for _, step := range Steps {
		for _, of := range []EffectKind{EffResolveLink, ""} {
			s := atStep(step, clean)
			s, out := Next(s, Input{Kind: InLinkOK, Nonce: "nonce-used-0123"}, env(t0))
			if out.Effect == nil || out.Effect.Kind != EffResolveLink || out.Effect.Nonce != "nonce-used-0123" {
				t.Fatalf("%s: link event gave %+v; want the nonce resolved", step, out.Effect)
			}
			s, out = Next(s, Input{Kind: InNotFound, Of: of}, env(t0))
			if s.AccountID != "acc_clean" || s.Step != step {
				t.Errorf("%s, not found (of %q): account %q, step %s; want acc_clean kept at %s", step, of, s.AccountID, s.Step, step)
			}
			if out.Effect != nil {
				t.Errorf("%s, not found (of %q): effect %+v; want none", step, of, out.Effect)
			}
			if got := joined(out.Replies); !strings.HasPrefix(got, ja.linkInvalidKept) {
				t.Errorf("%s, not found (of %q): %q; want it to start with %q", step, of, got, ja.linkInvalidKept)
			}
		}
	}
}

// TestAnActionEndsTheStrays: after an action (unlinking), thanks are
// answered in full again, however many stray inputs came before it.
func TestAnActionEndsTheStrays(t *testing.T) {
	e, f := env(t0), &fake{status: clean}
	s := atStep(StepIdle, clean)
	for range 3 {
		s, _ = drive(t, s, text("intent:unknown"), e, f)
	}
	s, _ = drive(t, s, text("intent:unlink"), e, f)
	_, r := drive(t, s, text("intent:thanks"), e, f)
	if len(r) == 0 || r[0].Text != ja.welcome {
		t.Errorf("thanks after unlinking: %q; want %q first", joined(r), ja.welcome)
	}
}

// TestABareYesToTwoWaysPicksNeither: the advice offers two ways (keep the
// account, or go on), and after an unclear answer the warning asks "go on,
// or keep your account?": a bare yes (はい, OK, わかりました) answers
// neither, so the bot asks which, and nothing moves toward the filing.
// Said which (次へ), it goes on. A bare yes to the warning itself (read and
// understood) goes on, as before.
func TestABareYesToTwoWaysPicksNeither(t *testing.T) {
	e := env(t0)
	e.Understander = says{"はい": IntentYes, "OK": IntentYes, "わかりました": IntentYes, "次へ": IntentYes, "なにこれ": IntentUnknown}
	for _, yes := range []string{"はい", "OK", "わかりました"} {
		f := &fake{status: clean}
		s, r := drive(t, atStep(StepHelp, clean), text(yes), e, f)
		if s.Step != StepHelp || !strings.Contains(joined(r), ja.pickOne) {
			t.Errorf("help, %q: step %s, %q; want the question which", yes, s.Step, joined(r))
		}
		if s, _ = drive(t, s, text("次へ"), e, f); s.Step != StepConfirm {
			t.Errorf("help, %q then 次へ: step %s; want confirm", yes, s.Step)
		}

		s, _ = drive(t, atStep(StepWarning, clean), text("なにこれ"), e, f)
		s, r = drive(t, s, text(yes), e, f)
		if s.Step != StepWarning || !strings.Contains(joined(r), ja.pickOne) {
			t.Errorf("warning, unclear then %q: step %s, %q; want the question which", yes, s.Step, joined(r))
		}
		if s, _ = drive(t, atStep(StepWarning, clean), text(yes), e, f); s.Step == StepWarning {
			t.Errorf("warning, %q at once: still at the warning; want on", yes)
		}
	}
}

// TestTheBalanceAnswerSaysTheUsersOwn: asked about the sales balance, a
// user whose status was looked up hears their own balance (or that it was
// 0 yen); before any lookup, the general answer.
func TestTheBalanceAnswerSaysTheUsersOwn(t *testing.T) {
	e := env(t0)
	e.Understander = says{"売上金は？": FAQIntent(TopicBalance)}
	withBalance := *blocked
	withBalance.SalesBalanceJPY = 3200
	for _, tc := range []struct {
		st   *taikai.Status
		want string
	}{
		{&withBalance, "3,200円"},
		{clean, ja.faqBalanceZero},
		{nil, ja.faq[TopicBalance]},
	} {
		s := atStep(StepBlocked, clean)
		if tc.st == nil {
			s = State{Step: StepLinking, Conv: "c1", Lang: LangJa, Started: t0, Updated: t0}
		} else {
			s.Status = tc.st
		}
		_, r := drive(t, s, text("売上金は？"), e, &fake{status: clean})
		if !strings.Contains(joined(r), tc.want) {
			t.Errorf("status %v: %q; want %q", tc.st != nil, joined(r), tc.want)
		}
	}
}
