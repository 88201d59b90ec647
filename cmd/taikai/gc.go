package main

import (
	"log/slog"
	"runtime/debug"

	"github.com/taikaibot/taikai/replica"
)

// The garbage collector's settings for `taikai serve`, unless GOGC or
// GOMEMLIMIT are set. The live heap of a replica is small (about 12 MB at
// 16 events in flight) and most of what it allocates is per event, so Go's
// default (a collection each time the heap doubles) spends about 4 % of its
// CPU collecting; letting the heap grow to five times the live one costs a
// quarter of that. The soft limit keeps the process's memory (heap, stacks,
// buffers) near 80 MiB whatever the load: peak RSS stayed under 100 MB at 64
// events in flight, within the Kubernetes manifest's 128 MiB request.
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
