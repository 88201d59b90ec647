package replica

import (
	"fmt"
	"log/slog"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Redis says which Redis to use: a Cluster (ClusterAddrs), a Sentinel's
// master (SentinelAddrs and SentinelMaster), one node (URL), or, when none
// is set, an embedded in-process Redis (miniredis), so that the same code
// runs on a machine without one.
type Redis struct {
	URL            string
	ClusterAddrs   []string
	SentinelAddrs  []string
	SentinelMaster string
	// Password for Cluster or Sentinel (with URL it goes in the URL).
	Password string
	// PoolSize is the connections per node; each owned queue partition
	// holds one in a blocking read, so it should exceed 4 × partitions.
	PoolSize int
}

// OpenRedis connects to the Redis cfg names, or starts the embedded one. The
// returned function closes it (and stops the embedded one).
func OpenRedis(cfg Redis, log *slog.Logger) (redis.UniversalClient, func(), error) {
	switch {
	case len(cfg.ClusterAddrs) > 0 || len(cfg.SentinelAddrs) > 0:
		opts := &redis.UniversalOptions{
			Addrs: cfg.ClusterAddrs, Password: cfg.Password, ContextTimeoutEnabled: true,
			PoolSize: cfg.PoolSize, IsClusterMode: len(cfg.ClusterAddrs) > 0,
		}
		if len(cfg.SentinelAddrs) > 0 {
			opts.Addrs, opts.MasterName = cfg.SentinelAddrs, cfg.SentinelMaster
		}
		rdb := redis.NewUniversalClient(opts)
		return rdb, func() { rdb.Close() }, nil
	case cfg.URL == "":
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return nil, nil, fmt.Errorf("embedded redis: %w", err)
		}
		if log != nil {
			log.Warn("REDIS_URL not set: using an embedded in-process Redis (state is lost on exit)")
		}
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), PoolSize: cfg.PoolSize})
		return rdb, func() { rdb.Close(); mr.Close() }, nil
	}
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.ContextTimeoutEnabled = true
	opts.PoolSize = cfg.PoolSize
	rdb := redis.NewClient(opts)
	return rdb, func() { rdb.Close() }, nil
}
