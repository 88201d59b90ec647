package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/taikaibot/taikai/lineemu"
	"github.com/taikaibot/taikai/marketplace/sandbox"
)

// port reads PORT, defaulting to def.
func port(getenv func(string) string, def int, ps *problems) int {
	v := getenv("PORT")
	if v == "" {
		return def
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 0 || p > 65535 {
		ps.add("PORT", "PORT=%q is not a port number", v)
		return def
	}
	return p
}

// emulator serves the LINE platform emulator: the Messaging API (what the
// bot and `taikai setup` call), LINE's account-link dialog, and a web chat
// at / where a person chats with the bot as a LINE user. For a local
// system (compose.yaml) only: it accepts http:// webhook endpoints.
func emulator(ctx context.Context, getenv func(string) string, log *slog.Logger) error {
	var ps problems
	secret, token, hook := getenv("LINE_CHANNEL_SECRET"), getenv("LINE_CHANNEL_ACCESS_TOKEN"), getenv("WEBHOOK_URL")
	if secret == "" {
		ps.add("LINE_CHANNEL_SECRET", "LINE_CHANNEL_SECRET is not set (the emulator signs webhooks with it)")
	}
	if token == "" {
		ps.add("LINE_CHANNEL_ACCESS_TOKEN", "LINE_CHANNEL_ACCESS_TOKEN is not set (the emulator accepts only it)")
	}
	if hook != "" && !httpURL(hook) {
		ps.add("WEBHOOK_URL", "WEBHOOK_URL=%q is not an http(s) URL", redactURL(hook))
	}
	p := port(getenv, 8090, &ps)
	if err := ps.err(); err != nil {
		return err
	}
	e := lineemu.New(lineemu.Options{ChannelSecret: secret, AccessToken: token, WebhookURL: hook, AllowHTTPWebhook: true})
	mux := http.NewServeMux()
	mux.Handle("/v2/", e.Handler())
	mux.Handle("/dialog/", e.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.Handle("/", lineemu.NewWebChat(e).Handler())
	// What the bot does against LINE's rules is logged as it happens.
	go func() {
		seen := 0
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			v := e.Violations()
			for _, msg := range v[seen:] {
				log.Warn("LINE rule broken", "violation", msg)
			}
			seen = len(v)
		}
	}()
	log.Info("LINE emulator", "web_chat", fmt.Sprintf("http://localhost:%d/", p), "webhook", hook)
	return listenAndServe(ctx, p, mux, log)
}

// sandboxServer serves the sandbox marketplace: the API of
// api/marketplace.yaml with the demo accounts, and its login (link) page at
// /link, which sends the browser to LINE_ACCOUNT_LINK_URL.
func sandboxServer(ctx context.Context, getenv func(string) string, log *slog.Logger) error {
	var ps problems
	token, link := getenv("MARKETPLACE_API_TOKEN"), getenv("LINE_ACCOUNT_LINK_URL")
	if token == "" {
		ps.add("MARKETPLACE_API_TOKEN", "MARKETPLACE_API_TOKEN is not set (the sandbox accepts only it)")
	}
	if link != "" && !httpURL(link) {
		ps.add("LINE_ACCOUNT_LINK_URL", "LINE_ACCOUNT_LINK_URL=%q is not an http(s) URL", redactURL(link))
	}
	p := port(getenv, 8091, &ps)
	if err := ps.err(); err != nil {
		return err
	}
	sb := sandbox.New(sandbox.Options{Token: token, AccountLinkURL: link})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.Handle("/", sb.Handler())
	log.Info("sandbox marketplace", "link_page", fmt.Sprintf("http://localhost:%d/link", p), "account_link_url", link)
	return listenAndServe(ctx, p, mux, log)
}

// listenAndServe serves h on port until ctx ends, then stops gracefully.
func listenAndServe(ctx context.Context, port int, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("listen on PORT %d: %w", port, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
