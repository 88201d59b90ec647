package e2e

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/lineemu"
	"github.com/taikaibot/taikai/marketplace/sandbox"
)

var stormUsers = flag.Int("storm.users", 60, "users per storm test (a long run: -storm.users=2000)")

// stormAccounts are clean sandbox accounts, one per storm user.
func stormAccounts(n int) []sandbox.Account {
	accs := make([]sandbox.Account, n)
	for i := range accs {
		accs[i] = sandbox.Account{ID: fmt.Sprintf("acc_s%05d", i), Name: fmt.Sprintf("ユーザー%d", i), Rating: taikai.Rating{Average: 4.1, Count: 9}, CompletedOrders: 9}
	}
	return accs
}

func stormUser(i int) string { return fmt.Sprintf("U%032x", 0x5701a000+i) }

// stats are what a storm run counts; every test prints them.
type stats struct {
	users, events     int
	deliveries, acked atomic.Int64 // webhook posts; posts answered 200
	unavailable       atomic.Int64 // posts answered 5xx or refused (retried, as LINE redelivers)
	processed         int64        // events processed by in-process replicas (-1: replicas are processes)
	replies, filings  int
	duplicates, lost  int
	outOfOrder        int
	elapsed           time.Duration
}

func (s *stats) String() string {
	processed := "n/a (replicas are processes)"
	if s.processed >= 0 {
		processed = fmt.Sprint(s.processed)
	}
	return fmt.Sprintf("users %d, events %d, deliveries %d (200: %d, refused/5xx: %d), processed %s, replies %d, filings %d, duplicates %d, lost %d, out of order %d, in %v",
		s.users, s.events, s.deliveries.Load(), s.acked.Load(), s.unavailable.Load(), processed, s.replies, s.filings, s.duplicates, s.lost, s.outOfOrder, s.elapsed.Round(time.Millisecond))
}

// storm has users walk the whole flow at once: link (pre-set), start plus a
// sticker in one body (order matters), continue, reason, confirm. Each event
// is delivered 1 to 3 times, to random replicas, sometimes concurrently, and
// redelivered until some replica answers 200, as LINE does. It returns the
// figures; the caller asserts on them.
func storm(t testing.TB, sys *demo.System, urls func() []string, users int, tick func(done int)) *stats {
	t.Helper()
	st := &stats{users: users}
	ctx := context.Background()
	for i := 0; i < users; i++ {
		if _, err := sys.Store.Save(ctx, stormUser(i), taikai.Record{Link: fmt.Sprintf("acc_s%05d", i)}, taikai.Commit{}); err != nil {
			t.Fatalf("pre-link: %v", err)
		}
	}
	emu := sys.Emulator
	var events atomic.Int64
	deliver := func(evs ...lineemu.Event) bool {
		events.Add(int64(len(evs)))
		copies := 1 + rand.IntN(3)
		var wg sync.WaitGroup
		var ok atomic.Bool
		send := func(n int) {
			defer wg.Done()
			body := emu.Body(evs...)
			if n > 0 {
				re := make([]lineemu.Event, len(evs))
				for i, ev := range evs {
					re[i] = lineemu.Redelivered(ev)
				}
				body = emu.Body(re...)
			}
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				us := urls()
				st.deliveries.Add(1)
				code, err := emu.PostTo(ctx, us[rand.IntN(len(us))]+"/callback", body)
				if err == nil && code == http.StatusOK {
					st.acked.Add(1)
					ok.Store(true)
					return
				}
				st.unavailable.Add(1)
				time.Sleep(time.Duration(50+rand.IntN(200)) * time.Millisecond)
			}
		}
		concurrent := rand.IntN(2) == 0
		for n := 0; n < copies; n++ {
			wg.Add(1)
			if concurrent {
				go send(n)
			} else {
				send(n)
			}
		}
		wg.Wait()
		return ok.Load()
	}
	waitFor := func(user string, n int) []lineemu.Message {
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if msgs := emu.Messages(user); len(msgs) >= n {
				return msgs
			}
			time.Sleep(5 * time.Millisecond)
		}
		return nil
	}
	button := func(m lineemu.Message, label string) string {
		for _, a := range m.Buttons() {
			if a.Label == label {
				return a.Data
			}
		}
		return ""
	}

	start := time.Now()
	var mu sync.Mutex
	var done, lost, outOfOrder int
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := 0; i < users; i++ {
		wg.Add(1)
		go func(u string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			fail := func(order bool) {
				mu.Lock()
				if order {
					outOfOrder++
				}
				lost++
				if lost <= 3 {
					var last []string
					for _, m := range emu.Messages(u) {
						last = append(last, strings.SplitN(m.Shown(), "\n", 2)[0])
					}
					t.Logf("user %s did not finish; saw %q", u, last)
				}
				mu.Unlock()
			}
			// Two events in one body: they must be answered in this order.
			deliver(emu.Text(u, "退会したい"), emu.Sticker(u))
			msgs := waitFor(u, 3)
			if msgs == nil {
				fail(false)
				return
			}
			if !strings.Contains(msgs[0].Shown(), "必ずご確認") || !strings.Contains(msgs[1].Shown(), "スタンプ") {
				fail(true)
				return
			}
			for step, label := range []string{"理解して次へ進む", "回答しない", "退会する"} {
				data := button(msgs[len(msgs)-1], label)
				if data == "" {
					fail(false)
					return
				}
				deliver(emu.Postback(u, data))
				if msgs = waitFor(u, 4+step); msgs == nil {
					fail(false)
					return
				}
			}
			if !strings.Contains(msgs[len(msgs)-1].Shown(), "受付番号") {
				fail(false)
				return
			}
			mu.Lock()
			done++
			if tick != nil {
				tick(done)
			}
			mu.Unlock()
		}(stormUser(i))
	}
	wg.Wait()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := sys.WaitContext(wctx); err != nil {
		n, _ := sys.Queue.Backlog(ctx)
		t.Errorf("queue not drained: %d events left (lost %d users so far)", n, lost)
	}
	time.Sleep(300 * time.Millisecond) // let any late duplicate land before counting
	st.elapsed = time.Since(start)
	st.events = int(events.Load())
	for i := 0; i < users; i++ {
		n := len(emu.Messages(stormUser(i)))
		st.replies += n
		if n > 6 {
			st.duplicates += n - 6
		}
	}
	st.filings = sys.Sandbox.Filed()
	st.processed = sys.Processed()
	if len(sys.Replicas) == 0 {
		st.processed = -1
	}
	st.lost, st.outOfOrder = lost, outOfOrder
	return st
}

// check asserts what every storm must hold: everyone finished, in order,
// exactly once.
func (s *stats) check(t testing.TB, sys *demo.System) {
	t.Helper()
	t.Logf("storm: %s", s)
	if s.lost != 0 || s.outOfOrder != 0 {
		t.Errorf("%d users did not finish (%d out of order)", s.lost, s.outOfOrder)
	}
	if s.duplicates != 0 {
		t.Errorf("%d duplicate replies", s.duplicates)
	}
	if s.filings != s.users {
		t.Errorf("%d filings for %d users; want exactly one each", s.filings, s.users)
	}
	// An event whose save went through but whose answer was lost (Redis
	// restarting) completes by sending its saved outbox, uncounted here.
	if s.processed > int64(s.events) {
		t.Errorf("processed %d events of %d: some more than once", s.processed, s.events)
	}
	for _, v := range sys.Emulator.Violations() {
		t.Errorf("LINE rule broken: %s", v)
	}
}

func replicaURLs(sys *demo.System) func() []string {
	return func() []string {
		us := make([]string, len(sys.Replicas))
		for i, r := range sys.Replicas {
			us[i] = r.URL
		}
		return us
	}
}

// TestStorm: a redelivery storm across three replicas on one Redis.
func TestStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("storm")
	}
	sys := startSystemWith(t, demo.Config{Replicas: 3, Partitions: 8, Accounts: stormAccounts(*stormUsers)})
	storm(t, sys, replicaURLs(sys), *stormUsers, nil).check(t, sys)
}
