package queue_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
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

// TestOneNodeIntakeHonoursTwoStepBindings: on one node the intake is one
// script; an id bound by the two-step intake (Cluster's, or an earlier
// replica's) is stored where it was bound unless marked stored there, and
// a Redis that lost its scripts (restarted) still takes a batch, in order.
func TestOneNodeIntakeHonoursTwoStepBindings(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	q := queue.New(rdb, queue.Options{Prefix: prefix, Partitions: 4})
	ev := func(id, user string) taikai.Event {
		return taikai.Event{ID: id, Key: user, Raw: []byte(`{}`), Received: time.Now()}
	}
	// Bound to partition 2 and not stored (step 2 failed): stored there.
	rdb.Set(ctx, prefix+"evt:BOUND", "2", time.Hour)
	// Bound to partition 1 and marked stored there: skipped.
	rdb.Set(ctx, prefix+"evt:MARKED", "1", time.Hour)
	rdb.Set(ctx, prefix+"{p1}:evt:MARKED", "1", time.Hour)
	if n, err := q.Add(ctx, []taikai.Event{ev("BOUND", "Ua"), ev("MARKED", "Ub")}); err != nil || n != 1 {
		t.Fatalf("stored %d (%v); want 1", n, err)
	}
	if l := rdb.XLen(ctx, prefix+"{p2}:stream").Val(); l != 1 {
		t.Errorf("partition 2 holds %d; want the bound event", l)
	}
	if n, err := q.Add(ctx, []taikai.Event{ev("BOUND", "Ua")}); err != nil || n != 0 {
		t.Errorf("redelivered: %d stored (%v); want 0", n, err)
	}
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := q.Add(ctx, []taikai.Event{ev("N1", "Ua"), ev("N2", "Ub"), ev("BOUND", "Uc")}); err != nil || n != 2 {
		t.Errorf("after the scripts were flushed: %d stored (%v); want 2", n, err)
	}
	if b, _ := q.Backlog(ctx); b != 3 {
		t.Errorf("backlog %d; want 3", b)
	}
	// A user's events in one batch, the script missing: stored in order.
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := q.Add(ctx, []taikai.Event{ev("O1", "Uorder"), ev("O2", "Uorder"), ev("O3", "Uorder")}); err != nil || n != 3 {
		t.Fatalf("in order: %d stored (%v); want 3", n, err)
	}
	var got []string
	for p := 0; p < 4; p++ {
		for _, m := range rdb.XRange(ctx, prefix+"{p"+strconv.Itoa(p)+"}:stream", "-", "+").Val() {
			if m.Values["key"] == "Uorder" {
				got = append(got, m.Values["id"].(string))
			}
		}
	}
	if strings.Join(got, " ") != "O1 O2 O3" {
		t.Errorf("stored %v; want O1 O2 O3", got)
	}
}
