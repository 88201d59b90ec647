package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/redistest"
	"github.com/taikaibot/taikai/store"
)

// TestOutboxesAreStoredAsTheyAre: an outbox lives only until its replies
// went out, so it is not deflated (that cost more CPU than the rest of the
// save): it is stored and loaded as saved, large or small.
func TestOutboxesAreStoredAsTheyAre(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()
	key := prefix + "{" + user + "}:out:e"
	big := `{"event":"e1","reply_token":"0123456789abcdef","chat":"` + user + `","received":1,"saved":2,"messages":[` +
		strings.Repeat(`{"type":"text","text":"退会のお手続きには、アカウントの連携が必要です。","quickReply":{"items":[{"type":"action","action":{"type":"postback","label":"退会をやめる","data":"a=stop&c=5eed","displayText":"退会をやめる"}}]}},`, 3) +
		`{"type":"text","text":"."}]}`
	var v int64
	for _, ob := range []string{big, `{"event":"e2"}`} {
		var err error
		v, err = s.Save(ctx, user, taikai.Record{Version: v}, taikai.Commit{EventID: "e", Outbox: []byte(ob)})
		if err != nil {
			t.Fatal(err)
		}
		if stored, _ := rdb.Get(ctx, key).Result(); stored != ob {
			t.Errorf("a %d B outbox stored as %d B; want it as it is", len(ob), len(stored))
		}
		r, _, _, err := s.LoadRecall(ctx, user, "e", "")
		if err != nil || string(r.Outbox) != ob {
			t.Errorf("loaded %q (%v); want %q", r.Outbox, err, ob)
		}
	}
}

// TestConversationsAreKeptSmallAndReadBack: a large conversation is stored
// deflated in the record and loaded as saved; a small one is stored as it is.
func TestConversationsAreKeptSmallAndReadBack(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()
	key := prefix + "{" + user + "}:rec"
	big := `{"step":"reason","conv":"c2862bfa758a26be","seq":4,"lang":"ja","status":{"account_id":"acc_b000002","display_name":"ベンチ 太郎2","rating":{"average":4.2,"count":12},"completed_orders":11,"purchases_in_progress":[],"sales_awaiting_delivery":[],"payouts_in_progress":[],"sales_balance_jpy":0},"shown":"2026-11-26T14:33:29.718Z","pressed":"a=continue\u0026c=c2862bfa758a26be\u0026s=3","pressed_at":"2026-11-26T14:33:29.718493709Z","checks":["2026-11-26T14:33:29.709091344Z"],"consent":{"language":"","reason_code":"","warning":{"version":"ja-a78e0b7ef73e","sha256":"adc47e5b435a3132bc917aaa23152010cd74d80a7fa240b88af61a1de0855b02","shown_at":"2026-11-26T14:33:29.709Z","acknowledged_at":"2026-11-26T14:33:29.714Z","rating":{"average":4.2,"count":12},"completed_orders":11},"confirm":{"version":"","sha256":"","shown_at":"","confirmed_at":""}},"started":"2026-11-26T14:33:29.701637552Z","updated":"2026-11-26T14:33:29.718493709Z"}` + "\n"
	small := `{"step":"idle","lang":"ja"}`
	var v int64
	for i, conv := range []string{big, small, big} {
		var err error
		v, err = s.Save(ctx, user, taikai.Record{Version: v, Conv: []byte(conv)}, taikai.Commit{EventID: "e"})
		if err != nil {
			t.Fatal(err)
		}
		stored := rdb.Get(ctx, key).Val()
		if conv == big && len(stored) >= len(big)*2/3 {
			t.Errorf("%d: a %d B conversation stored in a %d B record; want it deflated", i, len(big), len(stored))
		}
		if conv == small && !strings.HasSuffix(stored, "\n"+small) {
			t.Errorf("%d: a small conversation stored as %q; want it as it is", i, stored)
		}
		r, err := s.Load(ctx, user)
		if err != nil || string(r.Conv) != conv || r.Version != v {
			t.Errorf("%d: loaded %q, version %d (%v); want %q, %d", i, r.Conv, r.Version, err, conv, v)
		}
	}
}
