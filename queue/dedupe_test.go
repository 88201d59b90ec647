package queue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/redistest"
	"github.com/taikaibot/taikai/queue"
)

// TestAnEventIDIsSeenOnceWhateverItsPartition: dedupe is on the event id
// alone, across every partition — the same id under another user, or
// after QUEUE_PARTITIONS changed under a rolling deploy, is not stored again.
func TestAnEventIDIsSeenOnceWhateverItsPartition(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	q4 := queue.New(rdb, queue.Options{Prefix: prefix, Partitions: 4})
	ev := func(id, user string) []taikai.Event {
		return []taikai.Event{{ID: id, Key: user, Raw: []byte(`{}`), Received: time.Now()}}
	}
	if n, err := q4.Add(ctx, ev("01EVENT", "Ua")); err != nil || n != 1 {
		t.Fatalf("first: %d, %v", n, err)
	}
	// Users whose partitions differ from Ua's.
	for i := range 20 {
		if n, err := q4.Add(ctx, ev("01EVENT", fmt.Sprintf("Uother%d", i))); err != nil || n != 0 {
			t.Errorf("the same id for another user: %d stored (%v); want 0", n, err)
		}
	}
	for _, parts := range []int{3, 5, 8, 16} {
		q := queue.New(rdb, queue.Options{Prefix: prefix, Partitions: parts})
		if n, err := q.Add(ctx, ev("01EVENT", "Ua")); err != nil || n != 0 {
			t.Errorf("redelivered to a replica with %d partitions: %d stored (%v); want 0", parts, n, err)
		}
	}
	backlog, _ := q4.Backlog(ctx)
	if backlog != 1 {
		t.Errorf("backlog %d; want the one event", backlog)
	}
}
