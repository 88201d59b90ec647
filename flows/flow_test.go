package flows

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func env(now time.Time) Env {
	return Env{Now: now, Expiry: 24 * time.Hour, NewConv: "c0ffee", TipsURL: "https://example.com/tips", Understander: says{}}
}

// says is a fake Understander, so that these tests do not depend on how
// the real one reads Japanese: it knows the phrases below, reads
// "intent:<name>" as that intent, and everything else as unknown.
type says map[string]Intent

var phrases = says{
	"退会したい": IntentStart, "ｱｶｳﾝﾄ削除": IntentStart, "delete my account": IntentStart, "やめる": IntentCancel,
	"やっぱりやめます": IntentCancel, "ヘルプ": IntentHelp, "help": IntentHelp, "こんにちは": IntentGreeting, "はい": IntentYes,
	"次へ": IntentYes, "いいえ": IntentNo, "ありがとう": IntentThanks, "担当者": IntentStaff, "連携解除": IntentUnlink,
	"再登録できますか？": FAQIntent(TopicReregister), "評価ってどうなるの？": FAQIntent(TopicRatings),
	"退会できましたか？": FAQIntent(TopicStatus), "English please": LangIntent(LangEn), "日本語で": LangIntent(LangJa),
	"引っ越すので": ReasonIntent(taikai.ReasonOther), "仕事が忙しくなったので": ReasonIntent(taikai.ReasonNotUsing),
	"評価をリセットしたいです": ReasonIntent(taikai.ReasonResetRating), "特になし": ReasonIntent(taikai.ReasonNone),
	"理由を変えたい": IntentChangeReason, "退会します": IntentYes,
}

// typedIntent is a text the fake Understander reads as i. A typed yes is
// "退会します", consent in its own words: at the confirm step the flow also
// checks the words (ConsentOf), and "intent:yes" is no consent.
func typedIntent(i Intent) Input {
	if i == IntentYes {
		return text("退会します")
	}
	return text("intent:" + string(i))
}

func (m says) Understand(text string, step Step) Intent {
	if i, ok := strings.CutPrefix(text, "intent:"); ok {
		return Intent(i)
	}
	if i, ok := m[text]; ok {
		return i
	}
	if i, ok := phrases[text]; ok {
		return i
	}
	return IntentUnknown
}

var clean = &taikai.Status{AccountID: "acc_clean", DisplayName: "山田 花子", Rating: taikai.Rating{Average: 4.8, Count: 52}, CompletedOrders: 50}

var blocked = &taikai.Status{
	AccountID: "acc_many", DisplayName: "渡辺 大輔", Rating: taikai.Rating{Average: 4.6, Count: 31}, CompletedOrders: 29,
	PurchasesInProgress:   []taikai.Order{{OrderID: "o-4001", Title: "LP制作", Counterparty: "ウェブ制作ラボ", URL: "https://m.example/o-4001"}},
	SalesAwaitingDelivery: []taikai.Order{{OrderID: "o-4101", Title: "翻訳（英→日）", Counterparty: "加藤 亮"}},
	PayoutsInProgress:     []taikai.Payout{{PayoutID: "p-4201", AmountJPY: 45800, RequestedAt: "2026-11-21", ExpectedAt: "2026-11-30"}},
	SalesBalanceJPY:       15400,
}

// payoutOnly is blocked by a payout alone, expected on 2026-11-27: a
// reminder is offered, for 2026-11-28 at 10:00 in Japan.
var payoutOnly = &taikai.Status{
	AccountID: "acc_payout", DisplayName: "田中 翔", Rating: taikai.Rating{Average: 4.2, Count: 15}, CompletedOrders: 15,
	PayoutsInProgress: []taikai.Payout{{PayoutID: "p-3001", AmountJPY: 12000, RequestedAt: "2026-11-20", ExpectedAt: "2026-11-27"}},
}

// payoutDue is when payoutOnly's reminder is due.
var payoutDue = time.Date(2026, 11, 28, 10, 0, 0, 0, time.FixedZone("JST", 9*60*60))

// fake answers effects the way the runtime would on a healthy day.
type fake struct {
	status   *taikai.Status
	language string // of the LINE profile
	notFound EffectKind
	effects  []Effect
}

func (f *fake) run(e Effect) Input {
	f.effects = append(f.effects, e)
	if e.Kind == f.notFound {
		return Input{Kind: InNotFound}
	}
	switch e.Kind {
	case EffIssueLink:
		return Input{Kind: InLinkURL, URL: "https://market.example/link?linkToken=T"}
	case EffResolveLink:
		return Input{Kind: InLinked, AccountID: f.status.AccountID}
	case EffCheck:
		return Input{Kind: InStatus, Status: f.status}
	case EffFile:
		return Input{Kind: InFiled, Receipt: &taikai.Withdrawal{WithdrawalID: "wd-1", Status: "accepted"}}
	case EffAskStaff:
		return Input{Kind: InStaffAsked}
	case EffLeaveStaff:
		return Input{Kind: InStaffLeft}
	case EffProfile:
		return Input{Kind: InProfile, Language: f.language}
	case EffRemind:
		return Input{Kind: InReminderSet, Due: e.At}
	}
	panic("unknown effect " + e.Kind)
}

// drive steps the flow as the runtime does, running effects until none is left.
func drive(t *testing.T, s State, in Input, e Env, f *fake) (State, []Reply) {
	t.Helper()
	var replies []Reply
	for i := 0; i < 8; i++ {
		var out Output
		s, out = Next(s, in, e)
		replies = append(replies, out.Replies...)
		if out.Effect == nil {
			return s, replies
		}
		in = f.run(*out.Effect)
		in.Of = out.Effect.Kind
	}
	t.Fatalf("effects did not settle")
	return s, replies
}

func text(s string) Input { return Input{Kind: InText, Text: s, MessageID: "m1"} }

// tap finds the button labelled label in the last reply and presses it.
func tap(t *testing.T, replies []Reply, label string) Input {
	t.Helper()
	if len(replies) == 0 {
		t.Fatalf("no replies to press %q in", label)
	}
	for _, c := range replies[len(replies)-1].Choices {
		if c.Label == label {
			return Input{Kind: InPostback, Data: c.Data}
		}
	}
	t.Fatalf("no button %q in %+v", label, replies[len(replies)-1].Choices)
	return Input{}
}

func joined(replies []Reply) string {
	var b strings.Builder
	for _, r := range replies {
		b.WriteString(r.Plain())
		b.WriteString("\n")
	}
	return b.String()
}

func TestCleanAccountFilesOnce(t *testing.T) {
	f := &fake{status: clean}
	e := env(t0)
	s, r := drive(t, State{}, text("退会したい"), e, f)
	if s.Step != StepLinking || r[len(r)-1].Link == nil {
		t.Fatalf("unlinked user: step %s, replies %+v; want linking with a link button", s.Step, r)
	}
	s, r = drive(t, s, Input{Kind: InLinkOK, Nonce: "nonce-0123456789"}, e, f)
	if s.Step != StepWarning || s.AccountID != "acc_clean" {
		t.Fatalf("after link: step %s account %q; want warning for acc_clean", s.Step, s.AccountID)
	}
	for _, want := range []string{"★4.8・52件", "完了50件", "引き継がれません", "2つ以上持つことはできません"} {
		if !strings.Contains(joined(r), want) {
			t.Errorf("warning lacks %q:\n%s", want, joined(r))
		}
	}
	s, r = drive(t, s, tap(t, r, "理解して次へ進む"), e, f)
	s, r = drive(t, s, tap(t, r, "使わなくなった"), e, f)
	if s.Step != StepHelp {
		t.Fatalf("after reason: step %s; want the advice for it", s.Step)
	}
	s, r = drive(t, s, tap(t, r, "退会手続きを続ける"), e, f)
	if s.Step != StepConfirm {
		t.Fatalf("after advice: step %s; want confirm", s.Step)
	}
	if !strings.Contains(joined(r), "理由：使わなくなった") {
		t.Errorf("summary lacks the reason:\n%s", joined(r))
	}
	for _, fx := range f.effects {
		if fx.Kind == EffFile {
			t.Fatalf("filed before confirmation")
		}
	}
	confirm := tap(t, r, "退会する")
	s, r = drive(t, s, confirm, e, f)
	if s.Active() || s.AccountID != "" {
		t.Errorf("after filing: state %+v; want no conversation and no link", s)
	}
	if !strings.Contains(joined(r), "wd-1") {
		t.Errorf("closing message lacks the receipt id:\n%s", joined(r))
	}
	// A double tap: the same button again files nothing.
	_, r = drive(t, s, confirm, e, f)
	files := 0
	for _, fx := range f.effects {
		if fx.Kind == EffFile {
			files++
			if fx.Key != "taikai-line-c0ffee-0" {
				t.Errorf("idempotency key %q; want taikai-line-c0ffee-0", fx.Key)
			}
		}
	}
	if files != 1 {
		t.Errorf("filed %d times; want 1", files)
	}
	if joined(r) != ja.doubleTap+"\n" {
		t.Errorf("second tap: %q; want the one line that it was received", joined(r))
	}
	// Pressed again later, it belongs to a procedure that has ended.
	if _, r = drive(t, s, confirm, env(t0.Add(time.Minute)), f); !strings.Contains(joined(r), "終了しています") {
		t.Errorf("a tap a minute later: %q; want a note that it has ended", joined(r))
	}
}

// TestBlockerCards: the blocked step's list comes as one card per blocker
// (for a channel that lays them out side by side) whose parts are those of
// its plain text, in either language; an order with a page has a button to
// it; past maxItems, the rest are counted on one last card.
func TestBlockerCards(t *testing.T) {
	for _, tc := range []struct {
		lang Lang
		st   *taikai.Status
	}{{LangJa, blocked}, {LangEn, englishStatus}} {
		s := State{Step: StepBlocked, Conv: "c1", Seq: 3, AccountID: tc.st.AccountID, Status: tc.st, Lang: tc.lang, Updated: t0}
		tt := &turn{s: s, env: env(t0), c: catalogFor(tc.lang)}
		tt.view()
		r := tt.out.Replies
		if len(r) != 2 || len(r[0].Cards) != 4 || len(r[1].Cards) != 0 || len(r[1].Choices) == 0 {
			t.Fatalf("%s: replies %+v; want the head with 4 cards, then the buttons", tc.lang, r)
		}
		c := catalogFor(tc.lang)
		wantLines := []int{3, 3, 3, 0}
		for i, card := range r[0].Cards {
			if card.Title == "" || card.Note == "" || !strings.Contains(card.Text, card.Title) || !strings.Contains(card.Text, card.Note) {
				t.Errorf("%s card %d: %+v; want a title and a note, both in its text", tc.lang, i, card)
			}
			if len(card.Lines) != wantLines[i] {
				t.Errorf("%s card %d: lines %q; want %d", tc.lang, i, card.Lines, wantLines[i])
			}
		}
		order := tc.st.PurchasesInProgress[0]
		first := r[0].Cards[0]
		if first.Link == nil || first.Link.URL != order.URL || first.Link.Label != c.openOrder || !strings.HasSuffix(first.Text, "\n"+order.URL) {
			t.Errorf("%s: order card link %+v, text %q; want %q opening %s", tc.lang, first.Link, first.Text, c.openOrder, order.URL)
		}
		if !strings.Contains(strings.Join(first.Lines, " "), order.OrderID) || !strings.Contains(strings.Join(first.Lines, " "), order.Counterparty) {
			t.Errorf("%s: order card lines %q lack the id or the counterparty", tc.lang, first.Lines)
		}
		if l := r[0].Cards[1].Link; (l != nil) != (tc.st.SalesAwaitingDelivery[0].URL != "") {
			t.Errorf("%s: a link %+v on a card whose order has no page", tc.lang, l)
		}
		if p := r[0].Plain(); !strings.HasPrefix(p, r[0].Text+"\n\n") || !strings.HasSuffix(p, r[0].Cards[3].Text) {
			t.Errorf("%s: plain text %q; want the head, then each card", tc.lang, p)
		}
	}
	many := *blocked
	many.PurchasesInProgress = nil
	for i := range maxItems + 3 {
		many.PurchasesInProgress = append(many.PurchasesInProgress, taikai.Order{OrderID: fmt.Sprintf("o-%d", i), Title: "t", Counterparty: "c"})
	}
	n, cards := ja.blockers(&many)
	if last := cards[len(cards)-1]; n != maxItems+6 || len(cards) != maxItems+1 || last.Title != "ほか6件" || last.Text != last.Title || last.Link != nil {
		t.Errorf("%d blockers in %d cards, the last %+v; want %d in %d, the rest counted on the last", n, len(cards), last, maxItems+6, maxItems+1)
	}
}

func TestBlockersExplainedWithSpecifics(t *testing.T) {
	f := &fake{status: blocked}
	s, r := drive(t, State{AccountID: "acc_many"}, text("退会したい"), env(t0), f)
	if s.Step != StepBlocked {
		t.Fatalf("step %s; want blocked", s.Step)
	}
	got := joined(r)
	for _, want := range []string{
		"4件", "o-4001", "LP制作", "ウェブ制作ラボ", "https://m.example/o-4001", "取引を完了",
		"o-4101", "加藤 亮", "正式な納品", "45,800円", "2026年11月21日", "2026年11月30日", "お待ちください",
		"15,400円", "振込申請",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("blocker explanation lacks %q:\n%s", want, got)
		}
	}
	// Clearing the blockers and checking again moves on.
	f.status = clean
	s, _ = drive(t, s, tap(t, r, "もう一度確認する"), env(t0), f)
	if s.Step != StepWarning {
		t.Errorf("after clearing: step %s; want warning", s.Step)
	}
}

func TestStaleButtonReshowsCurrentStep(t *testing.T) {
	f := &fake{status: clean}
	e := env(t0)
	s, r := drive(t, State{AccountID: "acc_clean"}, text("退会したい"), e, f)
	cancelAtWarning := tap(t, r, "退会をやめる")
	s, r = drive(t, s, tap(t, r, "理解して次へ進む"), e, f)
	before := s
	s, r = drive(t, s, cancelAtWarning, e, f)
	if s.Step != StepReason || s.Seq != before.Seq {
		t.Fatalf("stale cancel moved the flow: step %s seq %d; want reason, seq %d", s.Step, s.Seq, before.Seq)
	}
	if !strings.Contains(joined(r), "以前のご案内") || !strings.Contains(joined(r), "退会の理由") {
		t.Errorf("stale press: %q; want a note and the reason step again", joined(r))
	}
	// A button from another conversation is stale too.
	other := tap(t, r, "使わなくなった")
	other.Data = strings.Replace(other.Data, "c=c0ffee", "c=deadbeef", 1)
	s, _ = drive(t, s, other, e, f)
	if s.Step != StepReason {
		t.Errorf("foreign button moved the flow to %s", s.Step)
	}
}

func TestExpiryStartsOver(t *testing.T) {
	f := &fake{status: clean}
	s, r := drive(t, State{AccountID: "acc_clean"}, text("退会したい"), env(t0), f)
	later := env(t0.Add(25 * time.Hour))
	s2, r2 := drive(t, s, tap(t, r, "理解して次へ進む"), later, f)
	if s2.Active() {
		t.Errorf("expired conversation still at %s", s2.Step)
	}
	if !strings.Contains(joined(r2), "時間が経った") {
		t.Errorf("expired: %q; want a friendly note", joined(r2))
	}
	if s2.AccountID != "acc_clean" {
		t.Errorf("expiry dropped the account link")
	}
	// Within the expiry, the same press works.
	s3, _ := drive(t, s, tap(t, r, "理解して次へ進む"), env(t0.Add(23*time.Hour)), f)
	if s3.Step != StepReason {
		t.Errorf("within expiry: step %s; want reason", s3.Step)
	}
}

func TestHelpIsShownOnceAndMatchesTheReason(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status *taikai.Status
		reason string
		want   string // "" = no help
	}{
		{"reset with a high rating", clean, "評価をリセットしたい", "★4.8・52件"},
		{"reset with a low rating", &taikai.Status{AccountID: "a", DisplayName: "x", Rating: taikai.Rating{Average: 3.6, Count: 8}}, "評価をリセットしたい", "★3.6・8件"},
		{"reset with no rating", &taikai.Status{AccountID: "a", DisplayName: "x"}, "評価をリセットしたい", ""},
		{"hard to earn", clean, "稼ぐのが難しい", "https://example.com/tips"},
		{"not using, with a track record", clean, "使わなくなった", "完了50件"},
		{"not using, without one", &taikai.Status{AccountID: "a", DisplayName: "x"}, "使わなくなった", ""},
		{"no answer", clean, "回答しない", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{status: tc.status}
			e := env(t0)
			s, r := drive(t, State{AccountID: tc.status.AccountID}, text("退会したい"), e, f)
			s, r = drive(t, s, tap(t, r, "理解して次へ進む"), e, f)
			s, r = drive(t, s, tap(t, r, tc.reason), e, f)
			if tc.want == "" {
				if s.Step != StepConfirm {
					t.Fatalf("step %s; want confirm without help", s.Step)
				}
				return
			}
			if s.Step != StepHelp || !strings.Contains(joined(r), tc.want) {
				t.Fatalf("step %s, %q; want help mentioning %q", s.Step, joined(r), tc.want)
			}
			s, _ = drive(t, s, tap(t, r, "退会手続きを続ける"), e, f)
			if s.Step != StepConfirm || len(s.Advised) != 1 {
				t.Fatalf("after help: step %s; want confirm", s.Step)
			}
		})
	}
}

func TestTypedInputsWork(t *testing.T) {
	f := &fake{status: clean}
	e := env(t0)
	long := strings.Repeat("あ", taikai.MaxReasonText+50)
	e.Understander = says{long: ReasonIntent(taikai.ReasonOther)}
	s, _ := drive(t, State{AccountID: "acc_clean"}, text("ｱｶｳﾝﾄ削除"), e, f) // half-width katakana
	if s.Step != StepWarning {
		t.Fatalf("half-width start: step %s; want warning", s.Step)
	}
	s, _ = drive(t, s, text("理解して次へ進む"), e, f)
	if s.Step != StepReason {
		t.Fatalf("typed label: step %s; want reason", s.Step)
	}
	s, r := drive(t, s, text(long), e, f)
	if s.Reason != taikai.ReasonOther || len([]rune(s.ReasonText)) != taikai.MaxReasonText {
		t.Fatalf("free-text reason: %q (%d runes); want other, capped", s.Reason, len([]rune(s.ReasonText)))
	}
	if !strings.Contains(joined(r), "500文字") {
		t.Errorf("truncation not told: %q", joined(r))
	}
	// Typing "退会したい" at the confirm step does not file; "退会する" does.
	s, _ = drive(t, s, text("退会したい"), e, f)
	if len(f.effects) > 0 && f.effects[len(f.effects)-1].Kind == EffFile {
		t.Fatalf("an ambiguous text filed")
	}
	s, _ = drive(t, s, text("退会する"), e, f)
	if s.Active() || f.effects[len(f.effects)-1].Kind != EffFile {
		t.Fatalf("typed confirmation did not file (step %s)", s.Step)
	}
}

func TestUnsendDropsTypedReason(t *testing.T) {
	s := State{Step: StepConfirm, Conv: "c", Seq: 5, AccountID: "a", Status: clean, Reason: taikai.ReasonOther, ReasonText: "個人的な事情", ReasonMsgID: "m9", Updated: t0}
	s2, out := Next(s, Input{Kind: InUnsend, MessageID: "m9"}, env(t0))
	if s2.ReasonText != "" || len(out.Replies) != 0 {
		t.Errorf("unsend: text %q, replies %d; want text dropped silently", s2.ReasonText, len(out.Replies))
	}
	s3, _ := Next(s, Input{Kind: InUnsend, MessageID: "other"}, env(t0))
	if s3.ReasonText == "" {
		t.Errorf("unsend of another message dropped the reason")
	}
}

func TestBlockedAtFilingNeedsANewKey(t *testing.T) {
	s := State{Step: StepConfirm, Conv: "c1", Seq: 7, AccountID: "acc_clean", Status: clean, Reason: taikai.ReasonNone, Updated: t0}
	s, out := Next(s, Input{Kind: InFileBlocked, Status: blocked}, env(t0))
	if s.Step != StepBlocked || s.IdempotencyKey() != "taikai-line-c1-1" {
		t.Fatalf("step %s key %s; want blocked with a fresh key", s.Step, s.IdempotencyKey())
	}
	if !strings.Contains(joined(out.Replies), "まだ完了していません") {
		t.Errorf("blocked at filing: %q", joined(out.Replies))
	}
}

func TestUnavailableKeepsTheStep(t *testing.T) {
	s := State{Step: StepConfirm, Conv: "c1", Seq: 7, AccountID: "acc_clean", Status: clean, Reason: taikai.ReasonNone, Updated: t0}
	s2, out := Next(s, Input{Kind: InUnavailable}, env(t0))
	if s2.Step != StepConfirm || s2.Seq != 7 {
		t.Errorf("step %s seq %d; want confirm, unchanged", s2.Step, s2.Seq)
	}
	if len(out.Replies) == 0 || len(out.Replies[0].Choices) != 4 {
		t.Errorf("want the failure explained with retry, change reason, stop and a person: %+v", out.Replies)
	}
	_, out = Next(s, Input{Kind: InUnavailable, Of: EffAskStaff}, env(t0))
	if !strings.Contains(joined(out.Replies), "担当者におつなぎできません") {
		t.Errorf("staff queue down: %q", joined(out.Replies))
	}
}

// inputsAt lists every kind of input a user can send at state s: texts,
// media, every button of the step, stale and foreign buttons, and the
// events LINE sends.
func inputsAt(s State) map[string]Input {
	ins := map[string]Input{
		"text start":     text("退会したい"),
		"text cancel":    text("やめる"),
		"text help":      text("ヘルプ"),
		"text random":    text("こんにちは"),
		"text english":   text("delete my account"),
		"text empty":     text("   "),
		"text long":      text(strings.Repeat("長", 6000)),
		"text number":    text("1"),
		"sticker":        {Kind: InSticker},
		"media":          {Kind: InMedia},
		"follow":         {Kind: InFollow},
		"unblock":        {Kind: InFollow, Unblocked: true},
		"unfollow":       {Kind: InUnfollow},
		"unsend":         {Kind: InUnsend, MessageID: "m1"},
		"link ok":        {Kind: InLinkOK, Nonce: "nonce-0123456789"},
		"link no nonce":  {Kind: InLinkOK},
		"link failed":    {Kind: InLinkFailed, Nonce: "n"},
		"paused":         {Kind: InPaused},
		"resumed":        {Kind: InResumed},
		"garbage data":   {Kind: InPostback, Data: "%%%"},
		"unknown action": {Kind: InPostback, Data: "a=explode"},
		"rich menu":      {Kind: InPostback, Data: StartData},
		"stale":          {Kind: InPostback, Data: press{act: actConfirm, conv: s.Conv, seq: strconv.Itoa(s.Seq - 1)}.encode()},
		"foreign":        {Kind: InPostback, Data: press{act: actConfirm, conv: "other", seq: "1"}.encode()},
	}
	for _, i := range Intents() {
		ins["intent "+string(i)] = text("intent:" + string(i))
	}
	tt := &turn{s: s, c: catalogFor(s.Lang), env: env(t0)}
	for _, c := range tt.choices() {
		ins["button "+c.Label] = Input{Kind: InPostback, Data: c.Data}
		ins["typed "+c.Label] = text(c.Label)
	}
	return ins
}

// TestEveryStepEveryInput walks every (step, input) pair: each yields a
// valid step and an answer (never silence or a panic), and nothing is filed
// without a confirmation at the confirm step.
func TestEveryStepEveryInput(t *testing.T) {
	for _, step := range Steps {
		for _, st := range []*taikai.Status{clean, blocked, payoutOnly} {
			base := State{Step: step, Conv: "c1", Seq: 3, AccountID: st.AccountID, Status: st, Started: t0, Updated: t0, Lang: LangJa}
			if step == StepIdle {
				base = State{Step: StepIdle, AccountID: st.AccountID}
			}
			if step == StepReserved {
				base.Remind = payoutDue
			}
			if step == StepHelp || step == StepConfirm {
				base.Reason = taikai.ReasonResetRating
			}
			for name, in := range inputsAt(base) {
				f := &fake{status: st}
				s, replies := drive(t, base, in, env(t0.Add(time.Minute)), f)
				valid := false
				for _, x := range Steps {
					valid = valid || s.Step == x
				}
				if !valid {
					t.Errorf("%s + %s: invalid step %q", step, name, s.Step)
				}
				silent := in.Kind == InUnfollow || in.Kind == InUnsend
				if !silent && len(replies) == 0 {
					t.Errorf("%s + %s: no reply", step, name)
				}
				for _, r := range replies {
					if strings.TrimSpace(r.Text) == "" {
						t.Errorf("%s + %s: empty reply", step, name)
					}
					if len(r.Choices) > 13 {
						t.Errorf("%s + %s: %d choices", step, name, len(r.Choices))
					}
					for _, c := range r.Choices {
						if len([]rune(c.Label)) > 20 || len(c.Data) > 300 {
							t.Errorf("%s + %s: button %q too long", step, name, c.Label)
						}
					}
				}
				for _, e := range f.effects {
					if e.Kind != EffFile {
						continue
					}
					confirmed := step == StepConfirm && (name == "button 退会する" || name == "typed 退会する" || name == "intent yes")
					if !confirmed {
						t.Errorf("%s + %s: filed without confirmation", step, name)
					}
					if e.Key == "" || e.AccountID == "" {
						t.Errorf("%s + %s: filing without key or account: %+v", step, name, e)
					}
				}
			}
		}
	}
}

// TestButtonDataIsAQuery: a button's data is the query url.Values would
// write, and reads back as the same press.
func TestButtonDataIsAQuery(t *testing.T) {
	for _, p := range []press{
		{act: actStart},
		{act: actReason, arg: string(taikai.ReasonHardToEarn), conv: "c0ffee", seq: "12"},
		{act: actConfirm, conv: "a b&c", seq: "3"},
	} {
		v := url.Values{"a": {string(p.act)}}
		if p.arg != "" {
			v.Set("r", p.arg)
		}
		if p.conv != "" {
			v.Set("c", p.conv)
			v.Set("s", p.seq)
		}
		if got, want := p.encode(), v.Encode(); got != want {
			t.Errorf("%+v encoded as %q; want %q", p, got, want)
		}
		if got, ok := decodePress(p.encode()); !ok || got != p {
			t.Errorf("%+v read back as %+v, %v", p, got, ok)
		}
	}
}
