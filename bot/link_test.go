package bot

import (
	"strings"
	"testing"

	"github.com/taikaibot/taikai/flows"
)

// TestAStaleNonceLeavesTheLink: a linked user who sends an account-link
// event with a nonce the marketplace does not know, or with the nonce that
// made the link (used now), keeps the link, in a conversation and out of
// one, and is told the attempt was not valid.
func TestAStaleNonceLeavesTheLink(t *testing.T) {
	h := newHarness(t)
	h.send(start)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	if got := h.store.record(user).Link; got != "acc_clean" {
		t.Fatalf("linked to %q; want acc_clean", got)
	}
	check := func(when string) {
		t.Helper()
		if got := h.store.record(user).Link; got != "acc_clean" {
			t.Errorf("%s: link %q; want acc_clean kept", when, got)
		}
		if got := h.last().replies; len(got) == 0 || !strings.Contains(got[0].Text, "現在のアカウント連携はそのままです") {
			t.Errorf("%s: told %+v; want that the attempt was not valid and the link is unchanged", when, got)
		}
	}
	// At the warning step.
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-unknown-7f3a"})
	check("unknown nonce, in a conversation")
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	check("used nonce, in a conversation")
	// The conversation goes on where it was.
	h.send(h.press("continue"))

	// Out of a conversation.
	h.send(h.press("cancel"))
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-unknown-7f3a"})
	check("unknown nonce, idle")
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	check("used nonce, idle")
}
