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
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/bot"
	"github.com/taikaibot/taikai/console"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/lineemu"
	"github.com/taikaibot/taikai/marketplace"
	"github.com/taikaibot/taikai/metrics"
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
	// Replicas of the bot; default 1, and -1 for none (the test runs its own).
	Replicas int
	// LineFaults, if set, wraps the LINE emulator's handler (to inject faults).
	LineFaults func(http.Handler) http.Handler
	// ConsoleToken signs staff in to the console; default ConsoleToken.
	ConsoleToken string
	// Language is the demo user's LINE profile language; default "ja".
	Language string
	// Start is where the clock starts (it then runs); default now.
	Start time.Time
	// StaffHours are when staff answer; the zero value is "always".
	StaffHours flows.StaffHours
	// Understander reads what users type; nil is flows.Understand.
	Understander flows.Understander
}

// ConsoleToken is the demo console's sign-in token.
const ConsoleToken = "demo-console-token"

// System is the whole bot in one process.
type System struct {
	Emulator *lineemu.Emulator
	Sandbox  *marketplace.Sandbox
	Store    *store.Store
	Clock    *Clock
	// Replicas are the bot's replicas, sharing one Redis; Bot and BotURL
	// are the first one's.
	Replicas []*Replica
	Bot      *bot.Bot
	// Journal is what the staff console shows.
	Journal *console.Journal

	processed atomic.Int64
	// Queue sees every replica's queue (they share Redis).
	Queue *queue.Queue
	// BotURL, LineURL and MarketURL are where each part listens.
	BotURL, LineURL, MarketURL string

	closers []func()
}

// Replica is one instance of the bot: its runtime, its queue consumer and
// its webhook server.
type Replica struct {
	Bot     *bot.Bot
	Queue   *queue.Queue
	Metrics *metrics.Metrics
	URL     string
	// Stop stops the replica gracefully (webhook first, then the consumer).
	Stop func()
}

// Start starts a System; Close stops it.
func Start(cfg Config) (sys *System, err error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sys = &System{Clock: &Clock{}}
	if !cfg.Start.IsZero() {
		sys.Clock.Advance(time.Until(cfg.Start))
	}
	if cfg.Language == "" {
		cfg.Language = "ja"
	}
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
		rc := redis.NewClient(&redis.Options{Addr: mr.Addr(), PoolSize: 64})
		rdb = rc
		sys.closers = append(sys.closers, func() { rc.Close(); mr.Close() })
	}
	sys.Store = store.New(rdb, store.Options{Prefix: cfg.KeyPrefix})
	if cfg.Partitions == 0 {
		cfg.Partitions = 4
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	sys.Journal = console.NewJournal(rdb, cfg.KeyPrefix, console.Retention{})
	if cfg.ConsoleToken == "" {
		cfg.ConsoleToken = ConsoleToken
	}
	// The system's own view of the queue, for Wait; replicas have their own.
	sys.Queue = queue.New(rdb, queue.Options{Prefix: cfg.KeyPrefix, Partitions: cfg.Partitions})

	lineURL, lineSrv, err := listen()
	if err != nil {
		return nil, err
	}
	marketURL, marketSrv, err := listen()
	if err != nil {
		return nil, err
	}
	sys.LineURL, sys.MarketURL = lineURL, marketURL
	sys.Emulator = lineemu.New(lineemu.Options{ChannelSecret: ChannelSecret, AccessToken: AccessToken, Now: sys.Clock.Now})
	sys.Emulator.AddUser(lineemu.Profile{UserID: User, DisplayName: "デモユーザー", Language: cfg.Language})
	sys.Sandbox = marketplace.NewSandbox(marketplace.SandboxOptions{
		Token: MarketToken, AccountLinkURL: lineURL + "/dialog/bot/accountLink", Accounts: cfg.Accounts, Now: sys.Clock.Now,
		OrderURL: func(id string) string { return "https://market.example/orders/" + id },
	})
	var market http.Handler = sys.Sandbox.Handler()
	if cfg.MarketFaults != nil {
		market = cfg.MarketFaults(market)
	}
	var line http.Handler = sys.Emulator.Handler()
	if cfg.LineFaults != nil {
		line = cfg.LineFaults(line)
	}
	sys.serve(lineSrv, line)
	sys.serve(marketSrv, market)

	for i := 0; i < cfg.Replicas; i++ {
		r, err := sys.startReplica(cfg, rdb, log)
		if err != nil {
			return nil, err
		}
		sys.Replicas = append(sys.Replicas, r)
	}
	if len(sys.Replicas) > 0 {
		first := sys.Replicas[0]
		sys.Bot, sys.BotURL = first.Bot, first.URL
		sys.Emulator.SetWebhookURL(first.URL + "/callback")
	}
	return sys, nil
}

func (s *System) serve(srv *server, h http.Handler) {
	srv.Handler = h
	go srv.Serve(srv.ln)
	s.closers = append([]func(){func() { srv.Close() }}, s.closers...)
}

func (s *System) startReplica(cfg Config, rdb redis.UniversalClient, log *slog.Logger) (*Replica, error) {
	url, srv, err := listen()
	if err != nil {
		return nil, err
	}
	m := metrics.New(prometheus.NewRegistry())
	lineHC, marketHC := bot.NewHTTPClient(5*time.Second), bot.NewHTTPClient(5*time.Second)
	lineHC.Transport = m.Transport("line", lineHC.Transport)
	marketHC.Transport = m.Transport("marketplace", marketHC.Transport)
	lc, err := bot.NewLineClient(s.LineURL, AccessToken, lineHC)
	if err != nil {
		return nil, err
	}
	mc, err := marketplace.NewClient(s.MarketURL, MarketToken, marketHC)
	if err != nil {
		return nil, err
	}
	b := bot.New(bot.Options{
		Store: s.Store, Marketplace: mc, LINE: lc, Log: log,
		LinkURL: s.MarketURL + "/link", TipsURL: "https://market.example/guide/selling",
		StaffHours: cfg.StaffHours, Understander: cfg.Understander,
		Expiry: cfg.Expiry, Now: s.Clock.Now, Trackers: []bot.Tracker{m, s.Journal, counter{&s.processed}},
	})
	q := queue.New(rdb, queue.Options{Prefix: cfg.KeyPrefix, Partitions: cfg.Partitions, LeaseTTL: 3 * time.Second, Block: 50 * time.Millisecond, Log: log})
	m.Gauge("taikai_queue_events", "Events stored and not yet processed, and those handed to a worker.", "state", q.Depth)
	m.Gauge("taikai_conversations", "Recent conversations by step.", "step", s.Journal.StepCounts)
	cs, err := console.New(console.Options{Journal: s.Journal, Handoff: b, Token: cfg.ConsoleToken, Key: []byte("demo console signing key"), Log: log, Now: s.Clock.Now})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /callback", &webhook.Handler{Secret: ChannelSecret, Intake: q, Log: log, Now: s.Clock.Now, Count: m.Webhook})
	mux.Handle("GET /metrics", m.Handler())
	mux.Handle("/console/", cs.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	srv.Handler = mux
	go srv.Serve(srv.ln)

	ctx, stop := context.WithCancel(context.Background())
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		q.Run(ctx, b, b.Close)
	}()
	var once sync.Once
	r := &Replica{Bot: b, Queue: q, Metrics: m, URL: url, Stop: func() {
		once.Do(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			srv.Shutdown(sctx)
			cancel()
			stop()
			<-consumed
		})
	}}
	s.closers = append([]func(){r.Stop}, s.closers...)
	return r, nil
}

// Processed counts the events the in-process replicas have processed.
func (s *System) Processed() int64 { return s.processed.Load() }

// counter is a bot.Tracker that counts events.
type counter struct{ n *atomic.Int64 }

func (c counter) Track(context.Context, bot.Track) { c.n.Add(1) }

// Wait blocks until every event taken by the webhooks has been processed.
func (s *System) Wait() { s.WaitContext(context.Background()) }

// WaitContext is Wait, giving up when ctx ends.
func (s *System) WaitContext(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, r := range s.Replicas {
			r.Bot.Wait()
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		n, err := s.Queue.Backlog(ctx)
		cancel()
		if err == nil && n == 0 {
			for _, r := range s.Replicas {
				r.Bot.Wait()
			}
			return nil
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
