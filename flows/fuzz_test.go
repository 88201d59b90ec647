package flows

import (
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
)

// FuzzInput feeds arbitrary texts and postback data to every step: Next must
// never panic and always answer, and it may file only at the confirm step,
// for a typed text or for that step's own confirm button (of this
// conversation, c1, and this step, s=3) — never for any other input.
//
// A long run: go test ./flows -run '^$' -fuzz FuzzInput -fuzztime 10m
func FuzzInput(f *testing.F) {
	for _, s := range []string{"退会したい", "やめる", "a=confirm&c=c1&s=3", "a=reason&r=other&c=c1&s=3", "ｱｶｳﾝﾄ削除", "", "%", "a=start",
		"a=confirm", "a=continue", "a=help_continue", "a=reason&r=none", "退会する", "はい"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, which uint8) {
		step := Steps[int(which)%len(Steps)]
		st := State{Step: step, Conv: "c1", Seq: 3, AccountID: "acc", Status: clean, Reason: taikai.ReasonNone, Started: t0, Updated: t0}
		for _, in := range []Input{{Kind: InText, Text: s}, {Kind: InPostback, Data: s}} {
			f := &fake{status: clean}
			_, replies := drive(t, st, in, env(t0), f)
			if len(replies) == 0 {
				t.Fatalf("%s + %q: no reply", step, s)
			}
			for _, e := range f.effects {
				if e.Kind == EffFile && !(step == StepConfirm && (in.Kind == InText || ownConfirm(in.Data))) {
					t.Fatalf("%s + %+v: filed", step, in)
				}
			}
		}
	})
}

// ownConfirm reports whether postback data is the confirm button of
// conversation c1 at step counter 3, the state FuzzInput starts from.
func ownConfirm(data string) bool {
	v, err := url.ParseQuery(data)
	return err == nil && v.Get("a") == "confirm" && v.Get("c") == "c1" && v.Get("s") == "3"
}

// TestRandomWalks drives the flow with long random sequences of every kind
// of input, from a fresh user, and checks the invariants after each step:
// the step is valid, a user input gets an answer, a filing happens only
// right after the confirm button of the current conversation and step was
// pressed (or its words typed), and never twice in one conversation.
func TestRandomWalks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	texts := []string{"退会したい", "やめる", "こんにちは", "1", "使わなくなった", "その他", "理由は秘密です", "はい", "いいえ", "退会する", "もう一度確認する", "連携解除", "help", strings.Repeat("長", 600),
		"引っ越すので", "再登録できますか？", "退会できましたか？", "English please", "日本語で", "理由を変えたい", "担当者", "ボットに戻る", "ありがとう", "intent:faq:balance"}
	for walk := 0; walk < 300; walk++ {
		st := State{}
		now := t0
		var lastButtons []Choice
		var old []Choice
		filedConvs := map[string]bool{}
		for i := 0; i < 40; i++ {
			status := clean
			if rng.IntN(4) == 0 {
				status = blocked
			}
			f := &fake{status: status}
			var in Input
			switch k := rng.IntN(10); {
			case k < 4 && len(lastButtons) > 0:
				in = Input{Kind: InPostback, Data: lastButtons[rng.IntN(len(lastButtons))].Data}
			case k == 4 && len(old) > 0:
				in = Input{Kind: InPostback, Data: old[rng.IntN(len(old))].Data}
			case k < 8:
				in = text(texts[rng.IntN(len(texts))])
			default:
				in = []Input{{Kind: InSticker}, {Kind: InMedia}, {Kind: InFollow}, {Kind: InUnfollow}, {Kind: InUnsend, MessageID: "m1"},
					{Kind: InLinkOK, Nonce: "nonce-0123456789"}, {Kind: InLinkFailed}}[rng.IntN(7)]
			}
			if rng.IntN(10) == 0 {
				now = now.Add(time.Duration(rng.IntN(30)) * time.Hour)
			}
			before := st
			var replies []Reply
			st, replies = drive(t, st, in, env(now), f)
			valid := false
			for _, x := range Steps {
				valid = valid || st.Step == x
			}
			if !valid {
				t.Fatalf("walk %d: invalid step %q", walk, st.Step)
			}
			// Waiting for staff, the bot is quiet on purpose.
			silent := in.Kind == InUnfollow || in.Kind == InUnsend || before.Handoff == taikai.HandoffRequested
			if !silent && len(replies) == 0 {
				t.Fatalf("walk %d: no answer to %+v at %s", walk, in, before.Step)
			}
			for _, e := range f.effects {
				if e.Kind != EffFile {
					continue
				}
				confirmed := before.Step == StepConfirm && (in.Kind == InText || (in.Kind == InPostback && strings.Contains(in.Data, "a=confirm") &&
					strings.Contains(in.Data, "c="+before.Conv) && strings.Contains(in.Data, "s="+strconv.Itoa(before.Seq))))
				if !confirmed {
					t.Fatalf("walk %d: filed on %+v at %s", walk, in, before.Step)
				}
				if filedConvs[e.Key] {
					t.Fatalf("walk %d: filed twice with key %s", walk, e.Key)
				}
				filedConvs[e.Key] = true
			}
			if len(replies) > 0 {
				old = append(old, lastButtons...)
				lastButtons = replies[len(replies)-1].Choices
			}
		}
	}
}
