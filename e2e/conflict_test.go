package e2e

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/demo"
)

// TestAConflictAfterAnEffectRunsItOnce: through the real store, another
// writer saves the user's record right after the marketplace answered the
// link nonce's resolution, and again right after it answered the filing,
// so that the bot's save loses its compare-and-set each time. The nonce is
// resolved once and the link made; the filing is sent once and the user
// gets the receipt.
func TestAConflictAfterAnEffectRunsItOnce(t *testing.T) {
	var sys atomic.Pointer[demo.System]
	var mu sync.Mutex
	calls := map[string]int{}
	armed := map[string]bool{"resolve": true, "withdraw": true}
	bump := func(what string) {
		mu.Lock()
		calls[what]++
		first := armed[what]
		armed[what] = false
		mu.Unlock()
		if !first {
			return
		}
		// Another writer: a save of the record as it is, bumping its version.
		ctx := context.Background()
		s := sys.Load()
		rec, err := s.Store.Load(ctx, user)
		if err == nil {
			_, err = s.Store.Save(ctx, user, rec, taikai.Commit{EventID: "concurrent-" + what, Fence: taikai.NoFence})
		}
		if err != nil {
			t.Errorf("the other writer: %v", err)
		}
	}
	sys.Store(startSystemWith(t, demo.Config{MarketFaults: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			switch {
			case r.Method == http.MethodPost && r.URL.Path == "/v1/account-links":
				bump("resolve")
			case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/withdrawals"):
				bump("withdraw")
			}
		})
	}}))
	s := sys.Load()

	toConfirm(t, s, "acc_clean")
	rec, err := s.Store.Load(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Link != "acc_clean" {
		t.Errorf("link %q after a conflict following the resolution; want acc_clean", rec.Link)
	}
	if !strings.Contains(strings.Join(texts(s), "\n"), "アカウントの連携が完了しました") {
		t.Errorf("the link was not confirmed to the user: %q", texts(s))
	}
	send(t, s, s.Emulator.Postback(user, lastButton(t, s, "退会する")))
	mu.Lock()
	if calls["resolve"] != 1 || calls["withdraw"] != 1 {
		t.Errorf("marketplace calls %v; want the nonce resolved once and the filing sent once", calls)
	}
	mu.Unlock()
	if n := s.Sandbox.Filed(); n != 1 {
		t.Errorf("filed %d; want 1", n)
	}
	ts := texts(s)
	if last := ts[len(ts)-1]; !strings.Contains(last, "退会を受け付けました") {
		t.Errorf("last message %q; want the receipt", last)
	}
	noViolations(t, s)
}
