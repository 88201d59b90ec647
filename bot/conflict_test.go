package bot

import (
	"strings"
	"testing"

	"github.com/taikaibot/taikai/flows"
)

// bumpAfter makes another writer save the user's record right after the
// first call of method returns, before the bot saves: the bot's save loses
// its compare-and-set and the event is stepped again on fresh state.
func (h *harness) bumpAfter(method string) {
	done := false
	h.market.after = func(m string) {
		if m != method || done {
			return
		}
		done = true
		r := h.store.record(user)
		r.Version++
		h.store.put(user, r)
	}
}

// TestAConflictAfterTheResolveKeepsTheLink: the link nonce is single use.
// When the save loses a race after the nonce was resolved, the step runs
// again with the resolved account, without resolving the nonce again
// (which would be refused, and the link lost); the status is not looked up
// twice either.
func TestAConflictAfterTheResolveKeepsTheLink(t *testing.T) {
	h := newHarness(t)
	h.send(start)
	saves, loading := h.store.saves, h.ch.loading
	h.bumpAfter("resolve")
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})

	if got := h.store.saves - saves; got != 2 {
		t.Errorf("%d saves; want 2 (one lost to the other writer)", got)
	}
	if got := h.store.record(user).Link; got != "acc_clean" {
		t.Errorf("link %q; want acc_clean", got)
	}
	if n := h.market.count("resolve"); n != 1 {
		t.Errorf("nonce resolved %d times; want once", n)
	}
	if n := h.market.count("status"); n != 1 {
		t.Errorf("status looked up %d times; want once", n)
	}
	if n := h.ch.loading - loading; n != 1 {
		t.Errorf("loading shown %d times; want once", n)
	}
	rs := h.last().replies
	if len(rs) == 0 || !strings.Contains(rs[0].Text, "アカウントの連携が完了しました") {
		t.Errorf("told %+v; want the link confirmed", rs)
	}
	if n := len(h.ch.messages()); n != 2 {
		t.Errorf("%d message sets sent; want 2 (one per event)", n)
	}
}

// TestConflictsBeyondTheBoundKeepEffectResults: when every save of an
// attempt loses, the event is processed again as a whole; the effects'
// results are still kept.
func TestConflictsBeyondTheBoundKeepEffectResults(t *testing.T) {
	h := newHarness(t)
	h.send(start)
	h.store.loseRaces(maxSaves)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	if got := h.store.record(user).Link; got != "acc_clean" {
		t.Errorf("link %q; want acc_clean", got)
	}
	if n := h.market.count("resolve"); n != 1 {
		t.Errorf("nonce resolved %d times; want once", n)
	}
}

// TestAConflictAfterTheFilingFilesOnce: a filing whose save loses a race
// is not sent again: the step runs again with the receipt.
func TestAConflictAfterTheFilingFilesOnce(t *testing.T) {
	h := newHarness(t)
	h.send(start)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	h.send(h.press("continue"))
	h.send(h.press("reason", "none"))
	confirm := h.press("confirm")
	h.bumpAfter("withdraw")
	h.send(confirm)

	if n := h.market.count("withdraw"); n != 1 {
		t.Errorf("filing sent %d times; want once", n)
	}
	if h.market.filed != 1 {
		t.Errorf("filed %d; want 1", h.market.filed)
	}
	rs := h.last().replies
	if len(rs) == 0 || !strings.Contains(rs[0].Text, "wd-000001") {
		t.Errorf("told %+v; want the receipt", rs)
	}
	if got := h.store.record(user).Link; got != "" {
		t.Errorf("link %q after the withdrawal; want none", got)
	}
}
