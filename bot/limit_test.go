package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai/flows"
)

// TestFiftyChecksMakeThreeCalls: a user who asks to check again 50 times in
// a row, pressing and typing, costs the marketplace flows.MaxChecks status
// calls in a minute, not 50; past the limit each ask is answered.
func TestFiftyChecksMakeThreeCalls(t *testing.T) {
	h := newHarness(t)
	h.market.accounts["acc_clean"].SalesBalanceJPY = 3200 // blocked: the check button stays
	h.send(start)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"}) // a lookup
	for i := range 50 {
		h.advance(100 * time.Millisecond)
		if i%2 == 0 {
			h.send(h.press("check"))
		} else {
			h.send(flows.Input{Kind: flows.InText, Text: "もう一度確認する"})
		}
		if rs := h.last().replies; len(rs) == 0 {
			t.Fatalf("ask %d: no answer", i)
		}
	}
	if n := h.market.count("status"); n != flows.MaxChecks {
		t.Errorf("%d status calls; want %d", n, flows.MaxChecks)
	}
	if rs := h.last().replies; !strings.Contains(rs[0].Text, "確認が続いたため") {
		t.Errorf("last answer %+v; want the limit explained", rs)
	}
	h.advance(time.Minute)
	h.send(h.press("check"))
	if n := h.market.count("status"); n != flows.MaxChecks+1 {
		t.Errorf("a minute later: %d status calls; want %d", n, flows.MaxChecks+1)
	}
}
