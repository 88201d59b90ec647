package line

import (
	"context"
	"net/http"
	"sync"
	"testing"
)

// TestPushRetryKeysDifferPerUser: the retry key of a push comes from the
// user and the event, so two users' pushes for events that share an id are
// both sent (LINE would take the second for a retry of the first).
func TestPushRetryKeysDifferPerUser(t *testing.T) {
	var mu sync.Mutex
	keys := map[string]string{}
	c, _ := api(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys[r.URL.Path+"#"+string(rune(len(keys)))] = r.Header.Get("X-Line-Retry-Key")
		mu.Unlock()
		reply(w, 200, `{"sentMessages":[]}`)
	})
	other := "U0123456789abcdef0123456789abcdef"
	for _, to := range []string{demoUser, other} {
		if err := c.Push(context.Background(), to, msgs, "pause-1"); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	if len(keys) != 2 || len(seen) != 2 {
		t.Errorf("retry keys %v; want one per user", keys)
	}
}
