package line

import (
	"context"
	"net/http"
	"testing"
)

func TestMessageQuota(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name                string
		quota               string
		wantLimit, wantUsed int64
	}{
		{"limited", `{"type":"limited","value":5000}`, 5000, 4321},
		{"none", `{"type":"none"}`, -1, 4321},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, calls := api(t, func(call int, w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.Header.Get("Authorization") != "Bearer token" {
					reply(w, 400, `{"message":"bad request"}`)
					return
				}
				switch r.URL.Path {
				case "/v2/bot/message/quota":
					if call == 1 {
						reply(w, 500, `{"message":"internal error"}`) // a read: tried again
						return
					}
					reply(w, 200, tc.quota)
				case "/v2/bot/message/quota/consumption":
					reply(w, 200, `{"totalUsage":4321}`)
				default:
					reply(w, 404, `{"message":"Not found"}`)
				}
			})
			limit, used, err := c.MessageQuota(ctx)
			if err != nil || limit != tc.wantLimit || used != tc.wantUsed || calls.Load() != 3 {
				t.Errorf("MessageQuota = %d, %d, %v after %d calls; want %d, %d after 3", limit, used, err, calls.Load(), tc.wantLimit, tc.wantUsed)
			}
		})
	}
	c, _ := api(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		reply(w, 401, `{"message":"Authentication failed"}`)
	})
	if _, _, err := c.MessageQuota(ctx); err == nil {
		t.Error("a refused read gave a quota")
	}
}
