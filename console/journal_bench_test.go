package console

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/internal/redistest"
)

// commands reads how many commands Redis has executed, as INFO
// commandstats counts them (those a script runs included), by command.
func commands(ctx context.Context, rdb redis.UniversalClient) (map[string]int64, error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.SplitN(rest, ",", 2)[0], 10, 64)
		out[strings.TrimPrefix(name, "cmdstat_")] = n
	}
	return out, nil
}

// delta is what ran between two readings, but for the readings themselves.
func delta(before, after map[string]int64) (int64, string) {
	var n int64
	var parts []string
	for k, v := range after {
		if d := v - before[k]; d > 0 && k != "info" {
			n += d
			parts = append(parts, fmt.Sprintf("%s=%d", k, d))
		}
	}
	return n, strings.Join(parts, " ")
}

// BenchmarkJournalCommands reports the Redis commands the journal costs per
// event, as Redis counts them (INFO commandstats: a script's own commands
// included), for a step, a check that finds blockers and a filing, and the
// flush's share. It needs a real Redis (REDIS_URL) of its own: every
// client of the server counts.
//
//	REDIS_URL=redis://127.0.0.1:6379/12 go test -run '^$' -bench JournalCommands ./console
func BenchmarkJournalCommands(b *testing.B) {
	if os.Getenv("REDIS_URL") == "" {
		b.Skip("needs REDIS_URL: miniredis keeps no commandstats")
	}
	rdb, prefix, _ := redistest.Redis(b)
	ctx := context.Background()
	j := NewJournal(rdb, prefix, Retention{})
	at := time.Now().Add(-time.Hour)
	user := func(i int) string { return fmt.Sprintf("U%032x", i+1) }
	// Warm up: the script is loaded.
	j.Track(ctx, turnOf(user(-1), "message", at, flows.StepLinking, "w", flows.EvStarted))
	j.Flush(ctx)

	phases := []struct {
		name string
		turn func(i int) chat.Turn
	}{
		{"start", func(i int) chat.Turn {
			return turnOf(user(i), "postback", at, flows.StepLinking, fmt.Sprint("c", i), flows.EvStarted)
		}},
		{"step", func(i int) chat.Turn {
			return turnOf(user(i), "message", at.Add(2*time.Minute), flows.StepLinking, fmt.Sprint("c", i))
		}},
		{"blocked", func(i int) chat.Turn {
			t := turnOf(user(i), "accountLink", at.Add(4*time.Minute), flows.StepBlocked, fmt.Sprint("c", i), flows.EvLinked, flows.EvChecked, flows.EvBlocked)
			t.Checked = blockedStatus()
			return t
		}},
		{"filed", func(i int) chat.Turn {
			t := turnOf(user(i), "postback", at.Add(6*time.Minute), flows.StepIdle, "", flows.EvConfirmed, flows.EvFiled)
			t.Filing = &chat.Filing{Outcome: taikai.OutcomeFiled, AccountID: "acc_a", Key: "k", Receipt: "wd"}
			return t
		}},
	}
	b.ResetTimer()
	events := int64(0)
	for ph, p := range phases {
		before, err := commands(ctx, rdb)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			j.Track(ctx, p.turn(i))
		}
		after, _ := commands(ctx, rdb)
		n, detail := delta(before, after)
		events += int64(b.N)
		b.ReportMetric(float64(n)/float64(b.N), p.name+"-cmds/event")
		if ph == 0 || b.N > 1 {
			b.Logf("%s: %.2f commands per event (%s)", p.name, float64(n)/float64(b.N), detail)
		}
	}
	before, _ := commands(ctx, rdb)
	if err := j.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	after, _ := commands(ctx, rdb)
	n, detail := delta(before, after)
	b.ReportMetric(float64(n)/float64(events), "flush-cmds/event")
	b.Logf("flush of %d events, all in one batch: %d commands (%s)", events, n, detail)
}

// BenchmarkJournalConversations reports the journal's commands per event,
// flushes included, for whole withdrawals under load: users each go
// through eight events 40 seconds apart (start, link and a check that
// finds blockers, a check that clears them, the warning, a reason, the
// advice, confirming and filing), interleaved, with a flush every 500
// events (a replica taking 500 events a second).
//
//	REDIS_URL=redis://127.0.0.1:6379/12 go test -run '^$' -bench JournalConversations ./console
func BenchmarkJournalConversations(b *testing.B) {
	if os.Getenv("REDIS_URL") == "" {
		b.Skip("needs REDIS_URL: miniredis keeps no commandstats")
	}
	rdb, prefix, _ := redistest.Redis(b)
	ctx := context.Background()
	j := NewJournal(rdb, prefix, Retention{})
	at := time.Now().Add(-time.Hour)
	j.Track(ctx, turnOf(fmt.Sprintf("U%032x", 0), "message", at, flows.StepLinking, "w", flows.EvStarted))
	j.Flush(ctx)
	const perUser = 8
	users := max(1, b.N/perUser)
	step := func(u, k int) chat.Turn {
		user, conv, when := fmt.Sprintf("U%032x", u+1), fmt.Sprint("c", u), at.Add(time.Duration(k*40)*time.Second)
		switch k {
		case 0:
			return turnOf(user, "postback", when, flows.StepLinking, conv, flows.EvStarted)
		case 1:
			t := turnOf(user, "accountLink", when, flows.StepBlocked, conv, flows.EvLinked, flows.EvChecked, flows.EvBlocked)
			t.Checked = blockedStatus()
			return t
		case 2:
			t := turnOf(user, "postback", when, flows.StepWarning, conv, flows.EvChecked, flows.EvClear)
			t.Checked = &taikai.Status{AccountID: "acc_a"}
			return t
		case 3:
			return turnOf(user, "postback", when, flows.StepReason, conv, flows.EvWarned)
		case 4:
			t := turnOf(user, "postback", when, flows.StepHelp, conv, flows.EvReason)
			t.State.Reason = taikai.ReasonNotUsing
			return t
		case 5:
			return turnOf(user, "postback", when, flows.StepConfirm, conv)
		case 6:
			return turnOf(user, "message", when, flows.StepConfirm, conv)
		}
		t := turnOf(user, "postback", when, flows.StepIdle, "", flows.EvConfirmed, flows.EvFiled)
		t.Filing = &chat.Filing{Outcome: taikai.OutcomeFiled, AccountID: "acc_a", Key: "k", Receipt: "wd"}
		return t
	}
	before, err := commands(ctx, rdb)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	events := 0
	for k := 0; k < perUser; k++ {
		for u := 0; u < users; u++ {
			j.Track(ctx, step(u, k))
			if events++; events%500 == 0 {
				j.Flush(ctx)
			}
		}
	}
	j.Flush(ctx)
	after, _ := commands(ctx, rdb)
	n, detail := delta(before, after)
	b.ReportMetric(float64(n)/float64(events), "cmds/event")
	b.Logf("%d events of %d users: %.2f commands per event (%s)", events, users, float64(n)/float64(events), detail)
}
