package line

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/flows"
)

// Rendering replies as LINE messages, for the replies of two steps:
//
//	go test ./line -run '^$' -bench . -benchmem

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

func BenchmarkRender(b *testing.B) {
	for _, tc := range benchStatuses {
		replies := benchReplies(b, tc.st)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if msgs, err := Render(replies); err != nil || len(msgs) == 0 {
					b.Fatal("nothing rendered", err)
				}
			}
		})
	}
}

// BenchmarkDecode is an event decoded for the flow, off the webhook's path:
// a text and a postback from a user (decoded in one pass), and a sticker
// (through the SDK).
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"message_text_taikai.json", "postback_withdraw_reason.json", "message_sticker.json"} {
		raw := readEvent(b, name)
		b.Run(strings.TrimSuffix(name, ".json"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if inc, err := Decode(raw); err != nil || inc.Input.Kind == "" {
					b.Fatal(inc, err)
				}
			}
		})
	}
}

func readEvent(b *testing.B, name string) []byte {
	body, err := os.ReadFile(filepath.Join("../testdata/webhook", name))
	if err != nil {
		b.Fatal(err)
	}
	var cb struct{ Events []json.RawMessage }
	if err := json.Unmarshal(body, &cb); err != nil || len(cb.Events) == 0 {
		b.Fatal(name, err)
	}
	return cb.Events[0]
}
