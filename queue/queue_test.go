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

// recorder is a Dispatcher that records events per key and acks them.
type recorder struct {
	mu   sync.Mutex
	seen map[string][]string
	ack  bool
}

func (r *recorder) Enqueue(_ context.Context, evs []taikai.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range evs {
		r.seen[ev.Key] = append(r.seen[ev.Key], ev.ID)
		if ev.Fence == 0 {
			panic("event without a fencing token")
		}
		ev.Ack(r.ack)
	}
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ids := range r.seen {
		n += len(ids)
	}
	return n
}

func events(users, per int) []taikai.Event {
	var evs []taikai.Event
	for i := 0; i < per; i++ {
		for u := 0; u < users; u++ {
			evs = append(evs, taikai.Event{ID: fmt.Sprintf("e-%d-%d", u, i), Key: fmt.Sprintf("U%d", u), Raw: []byte(`{}`), Received: time.Now()})
		}
	}
	return evs
}

func TestAddDedupesAndRunDeliversInOrder(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	q := queue.New(rdb, queue.Options{Prefix: prefix, Partitions: 4, LeaseTTL: time.Second, Block: 50 * time.Millisecond})
	ctx := context.Background()
	evs := events(10, 5)
	if n, err := q.Add(ctx, evs); err != nil || n != 50 {
		t.Fatalf("Add = %d, %v; want 50", n, err)
	}
	if n, _ := q.Add(ctx, evs[:7]); n != 0 {
		t.Errorf("re-Add = %d; want 0 (duplicates)", n)
	}
	if n, _ := q.Backlog(ctx); n != 50 {
		t.Errorf("Backlog = %d; want 50", n)
	}
	r := &recorder{seen: map[string][]string{}, ack: true}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { q.Run(rctx, r, nil); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n, _ := q.Backlog(ctx); n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backlog not drained; delivered %d", r.count())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	for u := 0; u < 10; u++ {
		ids := r.seen[fmt.Sprintf("U%d", u)]
		for i, id := range ids {
			if want := fmt.Sprintf("e-%d-%d", u, i); id != want {
				t.Fatalf("user %d: event %d is %s; want %s (in order, once)", u, i, id, want)
			}
		}
		if len(ids) != 5 {
			t.Errorf("user %d: %d events; want 5", u, len(ids))
		}
	}
}

func TestUnackedEventsGoToTheNextOwner(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	opts := queue.Options{Prefix: prefix, Partitions: 2, LeaseTTL: 600 * time.Millisecond, Block: 50 * time.Millisecond}
	ctx := context.Background()
	a := queue.New(rdb, opts)
	a.Add(ctx, events(4, 3))

	// The first worker takes the events and never acks them, then vanishes
	// without releasing its leases (as a killed process would): its drain
	// never returns while the test runs.
	vanished := make(chan struct{})
	t.Cleanup(func() { close(vanished) })
	r1 := &recorder{seen: map[string][]string{}, ack: false}
	actx, stopA := context.WithCancel(ctx)
	go a.Run(actx, r1, func(context.Context) error { <-vanished; return nil })
	deadline := time.Now().Add(10 * time.Second)
	for r1.count() < 12 {
		if time.Now().After(deadline) {
			t.Fatalf("first worker got %d of 12 events", r1.count())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopA()

	opts.Consumer = "second"
	b := queue.New(rdb, opts)
	r2 := &recorder{seen: map[string][]string{}, ack: true}
	bctx, stopB := context.WithCancel(ctx)
	defer stopB()
	go b.Run(bctx, r2, nil)
	deadline = time.Now().Add(10 * time.Second)
	for r2.count() < 12 {
		if time.Now().After(deadline) {
			t.Fatalf("second worker got %d of 12 pending events", r2.count())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for u := 0; u < 4; u++ {
		ids := r2.seen[fmt.Sprintf("U%d", u)]
		for i, id := range ids {
			if want := fmt.Sprintf("e-%d-%d", u, i); id != want {
				t.Fatalf("user %d: claimed event %d is %s; want %s", u, i, id, want)
			}
		}
	}
}

// TestAReaderThatStopsGivesItsPartitionUp: when a partition's reader stops on
// an error of Redis's (here the stream's key holds a string, so the group
// cannot be made), the partition is not left owned and unread: it is taken
// again and its events are delivered once Redis allows.
func TestAReaderThatStopsGivesItsPartitionUp(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	stream := prefix + "{p0}:stream"
	if err := rdb.Set(ctx, stream, "not a stream", 0).Err(); err != nil {
		t.Fatal(err)
	}
	q := queue.New(rdb, queue.Options{Prefix: prefix, Partitions: 1, LeaseTTL: 600 * time.Millisecond, Block: 50 * time.Millisecond})
	rec := &recorder{seen: map[string][]string{}, ack: true}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { q.Run(rctx, rec, nil); close(done) }()
	defer func() { cancel(); <-done }()

	time.Sleep(300 * time.Millisecond) // the first reader has stopped by now
	if err := rdb.Del(ctx, stream).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := q.Add(ctx, events(1, 1)); err != nil || n != 1 {
		t.Fatalf("add: %d, %v", n, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for rec.count() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the partition was never read again after its reader stopped")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBatchedIntake: with Options.Batch (the deferred autopipeliner), a
// one-event Add stores once, dedupes, survives a Redis that lost its
// scripts, and concurrent Adds each get their own answer.
func TestBatchedIntake(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	c, ok := rdb.(*redis.Client)
	if !ok {
		t.Skipf("not a single-node client: %T", rdb)
	}
	ap, err := c.AsyncAutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	q := queue.New(rdb, queue.Options{Prefix: prefix, Partitions: 4, Batch: ap})
	ctx := context.Background()
	evs := events(40, 1)
	var wg sync.WaitGroup
	added := make([]int, len(evs))
	for i := range evs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			n, err := q.Add(ctx, evs[i:i+1])
			if err != nil {
				t.Error(err)
			}
			added[i] = n
		}(i)
	}
	wg.Wait()
	for i, n := range added {
		if n != 1 {
			t.Errorf("event %d: added %d; want 1", i, n)
		}
	}
	if n, err := q.Add(ctx, evs[:1]); err != nil || n != 0 {
		t.Errorf("again: %d, %v; want 0", n, err)
	}
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := q.Add(ctx, events(41, 1)[40:]); err != nil || n != 1 {
		t.Errorf("after SCRIPT FLUSH: %d, %v; want 1", n, err)
	}
	if n, err := q.Backlog(ctx); err != nil || n != 41 {
		t.Errorf("backlog %d, %v; want 41", n, err)
	}
}
