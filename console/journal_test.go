package console

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/internal/redistest"
)

const (
	userA = "U0000000000000000000000000000000a"
	userB = "U0000000000000000000000000000000b"
)

// day0 is a Monday morning in Japan.
var day0 = time.Date(2026, 11, 2, 10, 0, 0, 0, jst)

func blockedStatus() *taikai.Status {
	return &taikai.Status{AccountID: "acc_a", DisplayName: "山田花子",
		PurchasesInProgress: []taikai.Order{{OrderID: "o-100", Title: "ロゴ制作", Counterparty: "Studio", Status: taikai.OrderDelivered}},
		PayoutsInProgress:   []taikai.Payout{{PayoutID: "p-7", AmountJPY: 45800, RequestedAt: "2026-10-30", ExpectedAt: "2026-11-10"}},
		SalesBalanceJPY:     1200}
}

func turnOf(user, typ string, at time.Time, step flows.Step, conv string, evs ...flows.Transition) chat.Turn {
	return chat.Turn{User: user, Type: typ, At: at, Pseudonym: "a1b2c3d4e5f6", Events: evs,
		State: flows.State{Step: step, Conv: conv, AccountID: "acc_a", Lang: flows.LangJa}}
}

// TestAWithdrawalThroughTheJournal follows one user from a first block to
// a withdrawal five days later, in a second conversation: the funnel
// counts each conversation once per stage, on the day it started; the
// clearance histograms count the days from the first block; and after the
// filing only counters and the audit entry are left.
func TestAWithdrawalThroughTheJournal(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	j := NewJournal(rdb, prefix, Retention{})
	now := day0.Add(6 * 24 * time.Hour)
	j.now = func() time.Time { return now }

	t1 := turnOf(userA, "postback", day0, flows.StepLinking, "c1", flows.EvStarted)
	t1.Replies = []flows.Reply{{Text: "連携してください", Link: &flows.Link{Label: "ログインして連携する", URL: "https://x/?linkToken=secret"}}}
	j.Track(ctx, t1)
	t2 := turnOf(userA, "accountLink", day0.Add(2*time.Minute), flows.StepBlocked, "c1", flows.EvLinked, flows.EvChecked, flows.EvBlocked)
	t2.Checked = blockedStatus()
	t2.State.Status = t2.Checked
	t2.Replies = []flows.Reply{{Text: "山田花子さんが退会するには…", Choices: []flows.Choice{{Label: "もう一度確認する", Data: "a=check"}}}}
	j.Track(ctx, t2)
	if err := j.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	c, ok, err := j.Case(ctx, userA)
	if err != nil || !ok {
		t.Fatalf("case: %v %v", ok, err)
	}
	if c.Step != "blocked" || c.Name != "山田花子" || c.Role != "buyer+seller" || c.Pseudonym != "a1b2c3d4e5f6" {
		t.Errorf("card %+v", c)
	}
	if st := c.Status; st == nil || len(st.Purchases) != 1 || st.Purchases[0].ID != "o-100" || st.Purchases[0].Title != "ロゴ制作" ||
		len(st.Payouts) != 1 || st.Payouts[0].Amount != 45800 || st.Payouts[0].Expected != "2026-11-10" || st.Balance != 1200 ||
		!st.At.Time().Equal(day0.Add(2*time.Minute)) {
		t.Errorf("blockers as checked: %+v", c.Status)
	}
	if s := c.Said; s == nil || len(s.Messages) != 1 || s.Messages[0].Text != "山田花子さんが退会するには…" || s.Messages[0].Buttons[0] != "もう一度確認する" {
		t.Errorf("said: %+v", c.Said)
	}
	if len(c.Timeline) != 2 || c.Timeline[0].Type != "accountLink" || strings.Join(c.Timeline[0].Events, ",") != "linked,checked,blocked" {
		t.Errorf("timeline: %+v", c.Timeline)
	}
	if got, _ := j.Find(ctx, "acc_a"); len(got) != 1 || got[0] != userA {
		t.Errorf("find by account: %v", got)
	}
	if got, _ := j.Find(ctx, "A1B2C3D4E5F6"); len(got) != 1 || got[0] != userA {
		t.Errorf("find by pseudonym: %v", got)
	}
	if got, _ := j.Find(ctx, userA); len(got) != 1 {
		t.Errorf("find by user id: %v", got)
	}
	if err := j.AddNote(ctx, userA, "alice", "電話で支払い方法を案内済み"); err != nil {
		t.Fatal(err)
	}

	// Five days later (less two minutes from the block), a new
	// conversation: cleared, then filed.
	d5 := day0.Add(5 * 24 * time.Hour)
	clean := &taikai.Status{AccountID: "acc_a", DisplayName: "山田花子"}
	t3 := turnOf(userA, "postback", d5, flows.StepWarning, "c2", flows.EvExpired, flows.EvStarted, flows.EvChecked, flows.EvClear)
	t3.Checked = clean
	j.Track(ctx, t3)
	j.Track(ctx, turnOf(userA, "postback", d5.Add(time.Minute), flows.StepReason, "c2", flows.EvWarned))
	t5 := turnOf(userA, "postback", d5.Add(2*time.Minute), flows.StepConfirm, "c2", flows.EvReason)
	t5.State.Reason = taikai.ReasonNotUsing
	j.Track(ctx, t5)
	t6 := turnOf(userA, "postback", d5.Add(20*time.Minute), flows.StepIdle, "", flows.EvConfirmed, flows.EvFiled)
	t6.Filing = &chat.Filing{Outcome: taikai.OutcomeFiled, AccountID: "acc_a", Key: "taikai-line-c2-0", Reason: taikai.ReasonNotUsing, Receipt: "wd-9"}
	j.Track(ctx, t6)
	if err := j.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	if _, ok, _ := j.Case(ctx, userA); ok {
		t.Error("the case card outlives the withdrawal")
	}
	if n, _ := rdb.Exists(ctx, j.notesKey(userA), j.findKey("a", "acc_a")).Result(); n != 0 {
		t.Errorf("%d of the notes and search keys outlive the withdrawal", n)
	}
	h, ts := j.pnKeys("a1b2c3d4e5f6")
	if u, err := rdb.HGet(ctx, h, "a1b2c3d4e5f6").Result(); err != redis.Nil {
		t.Errorf("the pseudonym's search entry outlives the withdrawal: %q, %v", u, err)
	}
	if _, err := rdb.ZScore(ctx, ts, "a1b2c3d4e5f6").Result(); err != redis.Nil {
		t.Errorf("the pseudonym's search time outlives the withdrawal (%v)", err)
	}
	if got, _ := j.Find(ctx, "a1b2c3d4e5f6"); len(got) != 0 {
		t.Errorf("the pseudonym still finds %v after the withdrawal", got)
	}
	for _, k := range []string{j.convsKey(), j.queueKey(qBlocked)} {
		if _, err := rdb.ZScore(ctx, k, userA).Result(); err != redis.Nil {
			t.Errorf("%s still names the user", k)
		}
	}
	ds, err := j.DaysTo(ctx, d5, 6)
	if err != nil {
		t.Fatal(err)
	}
	// The card moved from step to step and from day0 to day 5, and is
	// gone: it stands nowhere.
	var at []string
	for _, d := range ds {
		for k, v := range d.Counts {
			if strings.HasPrefix(k, "at:") && v != 0 {
				at = append(at, fmt.Sprintf("%s %s=%d", d.Date, k, v))
			}
		}
	}
	if len(at) > 0 {
		t.Errorf("an erased card still stands somewhere: %v", at)
	}
	first, last := ds[0].Counts, ds[5].Counts
	for _, tc := range []struct {
		c     Counts
		field string
		want  int64
	}{
		{first, "stage:started", 1}, {first, "stage:linked", 1}, {first, "stage:checked", 1}, {first, "stage:clear", 0},
		{first, "conv:blocked", 1}, {first, "ublk:purchase_in_progress", 1}, {first, "ublk:payout_in_progress", 1},
		{first, "ublk:sales_balance", 1}, {first, "ublk:any", 1}, {first, "ublk:sale_awaiting_delivery", 0},
		{first, "clr:purchase_in_progress:4", 1}, {first, "clr:any:4", 1}, {first, "fil:sales_balance:5", 1}, {first, "fil:any:5", 1},
		{last, "stage:started", 1}, {last, "stage:clear", 1}, {last, "stage:filed", 1}, {last, "funnel:filed", 1},
		{last, "reason:not_using", 1}, {last, "filing:filed", 1}, {last, "s2f:2", 1}, // 20 minutes: 15 to 30
		{last, "events:postback", 4},
	} {
		if got := tc.c[tc.field]; got != tc.want {
			t.Errorf("%s = %d; want %d", tc.field, got, tc.want)
		}
	}
	es, err := j.Audit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Kind != auditFiling || es[0].Receipt != "wd-9" || es[0].User != "a1b2c3d4e5f6" ||
		es[1].Kind != auditNote || es[1].Staff != "alice" || es[1].Chars != 13 {
		t.Errorf("audit: %+v", es)
	}
}

// TestTheStaffQueue: asking for a person, staff taking over and handing
// back move the user through the queues; staff's reply and note are on the
// card, and a card gone drops out of the lists.
func TestTheStaffQueue(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	j := NewJournal(rdb, prefix, Retention{})
	now := day0
	j.now = func() time.Time { return now }

	asked := turnOf(userB, "postback", now, flows.StepWarning, "c9", flows.EvHandedOff)
	asked.Handoff = taikai.HandoffRequested
	j.Track(ctx, asked)
	j.Flush(ctx)
	now = now.Add(40 * time.Minute)
	q, err := j.Queue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if q.Waiting != 1 || !q.Oldest.Equal(day0) {
		t.Errorf("queue %+v; want one waiting since %v", q, day0)
	}
	l, err := j.Lists(ctx, Sizes{Queue: 50, Attention: 10, Recent: 50}, 72*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Waiting) != 1 || l.Waiting[0].User != userB || !l.Waiting[0].Asked.Equal(day0) || len(l.Recent) != 1 {
		t.Fatalf("lists %+v", l)
	}

	paused := turnOf(userB, "pause", now, flows.StepWarning, "c9")
	paused.Handoff = taikai.HandoffPaused
	j.Track(ctx, paused)
	if err := j.StaffAct(ctx, userB, "bob", auditPause, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := j.StaffAct(ctx, userB, "bob", auditReply, "担当の佐藤です。", "k1"); err != nil {
		t.Fatal(err)
	}
	j.Flush(ctx)
	if q, _ := j.Queue(ctx); q.Waiting != 0 || q.WithStaff != 1 {
		t.Errorf("after the pause: %+v; want none waiting, one with staff", q)
	}
	c, _, _ := j.Case(ctx, userB)
	if c.Staff != "bob" || c.StaffSaid == nil || c.StaffSaid.Text != "担当の佐藤です。" || c.Timeline[0].Type != auditReply || c.Timeline[0].By != "bob" {
		t.Errorf("card after pause and reply: staff %q, said %+v, timeline %+v", c.Staff, c.StaffSaid, c.Timeline[0])
	}

	resumed := turnOf(userB, "resume", now, flows.StepWarning, "c9")
	j.Track(ctx, resumed)
	j.Flush(ctx)
	if q, _ := j.Queue(ctx); q.WithStaff != 0 {
		t.Errorf("after resuming: %+v", q)
	}
	if c, _, _ := j.Case(ctx, userB); c.Staff != "" {
		t.Errorf("staff %q after resuming", c.Staff)
	}

	// The card expires (or is erased): the lists drop it.
	rdb.Del(ctx, j.caseKey(userB))
	if l, _ := j.Lists(ctx, Sizes{Queue: 50, Attention: 10, Recent: 50}, 72*time.Hour); len(l.Recent) != 0 {
		t.Errorf("a gone card is listed: %+v", l.Recent)
	}
	if n, _ := rdb.ZCard(ctx, j.convsKey()).Result(); n != 0 {
		t.Errorf("the index keeps %d gone cards", n)
	}
}

// roundTrips counts Redis round trips: one per command, one per pipeline
// (but for a new connection's handshake).
type roundTrips struct{ n atomic.Int64 }

func handshake(c redis.Cmder) bool {
	switch c.Name() {
	case "hello", "client", "select", "auth":
		return true
	}
	return false
}

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake(cmd) {
			r.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && !handshake(cmds[0]) {
			r.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// TestAnEventIsOneRoundTrip: whatever an event did — a step, a check, a
// filing — the journal writes it in one round trip; counters wait for the
// flush.
func TestAnEventIsOneRoundTrip(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	j := NewJournal(rdb, prefix, Retention{})
	j.Track(ctx, turnOf(userA, "message", day0, flows.StepLinking, "c1", flows.EvStarted)) // loads the script
	rt := &roundTrips{}
	rdb.AddHook(rt)
	blocked := turnOf(userA, "accountLink", day0.Add(time.Minute), flows.StepBlocked, "c1", flows.EvLinked, flows.EvChecked, flows.EvBlocked)
	blocked.Checked = blockedStatus()
	filed := turnOf(userA, "postback", day0.Add(time.Hour), flows.StepIdle, "", flows.EvConfirmed, flows.EvFiled)
	filed.Filing = &chat.Filing{Outcome: taikai.OutcomeFiled, AccountID: "acc_a", Key: "k", Receipt: "wd-1"}
	for i, tr := range []chat.Turn{
		turnOf(userA, "message", day0.Add(time.Second), flows.StepLinking, "c1"),
		blocked,
		{Type: "malformed"},
		filed,
	} {
		before := rt.n.Load()
		j.Track(ctx, tr)
		if n := rt.n.Load() - before; (tr.User == "" && n != 0) || (tr.User != "" && n != 1) {
			t.Errorf("event %d: %d round trips", i, n)
		}
	}
	before := rt.n.Load()
	if err := j.Flush(ctx); err != nil || rt.n.Load()-before != 1 {
		t.Errorf("flush: %v, %d round trips; want one", err, rt.n.Load()-before)
	}
}

// TestForgetLeavesNoIndexEntry: `taikai erase` removes the user from every
// index (the keys under the user's hash tag it deletes itself).
func TestForgetLeavesNoIndexEntry(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	j := NewJournal(rdb, prefix, Retention{})
	tr := turnOf(userA, "postback", time.Now(), flows.StepBlocked, "c1", flows.EvHandedOff, flows.EvBlocked)
	tr.Handoff = taikai.HandoffRequested
	tr.Checked = blockedStatus()
	j.Track(ctx, tr)
	j.Flush(ctx)
	n, err := j.Forget(ctx, userA)
	if err != nil {
		t.Fatal(err)
	}
	// convs, q:waiting, q:blocked, find:a, find:p
	if n != 5 {
		t.Errorf("Forget removed %d entries; want 5", n)
	}
	keys, _ := rdb.Keys(ctx, prefix+"*").Result()
	for _, k := range keys {
		if strings.Contains(k, "{"+userA+"}") || strings.Contains(k, ":day:") || strings.HasSuffix(k, "steps") {
			continue
		}
		t.Errorf("%s is left after Forget", k)
	}
	if got, _ := j.Find(ctx, "acc_a"); len(got) != 0 {
		t.Errorf("found after Forget: %v", got)
	}
}

func TestComputeTheOverview(t *testing.T) {
	today := day0.AddDate(0, 0, 40)
	var ds []Day
	for i := 39; i >= 0; i-- {
		ds = append(ds, Day{Date: day(today.AddDate(0, 0, -i)), Counts: Counts{}})
	}
	ds[0].Counts.Add(Counts{"stage:started": 100, "stage:linked": 90, "stage:checked": 88, "stage:clear": 60, "stage:warned": 58,
		"stage:reason": 40, "stage:confirmed": 38, "stage:filed": 37, "ublk:purchase_in_progress": 10, "ublk:any": 10,
		"fil:purchase_in_progress:3": 4, "fil:purchase_in_progress:10": 2, "fil:purchase_in_progress:20": 1,
		"clr:purchase_in_progress:2": 3, "clr:purchase_in_progress:3": 2, "clr:purchase_in_progress:9": 2, "s2f:5": 3, "s2f:7": 1})
	ds[30].Counts.Add(Counts{"ublk:purchase_in_progress": 5, "fil:purchase_in_progress:1": 5}) // 9 days ago
	f := compute(ds, today, flows.StaffLabels(flows.LangJa), &wordsJa)
	var got []string
	for _, s := range f.Funnel {
		got = append(got, fmt.Sprintf("%s %d %.1f %v", s.Event, s.Count, s.FromPrev, s.Biggest))
	}
	want := "started 100 -1.0 false|linked 90 90.0 false|checked 88 97.8 false|clear 60 68.2 true|warned 58 96.7 false|" +
		"reason 40 69.0 false|confirmed 38 95.0 false|filed 37 97.4 false"
	if strings.Join(got, "|") != want {
		t.Errorf("funnel:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	c := f.Clearance[0]
	// Within 7 days both cohorts are old enough (15 users, 4+5 filed);
	// within 14 and 30 only the first (10 users; 6, then 7 filed).
	if c.Blocked != 15 || c.Rates[0] != (rate{7, 9, 15}) || c.Rates[1] != (rate{14, 6, 10}) || c.Rates[2] != (rate{30, 7, 10}) ||
		c.Cleared != 7 || c.Median != 3 {
		t.Errorf("clearance %+v", c)
	}
	if f.Filings != 4 || f.S2FMedian != 5 {
		t.Errorf("start to filing: %d filings, median bucket %d; want 4 and 5", f.Filings, f.S2FMedian)
	}
	if len(f.Reasons.X) != 6 || len(f.Trend.X) != 40 {
		t.Errorf("%d reason columns (weeks), %d trend points", len(f.Reasons.X), len(f.Trend.X))
	}
}

// zCommands counts the ZADD and ZREM commands sent in pipelines.
type zCommands struct{ n atomic.Int64 }

func (z *zCommands) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (z *zCommands) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (z *zCommands) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if c.Name() == "zadd" || c.Name() == "zrem" {
				z.n.Add(1)
			}
		}
		return next(ctx, cmds)
	}
}

// TestFlushWritesEachIndexInOneCommand: a flush changes each sorted set
// with one ZADD and one ZREM at most, and every member ends as its last
// change in the batch left it.
func TestFlushWritesEachIndexInOneCommand(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	j := NewJournal(rdb, prefix, Retention{})
	rdb.ZAdd(ctx, j.convsKey(), redis.Z{Score: 1, Member: "Uold"})
	zc := &zCommands{}
	rdb.AddHook(zc)
	q := j.queueKey(qWaiting)
	for _, o := range []op{
		{kind: opZAdd, key: j.convsKey(), member: "U1", score: 10},
		{kind: opZAdd, key: j.convsKey(), member: "U2", score: 20},
		{kind: opZAdd, key: q, member: "U3", score: 5},
		{kind: opZRem, key: j.convsKey(), member: "U1"},
		{kind: opZRem, key: j.convsKey(), member: "Uold"},
		{kind: opZRem, key: q, member: "U3"},
		{kind: opZAdd, key: j.convsKey(), member: "U2", score: 30},
		{kind: opZAdd, key: q, member: "U3", score: 7},
		{kind: opZAdd, key: j.convsKey(), member: "U4", score: 40},
	} {
		j.pending.op(o)
	}
	if err := j.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := zc.n.Load(); got != 3 {
		t.Errorf("%d ZADD/ZREM commands; want 3 (convs: one of each; waiting: one ZADD)", got)
	}
	convs, _ := rdb.ZRangeWithScores(ctx, j.convsKey(), 0, -1).Result()
	want := []redis.Z{{Score: 30, Member: "U2"}, {Score: 40, Member: "U4"}}
	if fmt.Sprint(convs) != fmt.Sprint(want) {
		t.Errorf("convs %v; want %v", convs, want)
	}
	waiting, _ := rdb.ZRangeWithScores(ctx, q, 0, -1).Result()
	if fmt.Sprint(waiting) != fmt.Sprint([]redis.Z{{Score: 7, Member: "U3"}}) {
		t.Errorf("waiting %v; want U3 at 7", waiting)
	}
}

// TestThePseudonymSearchForgetsPastTheRetention: an entry written 31 days
// ago is not found, and Recount drops it; a fresh one stays.
func TestThePseudonymSearchForgetsPastTheRetention(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	now := time.Now()
	j := NewJournal(rdb, prefix, Retention{})
	j.SetClock(func() time.Time { return now })
	old := turnOf(userA, "message", now.Add(-31*24*time.Hour), flows.StepIdle, "")
	old.Pseudonym = "0a0a0a0a0a0a"
	j.Track(ctx, old)
	fresh := turnOf(userB, "message", now, flows.StepIdle, "")
	fresh.Pseudonym = "0b0b0b0b0b0b"
	j.Track(ctx, fresh)
	if err := j.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := j.Find(ctx, "0a0a0a0a0a0a"); len(got) != 0 {
		t.Errorf("an entry past the retention finds %v", got)
	}
	if got, _ := j.Find(ctx, "0b0b0b0b0b0b"); len(got) != 1 || got[0] != userB {
		t.Errorf("a fresh entry finds %v; want %s", got, userB)
	}
	if err := j.Recount(ctx); err != nil {
		t.Fatal(err)
	}
	h, _ := j.pnKeys("0a0a0a0a0a0a")
	if n, _ := rdb.HLen(ctx, h).Result(); n != 1 {
		t.Errorf("after Recount the bucket holds %d entries; want only the fresh one", n)
	}
	if got, _ := j.Find(ctx, "0b0b0b0b0b0b"); len(got) != 1 {
		t.Errorf("after Recount the fresh entry finds %v", got)
	}
}

// TestAGreetingKeepsNoCard: a user with no conversation, no link and no
// staff who only says hello is counted by the day and keeps nothing per
// user; once they start, the card is made, and later greetings go on it.
func TestAGreetingKeepsNoCard(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	ctx := context.Background()
	j := NewJournal(rdb, prefix, Retention{})
	hello := chat.Turn{User: userA, Type: "message", At: day0, Pseudonym: "a1b2c3d4e5f6",
		State:   flows.State{Step: flows.StepIdle, Lang: flows.LangJa},
		Replies: []flows.Reply{{Text: "こんにちは。マーケットプレイスの退会サポートです。"}}}
	j.Track(ctx, hello)
	if err := j.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	keys, _ := rdb.Keys(ctx, prefix+"*").Result()
	for _, k := range keys {
		if strings.Contains(k, ":day:") || strings.HasSuffix(k, "steps") {
			continue
		}
		t.Errorf("a greeting left %s", k)
	}
	if _, ok, err := j.Case(ctx, userA); err != nil || ok {
		t.Errorf("a greeting made a case (%v)", err)
	}

	j.Track(ctx, turnOf(userA, "postback", day0.Add(time.Minute), flows.StepLinking, "c1", flows.EvStarted))
	hello.At = day0.Add(2 * time.Minute)
	j.Track(ctx, hello)
	c, ok, err := j.Case(ctx, userA)
	if err != nil || !ok {
		t.Fatalf("no case after a start: %v", err)
	}
	if len(c.Timeline) != 2 {
		t.Errorf("timeline %d entries; want the start and the greeting after it", len(c.Timeline))
	}
}
