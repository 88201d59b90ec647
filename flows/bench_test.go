package flows

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
)

// The conversation's hot pieces: one step of the flow (understanding of
// typed text included) and the state's encoding, as the runtime stores it.
//
//	go test ./flows -run '^$' -bench . -benchmem

var benchNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func benchEnv() Env {
	return Env{Now: benchNow, Expiry: DefaultExpiry, NewConv: "5eed5eed5eed5eed", TipsURL: "https://market.example/guide/selling"}
}

var (
	benchClean = &taikai.Status{AccountID: "acc_clean", DisplayName: "山田 花子", Rating: taikai.Rating{Average: 4.8, Count: 52}, CompletedOrders: 50}
	benchMany  = &taikai.Status{
		AccountID: "acc_many", DisplayName: "渡辺 大輔", Rating: taikai.Rating{Average: 4.6, Count: 31}, CompletedOrders: 29,
		PurchasesInProgress:   []taikai.Order{{OrderID: "o-4001", Title: "LP制作", Counterparty: "ウェブ制作ラボ", Status: taikai.OrderDelivered, URL: "https://market.example/orders/o-4001"}},
		SalesAwaitingDelivery: []taikai.Order{{OrderID: "o-4101", Title: "翻訳（英→日）", Counterparty: "加藤 亮", URL: "https://market.example/orders/o-4101"}},
		PayoutsInProgress:     []taikai.Payout{{PayoutID: "p-4201", AmountJPY: 45800, RequestedAt: "2026-11-21", ExpectedAt: "2026-11-30"}},
		SalesBalanceJPY:       15400,
	}
)

// benchWalk steps the flow from s with in, answering effects as a healthy
// runtime would, and returns where it settles and the last replies.
func benchWalk(b *testing.B, s State, in Input, st *taikai.Status) (State, []Reply) {
	b.Helper()
	var replies []Reply
	for range 8 {
		var out Output
		s, out = Next(s, in, benchEnv())
		replies = out.Replies
		if out.Effect == nil {
			return s, replies
		}
		switch out.Effect.Kind {
		case EffCheck:
			in = Input{Kind: InStatus, Status: st, Of: EffCheck}
		case EffFile:
			in = Input{Kind: InFiled, Receipt: &taikai.Withdrawal{WithdrawalID: "wd-000001", Status: "accepted"}, Of: EffFile}
		case EffIssueLink:
			in = Input{Kind: InLinkURL, URL: "https://market.example/link?linkToken=T", Of: EffIssueLink}
		case EffResolveLink:
			in = Input{Kind: InLinked, AccountID: st.AccountID, Of: EffResolveLink}
		default:
			b.Fatalf("effect %s not expected", out.Effect.Kind)
		}
	}
	b.Fatal("effects did not settle")
	return s, nil
}

// benchPress is the press of the button labelled label in replies.
func benchPress(b *testing.B, replies []Reply, label string) Input {
	b.Helper()
	for _, r := range replies {
		for _, c := range r.Choices {
			if c.Label == label {
				return Input{Kind: InPostback, Data: c.Data}
			}
		}
	}
	b.Fatalf("no button %q", label)
	return Input{}
}

// BenchmarkNext is one call of Next at the steps a withdrawal goes
// through; each case starts from the same state every iteration.
func BenchmarkNext(b *testing.B) {
	linked := State{AccountID: benchClean.AccountID, Lang: LangJa}
	checking, _ := Next(linked, Input{Kind: InText, Text: "退会したい", MessageID: "m1"}, benchEnv())
	warning, wr := benchWalk(b, linked, Input{Kind: InText, Text: "退会したい", MessageID: "m1"}, benchClean)
	if warning.Step != StepWarning {
		b.Fatalf("at %s; want the warning step", warning.Step)
	}
	toReason := benchPress(b, wr, "理解して次へ進む")
	reason, rr := benchWalk(b, warning, toReason, benchClean)
	toConfirm := benchPress(b, rr, "使わなくなった")
	confirm, cr := benchWalk(b, reason, toConfirm, benchClean)
	for confirm.Step == StepHelp {
		// Help offered for the reason: go on.
		confirm, cr = benchWalk(b, confirm, benchPress(b, cr, cr[len(cr)-1].Choices[0].Label), benchClean)
	}
	if confirm.Step != StepConfirm {
		b.Fatalf("at %s; want the confirm step", confirm.Step)
	}
	file := benchPress(b, cr, "退会する")

	for _, tc := range []struct {
		name string
		s    State
		in   Input
	}{
		{"idle/hello", State{}, Input{Kind: InText, Text: "こんにちは", MessageID: "m1"}},
		{"idle/follow", State{}, Input{Kind: InFollow}},
		{"idle/start", linked, Input{Kind: InText, Text: "退会したい", MessageID: "m1"}},
		{"checking/status-clean", checking, Input{Kind: InStatus, Status: benchClean, Of: EffCheck}},
		{"checking/status-blocked", checking, Input{Kind: InStatus, Status: benchMany, Of: EffCheck}},
		{"warning/sticker", warning, Input{Kind: InSticker}},
		{"warning/continue", warning, toReason},
		{"reason/not_using", reason, toConfirm},
		{"reason/typed", reason, Input{Kind: InText, Text: "手数料が高いと感じたので、しばらく使わないことにしました。", MessageID: "m2"}},
		{"confirm/file", confirm, file},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			env := benchEnv()
			for b.Loop() {
				Next(tc.s, tc.in, env)
			}
		})
	}
}

// BenchmarkState is the state of a conversation at the confirm step (the
// largest: the status is kept) encoded and decoded as the runtime stores
// it (JSON).
func BenchmarkState(b *testing.B) {
	s := State{
		Step: StepConfirm, Conv: "5eed5eed5eed5eed", Seq: 4, AccountID: benchMany.AccountID, Status: benchMany,
		Reason: taikai.ReasonNotUsing, Started: benchNow, Updated: benchNow.Add(3 * time.Minute),
	}
	enc, err := json.Marshal(s)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		b.ReportMetric(float64(len(enc)), "bytes")
		for b.Loop() {
			if _, err := json.Marshal(s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var got State
			if err := json.Unmarshal(enc, &got); err != nil {
				b.Fatal(err)
			}
		}
	})
}
