package console

import (
	"context"
	"fmt"
	"testing"

	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/internal/redistest"
)

// TestStepCountsAreRecountedOnceAMinute: the counts per step are what the
// last recount found; a recount within the minute (another replica's) is
// skipped, and the next minute's sees what changed.
func TestStepCountsAreRecountedOnceAMinute(t *testing.T) {
	rdb, prefix, mr := redistest.Redis(t)
	if mr == nil {
		t.Skip("needs the embedded Redis, to move its clock")
	}
	ctx := context.Background()
	a, b := NewJournal(rdb, prefix, Retention{}), NewJournal(rdb, prefix, Retention{})
	add := func(n int, step flows.Step) {
		for i := range n {
			u := fmt.Sprintf("U%s%028d", step[:4], i)
			a.Track(ctx, chat.Turn{User: u, Type: "message", State: flows.State{Step: step, Conv: "c" + u}})
		}
		if err := a.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	counts := func(j *Journal) string {
		c, err := j.StepCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("reason=%v blocked=%v idle=%v", c["reason"], c["blocked"], c["idle"])
	}
	if got := counts(b); got != "reason=0 blocked=0 idle=0" {
		t.Errorf("before any recount: %s; want zeros", got)
	}
	add(3, flows.StepReason)
	if err := a.RefreshStepCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := counts(b); got != "reason=3 blocked=0 idle=0" {
		t.Errorf("after a recount: %s", got)
	}
	add(2, flows.StepBlocked)
	b.RefreshStepCounts(ctx) // within the minute: skipped
	if got := counts(a); got != "reason=3 blocked=0 idle=0" {
		t.Errorf("a second recount within the minute ran: %s", got)
	}
	mr.FastForward(StepsEvery)
	if err := b.RefreshStepCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := counts(a); got != "reason=3 blocked=2 idle=0" {
		t.Errorf("the next minute's recount: %s", got)
	}
	// A user moves on: counted once, at the new step.
	u := fmt.Sprintf("U%s%028d", "reas", 0)
	a.Track(ctx, chat.Turn{User: u, Type: "message", State: flows.State{Step: flows.StepConfirm, Conv: "c" + u}})
	a.Flush(ctx)
	mr.FastForward(StepsEvery)
	if err := b.RefreshStepCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.StepCounts(ctx); c["reason"] != 2 || c["confirm"] != 1 {
		t.Errorf("after a move: reason=%v confirm=%v; want 2 and 1", c["reason"], c["confirm"])
	}
}
