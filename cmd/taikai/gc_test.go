package main

import (
	"log/slog"
	"runtime/debug"
	"testing"

	"github.com/taikaibot/taikai/replica"
)

func TestTuneGC(t *testing.T) {
	prevGC, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(prevGC); debug.SetMemoryLimit(prevLimit) })
	log := slog.New(slog.DiscardHandler)
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	reset := func() { debug.SetGCPercent(100); debug.SetMemoryLimit(1 << 62) }
	read := func() (int, int64) {
		g := debug.SetGCPercent(-1)
		debug.SetGCPercent(g)
		return g, debug.SetMemoryLimit(-1)
	}

	external := replica.Redis{URL: "redis://127.0.0.1:6379/0"}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		redis replica.Redis
		gc    int
		limit int64
	}{
		{"external Redis, nothing set", nil, external, defaultGOGC, defaultMemLimitMB << 20},
		{"cluster, GOGC set", map[string]string{"GOGC": "150"}, replica.Redis{ClusterAddrs: []string{"a:1"}}, 100, defaultMemLimitMB << 20},
		{"external Redis, GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, external, defaultGOGC, 1 << 62},
		{"embedded Redis", nil, replica.Redis{}, 100, 1 << 62},
	} {
		reset()
		tuneGC(env(tc.env), tc.redis, log)
		if gc, limit := read(); gc != tc.gc || limit != tc.limit {
			t.Errorf("%s: GOGC %d, limit %d; want %d, %d", tc.name, gc, limit, tc.gc, tc.limit)
		}
	}
}
