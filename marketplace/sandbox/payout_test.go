package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
)

// clock is a clock a test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func call(s *Server, method, path string, body any) *httptest.ResponseRecorder {
	b, _ := json.Marshal(body)
	r := httptest.NewRequest(method, path, bytes.NewReader(b))
	r.Header.Set("Authorization", "Bearer t")
	r.Header.Set("Idempotency-Key", "k-1")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

func payouts(t *testing.T, s *Server, id string) []taikai.Payout {
	t.Helper()
	w := call(s, http.MethodGet, "/v1/accounts/"+id+"/withdrawal-status", nil)
	var st taikai.Status
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	return st.PayoutsInProgress
}

// TestAPayoutIsPaidOnItsDate: the demo's payouts are dated around the day
// the sandbox starts; a requested one blocks until its expected date is
// over in Japan, and a late one after it.
func TestAPayoutIsPaidOnItsDate(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 25, 19, 30, 0, 0, japan)}
	s := New(Options{Token: "t", Now: c.Now})
	if p := payouts(t, s, "acc_payout"); len(p) != 1 || p[0].RequestedAt != "2026-11-20" || p[0].ExpectedAt != "2026-11-27" {
		t.Fatalf("acc_payout on 25 November: %+v", p)
	}
	c.Add(52*time.Hour + 29*time.Minute) // 27 November, 23:59
	if len(payouts(t, s, "acc_payout")) != 1 {
		t.Errorf("paid before its day was over")
	}
	c.Add(2 * time.Minute)
	if p := payouts(t, s, "acc_payout"); len(p) != 0 {
		t.Errorf("28 November: still in progress: %+v", p)
	}

	late := New(Options{Token: "t", Now: (&clock{now: time.Date(2026, 11, 25, 19, 30, 0, 0, japan)}).Now})
	late.DelayPayouts()
	late.opts.Now = c.Now
	if p := payouts(t, late, "acc_payout"); len(p) != 1 {
		t.Errorf("a late payout was paid: %+v", p)
	}
	// Started on another day, the same account has its payout ahead of it.
	later := New(Options{Token: "t", Now: func() time.Time { return time.Date(2027, 3, 1, 9, 0, 0, 0, japan) }})
	if p := payouts(t, later, "acc_payout"); len(p) != 1 || p[0].ExpectedAt != "2027-03-03" {
		t.Errorf("started on 1 March 2027: %+v", p)
	}
}

// TestTheConsentIsKept: a filing's consent is checked and kept with the
// withdrawal; a malformed one is refused and files nothing.
func TestTheConsentIsKept(t *testing.T) {
	s := New(Options{Token: "t"})
	at := "2026-11-25T10:30:00.000Z"
	good := taikai.Consent{Language: "ja", ReasonCode: taikai.ReasonNone,
		Warning: taikai.ConsentWarning{Shown: taikai.Shown{Version: "ja-0123456789ab", SHA256: strings.Repeat("0f", 32), ShownAt: at}, AcknowledgedAt: at},
		Confirm: taikai.ConsentConfirm{Shown: taikai.Shown{Version: "ja-ba9876543210", SHA256: strings.Repeat("f0", 32), ShownAt: at}, ConfirmedAt: at}}
	bad := good
	bad.Confirm.SHA256 = "nope"
	other := good
	other.ReasonCode = taikai.ReasonOther
	for name, c := range map[string]taikai.Consent{"malformed": bad, "another reason": other} {
		w := call(s, http.MethodPost, "/v1/accounts/acc_clean/withdrawals", taikai.WithdrawalRequest{ReasonCode: taikai.ReasonNone, Channel: "line", Consent: c})
		if w.Code != http.StatusBadRequest || s.Filed() != 0 {
			t.Errorf("%s consent: %d, filed %d; want 400, nothing filed", name, w.Code, s.Filed())
		}
	}
	w := call(s, http.MethodPost, "/v1/accounts/acc_clean/withdrawals", taikai.WithdrawalRequest{ReasonCode: taikai.ReasonNone, Channel: "line", Consent: good})
	if got, ok := s.Consent("acc_clean"); w.Code != http.StatusCreated || !ok || got != good {
		t.Errorf("filed with consent: %d; kept %+v, %v", w.Code, got, ok)
	}
	w = call(s, http.MethodPost, "/v1/accounts/acc_new/withdrawals", taikai.WithdrawalRequest{ReasonCode: taikai.ReasonNone, Channel: "line"})
	if _, ok := s.Consent("acc_new"); w.Code != http.StatusCreated || ok {
		t.Errorf("filed without consent: %d, kept %v", w.Code, ok)
	}
}
