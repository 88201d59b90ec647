package marketplace_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/marketplace"
	"github.com/taikaibot/taikai/retry"
)

// TestErrorsCarryNoAccountIDOrCredentials: what the client's errors say is
// logged, so they name the account by its pseudonym only, and never echo
// the URL (its path holds the account id, its user info a password).
func TestErrorsCarryNoAccountIDOrCredentials(t *testing.T) {
	const account, secret = "acc_4f9a_private", "s3cr3t-pw"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(200 * time.Millisecond) }))
	defer slow.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer failing.Close()
	for name, base := range map[string]string{
		"refused": "http://user:" + secret + "@" + closed,
		"timeout": strings.Replace(slow.URL, "http://", "http://user:"+secret+"@", 1),
		"5xx":     strings.Replace(failing.URL, "http://", "http://user:"+secret+"@", 1),
	} {
		c, err := marketplace.NewClient(base, "tok", &http.Client{Timeout: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		c.Retry = retry.Policy{Attempts: 1, Backoff: time.Millisecond, MaxBackoff: time.Millisecond}
		c.Pseudonym = func(id string) string { return "pseudo-" + string(rune('A'+len(id)%26)) }
		ctx := context.Background()
		_, err1 := c.Status(ctx, account)
		_, err2 := c.Withdraw(ctx, account, "key-1", taikai.WithdrawalRequest{ReasonCode: "none", Channel: "line"})
		for _, err := range []error{err1, err2} {
			if err == nil || !errors.Is(err, taikai.ErrUnavailable) {
				t.Errorf("%s: %v; want ErrUnavailable", name, err)
				continue
			}
			if s := err.Error(); strings.Contains(s, account) || strings.Contains(s, secret) || strings.Contains(s, "/v1/") {
				t.Errorf("%s: the error says %q", name, s)
			} else if !strings.Contains(s, c.Pseudonym(account)) {
				t.Errorf("%s: the error %q does not name the account by its pseudonym", name, s)
			}
		}
	}
	if _, err := marketplace.NewClient("ftp://user:"+secret+"@x", "tok", http.DefaultClient); err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("a bad base URL: %v; want an error that does not echo it", err)
	}
}
