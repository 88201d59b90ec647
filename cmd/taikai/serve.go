package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"github.com/taikaibot/taikai/internal/random"
	"github.com/taikaibot/taikai/marketplace/sandbox"
	"github.com/taikaibot/taikai/replica"
)

// serve runs one replica of the bot until ctx ends, then shuts it down
// gracefully (see replica.Serve).
func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	rdb, closeRedis, err := replica.OpenRedis(cfg.Redis, log)
	if err != nil {
		return err
	}
	defer closeRedis()
	if cfg.PprofAddr != "" {
		stop, err := servePprof(cfg.PprofAddr, log)
		if err != nil {
			return err
		}
		defer stop()
	}

	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on PORT %d: %w", cfg.Port, err)
	}
	defer ln.Close()
	deps := replica.Deps{Redis: rdb, Log: log}
	if cfg.Replica.MarketURL == "" {
		// No marketplace configured: serve the sandbox from this process.
		port := ln.Addr().(*net.TCPAddr).Port
		token := random.Hex(16)
		sb := sandbox.New(sandbox.Options{Token: token})
		deps.Routes = map[string]http.Handler{"/sandbox/": http.StripPrefix("/sandbox", sb.Handler())}
		cfg.Replica.MarketURL = fmt.Sprintf("http://127.0.0.1:%d/sandbox", port)
		cfg.Replica.MarketToken = token
		if cfg.Replica.LinkURL == "" {
			cfg.Replica.LinkURL = fmt.Sprintf("http://localhost:%d/sandbox/link", port)
		}
		log.Warn("MARKETPLACE_API_URL not set: using the built-in sandbox marketplace", "link_url", cfg.Replica.LinkURL)
	}
	r, err := replica.New(cfg.Replica, deps)
	if err != nil {
		return configErrorf("%v", err)
	}
	return r.Serve(ctx, ln)
}
