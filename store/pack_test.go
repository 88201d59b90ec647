package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/redistest"
	"github.com/taikaibot/taikai/store"
)

// TestOutboxesAreKeptSmallAndReadBack: a large outbox is stored deflated
// and loaded as it was saved; a small one, and one stored as it was by an
// earlier version, load as they are.
func TestOutboxesAreKeptSmallAndReadBack(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()
	key := prefix + "{" + user + "}:out:e"
	big := `{"event":"e1","reply_token":"0123456789abcdef","chat":"` + user + `","received":1,"saved":2,"messages":[` +
		strings.Repeat(`{"type":"text","text":"退会のお手続きには、アカウントの連携が必要です。","quickReply":{"items":[{"type":"action","action":{"type":"postback","label":"退会をやめる","data":"a=stop&c=5eed","displayText":"退会をやめる"}}]}},`, 3) +
		`{"type":"text","text":"."}]}`
	var v int64
	for i, ob := range []string{big, `{"event":"e2"}`} {
		var err error
		v, err = s.Save(ctx, user, taikai.Record{Version: v}, taikai.Commit{EventID: "e", Outbox: []byte(ob)})
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := rdb.Get(ctx, key).Result()
		if i == 0 && len(stored) >= len(big)/2 {
			t.Errorf("a %d B outbox stored in %d B; want it deflated", len(big), len(stored))
		}
		if i == 1 && stored != ob {
			t.Errorf("a small outbox stored as %q; want it as it is", stored)
		}
		r, _, _, err := s.LoadRecall(ctx, user, "e", "")
		if err != nil || string(r.Outbox) != ob {
			t.Errorf("loaded %q (%v); want %q", r.Outbox, err, ob)
		}
	}
	rdb.Set(ctx, key, big, 0)
	if r, _, _, err := s.LoadRecall(ctx, user, "e", ""); err != nil || string(r.Outbox) != big {
		t.Errorf("an outbox stored as it is: loaded %q (%v)", r.Outbox, err)
	}
}
