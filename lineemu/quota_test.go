package lineemu_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v map[string]any
	json.NewDecoder(res.Body).Decode(&v)
	return res.StatusCode, v
}

// TestTheQuotaCountsPushesAndStopsThem: pushes count against the month's
// target, replies do not, a push at the limit is refused with LINE's 429,
// and a new month starts from zero.
func TestTheQuotaCountsPushesAndStopsThem(t *testing.T) {
	e, srv, c := setup(t)
	if _, q := get(t, srv.URL+"/v2/bot/message/quota"); q["type"] != "none" {
		t.Errorf("quota with no target: %v; want type none", q)
	}
	e.SetQuota(3, 1)
	if _, q := get(t, srv.URL+"/v2/bot/message/quota"); q["type"] != "limited" || q["value"] != 3.0 {
		t.Errorf("quota: %v; want limited to 3", q)
	}
	push := map[string]any{"to": user, "messages": []any{text("a"), text("b")}}
	for i := range 2 {
		if code, body := call(t, srv, "/v2/bot/message/push", push); code != 200 {
			t.Fatalf("push %d: %d %s", i, code, body)
		}
	}
	if code, body := call(t, srv, "/v2/bot/message/push", push); code != http.StatusTooManyRequests {
		t.Errorf("push beyond the target: %d %s; want 429", code, body)
	}
	if _, u := get(t, srv.URL+"/v2/bot/message/quota/consumption"); u["totalUsage"] != 3.0 {
		t.Errorf("consumption: %v; want 3 (one per push, not per message)", u)
	}
	if _, _ = get(t, srv.URL+"/v2/bot/message/quota"); len(e.Violations()) != 0 {
		t.Errorf("violations: %v", e.Violations())
	}
	c.t = c.t.Add(40 * 24 * time.Hour)
	if e.QuotaUsed() != 0 {
		t.Errorf("a new month starts at %d; want 0", e.QuotaUsed())
	}
}
