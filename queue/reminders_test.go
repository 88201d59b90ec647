package queue_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/redistest"
	"github.com/taikaibot/taikai/queue"
)

func userN(i int) string { return fmt.Sprintf("U%032x", i+1) }

// streamed reads the reminders stored in every partition's stream.
func streamed(t *testing.T, rdb redis.UniversalClient, prefix string, parts int) map[string]time.Time {
	t.Helper()
	got := map[string]time.Time{}
	for p := 0; p < parts; p++ {
		msgs, err := rdb.XRange(context.Background(), fmt.Sprintf("%s{p%d}:stream", prefix, p), "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			id, _ := m.Values["id"].(string)
			key, _ := m.Values["key"].(string)
			raw, _ := m.Values["raw"].(string)
			user, due, ok := taikai.ParseReminder(taikai.Event{ID: id, Key: key, Raw: []byte(raw)})
			if !ok {
				t.Fatalf("stream holds %q, not a reminder", id)
			}
			if _, dup := got[user]; dup {
				t.Errorf("%s reminded twice", user)
			}
			got[user] = due
		}
	}
	return got
}

func score(t *testing.T, rdb redis.UniversalClient, prefix, user string) (float64, bool) {
	t.Helper()
	s, err := rdb.ZScore(context.Background(), prefix+"reminders", user).Result()
	if err == redis.Nil {
		return 0, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return s, true
}

// TestRemindersAreClaimedOnce: two replicas polling at once put each due
// reminder into the intake once between them, and leave those not due.
func TestRemindersAreClaimedOnce(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	opts := queue.Options{Prefix: prefix, Partitions: 4}
	var mu sync.Mutex
	due := 0
	counted := func(n int) { mu.Lock(); due += n; mu.Unlock() }
	a := queue.NewReminders(queue.New(rdb, opts), queue.ReminderOptions{Now: clock, Batch: 16, Due: counted})
	b := queue.NewReminders(queue.New(rdb, opts), queue.ReminderOptions{Now: clock, Batch: 16, Due: counted})
	const users = 120
	want := map[string]time.Time{}
	for i := 0; i < users; i++ {
		at := now.Add(-time.Duration(i) * time.Minute)
		if i%4 == 3 {
			at = now.Add(time.Duration(i) * time.Minute) // not due yet
		} else {
			want[userN(i)] = at
		}
		if err := a.Remind(ctx, userN(i), at); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	ns := make([]int, 2)
	for i, r := range []*queue.Reminders{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := r.Poll(ctx)
			if err != nil {
				t.Error(err)
			}
			ns[i] = n
		}()
	}
	wg.Wait()
	if ns[0]+ns[1] != len(want) || due != len(want) {
		t.Errorf("the pollers took %d and %d (counted %d); want %d in all", ns[0], ns[1], due, len(want))
	}
	got := streamed(t, rdb, prefix, 4)
	if len(got) != len(want) {
		t.Errorf("%d reminders stored; want %d", len(got), len(want))
	}
	for u, at := range want {
		if !got[u].Equal(at) {
			t.Errorf("%s: stored due %v; want %v", u, got[u], at)
		}
	}
	if n, _ := a.Count(ctx); n != users-int64(len(want)) {
		t.Errorf("%d reminders left; want %d (those not due)", n, users-len(want))
	}
	if n, _ := b.Poll(ctx); n != 0 {
		t.Errorf("a second poll took %d", n)
	}
}

// TestARemindersIsPutBackWhenTheIntakeFails: a reminder whose event cannot
// be stored goes back to its due time, and the next poll stores it.
func TestAReminderIsPutBackWhenTheIntakeFails(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { down.Close() })
	failing := queue.NewReminders(queue.New(rdb, queue.Options{Prefix: prefix, Partitions: 2, Intake: down}), queue.ReminderOptions{Now: clock})
	due := now.Add(-time.Minute)
	failing.Remind(ctx, userN(1), due)
	if n, err := failing.Poll(ctx); err == nil || n != 0 {
		t.Fatalf("Poll with the intake down = %d, %v; want an error", n, err)
	}
	if s, ok := score(t, rdb, prefix, userN(1)); !ok || s != float64(due.UnixMilli()) {
		t.Fatalf("after the failure: score %v, %v; want back at %d", s, ok, due.UnixMilli())
	}
	working := queue.NewReminders(queue.New(rdb, queue.Options{Prefix: prefix, Partitions: 2}), queue.ReminderOptions{Now: clock})
	if n, err := working.Poll(ctx); err != nil || n != 1 {
		t.Fatalf("next Poll = %d, %v; want 1", n, err)
	}
	if got := streamed(t, rdb, prefix, 2); !got[userN(1)].Equal(due) {
		t.Errorf("stored %v", got)
	}
}

// TestAnAbandonedClaimComesDueAgain: a poller that dies between claiming
// and storing leaves the reminder for another once the lease ends; a
// reminder set again meanwhile is the one that counts.
func TestAnAbandonedClaimComesDueAgain(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)
	q := queue.New(rdb, queue.Options{Prefix: prefix, Partitions: 2})
	r := queue.NewReminders(q, queue.ReminderOptions{Now: func() time.Time { return now }, Lease: time.Minute})
	r.Remind(ctx, userN(1), now.Add(-time.Second))
	r.Remind(ctx, userN(2), now.Add(-time.Second))
	claimOnly(t, rdb, prefix, now, now.Add(time.Minute))
	// Meanwhile user 2 asks again, for tomorrow.
	tomorrow := now.Add(24 * time.Hour)
	r.Remind(ctx, userN(2), tomorrow)

	within := queue.NewReminders(q, queue.ReminderOptions{Now: func() time.Time { return now.Add(30 * time.Second) }})
	if n, _ := within.Poll(ctx); n != 0 {
		t.Errorf("within the lease, another poller took %d", n)
	}
	after := queue.NewReminders(q, queue.ReminderOptions{Now: func() time.Time { return now.Add(61 * time.Second) }})
	if n, err := after.Poll(ctx); err != nil || n != 1 {
		t.Fatalf("after the lease: took %d, %v; want user 1's", n, err)
	}
	got := streamed(t, rdb, prefix, 2)
	if _, ok := got[userN(1)]; !ok || len(got) != 1 {
		t.Errorf("stored %v; want user 1's reminder only", got)
	}
	if s, ok := score(t, rdb, prefix, userN(2)); !ok || s != float64(tomorrow.UnixMilli()) {
		t.Errorf("user 2's new reminder: %v, %v", s, ok)
	}
}

// claimOnly claims what is due as a poll does, and does nothing more (a
// poller that died at once): the entries move to until.
func claimOnly(t *testing.T, rdb redis.UniversalClient, prefix string, now, until time.Time) {
	t.Helper()
	ctx := context.Background()
	due, err := rdb.ZRangeByScore(ctx, prefix+"reminders", &redis.ZRangeBy{Min: "-inf", Max: fmt.Sprint(now.UnixMilli())}).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range due {
		rdb.ZAddXX(ctx, prefix+"reminders", redis.Z{Score: float64(until.UnixMilli()), Member: u})
	}
}

func TestForgetRemovesAReminder(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	now := time.Now()
	r := queue.NewReminders(queue.New(rdb, queue.Options{Prefix: prefix, Partitions: 2}), queue.ReminderOptions{Now: func() time.Time { return now }})
	r.Remind(ctx, userN(1), now.Add(-time.Minute))
	r.Remind(ctx, userN(1), now.Add(time.Hour)) // set again: one reminder per user
	if n, _ := r.Count(ctx); n != 1 {
		t.Errorf("%d reminders; want 1", n)
	}
	if n, _ := r.Poll(ctx); n != 0 {
		t.Errorf("the reminder set again came due at the old time")
	}
	if err := r.Forget(ctx, userN(1)); err != nil {
		t.Fatal(err)
	}
	if _, ok := score(t, rdb, prefix, userN(1)); ok {
		t.Errorf("forgotten, still there")
	}
}
