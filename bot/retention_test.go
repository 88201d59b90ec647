package bot

import (
	"context"
	"testing"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/flows"
)

// TestTheLinkOfAnUnfollowedUserExpires: blocking the bot bounds the link
// to UnfollowedLinkTTL; a staff action keeps that bound; following again
// lifts it.
func TestTheLinkOfAnUnfollowedUserExpires(t *testing.T) {
	h := newHarness(t)
	h.send(start)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	if r := h.store.record(user); r.LinkTTL != 0 {
		t.Errorf("linked: link TTL %v; want none", r.LinkTTL)
	}
	h.send(flows.Input{Kind: flows.InUnfollow})
	if r := h.store.record(user); r.Link != "acc_clean" || r.LinkTTL != UnfollowedLinkTTL {
		t.Errorf("unfollowed: link %q, TTL %v; want acc_clean for %v", r.Link, r.LinkTTL, UnfollowedLinkTTL)
	}
	if err := h.b.Pause(context.Background(), user); err != nil {
		t.Fatal(err)
	}
	if r := h.store.record(user); r.LinkTTL != taikai.KeepTTL {
		t.Errorf("paused by staff: link TTL %v; want it kept as it was", r.LinkTTL)
	}
	if err := h.b.Resume(context.Background(), user); err != nil {
		t.Fatal(err)
	}
	h.send(flows.Input{Kind: flows.InFollow, Unblocked: true})
	if r := h.store.record(user); r.Link != "acc_clean" || r.LinkTTL != 0 {
		t.Errorf("followed again: link %q, TTL %v; want acc_clean, no TTL", r.Link, r.LinkTTL)
	}
}

// TestUnlinkingErasesTheUser: unlinking, at rest or in the middle of a
// procedure, erases what is kept of the user (the language included);
// an account found gone in the middle of a procedure does not, since the
// user goes on to link again.
func TestUnlinkingErasesTheUser(t *testing.T) {
	for _, during := range []bool{false, true} {
		h := newHarness(t)
		h.send(start)
		h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
		if !during {
			h.send(h.press("cancel"))
		}
		h.send(flows.Input{Kind: flows.InText, Text: "連携解除"})
		r := h.store.record(user)
		ts := h.turns.all()
		if r.Link != "" || r.Conv != nil || !ts[len(ts)-1].Erased {
			t.Errorf("unlinked (during a procedure: %v): link %q, conversation %s, turn erased %v; want nothing kept", during, r.Link, r.Conv, ts[len(ts)-1].Erased)
		}
	}

	h := newHarness(t)
	h.market.accounts["acc_clean"].SalesBalanceJPY = 100
	h.send(start)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	delete(h.market.accounts, "acc_clean")
	h.send(h.press("check"))
	r := h.store.record(user)
	ts := h.turns.all()
	if r.Link != "" || r.Conv == nil || ts[len(ts)-1].Erased {
		t.Errorf("account gone: link %q, conversation %s, erased %v; want unlinked, the conversation kept (linking again)", r.Link, r.Conv, ts[len(ts)-1].Erased)
	}
}
