package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestAYesSentBeforeTheSummaryFilesNothing: a "退会します" the user sent
// before the confirm step was shown — here held back and delivered after
// it, as a delayed or replayed event would be — files nothing: the summary
// is shown again with a note. A press of its button, after, files.
func TestAYesSentBeforeTheSummaryFilesNothing(t *testing.T) {
	sys := startSystem(t)
	send(t, sys, sys.Emulator.Text(user, "退会したい"))
	linkAs(t, sys, "acc_clean")
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "理解して次へ進む")))
	early := sys.Emulator.Text(user, "退会します") // stamped now, at the reason step
	sys.Clock.Advance(2 * time.Second)
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "回答しない")))
	if ts := texts(sys); !strings.Contains(ts[len(ts)-1], "退会しますか") {
		t.Fatalf("not at the confirm step: %q", ts[len(ts)-1])
	}

	before := len(texts(sys))
	send(t, sys, early)
	if n := sys.Sandbox.Filed(); n != 0 {
		t.Fatalf("filed %d on a yes sent before the summary; want 0", n)
	}
	said := strings.Join(texts(sys)[before:], "\n")
	if !strings.Contains(said, "このご案内をお送りする前に送られたメッセージ") || !strings.Contains(said, "退会しますか") {
		t.Errorf("told %q; want the note and the summary again", said)
	}

	sys.Clock.Advance(time.Second)
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "退会する")))
	if n := sys.Sandbox.Filed(); n != 1 {
		t.Errorf("filed %d after the button was pressed; want 1", n)
	}
	noViolations(t, sys)
}
