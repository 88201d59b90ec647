package bot

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestPauseOfANonUserWritesNothing: a staff action for something that is
// not a LINE user id is refused before anything is written, and the
// refusal does not carry the id (it is logged, and may be huge).
func TestPauseOfANonUserWritesNothing(t *testing.T) {
	h := newHarness(t)
	for _, id := range []string{"not-a-user", "U{x}0123456789abcdef0123456789abc", "U" + strings.Repeat("a", 100000)} {
		var logs bytes.Buffer
		h.b.log = slog.New(slog.NewTextHandler(&logs, nil))
		for _, do := range []func(context.Context, string) error{h.b.Pause, h.b.Resume} {
			err := do(context.Background(), id)
			if err == nil {
				t.Fatalf("%.20q: accepted", id)
			}
			if strings.Contains(err.Error(), id) || len(err.Error()) > 200 {
				t.Errorf("%.20q: the error carries the id: %.80q (%d bytes)", id, err.Error(), len(err.Error()))
			}
		}
		h.store.mu.Lock()
		_, written := h.store.recs[id]
		h.store.mu.Unlock()
		if written {
			t.Errorf("%.20q: a record was written", id)
		}
		if strings.Contains(logs.String(), id) {
			t.Errorf("%.20q: logged in clear", id)
		}
	}
}
