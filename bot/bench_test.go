package bot

import (
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/line"
)

// The outbox saved with the state (rendered messages, encoded), for the
// replies of two steps:
//
//	go test ./bot -run '^$' -bench . -benchmem

func benchReplies(b *testing.B, st *taikai.Status) []flows.Reply {
	b.Helper()
	env := flows.Env{Now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), Expiry: flows.DefaultExpiry, NewConv: "5eed5eed5eed5eed"}
	s, out := flows.Next(flows.State{AccountID: st.AccountID, Lang: flows.LangJa}, flows.Input{Kind: flows.InText, Text: "退会したい", MessageID: "m1"}, env)
	if out.Effect == nil || out.Effect.Kind != flows.EffCheck {
		b.Fatalf("effect %+v; want a check", out.Effect)
	}
	_, out = flows.Next(s, flows.Input{Kind: flows.InStatus, Status: st, Of: flows.EffCheck}, env)
	if len(out.Replies) == 0 {
		b.Fatal("no replies")
	}
	return out.Replies
}

var benchStatuses = []struct {
	name string
	st   *taikai.Status
}{
	{"warning", &taikai.Status{AccountID: "acc_clean", DisplayName: "山田 花子", Rating: taikai.Rating{Average: 4.8, Count: 52}, CompletedOrders: 50}},
	{"blocked", &taikai.Status{
		AccountID: "acc_many", DisplayName: "渡辺 大輔", Rating: taikai.Rating{Average: 4.6, Count: 31}, CompletedOrders: 29,
		PurchasesInProgress:   []taikai.Order{{OrderID: "o-4001", Title: "LP制作", Counterparty: "ウェブ制作ラボ", Status: taikai.OrderDelivered, URL: "https://market.example/orders/o-4001"}},
		SalesAwaitingDelivery: []taikai.Order{{OrderID: "o-4101", Title: "翻訳（英→日）", Counterparty: "加藤 亮", URL: "https://market.example/orders/o-4101"}},
		PayoutsInProgress:     []taikai.Payout{{PayoutID: "p-4201", AmountJPY: 45800, RequestedAt: "2026-11-21", ExpectedAt: "2026-11-30"}},
		SalesBalanceJPY:       15400,
	}},
}

// BenchmarkOutbox is what an event's replies cost before they are saved:
// rendered, each message encoded, the outbox encoded.
func BenchmarkOutbox(b *testing.B) {
	bt := New(Options{Channel: lineRender{}})
	ev := taikai.Event{ID: "01KXHMQFSR8SD8GWMM7MM953HP", Key: "Ue8dafe9e1ea8071f3031bf970cc75bcf", Received: time.Now()}
	inc := chat.Incoming{User: ev.Key, Chat: ev.Key, ReplyToken: "08d1dea073f77eec80f8b2b131afb361"}
	log := slog.New(slog.DiscardHandler)
	for _, tc := range benchStatuses {
		replies := benchReplies(b, tc.st)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				enc := bt.outbox(log, ev, inc, replies).encode()
				n = len(enc)
			}
			b.ReportMetric(float64(n), "bytes")
		})
	}
}

// lineRender is a Channel that renders as the LINE adapter does; the rest
// of the Channel is not used here.
type lineRender struct{ Channel }

func (lineRender) Render(replies []flows.Reply) ([]json.RawMessage, error) {
	return line.Render(replies)
}
