package bot

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/taikaibot/taikai/flows"
)

func TestMemoReplaysAnAttemptRequestForRequest(t *testing.T) {
	var m memo
	runs := 0
	do := func() flows.Input { runs++; return flows.Input{Kind: flows.InStatus, Text: strings.Repeat("x", runs)} }
	check := flows.Effect{Kind: flows.EffCheck, AccountID: "acc_clean"}

	m.begin()
	a1, a2 := m.run(check, do), m.run(check, do) // asked twice in one attempt: run twice
	m.begin()
	b1, b2 := m.run(check, do), m.run(check, do)
	if runs != 2 || a1.Text != "x" || a2.Text != "xx" || b1 != a1 || b2 != a2 {
		t.Errorf("runs %d, results %q %q then %q %q; want 2 runs, the second attempt given the first's results in order", runs, a1.Text, a2.Text, b1.Text, b2.Text)
	}
	if other := m.run(flows.Effect{Kind: flows.EffCheck, AccountID: "acc_new"}, do); runs != 3 || other.Text != "xxx" {
		t.Errorf("another account's check: runs %d; want it run", runs)
	}
	staff := 0
	for range 2 {
		m.begin()
		m.run(flows.Effect{Kind: flows.EffAskStaff}, func() flows.Input { staff++; return flows.Input{Kind: flows.InStaffAsked} })
	}
	if staff != 2 {
		t.Errorf("staff queue effect run %d times; want it run at every attempt (not memoised)", staff)
	}
}

func TestMemoReportsAResultLeftUnapplied(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	var m memo
	link := flows.Effect{Kind: flows.EffResolveLink, Nonce: "nonce-1"}
	m.begin()
	m.run(link, func() flows.Input { return flows.Input{Kind: flows.InLinked, AccountID: "acc_clean"} })
	m.begin()
	m.run(link, func() flows.Input { t.Fatal("resolved again"); return flows.Input{} })
	m.report(log)
	if logs.Len() != 0 {
		t.Errorf("logged %q; want nothing: the last attempt took the result up", logs.String())
	}
	m.begin() // an attempt that no longer asks for it (staff took the conversation over)
	m.report(log)
	if !strings.Contains(logs.String(), "not applied") || !strings.Contains(logs.String(), "resolve_link") || strings.Contains(logs.String(), "acc_clean") {
		t.Errorf("logged %q; want the unapplied link reported, without the account", logs.String())
	}
}
