package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/lineemu"
	"github.com/taikaibot/taikai/replica"
)

// hangingRedis accepts connections and never answers.
func hangingRedis(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// stoppedRedis is an address nothing listens on.
func stoppedRedis(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestRedisDownIsAnsweredWithinASecond: when Redis hangs or is stopped, the
// webhook answers 503 (so LINE redelivers) well inside LINE's 2 seconds.
func TestRedisDownIsAnsweredWithinASecond(t *testing.T) {
	for name, addr := range map[string]string{"hanging": hangingRedis(t), "stopped": stoppedRedis(t)} {
		t.Run(name, func(t *testing.T) {
			rdb, closeRedis, err := replica.OpenRedis(replica.Redis{URL: "redis://" + addr + "/0", PoolSize: 8}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer closeRedis()
			r, err := replica.New(replica.Config{ChannelSecret: demo.ChannelSecret, AccessToken: demo.AccessToken,
				MarketURL: "http://127.0.0.1:1", MarketToken: "m", LinkURL: "http://127.0.0.1:1/link"}, replica.Deps{Redis: rdb})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(r.Handler)
			defer srv.Close()
			var worst time.Duration
			for i := range 3 {
				body := []byte(fmt.Sprintf(`{"destination":"U0000000000000000000000000000000f","events":[{"type":"follow","mode":"active","timestamp":%d,"webhookEventId":"01DOWN00000000000000000%03d","deliveryContext":{"isRedelivery":false},"replyToken":"r","source":{"type":"user","userId":%q},"follow":{"isUnblocked":false}}]}`,
					time.Now().UnixMilli(), i, user))
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/callback", bytes.NewReader(body))
				req.Header.Set("X-Line-Signature", lineemu.Sign(demo.ChannelSecret, body))
				start := time.Now()
				res, err := http.DefaultClient.Do(req)
				took := time.Since(start)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				worst = max(worst, took)
				if res.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("webhook %d with Redis %s: %d; want 503", i, name, res.StatusCode)
				}
			}
			t.Logf("Redis %s: the slowest of 3 answers took %v", name, worst.Round(time.Millisecond))
			if worst > time.Second {
				t.Errorf("Redis %s: an answer took %v; want within 1 s (LINE waits 2 s)", name, worst.Round(time.Millisecond))
			}
		})
	}
}
