package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/taikaibot/taikai/demo"
)

// faults injects failures into an API: each distinct request (method, path
// and body) fails at its first sight with probability p, in one of several
// ways, and goes through when tried again — so the bot's retries, not luck,
// decide the outcome. A reply token said to have expired stays expired, as
// on LINE.
type faults struct {
	p       float64
	mu      sync.Mutex
	seen    map[[32]byte]bool
	expires map[string]bool // reply tokens said to have expired
	// counts by kind
	before, throttled, lost, expired atomic.Int64
}

func newFaults(p float64) *faults {
	return &faults{p: p, seen: map[[32]byte]bool{}, expires: map[string]bool{}}
}

// expiredToken answers a reply whose token expired.
func expiredToken(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(`{"message":"Invalid reply token"}`))
}

func (f *faults) String() string {
	return fmt.Sprintf("5xx %d, 429 %d, lost responses %d, expired reply tokens %d", f.before.Load(), f.throttled.Load(), f.lost.Load(), f.expired.Load())
}

func (f *faults) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		key := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+" "), body...))
		var reply struct {
			ReplyToken string `json:"replyToken"`
		}
		if strings.HasSuffix(r.URL.Path, "/message/reply") {
			json.Unmarshal(body, &reply)
		}
		f.mu.Lock()
		first := !f.seen[key]
		f.seen[key] = true
		expired := f.expires[reply.ReplyToken]
		f.mu.Unlock()
		if expired {
			expiredToken(w)
			return
		}
		if !first || rand.Float64() >= f.p || strings.Contains(r.URL.Path, "/loading/") {
			h.ServeHTTP(w, r)
			return
		}
		kinds := 3
		if strings.HasSuffix(r.URL.Path, "/message/reply") {
			kinds = 4
		}
		switch rand.IntN(kinds) {
		case 0: // fails before doing anything
			f.before.Add(1)
			http.Error(w, `{"message":"internal error"}`, http.StatusInternalServerError)
		case 1: // throttled
			f.throttled.Add(1)
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"message":"The API rate limit has been exceeded. Try again later."}`, http.StatusTooManyRequests)
		case 2: // done, but the answer never arrives
			f.lost.Add(1)
			h.ServeHTTP(httptest.NewRecorder(), r)
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
				}
			}
		case 3: // the reply token expired before the bot used it
			f.expired.Add(1)
			f.mu.Lock()
			f.expires[reply.ReplyToken] = true
			f.mu.Unlock()
			expiredToken(w)
		}
	})
}

// TestStormWithFaults runs the storm while the Messaging API and the
// marketplace fail a fifth of first attempts: 5xx, 429, answers lost after
// the work was done, expired reply tokens. Nobody may be filed twice, get a
// message twice, or be left without an answer.
func TestStormWithFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("storm")
	}
	line, market := newFaults(0.2), newFaults(0.2)
	users := *stormUsers
	sys := startSystemWith(t, demo.Config{Replicas: 2, Partitions: 8, Accounts: stormAccounts(users), LineFaults: line.wrap, MarketFaults: market.wrap})
	st := storm(t, sys, replicaURLs(sys), users, nil)
	t.Logf("faults: LINE %s; marketplace %s", line, market)
	st.check(t, sys)
	if line.lost.Load()+line.before.Load()+market.lost.Load() == 0 {
		t.Error("no fault was injected")
	}
	pushed := 0
	for i := 0; i < users; i++ {
		for _, m := range sys.Emulator.Messages(stormUser(i)) {
			if m.Via == "push" {
				pushed++
			}
		}
	}
	if line.expired.Load() > 0 && pushed == 0 {
		t.Error("expired reply tokens, but nothing was pushed")
	}
	t.Logf("messages pushed instead of replied: %d", pushed)
}
