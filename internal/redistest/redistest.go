// Package redistest gives tests a Redis: the real one named by REDIS_URL
// (CI sets it, and a test fails rather than skips when it does not answer),
// or an embedded miniredis otherwise.
package redistest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/internal/random"
)

// Redis returns a client and a key prefix unique to the test; keys under
// the prefix are deleted when the test ends. mr is nil on a real Redis.
func Redis(t testing.TB) (rdb redis.UniversalClient, prefix string, mr *miniredis.Miniredis) {
	t.Helper()
	prefix = "test:" + random.Hex(6) + ":"
	if u := os.Getenv("REDIS_URL"); u != "" {
		opts, err := redis.ParseURL(u)
		if err != nil {
			t.Fatalf("REDIS_URL: %v", err)
		}
		c := redis.NewClient(opts)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatalf("REDIS_URL=%s does not answer: %v", u, err)
		}
		t.Cleanup(func() {
			ctx := context.Background()
			iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			for iter.Next(ctx) {
				c.Del(ctx, iter.Val())
			}
			c.Close()
		})
		return c, prefix, nil
	}
	mr = miniredis.RunT(t)
	// miniredis expires keys only when told time passed; tell it, so TTLs
	// (leases, dedupe marks) behave as on a real Redis.
	stop := make(chan struct{})
	go func() {
		last := time.Now()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				mr.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	c := redis.NewClient(&redis.Options{Addr: mr.Addr(), PoolSize: 64})
	t.Cleanup(func() { close(stop); c.Close() })
	return c, prefix, mr
}
