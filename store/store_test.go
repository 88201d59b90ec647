package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/redistest"
	"github.com/taikaibot/taikai/store"
)

const user = "Ue8dafe9e1ea8071f3031bf970cc75bcf"

func TestSaveIsCompareAndSet(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()

	r, err := s.Load(ctx, user)
	if err != nil || r.Version != 0 || r.Conv != nil || r.Link != "" {
		t.Fatalf("Load(new user) = %+v, %v; want zero record", r, err)
	}
	v, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{"step":"warning"}`), Link: "acc_clean", Version: 0})
	if err != nil || v != 1 {
		t.Fatalf("first Save = %d, %v; want 1, nil", v, err)
	}
	// A writer that loaded before that save loses.
	if _, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{"step":"reason"}`), Version: 0}); !errors.Is(err, taikai.ErrConflict) {
		t.Fatalf("stale Save err = %v; want ErrConflict", err)
	}
	r, err = s.Load(ctx, user)
	if err != nil || string(r.Conv) != `{"step":"warning"}` || r.Link != "acc_clean" || r.Version != 1 {
		t.Fatalf("Load = %+v, %v; want the first save", r, err)
	}
	// Ending the conversation and the link deletes them.
	if _, err := s.Save(ctx, user, taikai.Record{Version: 1}); err != nil {
		t.Fatal(err)
	}
	r, _ = s.Load(ctx, user)
	if r.Conv != nil || r.Link != "" || r.Version != 2 {
		t.Errorf("after erase: %+v; want no conversation, no link, version 2", r)
	}
}

func TestConversationExpiresButLinkStays(t *testing.T) {
	rdb, prefix, mr := redistest.Redis(t)
	if mr == nil {
		t.Skip("needs the embedded Redis's clock") // covered by TTL check below on a real Redis
	}
	s := store.New(rdb, store.Options{Prefix: prefix, ConvTTL: time.Hour})
	ctx := context.Background()
	if _, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Link: "acc"}); err != nil {
		t.Fatal(err)
	}
	mr.FastForward(2 * time.Hour)
	r, err := s.Load(ctx, user)
	if err != nil || r.Conv != nil || r.Link != "acc" || r.Version != 0 {
		t.Errorf("after TTL: %+v, %v; want conversation gone, link kept", r, err)
	}
}

func TestConversationHasTTL(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix, ConvTTL: time.Hour})
	ctx := context.Background()
	if _, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Link: "acc"}); err != nil {
		t.Fatal(err)
	}
	ttl := rdb.TTL(ctx, prefix+"{"+user+"}:conv").Val()
	if ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("conversation TTL %v; want about 1h", ttl)
	}
	if ttl := rdb.TTL(ctx, prefix+"{"+user+"}:link").Val(); ttl != -1 {
		t.Errorf("link TTL %v; want none (-1)", ttl)
	}
}

func TestFirstSeenDedupes(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()
	got, err := s.FirstSeen(ctx, []string{"e1", "e2"})
	if err != nil || !got[0] || !got[1] {
		t.Fatalf("FirstSeen(new) = %v, %v; want both new", got, err)
	}
	got, _ = s.FirstSeen(ctx, []string{"e2", "e3"})
	if got[0] || !got[1] {
		t.Errorf("FirstSeen(e2 again, e3) = %v; want [false true]", got)
	}
	if err := s.Forget(ctx, []string{"e2"}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.FirstSeen(ctx, []string{"e2"})
	if !got[0] {
		t.Errorf("after Forget, e2 not new")
	}
}

func TestRedisDownIsAnError(t *testing.T) {
	rdb, prefix, mr := redistest.Redis(t)
	if mr == nil {
		t.Skip("stops the embedded Redis")
	}
	s := store.New(rdb, store.Options{Prefix: prefix})
	mr.Close()
	if _, err := s.Load(context.Background(), user); err == nil {
		t.Error("Load with Redis down: no error")
	}
	if _, err := s.FirstSeen(context.Background(), []string{"x"}); err == nil {
		t.Error("FirstSeen with Redis down: no error")
	}
}
