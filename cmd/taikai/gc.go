package main

import (
	"log/slog"
	"runtime/debug"

	"github.com/taikaibot/taikai/replica"
)

// The garbage collector's settings for `taikai serve`, unless GOGC or
// GOMEMLIMIT are set. The live heap of a replica is small (about 12 MB at
// 16 events in flight) and most of what it allocates is per event, so Go's
// default (a collection each time the heap doubles) spent about 6 % of its
// CPU collecting in the benchmark (go run ./bench, 16 events in flight:
// mark, assists and sweeping, 15 µs of 272 per event; runtime.mallocgc 29
// µs), and 2 % with the heap let grow to five times the live one (mallocgc
// 14 µs). The soft limit keeps the process's memory (heap, stacks, buffers)
// near 80 MiB whatever the load: peak RSS was 83 MB at 16 events in flight
// and 85 MB at 64 (47 and 74 MB with Go's defaults), within the Kubernetes
// manifest's 128 MiB request.
//
// With the embedded Redis (no Redis configured), its data lives in the Go
// heap and grows with every user: Go's defaults are kept, so that a large
// data set does not make the collector run without pause at the limit.
const (
	defaultGOGC       = 400
	defaultMemLimitMB = 80
)

// tuneGC applies the defaults above where the environment sets nothing.
func tuneGC(getenv func(string) string, redis replica.Redis, log *slog.Logger) {
	if redis.URL == "" && len(redis.ClusterAddrs) == 0 && len(redis.SentinelAddrs) == 0 {
		return
	}
	gogc, limit := getenv("GOGC") == "", getenv("GOMEMLIMIT") == ""
	if gogc {
		debug.SetGCPercent(defaultGOGC)
	}
	if limit {
		debug.SetMemoryLimit(defaultMemLimitMB << 20)
	}
	if gogc || limit {
		log.Debug("garbage collector tuned", "gogc", defaultGOGC, "gomemlimit_mib", defaultMemLimitMB, "gogc_default", gogc, "limit_default", limit)
	}
}
