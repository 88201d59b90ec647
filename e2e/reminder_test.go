package e2e

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/lineemu"
)

// TestAReminderIsSentOnceByManyReplicas: three replicas poll for the
// reminder at once, their background pollers too; the user gets it once,
// by push, and nothing is filed by it.
func TestAReminderIsSentOnceByManyReplicas(t *testing.T) {
	sys := startSystemWith(t, demo.Config{Start: conversationStart, Replicas: 3})
	var out bytes.Buffer
	chat := &demo.Chat{Sys: sys, In: strings.NewReader("退会したい\n1\nacc_payout\n2\n"), Out: &out}
	if err := chat.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "承知しました。11月28日（土）10:00に") {
		t.Fatalf("no reminder set:\n%s", out.String())
	}
	sys.Clock.Advance(5 * 24 * time.Hour)
	var wg sync.WaitGroup
	for _, r := range sys.Replicas {
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := r.Reminders.Poll(context.Background()); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	sys.Wait()
	var reminders []lineemu.Message
	for _, m := range sys.Emulator.Messages(user) {
		if strings.Contains(m.Shown(), "お知らせの時間になりましたので") {
			reminders = append(reminders, m)
		}
	}
	if len(reminders) != 1 {
		t.Errorf("the reminder was sent %d times; want once", len(reminders))
	}
	for _, v := range sys.Emulator.Violations() {
		t.Errorf("LINE rule broken: %s", v)
	}
	if n := sys.Sandbox.Filed(); n != 0 {
		t.Errorf("filed %d", n)
	}
	// Nothing is left to remind.
	if n, err := sys.Replicas[0].Reminders.Count(context.Background()); err != nil || n != 0 {
		t.Errorf("%d reminders left (%v)", n, err)
	}
}
