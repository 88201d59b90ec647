// Package demo runs the whole system in one process — the bot and its
// webhook, an embedded Redis, the sandbox marketplace and the LINE platform
// emulator, each on its own loopback port — and a chat with it in a
// terminal. `taikai demo` and the end-to-end tests use it.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/taikaibot/taikai/bot"
	"github.com/taikaibot/taikai/lineemu"
	"github.com/taikaibot/taikai/marketplace"
	"github.com/taikaibot/taikai/queue"
	"github.com/taikaibot/taikai/store"
	"github.com/taikaibot/taikai/webhook"
)

// Demo credentials: the emulator and the sandbox accept these.
const (
	ChannelSecret = "8c570fa6dd201bb328f1c1eac23a96d8"
	AccessToken   = "demo-channel-access-token"
	MarketToken   = "demo-marketplace-token"
	// User is the demo's LINE user.
	User = "Ue8dafe9e1ea8071f3031bf970cc75bcf"
)

// Clock is a clock that can be moved forward, to show what happens after a
// day of silence.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now returns the wall time plus the offset.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Config configures a System. The zero value runs everything embedded.
type Config struct {
	Log *slog.Logger
	// Redis to use; nil starts an embedded one (miniredis).
	Redis redis.UniversalClient
	// KeyPrefix for the store; default "taikai:".
	KeyPrefix string
	// Expiry of an idle conversation; default 24h.
	Expiry time.Duration
	// Accounts for the sandbox; default the demo accounts.
	Accounts []marketplace.SandboxAccount
	// MarketFaults, if set, wraps the sandbox's handler (to inject faults).
	MarketFaults func(http.Handler) http.Handler
	// Partitions of the queue; default 4.
	Partitions int
}

// System is the whole bot in one process.
type System struct {
	Emulator *lineemu.Emulator
	Sandbox  *marketplace.Sandbox
	Bot      *bot.Bot
	Store    *store.Store
	Queue    *queue.Queue
	Clock    *Clock
	// BotURL, LineURL and MarketURL are where each part listens.
	BotURL, LineURL, MarketURL string

	closers []func()
}

// Start starts a System; Close stops it.
func Start(cfg Config) (sys *System, err error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sys = &System{Clock: &Clock{}}
	defer func() {
		if err != nil {
			sys.Close()
		}
	}()
	rdb := cfg.Redis
	if rdb == nil {
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("embedded redis: %w", err)
		}
		rc := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		rdb = rc
		sys.closers = append(sys.closers, func() { rc.Close(); mr.Close() })
	}
	sys.Store = store.New(rdb, store.Options{Prefix: cfg.KeyPrefix})
	if cfg.Partitions == 0 {
		cfg.Partitions = 4
	}
	sys.Queue = queue.New(rdb, queue.Options{Prefix: cfg.KeyPrefix, Partitions: cfg.Partitions, LeaseTTL: 3 * time.Second, Block: 50 * time.Millisecond, Log: log})

	lineURL, lineSrv, err := listen()
	if err != nil {
		return nil, err
	}
	marketURL, marketSrv, err := listen()
	if err != nil {
		return nil, err
	}
	botURL, botSrv, err := listen()
	if err != nil {
		return nil, err
	}
	sys.LineURL, sys.MarketURL, sys.BotURL = lineURL, marketURL, botURL

	sys.Emulator = lineemu.New(lineemu.Options{
		ChannelSecret: ChannelSecret, AccessToken: AccessToken,
		WebhookURL: botURL + "/callback", Now: sys.Clock.Now,
	})
	sys.Emulator.AddUser(lineemu.Profile{UserID: User, DisplayName: "デモユーザー", Language: "ja"})
	sys.Sandbox = marketplace.NewSandbox(marketplace.SandboxOptions{
		Token: MarketToken, AccountLinkURL: lineURL + "/dialog/bot/accountLink", Accounts: cfg.Accounts, Now: sys.Clock.Now,
		OrderURL: func(id string) string { return "https://market.example/orders/" + id },
	})

	hc := bot.NewHTTPClient(5 * time.Second)
	lc, err := bot.NewLineClient(lineURL, AccessToken, hc)
	if err != nil {
		return nil, err
	}
	mc, err := marketplace.NewClient(marketURL, MarketToken, hc)
	if err != nil {
		return nil, err
	}
	sys.Bot = bot.New(bot.Options{
		Store: sys.Store, Marketplace: mc, LINE: lc, Log: log,
		LinkURL: marketURL + "/link", TipsURL: "https://market.example/guide/selling",
		Expiry: cfg.Expiry, Now: sys.Clock.Now,
	})
	mux := http.NewServeMux()
	mux.Handle("POST /callback", &webhook.Handler{Secret: ChannelSecret, Intake: sys.Queue, Log: log, Now: sys.Clock.Now})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })

	var market http.Handler = sys.Sandbox.Handler()
	if cfg.MarketFaults != nil {
		market = cfg.MarketFaults(market)
	}
	for _, s := range []struct {
		srv *server
		h   http.Handler
	}{{lineSrv, sys.Emulator.Handler()}, {marketSrv, market}, {botSrv, mux}} {
		s.srv.Handler = s.h
		srv := s.srv
		go srv.Serve(srv.ln)
		sys.closers = append([]func(){func() { srv.Close() }}, sys.closers...)
	}
	ctx, stop := context.WithCancel(context.Background())
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		sys.Queue.Run(ctx, sys.Bot, sys.Bot.Close)
	}()
	sys.closers = append([]func(){func() { stop(); <-consumed }}, sys.closers...)
	return sys, nil
}

// Wait blocks until every event taken by the webhook has been processed.
func (s *System) Wait() {
	for {
		s.Bot.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		n, err := s.Queue.Backlog(ctx)
		cancel()
		if err == nil && n == 0 {
			s.Bot.Wait()
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Close stops everything.
func (s *System) Close() {
	for _, c := range s.closers {
		c()
	}
	s.closers = nil
}

type server struct {
	*http.Server
	ln net.Listener
}

func listen() (string, *server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	return "http://" + ln.Addr().String(), &server{Server: &http.Server{ReadHeaderTimeout: 5 * time.Second}, ln: ln}, nil
}
