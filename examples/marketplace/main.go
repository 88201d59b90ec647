// Command marketplace is a minimal example of the marketplace side of
// taikai's contract (api/marketplace.yaml): the three API calls the bot
// makes, and the account-link page a LINE user is sent to.
//
// It keeps its accounts in memory and its "login" is a form that asks for an
// account id: both stand in for your database and your real sign-in. What it
// does show is the contract's rules: bearer-token authentication, blockers
// computed from the account, filing exactly once per Idempotency-Key, and
// single-use, 10-minute, 128-bit link nonces. Run it behind HTTPS.
//
//	MARKETPLACE_API_TOKEN=… go run ./examples/marketplace
//
// Settings (environment): MARKETPLACE_API_TOKEN (required, the same as the
// bot's), PORT (default 8081), LINE_ACCOUNT_LINK_URL (LINE's account-link
// dialog; default https://access.line.me/dialog/bot/accountLink).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, nil); err != nil {
		fmt.Fprintln(os.Stderr, "marketplace:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. If ready is not nil, the listening address is
// sent on it.
func run(ctx context.Context, getenv func(string) string, ready chan<- string) error {
	token := getenv("MARKETPLACE_API_TOKEN")
	if len(token) < 16 {
		return errors.New("MARKETPLACE_API_TOKEN must be set, 16 characters or more")
	}
	port := getenv("PORT")
	if port == "" {
		port = "8081"
	}
	dialog := getenv("LINE_ACCOUNT_LINK_URL")
	if dialog == "" {
		dialog = "https://access.line.me/dialog/bot/accountLink"
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	srv := &http.Server{
		Handler:           newServer(token, dialog, exampleAccounts(), time.Now).routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("", port))
	if err != nil {
		return err
	}
	log.Info("serving", "addr", ln.Addr().String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
