package e2e

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/internal/redistest"
)

// roundTrips counts Redis round trips: one per command, one per pipeline.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.n.Add(1); return next(ctx, cmd) }
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.n.Add(1); return next(ctx, cmds) }
}

// BenchmarkFlow runs whole withdrawals (start + sticker in one body,
// continue, reason, confirm) through the webhook, the queue and the bot,
// and reports events per second and Redis round trips per event, all
// included (intake, reads, load, save, journal, acks, leases).
//
//	go test -run '^$' -bench Flow -benchtime 2000x .
func BenchmarkFlow(b *testing.B) {
	rdb, prefix, _ := redistest.Redis(b)
	rt := &roundTrips{}
	rdb.AddHook(rt)
	users := b.N
	sys, err := demo.Start(demo.Config{Redis: rdb, KeyPrefix: prefix, Replicas: 1, Partitions: 8, Accounts: stormAccounts(users)})
	if err != nil {
		b.Fatal(err)
	}
	defer sys.Close()
	b.ResetTimer()
	before := rt.n.Load()
	st := storm(b, sys, replicaURLs(sys), users, nil)
	b.StopTimer()
	if st.lost != 0 || st.duplicates != 0 {
		b.Fatalf("storm: %s", st)
	}
	b.ReportMetric(float64(rt.n.Load()-before)/float64(st.events), "redis-rt/event")
	b.ReportMetric(float64(st.events)/st.elapsed.Seconds(), "events/s")
}
