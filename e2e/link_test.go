package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestAStaleNonceLeavesTheLink links the demo user through the real link
// page, then has LINE send account-link events (result ok) for that user
// with a nonce the marketplace never issued and with the nonce that made
// the link (used now): each time the link stays as it is, in Redis, and
// the user is told the attempt was not valid.
func TestAStaleNonceLeavesTheLink(t *testing.T) {
	sys := startSystem(t)
	// Between LINE and the bot, to learn the nonce the real link used.
	var mu sync.Mutex
	var nonces []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var cb struct {
			Events []struct {
				Type string `json:"type"`
				Link struct {
					Nonce string `json:"nonce"`
				} `json:"link"`
			} `json:"events"`
		}
		if json.Unmarshal(body, &cb) == nil {
			mu.Lock()
			for _, ev := range cb.Events {
				if ev.Type == "accountLink" {
					nonces = append(nonces, ev.Link.Nonce)
				}
			}
			mu.Unlock()
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, sys.BotURL+"/callback", bytes.NewReader(body))
		req.Header = r.Header.Clone()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
	}))
	defer proxy.Close()
	sys.Emulator.SetWebhookURL(proxy.URL)

	send(t, sys, sys.Emulator.Text(user, "退会したい"))
	linkAs(t, sys, "acc_clean")
	link := func() string {
		t.Helper()
		rec, err := sys.Store.Load(context.Background(), user)
		if err != nil {
			t.Fatal(err)
		}
		return rec.Link
	}
	if got := link(); got != "acc_clean" {
		t.Fatalf("linked to %q; want acc_clean", got)
	}
	mu.Lock()
	if len(nonces) != 1 {
		t.Fatalf("account-link events seen: %d; want 1", len(nonces))
	}
	used := nonces[0]
	mu.Unlock()

	for _, tc := range []struct{ name, nonce string }{
		{"an unknown nonce", "nonce-never-issued-5c1e"},
		{"the used nonce", used},
	} {
		before := len(texts(sys))
		send(t, sys, sys.Emulator.AccountLink(user, tc.nonce, true))
		if got := link(); got != "acc_clean" {
			t.Errorf("%s: link %q; want acc_clean kept", tc.name, got)
		}
		said := strings.Join(texts(sys)[before:], "\n")
		if !strings.Contains(said, "今回の連携の操作は無効でした") || !strings.Contains(said, "現在のアカウント連携はそのままです") {
			t.Errorf("%s: the user was told %q; want that the attempt was not valid and the link unchanged", tc.name, said)
		}
	}
	noViolations(t, sys)
}
