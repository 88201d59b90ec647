package replica

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// countHook counts the round trips a client makes: single commands and
// pipelines, and the commands the pipelines carried.
type countHook struct {
	singles, pipelines, piped atomic.Int64
	// mgetsPiped counts MGETs (the store's loads) sent in pipelines.
	mgetsPiped atomic.Int64
}

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.singles.Add(1); return next(ctx, cmd) }
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.pipelines.Add(1)
		h.piped.Add(int64(len(cmds)))
		for _, c := range cmds {
			if c.Name() == "mget" {
				h.mgetsPiped.Add(1)
			}
		}
		return next(ctx, cmds)
	}
}

// TestConcurrentCommandsShareRoundTrips: commands issued one at a time by
// many callers at once reach Redis in fewer round trips than commands, and
// each caller gets its own answer.
func TestConcurrentCommandsShareRoundTrips(t *testing.T) {
	mr := miniredis.RunT(t)
	base := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer base.Close()
	h := &countHook{}
	base.AddHook(h)
	rdb := autoPipelined(base)
	if _, ok := rdb.(pipelined); !ok {
		t.Fatalf("not pipelined: %T", rdb)
	}
	ctx := context.Background()
	const callers, each = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				k, v := fmt.Sprintf("k%d", c), fmt.Sprintf("v%d-%d", c, i)
				if err := rdb.Set(ctx, k, v, 0).Err(); err != nil {
					errs <- err
					return
				}
				if got, err := rdb.Get(ctx, k).Result(); err != nil || got != v {
					errs <- fmt.Errorf("caller %d read %q, %v; want %q", c, got, err, v)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cmds := int64(callers * each * 2)
	trips := h.singles.Load() + h.pipelines.Load()
	t.Logf("%d commands in %d round trips (%d pipelines carrying %d)", cmds, trips, h.pipelines.Load(), h.piped.Load())
	if trips >= cmds/2 {
		t.Errorf("%d commands took %d round trips; want them shared", cmds, trips)
	}
}

// TestAPipelinedClusterIsStillACluster: callers that look through the
// autopipeliner for the client's type (the queue's intake takes two steps on
// a Cluster) still find a Cluster.
func TestAPipelinedClusterIsStillACluster(t *testing.T) {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer cc.Close()
	p, ok := autoPipelined(cc).(interface{ Unwrap() redis.UniversalClient })
	if !ok {
		t.Fatalf("no Unwrap on %T", p)
	}
	if _, ok := p.Unwrap().(*redis.ClusterClient); !ok {
		t.Errorf("Unwrap gives %T", p.Unwrap())
	}
}

// TestAutoPipelineCanBeSwitchedOff: REDIS_AUTOPIPELINE=off
// (Config.NoAutoPipeline) sends the event path's commands on their own
// round trips; on, concurrent loads share pipelines.
func TestAutoPipelineCanBeSwitchedOff(t *testing.T) {
	for _, off := range []bool{false, true} {
		mr := miniredis.RunT(t)
		base := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		defer base.Close()
		h := &countHook{}
		base.AddHook(h)
		r, err := New(Config{ChannelSecret: "s", AccessToken: "t", MarketURL: "http://127.0.0.1:1", MarketToken: "m",
			LinkURL: "http://127.0.0.1:1/link", NoAutoPipeline: off}, Deps{Redis: base})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := 0; i < 64; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if _, err := r.Store.Load(context.Background(), fmt.Sprintf("U%032x", i)); err != nil {
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		piped := h.mgetsPiped.Load()
		if off && piped != 0 {
			t.Errorf("off: %d of 64 loads sent in pipelines; want every load on its own", piped)
		}
		if !off && piped == 0 {
			t.Errorf("on: no load sent in a pipeline; want concurrent loads together")
		}
	}
}
