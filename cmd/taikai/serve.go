package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/taikaibot/taikai/bot"
	"github.com/taikaibot/taikai/console"
	"github.com/taikaibot/taikai/marketplace"
	"github.com/taikaibot/taikai/metrics"
	"github.com/taikaibot/taikai/queue"
	"github.com/taikaibot/taikai/store"
	"github.com/taikaibot/taikai/webhook"
)

// serve runs the bot until ctx ends, then shuts down gracefully: it stops
// taking webhooks and finishes the events it took. If ready is not nil, the
// listening address is sent on it.
func serve(ctx context.Context, cfg config, log *slog.Logger, ready chan<- string) error {
	rdb, closeRedis, err := openRedis(cfg, log)
	if err != nil {
		return err
	}
	defer closeRedis()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg)
	rdb.AddHook(m.RedisHook())
	st := store.New(rdb, store.Options{Prefix: cfg.KeyPrefix, ConvTTL: 2 * cfg.Expiry})

	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on PORT %d: %w", cfg.Port, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	mux := http.NewServeMux()

	if cfg.MarketURL == "" {
		// No marketplace configured: serve the sandbox from this process.
		token := randomToken()
		sb := marketplace.NewSandbox(marketplace.SandboxOptions{Token: token})
		mux.Handle("/sandbox/", http.StripPrefix("/sandbox", sb.Handler()))
		cfg.MarketURL = fmt.Sprintf("http://127.0.0.1:%d/sandbox", port)
		cfg.MarketToken = token
		if cfg.LinkURL == "" {
			cfg.LinkURL = fmt.Sprintf("http://localhost:%d/sandbox/link", port)
		}
		log.Warn("MARKETPLACE_API_URL not set: using the built-in sandbox marketplace", "link_url", cfg.LinkURL)
	}

	lineHC, marketHC := bot.NewHTTPClient(5*time.Second), bot.NewHTTPClient(5*time.Second)
	lineHC.Transport = m.Transport("line", lineHC.Transport)
	marketHC.Transport = m.Transport("marketplace", marketHC.Transport)
	lc, err := bot.NewLineClient(cfg.LineAPIBaseURL, cfg.AccessToken, lineHC)
	if err != nil {
		return configErrorf("LINE_CHANNEL_ACCESS_TOKEN: %v", err)
	}
	mc, err := marketplace.NewClient(cfg.MarketURL, cfg.MarketToken, marketHC)
	if err != nil {
		return configErrorf("MARKETPLACE_API_URL: %v", err)
	}
	journal := console.NewJournal(rdb, cfg.KeyPrefix, console.Retention{Audit: cfg.AuditRetention})
	b := bot.New(bot.Options{
		Store: st, Marketplace: mc, LINE: lc, Log: log,
		LinkURL: cfg.LinkURL, TipsURL: cfg.TipsURL, StaffHours: cfg.StaffHours, Expiry: cfg.Expiry, Workers: cfg.Workers,
		PseudonymKey: derivedKey(cfg.ChannelSecret, "taikai log pseudonyms"),
		Trackers:     []bot.Tracker{m, journal},
	})
	q := queue.New(rdb, queue.Options{Prefix: cfg.KeyPrefix, Partitions: cfg.Partitions, LeaseTTL: cfg.LeaseTTL, Log: log})
	m.Gauge("taikai_queue_events", "Events stored and not yet processed (backlog), and those handed to a worker (pending).", "state", q.Depth)
	m.Gauge("taikai_conversations", "Recent conversations (the console's index) by step.", "step", journal.StepCounts)
	mux.Handle("POST /callback", &webhook.Handler{Secret: cfg.ChannelSecret, Intake: q, Log: log, Count: m.Webhook})
	mux.Handle("GET /metrics", m.Handler())
	if cfg.Console {
		cs, err := console.New(console.Options{
			Journal: journal, Handoff: b, Users: cfg.ConsoleUsers, Token: cfg.ConsoleToken,
			Key: derivedKey(cfg.ChannelSecret, "taikai console sessions"), Log: log,
		})
		if err != nil {
			return configErrorf("console: %v", err)
		}
		mux.Handle("/console/", cs.Handler())
	} else {
		log.Info("console off (set CONSOLE_USERS or CONSOLE_TOKEN to turn it on)")
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			http.Error(w, "redis unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	})

	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	qctx, stopQueue := context.WithCancel(context.Background())
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		q.Run(qctx, b, b.Close)
	}()
	defer func() { stopQueue(); <-consumed }()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String())
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown", "err", err)
	}
	// Stop reading the queue, finish the events taken, release the
	// partitions; what is left in the streams is for other replicas.
	stopQueue()
	<-consumed
	log.Info("stopped")
	return nil
}

// derivedKey derives a key for one purpose (log pseudonyms, console
// sessions) from the channel secret: the same in every replica, and telling
// nothing of the secret.
func derivedKey(secret, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// openRedis connects to Redis Cluster (REDIS_CLUSTER_ADDRS), Sentinel
// (REDIS_SENTINEL_ADDRS and REDIS_SENTINEL_MASTER) or one node (REDIS_URL),
// or starts an embedded Redis when none is set, so the same go-redis code
// runs on a machine without Redis.
func openRedis(cfg config, log *slog.Logger) (redis.UniversalClient, func(), error) {
	switch {
	case len(cfg.ClusterAddrs) > 0 || len(cfg.SentinelAddrs) > 0:
		opts := &redis.UniversalOptions{
			Addrs: cfg.ClusterAddrs, Password: cfg.RedisPassword, ContextTimeoutEnabled: true,
			PoolSize: 4*cfg.Partitions + 32, IsClusterMode: len(cfg.ClusterAddrs) > 0,
		}
		if len(cfg.SentinelAddrs) > 0 {
			opts.Addrs, opts.MasterName = cfg.SentinelAddrs, cfg.SentinelMaster
		}
		rdb := redis.NewUniversalClient(opts)
		return rdb, func() { rdb.Close() }, nil
	case cfg.RedisURL == "":
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return nil, nil, fmt.Errorf("embedded redis: %w", err)
		}
		log.Warn("REDIS_URL not set: using an embedded in-process Redis (state is lost on exit)")
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), PoolSize: 4*cfg.Partitions + 32})
		return rdb, func() { rdb.Close(); mr.Close() }, nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, configErrorf("REDIS_URL: %v", err)
	}
	opts.ContextTimeoutEnabled = true
	// Each owned partition holds a connection in a blocking read.
	opts.PoolSize = 4*cfg.Partitions + 32
	rdb := redis.NewClient(opts)
	return rdb, func() { rdb.Close() }, nil
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
