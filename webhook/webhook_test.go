package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/lineemu"
	"github.com/taikaibot/taikai/webhook"
)

const secret = "8c570fa6dd201bb328f1c1eac23a96d8"

// intake is a fake: a map of seen ids and a list of stored events.
type intake struct {
	mu   sync.Mutex
	seen map[string]bool
	evs  []taikai.Event
	fail bool
}

func (q *intake) Add(_ context.Context, evs []taikai.Event) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail {
		return 0, errors.New("redis down")
	}
	n := 0
	for _, ev := range evs {
		if !q.seen[ev.ID] {
			q.seen[ev.ID] = true
			q.evs = append(q.evs, ev)
			n++
		}
	}
	return n, nil
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/webhook/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func post(h http.Handler, body []byte, sig string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/callback", bytes.NewReader(body))
	if sig != "" {
		req.Header.Set("X-Line-Signature", sig)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func newHandler() (*webhook.Handler, *intake) {
	q := &intake{seen: map[string]bool{}}
	// The fixtures' events happened on 2026-07-15; the handler is told it is
	// a minute after the last of them, inside the window of replays.
	return &webhook.Handler{Secret: secret, Intake: q, Now: func() time.Time { return time.UnixMilli(1784078012487).Add(time.Minute) }}, q
}

func TestOfficialTestVector(t *testing.T) {
	h, q := newHandler()
	body := fixture(t, "verify_empty_events.json")
	rec := post(h, body, "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs=")
	if rec.Code != http.StatusOK || len(q.evs) != 0 {
		t.Errorf("verify: %d with %d events; want 200, none", rec.Code, len(q.evs))
	}
}

func TestSignature(t *testing.T) {
	body := fixture(t, "message_text_taikai.json")
	for _, tc := range []struct {
		name, sig string
		want      int
	}{
		{"missing", "", http.StatusBadRequest},
		{"wrong", lineemu.Sign("another-secret", body), http.StatusBadRequest},
		{"garbage", "not base64!", http.StatusBadRequest},
		{"right", lineemu.Sign(secret, body), http.StatusOK},
	} {
		h, q := newHandler()
		rec := post(h, body, tc.sig)
		if rec.Code != tc.want {
			t.Errorf("%s signature: %d; want %d", tc.name, rec.Code, tc.want)
		}
		if tc.want != http.StatusOK && len(q.evs) != 0 {
			t.Errorf("%s signature: events were handed over", tc.name)
		}
	}
}

func TestBodyOverCapIs413(t *testing.T) {
	h, q := newHandler()
	body := []byte(`{"destination":"x","events":[],"pad":"` + strings.Repeat("a", webhook.MaxBody) + `"}`)
	rec := post(h, body, lineemu.Sign(secret, body))
	if rec.Code != http.StatusRequestEntityTooLarge || len(q.evs) != 0 {
		t.Errorf("huge body: %d; want 413", rec.Code)
	}
}

func TestEveryFixtureIsAccepted(t *testing.T) {
	entries, _ := os.ReadDir("../testdata/webhook")
	want := map[string]int{ // events handed over
		"two_events_same_user.json": 2, "verify_empty_events.json": 0, "one_malformed_event.json": 2,
	}
	for _, e := range entries {
		body := fixture(t, e.Name())
		h, q := newHandler()
		rec := post(h, body, lineemu.Sign(secret, body))
		if rec.Code != http.StatusOK {
			t.Errorf("%s: %d; want 200", e.Name(), rec.Code)
		}
		n, ok := want[e.Name()]
		if !ok {
			n = 1
		}
		if len(q.evs) != n {
			t.Errorf("%s: %d events handed over; want %d", e.Name(), len(q.evs), n)
		}
	}
}

func TestRedeliveryIsDeduped(t *testing.T) {
	h, q := newHandler()
	for _, name := range []string{"message_text_taikai.json", "message_text_taikai_redelivered.json"} {
		body := fixture(t, name)
		if rec := post(h, body, lineemu.Sign(secret, body)); rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", name, rec.Code)
		}
	}
	if len(q.evs) != 1 {
		t.Errorf("original + redelivery: %d events handed over; want 1", len(q.evs))
	}
}

func TestEventsKeepTheirOrderAndUser(t *testing.T) {
	h, q := newHandler()
	body := fixture(t, "two_events_same_user.json")
	post(h, body, lineemu.Sign(secret, body))
	if len(q.evs) != 2 || q.evs[0].Key != q.evs[1].Key || q.evs[0].Key != "Ue8dafe9e1ea8071f3031bf970cc75bcf" {
		t.Fatalf("events %+v; want two, keyed by the user", q.evs)
	}
	if !bytes.Contains(q.evs[0].Raw, []byte(`"webhookEventId"`)) || q.evs[0].ID == q.evs[1].ID {
		t.Errorf("events not handed over raw and distinct")
	}
	if !strings.Contains(string(q.evs[0].Raw), "timestamp") {
		t.Errorf("raw event lost fields")
	}
}

func TestRedisDownAsksForRedelivery(t *testing.T) {
	h, q := newHandler()
	q.fail = true
	body := fixture(t, "message_text_taikai.json")
	if rec := post(h, body, lineemu.Sign(secret, body)); rec.Code != http.StatusServiceUnavailable || len(q.evs) != 0 {
		t.Errorf("intake down: %d; want 503 and nothing stored", rec.Code)
	}
	q.fail = false
	redelivered := fixture(t, "message_text_taikai_redelivered.json")
	if rec := post(h, redelivered, lineemu.Sign(secret, redelivered)); rec.Code != http.StatusOK || len(q.evs) != 1 {
		t.Errorf("redelivery after recovery: %d, %d events; want 200 and the event stored", rec.Code, len(q.evs))
	}
}

func TestSignedGarbageIsAcknowledged(t *testing.T) {
	h, q := newHandler()
	body := []byte(`{"destination":"x","events":[`)
	if rec := post(h, body, lineemu.Sign(secret, body)); rec.Code != http.StatusOK || len(q.evs) != 0 {
		t.Errorf("signed garbage: %d; want 200 (a retry would not help)", rec.Code)
	}
}
