package replica

import (
	"fmt"
	"log/slog"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/taikaibot/taikai/queue"
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
	// MinIdle is the connections per node dialled ahead and kept open
	// (go-redis MinIdleConns), so load does not open new ones: the queue's
	// blocking reads plus the workers'. The intake's client keeps
	// min(MinIdle, 16). 0: dialled as needed.
	MinIdle int
}

// OpenRedis connects to the Redis cfg names, or starts the embedded one. The
// returned function closes it (and stops the embedded one).
//
// The client returned carries a second one, to the same Redis, for the
// webhook's intake (New finds it): that one never retries a command or a
// dial. On the
// path to LINE's answer a retry only delays the 503 that makes LINE
// redeliver; the webhook's deadline bounds the one attempt.
func OpenRedis(cfg Redis, log *slog.Logger) (redis.UniversalClient, func(), error) {
	switch {
	case len(cfg.ClusterAddrs) > 0 || len(cfg.SentinelAddrs) > 0:
		open := func(retries int) redis.UniversalClient {
			opts := &redis.UniversalOptions{
				Addrs: cfg.ClusterAddrs, Password: cfg.Password, ContextTimeoutEnabled: true,
				PoolSize: cfg.PoolSize, IsClusterMode: len(cfg.ClusterAddrs) > 0, MaxRetries: retries,
				MinIdleConns: cfg.MinIdle,
			}
			if retries < 0 {
				opts.DialerRetries = 1 // one dial: go-redis tries 5 by default
				opts.MinIdleConns = intakeIdle(cfg.MinIdle)
			}
			if len(cfg.SentinelAddrs) > 0 {
				opts.Addrs, opts.MasterName = cfg.SentinelAddrs, cfg.SentinelMaster
			}
			return redis.NewUniversalClient(opts)
		}
		rdb := &clients{UniversalClient: open(0), intake: open(-1)}
		return rdb, rdb.close, nil
	case cfg.URL == "":
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return nil, nil, fmt.Errorf("embedded redis: %w", err)
		}
		if log != nil {
			log.Warn("REDIS_URL not set: using an embedded in-process Redis (state is lost on exit)")
		}
		rdb := &clients{
			UniversalClient: redis.NewClient(&redis.Options{Addr: mr.Addr(), PoolSize: cfg.PoolSize, MinIdleConns: cfg.MinIdle}),
			intake: redis.NewClient(&redis.Options{Addr: mr.Addr(), PoolSize: cfg.PoolSize, MaxRetries: -1, DialerRetries: 1,
				MinIdleConns: intakeIdle(cfg.MinIdle)}),
		}
		return rdb, func() { rdb.close(); mr.Close() }, nil
	}
	open := func(retries int) (redis.UniversalClient, error) {
		opts, err := redis.ParseURL(cfg.URL)
		if err != nil {
			// Not echoed: the URL may hold a password.
			return nil, fmt.Errorf("REDIS_URL is not a valid redis:// or rediss:// URL")
		}
		opts.ContextTimeoutEnabled = true
		opts.PoolSize = cfg.PoolSize
		opts.MinIdleConns = cfg.MinIdle
		if retries < 0 {
			opts.MaxRetries, opts.DialerRetries = retries, 1
			opts.MinIdleConns = intakeIdle(cfg.MinIdle)
		}
		return redis.NewClient(opts), nil
	}
	main, err := open(0)
	if err != nil {
		return nil, nil, err
	}
	intake, _ := open(-1)
	rdb := &clients{UniversalClient: main, intake: intake}
	return rdb, rdb.close, nil
}

// intakeIdle is the idle connections the intake's client keeps: a few
// webhooks at once.
func intakeIdle(n int) int { return min(n, 16) }

// clients is what OpenRedis returns: the shared client, and the intake's.
type clients struct {
	redis.UniversalClient
	intake redis.UniversalClient
}

// Unwrap is the client for everything but the intake, for callers that
// need its concrete type (scanning every master of a Cluster).
func (c *clients) Unwrap() redis.UniversalClient { return c.UniversalClient }

func (c *clients) close() {
	c.UniversalClient.Close()
	c.intake.Close()
}

// intakeClient is the client the webhook's intake uses: the one OpenRedis
// made for it, else rdb itself (its retries then end at the webhook's
// deadline).
func intakeClient(rdb redis.UniversalClient) redis.UniversalClient {
	if c, ok := rdb.(*clients); ok {
		return c.intake
	}
	return rdb
}

// autoPipelined is c behind go-redis's (blocking) autopipeliner: commands
// that concurrent callers issue one at a time — events' loads, saves and
// journal writes — go to Redis together in one pipeline, each caller still
// waiting for its own answer, so a busy replica makes one round trip (one
// write and one read, for it and for Redis) where it made many. A caller's
// own commands keep their order; blocking reads and transactions go around
// it. A command's context no longer bounds it once queued (the client's
// read and write timeouts do). The autopipeliner is the client's own (cached
// by go-redis, stopped when the client closes).
func autoPipelined(c redis.UniversalClient) redis.UniversalClient {
	under := c
	if cs, ok := c.(*clients); ok {
		under = cs.UniversalClient
	}
	var ap *redis.AutoPipeliner
	var err error
	switch u := under.(type) {
	case *redis.Client:
		ap, err = u.AutoPipeline()
	case *redis.ClusterClient:
		ap, err = u.AutoPipeline()
	default:
		return c
	}
	if err != nil {
		return c
	}
	return pipelined{ap, under}
}

// pipelined is a client's autopipeliner; Unwrap gives the client, for
// callers that need its concrete type (is it a Cluster?).
type pipelined struct {
	*redis.AutoPipeliner
	base redis.UniversalClient
}

func (p pipelined) Unwrap() redis.UniversalClient { return p.base }

// intakeBatch is go-redis's deferred autopipeliner on the intake's client
// (one node: on Cluster the intake takes two steps, pipelined as they are):
// concurrent webhooks' intake scripts go to Redis together, and each waits
// for its own answer no longer than its deadline (queue.Options.Batch).
func intakeBatch(intake redis.UniversalClient) queue.Submitter {
	c, ok := intake.(*redis.Client)
	if !ok {
		return nil
	}
	ap, err := c.AsyncAutoPipeline()
	if err != nil {
		return nil
	}
	return ap
}
