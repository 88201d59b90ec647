package webhook_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/taikaibot/taikai/lineemu"
)

// FuzzWebhookBody sends arbitrary signed bodies through the handler: it must
// never panic and must answer 200 (stored or harmlessly dropped) — never a
// 5xx that would make LINE resend garbage forever.
//
// A long run: go test ./webhook -run '^$' -fuzz FuzzWebhookBody -fuzztime 10m
func FuzzWebhookBody(f *testing.F) {
	files, _ := filepath.Glob("../testdata/webhook/*.json")
	for _, name := range files {
		b, _ := os.ReadFile(name)
		f.Add(b)
	}
	f.Add([]byte(`{"events":[{"type":"message","source":"nope"}]}`))
	f.Add([]byte(`{"events":[null,1,"x",{}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		h, q := newHandler()
		rec := post(h, body, lineemu.Sign(secret, body))
		if rec.Code != http.StatusOK && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d for a signed body", rec.Code)
		}
		for _, ev := range q.evs {
			if ev.ID == "" || ev.Key == "" {
				t.Fatalf("event stored without id or key: %+v", ev)
			}
		}
	})
}
