package bot

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/flows"
)

func TestScrubHidesIDsAndInput(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("長", 2000)
	err := fmt.Errorf(`Post "https://api.example/v2/bot/user/%s/linkToken": EOF; account acc_clean; nonce nonce-7f3a9; refused %q`+"\nsecond line %s", user, long, user)
	got := h.b.scrub(err, user, "acc_clean", "nonce-7f3a9")
	for _, s := range []string{user, "acc_clean", "nonce-7f3a9", "長", "second line"} {
		if strings.Contains(got, s) {
			t.Errorf("scrubbed error %q holds %q", got, s)
		}
	}
	if !strings.Contains(got, h.b.pseudonym("acc_clean")) || !strings.Contains(got, "sha256:") || !strings.Contains(got, "EOF") {
		t.Errorf("scrubbed error %q; want the account's pseudonym, hashes of what was quoted, and what happened", got)
	}
	if len(got) > maxErrLog+len("…") {
		t.Errorf("scrubbed error of %d bytes; want at most %d", len(got), maxErrLog)
	}
	if s := h.b.scrub(errors.New(strings.Repeat("é", 500))); len(s) > maxErrLog+len("…") || !strings.HasSuffix(s, "…") || strings.ContainsRune(s, 0xfffd) {
		t.Errorf("capped to %q; want at most %d bytes, cut between characters", s, maxErrLog)
	}
}

// TestEffectErrorsAreLoggedWithoutIDs: a marketplace (or LINE) whose errors
// name the account, the nonce and the user — any adapter may — is logged
// with pseudonyms and hashes only.
func TestEffectErrorsAreLoggedWithoutIDs(t *testing.T) {
	h := newHarness(t)
	var logs bytes.Buffer
	h.b.log = slog.New(slog.NewJSONHandler(&logs, nil))
	h.market.accounts["acc_clean"].SalesBalanceJPY = 100 // blocked: to check again
	h.send(start)
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-1"})
	h.market.statusErr = fmt.Errorf("GET /v1/accounts/acc_clean/withdrawal-status (for %s): %w", user, taikai.ErrUnavailable)
	h.send(h.press("check"))
	h.market.statusErr = nil
	h.market.err = fmt.Errorf("resolving %q: %w", "nonce-2-secret", taikai.ErrUnavailable)
	h.market.nonces["nonce-2-secret"] = "acc_clean"
	h.send(flows.Input{Kind: flows.InLinkOK, Nonce: "nonce-2-secret"})
	h.market.err = nil
	h.market.accounts["acc_clean"].SalesBalanceJPY = 0
	h.send(h.press("check"))
	h.send(h.press("continue"))
	h.send(h.press("reason", "none"))
	h.send(h.press("confirm"))

	out := logs.String()
	for _, s := range []string{user, "acc_clean", "nonce-2-secret"} {
		if strings.Contains(out, s) {
			t.Errorf("logs hold %q:\n%s", s, out)
		}
	}
	for _, want := range []string{`"msg":"effect failed"`, h.b.pseudonym("acc_clean"), `"msg":"withdrawal filed"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
}
