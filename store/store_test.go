package store_test

import (
	"context"
	"errors"
	"fmt"
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
	v, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{"step":"warning"}`), Link: "acc_clean", Version: 0}, taikai.Commit{})
	if err != nil || v != 1 {
		t.Fatalf("first Save = %d, %v; want 1, nil", v, err)
	}
	// A writer that loaded before that save loses.
	if _, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{"step":"reason"}`), Version: 0}, taikai.Commit{}); !errors.Is(err, taikai.ErrConflict) {
		t.Fatalf("stale Save err = %v; want ErrConflict", err)
	}
	r, err = s.Load(ctx, user)
	if err != nil || string(r.Conv) != `{"step":"warning"}` || r.Link != "acc_clean" || r.Version != 1 {
		t.Fatalf("Load = %+v, %v; want the first save", r, err)
	}
	// Ending the conversation and the link deletes them.
	if _, err := s.Save(ctx, user, taikai.Record{Version: 1}, taikai.Commit{}); err != nil {
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
	if _, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Link: "acc"}, taikai.Commit{}); err != nil {
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
	if _, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Link: "acc"}, taikai.Commit{}); err != nil {
		t.Fatal(err)
	}
	ttl := rdb.TTL(ctx, prefix+"{"+user+"}:rec").Val()
	if ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("conversation TTL %v; want about 1h", ttl)
	}
	if ttl := rdb.TTL(ctx, prefix+"{"+user+"}:link").Val(); ttl != -1 {
		t.Errorf("link TTL %v; want none (-1)", ttl)
	}
}

func TestAppliedEventsAndOutbox(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()
	var v int64
	for i := 0; i < 40; i++ {
		var err error
		v, err = s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Version: v}, taikai.Commit{EventID: fmt.Sprintf("e%d", i), Outbox: []byte(fmt.Sprintf("out%d", i))})
		if err != nil {
			t.Fatal(err)
		}
	}
	r, _ := s.Load(ctx, user)
	if !r.Applied("e39") || !r.Applied("e8") || r.Applied("e7") || len(r.Done) != 32 {
		t.Errorf("done = %v; want the latest 32 events, newest first", r.Done)
	}
	if r.Outbox != nil {
		t.Errorf("Load: outbox %q; want none (LoadRecall reads an event's)", r.Outbox)
	}
	load := func(event string) []byte {
		t.Helper()
		r, _, _, err := s.LoadRecall(ctx, user, event, "")
		if err != nil {
			t.Fatal(err)
		}
		return r.Outbox
	}
	if got := load("e39"); string(got) != "out39" {
		t.Errorf("outbox of e39 %q; want out39", got)
	}
	if got := load("e38"); string(got) != "out38" {
		t.Errorf("outbox of e38 %q; want out38, kept until sent", got)
	}
	s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Version: v}, taikai.Commit{EventID: "e40"})
	if got := load("e40"); got != nil {
		t.Errorf("an event with nothing to send has the outbox %q", got)
	}
	// Sent drops an event's outbox, and no other, within a moment.
	s.Sent(user, "e39")
	deadline := time.Now().Add(2 * time.Second)
	for load("e39") != nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := load("e39"); got != nil {
		t.Errorf("outbox of e39 %q after Sent; want it dropped", got)
	}
	if got := load("e38"); string(got) != "out38" {
		t.Errorf("outbox of e38 %q after e39's was sent; want it kept", got)
	}
}

func TestOlderFenceIsRefused(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()
	v, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`)}, taikai.Commit{EventID: "a", Fence: 7})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Version: v}, taikai.Commit{EventID: "b", Fence: 6}); !errors.Is(err, taikai.ErrFenced) {
		t.Errorf("older fence: %v; want ErrFenced", err)
	}
	if v, err = s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Version: v}, taikai.Commit{EventID: "c", Fence: 8}); err != nil {
		t.Errorf("newer fence: %v", err)
	}
	if v, err = s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Version: v}, taikai.Commit{EventID: "staff", Fence: taikai.NoFence}); err != nil {
		t.Errorf("a staff action: %v; want it saved", err)
	}
	if _, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Version: v}, taikai.Commit{EventID: "d", Fence: 7}); !errors.Is(err, taikai.ErrFenced) {
		t.Errorf("after a staff action, an older fence: %v; want still ErrFenced", err)
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
}

func TestRememberAndRecall(t *testing.T) {
	rdb, prefix, mr := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()
	if b, err := s.Recall(ctx, "0123abcd"); b != nil || err != nil {
		t.Fatalf("Recall(nothing) = %q, %v; want nil, nil", b, err)
	}
	if err := s.Remember(ctx, "0123abcd", []byte(`{"id":"wd-1"}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Recall(ctx, "0123abcd"); string(b) != `{"id":"wd-1"}` || err != nil {
		t.Fatalf("Recall = %q, %v", b, err)
	}
	if ttl := rdb.TTL(ctx, prefix+"memo:0123abcd").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL %s; want 1h", ttl)
	}
	if mr != nil {
		mr.FastForward(61 * time.Minute)
		if b, _ := s.Recall(ctx, "0123abcd"); b != nil {
			t.Errorf("recalled %q after its TTL", b)
		}
	}
}

// TestLoadRecallReadsTheMemoWithTheRecord: the record and a memo in one
// read; a memo not kept is nil; the record is the one Load gives.
func TestLoadRecallReadsTheMemoWithTheRecord(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()
	conv := "{\"step\":\"reason\",\"text\":\"line one\\nline two\"}\n"
	if _, err := s.Save(ctx, user, taikai.Record{Conv: []byte(conv), Link: "acc"}, taikai.Commit{EventID: "e1", Fence: 3}); err != nil {
		t.Fatal(err)
	}
	r, memo, ok, err := s.LoadRecall(ctx, user, "e1", "0123abcd")
	if err != nil || !ok || memo != nil || string(r.Conv) != conv || r.Link != "acc" || r.Version != 1 || !r.Applied("e1") {
		t.Fatalf("LoadRecall = %+v, %q, %v, %v; want the record, no memo", r, memo, ok, err)
	}
	if err := s.Remember(ctx, "0123abcd", []byte(`{"id":"wd-1"}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	r2, memo, ok, err := s.LoadRecall(ctx, user, "e1", "0123abcd")
	if err != nil || !ok || string(memo) != `{"id":"wd-1"}` || string(r2.Conv) != conv || r2.Version != r.Version {
		t.Fatalf("LoadRecall = %+v, %q, %v, %v; want the record and the memo", r2, memo, ok, err)
	}
}

// TestASaveWritesTheJournalWithTheRecord: a commit's journal write runs in
// the save's script once the record is saved, with the value of its first
// key as read with the record; a save that loses its compare-and-set runs
// none; without one, the save is as ever.
func TestASaveWritesTheJournalWithTheRecord(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	s := store.New(rdb, store.Options{Prefix: prefix, Journal: `
local was = 'none'
if CARD then was = CARD end
redis.call('SET', KEYS[1], ARGV[1])
return was`})
	ctx := context.Background()
	card := prefix + "console:{" + user + "}:case"
	w := &taikai.JournalWrite{Keys: []string{card}, Args: []any{"one"}}
	v, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`)}, taikai.Commit{EventID: "a", Journal: w})
	if err != nil || !w.Written || w.Result != "none" || rdb.Get(ctx, card).Val() != "one" {
		t.Fatalf("first save: %v, %+v, card %q; want the journal written, with no card before", err, w, rdb.Get(ctx, card).Val())
	}
	lost := &taikai.JournalWrite{Keys: []string{card}, Args: []any{"lost"}}
	if _, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Version: v - 1}, taikai.Commit{EventID: "b", Journal: lost}); !errors.Is(err, taikai.ErrConflict) {
		t.Fatalf("stale save: %v; want ErrConflict", err)
	}
	if lost.Written || rdb.Get(ctx, card).Val() != "one" {
		t.Errorf("a lost save wrote its journal (%+v, card %q)", lost, rdb.Get(ctx, card).Val())
	}
	w = &taikai.JournalWrite{Keys: []string{card}, Args: []any{"two"}}
	if v, err = s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Version: v}, taikai.Commit{EventID: "c", Journal: w}); err != nil || w.Result != "one" || rdb.Get(ctx, card).Val() != "two" {
		t.Errorf("second save: %v, %+v; want the card before (one) and two written", err, w)
	}
	if v2, err := s.Save(ctx, user, taikai.Record{Conv: []byte(`{}`), Version: v}, taikai.Commit{EventID: "d"}); err != nil || v2 != v+1 {
		t.Errorf("a save without a journal: %d, %v", v2, err)
	}
	if r, _ := s.Load(ctx, user); !r.Applied("d") || !r.Applied("a") || r.Applied("b") {
		t.Errorf("applied %v; want d, c, a", r.Done)
	}
}
