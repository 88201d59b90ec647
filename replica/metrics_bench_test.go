package replica

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/internal/redistest"
)

// BenchmarkScrape scrapes /metrics with 10,000 recent conversations (on
// the Redis REDIS_URL names, else miniredis) and reports the Redis commands
// per scrape and the /healthz latency while 8 clients scrape.
func BenchmarkScrape(b *testing.B) {
	ctx := context.Background()
	shared, prefix, _ := redistest.Redis(b)
	// A client of its own, so the count below is this benchmark's.
	var rdb *redis.Client
	switch c := shared.(type) {
	case *redis.Client:
		o := c.Options()
		rdb = redis.NewClient(&redis.Options{Addr: o.Addr, Username: o.Username, Password: o.Password, DB: o.DB, PoolSize: 64})
	default:
		b.Fatalf("unexpected client %T", shared)
	}
	defer rdb.Close()
	pipe := rdb.Pipeline()
	now := time.Now().UnixMilli()
	for i := range 10000 {
		u := fmt.Sprintf("U%032x", i)
		pipe.HSet(ctx, prefix+"console:{"+u+"}:conv", "step", "reason")
		pipe.ZAdd(ctx, prefix+"console:convs", redis.Z{Score: float64(now), Member: u})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	cfg := testConfig
	cfg.KeyPrefix = prefix
	r, err := New(cfg, Deps{Redis: rdb})
	if err != nil {
		b.Fatal(err)
	}
	r.Journal.RefreshStepCounts(ctx) // what the background job does once a minute
	// Count only what scrapes cost.
	c := newCounter("hget", "hgetall", "zrevrange", "xlen", "xpending")
	rdb.AddHook(c)
	b.ResetTimer()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var health []time.Duration
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			rec := httptest.NewRecorder()
			r.Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			mu.Lock()
			health = append(health, time.Since(start))
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
	}()
	b.SetParallelism(4) // 8 clients on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			r.Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		}
	})
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(c.total())/float64(b.N), "cmds/scrape")
	var sum time.Duration
	for _, d := range health {
		sum += d
	}
	if len(health) > 0 {
		b.ReportMetric(float64(sum.Microseconds())/float64(len(health)), "µs/healthz")
	}
}
