package replica

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// counter counts the Redis commands a client sends, by name.
type counter struct{ n map[string]*atomic.Int64 }

func newCounter(names ...string) *counter {
	c := &counter{n: map[string]*atomic.Int64{}}
	for _, n := range names {
		c.n[n] = &atomic.Int64{}
	}
	return c
}

func (c *counter) count(cmds ...redis.Cmder) {
	for _, cmd := range cmds {
		if n := c.n[cmd.Name()]; n != nil {
			n.Add(1)
		}
	}
}

func (c *counter) total() int64 {
	var t int64
	for _, n := range c.n {
		t += n.Load()
	}
	return t
}

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.count(cmd); return next(ctx, cmd) }
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.count(cmds...); return next(ctx, cmds) }
}

var testConfig = Config{ChannelSecret: "secret", AccessToken: "token", MarketURL: "http://127.0.0.1:1", MarketToken: "m", LinkURL: "http://127.0.0.1:1/link", QueueBlock: 50 * time.Millisecond}

// serve runs r on a loopback port until the test ends, and returns its URL.
func serve(t *testing.T, r *Replica) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

func scrape(t *testing.T, h http.Handler, auth string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// TestAScrapeCostsAFewRedisCommands: with 10,000 conversations a scrape
// used to read the step of each (10,000 HGETs); the counts per step are
// now kept by a background job, and a scrape reads them in one command.
func TestAScrapeCostsAFewRedisCommands(t *testing.T) {
	mr := miniredis.RunT(t)
	ctx := context.Background()
	// 10,000 recent conversations, as the console's journal counts where
	// they stand: 6,000 at reason, 4,000 blocked, over the last two days.
	fill := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer fill.Close()
	jst := time.FixedZone("JST", 9*60*60)
	today, yesterday := time.Now().In(jst).Format("2006-01-02"), time.Now().In(jst).AddDate(0, 0, -1).Format("2006-01-02")
	if err := fill.HSet(ctx, "taikai:console:day:"+today, "at:reason", 5000, "at:blocked", 1000).Err(); err != nil {
		t.Fatal(err)
	}
	fill.HSet(ctx, "taikai:console:day:"+yesterday, "at:reason", 1000, "at:blocked", 3000)

	// One replica serves (its background jobs run); another is scraped.
	served, err := New(testConfig, Deps{Redis: redis.NewClient(&redis.Options{Addr: mr.Addr()})})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, served)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	c := newCounter("hget", "hgetall", "hmget", "zrevrange", "zrange", "zcard", "zcount", "xlen", "xpending", "get", "mget", "eval", "evalsha")
	rdb.AddHook(c)
	scraped, err := New(testConfig, Deps{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var body string
	for {
		_, body = scrape(t, scraped.Handler, "")
		if strings.Contains(body, `taikai_conversations{step="reason"} 6000`) && strings.Contains(body, `taikai_conversations{step="blocked"} 4000`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the conversations per step never showed 6000 at reason and 4000 blocked:\n%s", grep(body, "taikai_conversations"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := c.total()
	scrape(t, scraped.Handler, "")
	cost := c.total() - before
	t.Logf("one scrape with 10,000 conversations: %d Redis commands", cost)
	// The queue's gauges read each partition's stream twice (16 partitions).
	if cost > 2*16+4 {
		t.Errorf("a scrape cost %d Redis commands with 10,000 conversations; want a few, whatever their number", cost)
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMetricsNeedTheTokenWhenSet(t *testing.T) {
	rdb, closeRedis, _ := OpenRedis(Redis{}, nil)
	defer closeRedis()
	cfg := testConfig
	cfg.MetricsToken = "a-metrics-token-0123456789"
	r, err := New(cfg, Deps{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	for _, auth := range []string{"", "Bearer wrong", "Bearer " + cfg.MetricsToken + "x", "Basic " + cfg.MetricsToken} {
		if code, _ := scrape(t, r.Handler, auth); code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d; want 401", auth, code)
		}
	}
	if code, body := scrape(t, r.Handler, "Bearer "+cfg.MetricsToken); code != http.StatusOK || !strings.Contains(body, "taikai_queue_events") {
		t.Errorf("the right token: %d; want the metrics", code)
	}
}

func TestMetricsOnTheirOwnListener(t *testing.T) {
	rdb, closeRedis, _ := OpenRedis(Redis{}, nil)
	defer closeRedis()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := testConfig
	cfg.MetricsAddr = addr
	r, err := New(cfg, Deps{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, r)
	if code, _ := scrape(t, r.Handler, ""); code != http.StatusNotFound {
		t.Errorf("/metrics on the main port with METRICS_ADDR set: %d; want 404", code)
	}
	var res *http.Response
	for range 100 {
		if res, err = http.Get("http://" + addr + "/metrics"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET /metrics on %s: %v", addr, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/metrics on METRICS_ADDR: %d; want 200", res.StatusCode)
	}
	if res, err := http.Get("http://" + addr + "/healthz"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("/healthz on the metrics listener: %v %v; want only /metrics there", res, err)
	}
	if res, err := http.Get(url + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("/healthz on the main port: %v %v", res, err)
	}
}

func TestEveryAnswerSaysNoSniff(t *testing.T) {
	rdb, closeRedis, _ := OpenRedis(Redis{}, nil)
	defer closeRedis()
	cfg := testConfig
	cfg.Console, cfg.ConsoleToken = true, "a-console-token-0123456789"
	r, err := New(cfg, Deps{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/healthz"}, {"GET", "/metrics"}, {"POST", "/callback"}, {"GET", "/nowhere"},
		{"GET", "/console/login"}, {"GET", "/console/"}, {"POST", "/console/login"},
	} {
		rec := httptest.NewRecorder()
		r.Handler.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader("{}")))
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s (%d): X-Content-Type-Options %q; want nosniff", tc.method, tc.path, rec.Code, got)
		}
		if strings.HasPrefix(tc.path, "/console/") {
			for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "Cache-Control", "Referrer-Policy"} {
				if rec.Header().Get(h) == "" {
					t.Errorf("%s %s: no %s", tc.method, tc.path, h)
				}
			}
		}
	}
}
