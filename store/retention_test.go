package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/redistest"
	"github.com/taikaibot/taikai/store"
)

// TestTheLinkExpiresAfterUnfollowOnly: a link saved for a user who blocked
// the bot expires after its TTL; a staff action keeps that expiry; a save
// by the user's own event (they followed again, or wrote) keeps the link
// for as long as they are around.
func TestTheLinkExpiresAfterUnfollowOnly(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()
	link := prefix + "{" + user + "}:link"
	save := func(r taikai.Record) {
		t.Helper()
		cur, err := s.Load(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		r.Version, r.Link = cur.Version, "acc_clean"
		if _, err := s.Save(ctx, user, r, taikai.Commit{EventID: "e"}); err != nil {
			t.Fatal(err)
		}
	}
	save(taikai.Record{})
	if ttl := rdb.PTTL(ctx, link).Val(); ttl != -1 {
		t.Errorf("linked: TTL %v; want none", ttl)
	}
	save(taikai.Record{LinkTTL: 30 * 24 * time.Hour})
	if ttl := rdb.PTTL(ctx, link).Val(); ttl <= 30*24*time.Hour-time.Minute || ttl > 30*24*time.Hour {
		t.Errorf("unfollowed: TTL %v; want 30 days", ttl)
	}
	save(taikai.Record{LinkTTL: taikai.KeepTTL})
	if ttl := rdb.PTTL(ctx, link).Val(); ttl <= 30*24*time.Hour-time.Minute || ttl > 30*24*time.Hour {
		t.Errorf("a staff action after the unfollow: TTL %v; want the 30 days kept", ttl)
	}
	save(taikai.Record{})
	if ttl := rdb.PTTL(ctx, link).Val(); ttl != -1 {
		t.Errorf("followed again: TTL %v; want none", ttl)
	}
	if r, _ := s.Load(ctx, user); r.Link != "acc_clean" {
		t.Errorf("link %q; want acc_clean throughout", r.Link)
	}
}

// TestAnErasingSaveLeavesOnlyWhatExpiresSoon: a save that erases (the user
// withdrew or unlinked) deletes the conversation, the link and the handoff
// state, and leaves only the record (the version, the applied events and
// the fence, no conversation) and the outbox, each expiring within the
// outbox's 10 minutes.
func TestAnErasingSaveLeavesOnlyWhatExpiresSoon(t *testing.T) {
	rdb, prefix, mr := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()
	v, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{"step":"confirm"}`), Link: "acc_clean"}, taikai.Commit{EventID: "a", Fence: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetHandoff(ctx, user, taikai.HandoffRequested); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(ctx, user, taikai.Record{Version: v}, taikai.Commit{EventID: "b", Fence: 4, Outbox: []byte(`{"event":"b"}`), Erase: true}); err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, k := range keys {
		left[k[len(prefix):]] = true
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 || ttl > 10*time.Minute {
			t.Errorf("%s: TTL %v; want at most 10 minutes", k, ttl)
		}
	}
	for _, k := range []string{"link", "handoff"} {
		if left["{"+user+"}:"+k] {
			t.Errorf("%s kept after erasing", k)
		}
	}
	if !left["{"+user+"}:rec"] || !left["{"+user+"}:out:b"] {
		t.Errorf("left %v; want the record and the outbox", left)
	}
	if raw := rdb.Get(ctx, prefix+"{"+user+"}:rec").Val(); strings.Contains(raw, "confirm") {
		t.Errorf("record after erasing: %q; want no conversation in it", raw)
	}
	if r, _, _, _ := s.LoadRecall(ctx, user, "b", ""); r.Conv != nil || !r.Applied("b") || string(r.Outbox) != `{"event":"b"}` {
		t.Errorf("after erasing: %+v; want the event recorded and its outbox kept for its sender", r)
	}
	if mr != nil {
		mr.FastForward(10*time.Minute + time.Second)
		if keys, _ := rdb.Keys(ctx, prefix+"*").Result(); len(keys) != 0 {
			t.Errorf("10 minutes later: %v; want nothing", keys)
		}
	}
}
