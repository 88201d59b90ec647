package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/redistest"
	"github.com/taikaibot/taikai/store"
)

// TestAConversationCanAskToBeKeptLonger: a record's ConvTTL keeps its
// conversation (and the save's bookkeeping) past the store's default, never
// shorter; the next save without it goes back to the default.
func TestAConversationCanAskToBeKeptLonger(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix, ConvTTL: time.Hour})
	ctx := context.Background()
	ttl := func(key string) time.Duration {
		t.Helper()
		d, err := rdb.PTTL(ctx, prefix+"{"+user+"}:"+key).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	v, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), ConvTTL: 30 * 24 * time.Hour}, taikai.Commit{EventID: "e1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rec"} {
		if d := ttl(k); d < 29*24*time.Hour || d > 30*24*time.Hour {
			t.Errorf("%s kept %v; want 30 days (the conversation with the version and applied events)", k, d)
		}
	}
	if _, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Version: v, ConvTTL: time.Minute}, taikai.Commit{EventID: "e2"}); err != nil {
		t.Fatal(err)
	}
	if d := ttl("rec"); d < 59*time.Minute || d > time.Hour {
		t.Errorf("asked for less than the default: kept %v; want the default hour", d)
	}
}
