package marketplace_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/marketplace"
	"github.com/taikaibot/taikai/marketplace/sandbox"
	"github.com/taikaibot/taikai/retry"
)

func client(t *testing.T, h http.Handler, timeout time.Duration) *marketplace.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := marketplace.NewClient(srv.URL, "tok", &http.Client{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	c.Retry = retry.Policy{Attempts: 3, Backoff: time.Millisecond, MaxBackoff: time.Millisecond}
	return c
}

func sandboxClient(t *testing.T) (*marketplace.Client, *sandbox.Server, string) {
	sb := sandbox.New(sandbox.Options{Token: "tok"})
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	c, err := marketplace.NewClient(srv.URL, "tok", &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c, sb, srv.URL
}

func TestStatusDerivesBlockers(t *testing.T) {
	c, _, _ := sandboxClient(t)
	ctx := context.Background()
	for _, tc := range []struct {
		account string
		want    map[taikai.BlockerKind]int
	}{
		{"acc_clean", map[taikai.BlockerKind]int{}},
		{"acc_buyer", map[taikai.BlockerKind]int{taikai.BlockerPurchase: 1}},
		{"acc_seller", map[taikai.BlockerKind]int{taikai.BlockerDelivery: 1}},
		{"acc_payout", map[taikai.BlockerKind]int{taikai.BlockerPayout: 1}},
		{"acc_balance", map[taikai.BlockerKind]int{taikai.BlockerBalance: 1}},
		{"acc_many", map[taikai.BlockerKind]int{taikai.BlockerPurchase: 1, taikai.BlockerDelivery: 1, taikai.BlockerPayout: 1, taikai.BlockerBalance: 1}},
	} {
		st, err := c.Status(ctx, tc.account)
		if err != nil {
			t.Fatalf("%s: %v", tc.account, err)
		}
		got := st.Blockers()
		if len(got) != len(tc.want) {
			t.Errorf("%s: blockers %v; want %v", tc.account, got, tc.want)
		}
		for k, n := range tc.want {
			if got[k] != n {
				t.Errorf("%s: %s = %d; want %d", tc.account, k, got[k], n)
			}
		}
	}
	if _, err := c.Status(ctx, "acc_nobody"); !errors.Is(err, taikai.ErrNotFound) {
		t.Errorf("unknown account: %v; want ErrNotFound", err)
	}
}

func TestWithdrawIsIdempotent(t *testing.T) {
	c, sb, _ := sandboxClient(t)
	ctx := context.Background()
	req := taikai.WithdrawalRequest{ReasonCode: taikai.ReasonNotUsing, Channel: "line"}
	w1, err := c.Withdraw(ctx, "acc_clean", "k1", req)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := c.Withdraw(ctx, "acc_clean", "k1", req)
	if err != nil || w2.WithdrawalID != w1.WithdrawalID {
		t.Fatalf("repeat: %+v, %v; want the first answer %+v", w2, err, w1)
	}
	if sb.Filed() != 1 {
		t.Errorf("filed %d; want 1", sb.Filed())
	}
	if _, err := c.Status(ctx, "acc_clean"); !errors.Is(err, taikai.ErrNotFound) {
		t.Errorf("status after withdrawal: %v; want ErrNotFound", err)
	}
	var blocked *taikai.BlockedError
	if _, err := c.Withdraw(ctx, "acc_balance", "k2", req); !errors.As(err, &blocked) || blocked.Status.SalesBalanceJPY != 3200 {
		t.Errorf("blocked account: %v; want a BlockedError with the balance", err)
	}
}

func TestResolveLinkIsSingleUse(t *testing.T) {
	c, _, base := sandboxClient(t)
	ctx := context.Background()
	// Log in on the link page as a user would; it sends the user on to
	// LINE with a fresh nonce.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.PostForm(base+"/link", url.Values{"linkToken": {"lt-1"}, "account": {"acc_clean"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound {
		t.Fatalf("login: %d to %q (%v); want a redirect to LINE", res.StatusCode, res.Header.Get("Location"), err)
	}
	nonce := loc.Query().Get("nonce")
	if nonce == "" || loc.Query().Get("linkToken") != "lt-1" {
		t.Fatalf("redirect %s lacks the nonce or the link token", loc)
	}
	if acc, err := c.ResolveLink(ctx, nonce); err != nil || acc != "acc_clean" {
		t.Fatalf("first use: %q, %v; want acc_clean", acc, err)
	}
	if acc, err := c.ResolveLink(ctx, nonce); !errors.Is(err, taikai.ErrNotFound) {
		t.Errorf("second use: %q, %v; want ErrNotFound", acc, err)
	}
	if _, err := c.ResolveLink(ctx, "never-issued-nonce"); !errors.Is(err, taikai.ErrNotFound) {
		t.Errorf("unknown nonce: %v; want ErrNotFound", err)
	}
}

func TestFaults(t *testing.T) {
	var calls atomic.Int32
	flaky := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "oops", http.StatusBadGateway)
			return
		}
		w.Write([]byte(`{"account_id":"a","display_name":"x","rating":{"average":0,"count":0}}`))
	})
	if _, err := client(t, flaky, time.Second).Status(context.Background(), "a"); err != nil || calls.Load() != 2 {
		t.Errorf("one 502 then 200: %v after %d calls; want success on the retry", err, calls.Load())
	}

	down := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "", http.StatusServiceUnavailable) })
	if _, err := client(t, down, time.Second).Status(context.Background(), "a"); !errors.Is(err, taikai.ErrUnavailable) {
		t.Errorf("503: %v; want ErrUnavailable", err)
	}

	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	start := time.Now()
	if _, err := client(t, slow, 50*time.Millisecond).Withdraw(context.Background(), "a", "k", taikai.WithdrawalRequest{ReasonCode: "none"}); !errors.Is(err, taikai.ErrUnavailable) {
		t.Errorf("timeout: %v; want ErrUnavailable", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("timeout took %v", time.Since(start))
	}

	var links atomic.Int32
	linkDown := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		links.Add(1)
		http.Error(w, "", http.StatusInternalServerError)
	})
	if _, err := client(t, linkDown, time.Second).ResolveLink(context.Background(), "n"); !errors.Is(err, taikai.ErrUnavailable) || links.Load() != 1 {
		t.Errorf("link resolution: %v after %d calls; want ErrUnavailable and no retry (the nonce is single-use)", err, links.Load())
	}

	unauthorized := sandbox.New(sandbox.Options{Token: "right"}).Handler()
	if _, err := client(t, unauthorized, time.Second).Status(context.Background(), "acc_clean"); !errors.Is(err, taikai.ErrUnavailable) {
		t.Errorf("wrong token: %v; want an error", err)
	}
}
