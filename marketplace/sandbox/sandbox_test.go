package sandbox

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestExpiredNoncesAreDropped: nonces that were never resolved do not pile
// up in memory once they have expired.
func TestExpiredNoncesAreDropped(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	s := New(Options{Token: "t", Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	h := s.Handler()
	login := func() {
		form := url.Values{"linkToken": {"lt"}, "account": {"acc_clean"}}
		r := httptest.NewRequest(http.MethodPost, "/link", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusFound {
			t.Fatalf("login: %d", w.Code)
		}
	}
	for range 1000 {
		login()
	}
	mu.Lock()
	now = now.Add(NonceTTL + time.Minute)
	mu.Unlock()
	login()
	s.mu.Lock()
	n := len(s.nonces)
	s.mu.Unlock()
	if n != 1 {
		t.Errorf("%d nonces kept after 1,000 expired; want only the live one", n)
	}
}

// TestAFailedLoginSaysHowToGetANewLink: a login that cannot be completed
// (no link token: the page was opened without one, or left open) tells the
// user to go back to LINE for a new link, not just that it failed.
func TestAFailedLoginSaysHowToGetANewLink(t *testing.T) {
	h := New(Options{Token: "t"}).Handler()
	for _, form := range []url.Values{{"account": {"acc_clean"}}, {"linkToken": {"lt"}, "account": {"acc_nobody"}}} {
		r := httptest.NewRequest(http.MethodPost, "/link", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if body := w.Body.String(); w.Code != http.StatusBadRequest || !strings.Contains(body, "LINEのトークに戻り") || !strings.Contains(body, "新しいリンク") {
			t.Errorf("%v: %d %q; want 400 saying to go back to LINE for a new link", form, w.Code, body)
		}
	}
}
