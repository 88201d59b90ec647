package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/marketplace"
)

const token = "example-token-0123456789"

// start serves the example with a clock the test moves, and returns the
// bot's own marketplace client pointed at it.
func start(t *testing.T) (*marketplace.Client, *httptest.Server, *time.Time) {
	c, srv, now, _ := startServer(t)
	return c, srv, now
}

// startServer is start, with the example server itself.
func startServer(t *testing.T) (*marketplace.Client, *httptest.Server, *time.Time, *server) {
	t.Helper()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	s := newServer(token, "https://line.example/dialog", exampleAccounts(), func() time.Time { return now })
	srv := httptest.NewServer(s.routes())
	t.Cleanup(srv.Close)
	c, err := marketplace.NewClient(srv.URL, token, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, &now, s
}

// TestContractWithTheBotsClient runs the bot's marketplace client against the
// example: status, blockers, filing exactly once per key, 404s, the token.
func TestContractWithTheBotsClient(t *testing.T) {
	c, srv, _, example := startServer(t)
	ctx := context.Background()

	st, err := c.Status(ctx, "acc_clean")
	if err != nil || st.DisplayName != "山田 花子" || st.Blocked() {
		t.Fatalf("Status(acc_clean) = %+v, %v", st, err)
	}
	if _, err := c.Status(ctx, "acc_nobody"); !errors.Is(err, taikai.ErrNotFound) {
		t.Errorf("Status(unknown): %v, want ErrNotFound", err)
	}
	bad, _ := marketplace.NewClient(srv.URL, "wrong-token-0123456789", srv.Client())
	if _, err := bad.Status(ctx, "acc_clean"); err == nil {
		t.Errorf("a wrong token was accepted")
	}

	at := "2026-11-26T10:00:00.000Z"
	req := taikai.WithdrawalRequest{ReasonCode: taikai.ReasonNotUsing, Channel: "line", Consent: taikai.Consent{
		Language: "ja", ReasonCode: taikai.ReasonNotUsing,
		Warning: taikai.ConsentWarning{Shown: taikai.Shown{Version: "ja-0123456789ab", SHA256: strings.Repeat("0f", 32), ShownAt: at},
			AcknowledgedAt: at, Rating: taikai.Rating{Average: 4.8, Count: 52}, CompletedOrders: 50},
		Confirm: taikai.ConsentConfirm{Shown: taikai.Shown{Version: "ja-ba9876543210", SHA256: strings.Repeat("f0", 32), ShownAt: at}, ConfirmedAt: at},
	}}
	malformed := req
	malformed.Consent.Warning.SHA256 = "x"
	if _, err := c.Withdraw(ctx, "acc_clean", "k-0", malformed); err == nil || errors.Is(err, taikai.ErrNotFound) {
		t.Errorf("a malformed consent: %v; want refused (400)", err)
	}
	var blocked *taikai.BlockedError
	if _, err := c.Withdraw(ctx, "acc_balance", "k-balance", req); !errors.As(err, &blocked) || blocked.Status.SalesBalanceJPY != 3200 {
		t.Errorf("Withdraw(acc_balance) = %v, want blocked by the 3,200 yen balance", err)
	}
	first, err := c.Withdraw(ctx, "acc_clean", "k-1", req)
	if err != nil || first.WithdrawalID == "" {
		t.Fatalf("Withdraw(acc_clean) = %+v, %v", first, err)
	}
	again, err := c.Withdraw(ctx, "acc_clean", "k-1", req)
	if err != nil || *again != *first {
		t.Errorf("the same key again = %+v, %v; want the first answer %+v", again, err, first)
	}
	example.mu.Lock()
	got := example.consents["acc_clean"]
	example.mu.Unlock()
	if got.Warning.CompletedOrds != 50 || got.Confirm.ConfirmedAt != at {
		t.Errorf("the consent was not kept: %+v", got)
	}
	if _, err := c.Withdraw(ctx, "acc_clean", "k-2", req); !errors.Is(err, taikai.ErrNotFound) {
		t.Errorf("a new key after the withdrawal: %v, want ErrNotFound (the account is gone)", err)
	}
	if _, err := c.Status(ctx, "acc_clean"); !errors.Is(err, taikai.ErrNotFound) {
		t.Errorf("Status after the withdrawal: %v, want ErrNotFound", err)
	}
}

// TestAccountLink walks the link page: the login redirects to LINE's dialog
// with a nonce, which resolves once, and not after 10 minutes.
func TestAccountLink(t *testing.T) {
	c, srv, now := start(t)
	ctx := context.Background()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login := func() string {
		t.Helper()
		res, err := noRedirect.PostForm(srv.URL+"/line/link", url.Values{"linkToken": {"lt-1"}, "account_id": {"acc_clean"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc.String(), "https://line.example/dialog?") || loc.Query().Get("linkToken") != "lt-1" {
			t.Fatalf("login: %d to %q, want 303 to the dialog with the link token", res.StatusCode, loc)
		}
		if n := loc.Query().Get("nonce"); len(n) != 32 {
			t.Fatalf("nonce %q: want 128 bits in hex", n)
		}
		return loc.Query().Get("nonce")
	}

	res, err := http.Get(srv.URL + "/line/link?linkToken=lt-1")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("link page: %v %v", res.StatusCode, err)
	}
	res.Body.Close()

	n := login()
	if id, err := c.ResolveLink(ctx, n); err != nil || id != "acc_clean" {
		t.Errorf("ResolveLink = %q, %v", id, err)
	}
	if _, err := c.ResolveLink(ctx, n); !errors.Is(err, taikai.ErrNotFound) {
		t.Errorf("a used nonce: %v, want ErrNotFound", err)
	}
	n = login()
	*now = now.Add(nonceTTL + time.Second)
	if _, err := c.ResolveLink(ctx, n); !errors.Is(err, taikai.ErrNotFound) {
		t.Errorf("an expired nonce: %v, want ErrNotFound", err)
	}
}
