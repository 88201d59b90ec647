// Package demo runs the whole system in one process — replicas of the bot
// (built by package replica, as `taikai serve` builds its one), an embedded
// Redis, the sandbox marketplace and the LINE platform emulator, each on its
// own loopback port — and a chat with it in a terminal. `taikai demo` and
// the system tests (e2e) use it.
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

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/lineemu"
	"github.com/taikaibot/taikai/marketplace/sandbox"
	"github.com/taikaibot/taikai/queue"
	"github.com/taikaibot/taikai/replica"
	"github.com/taikaibot/taikai/retry"
	"github.com/taikaibot/taikai/store"
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
	Accounts []sandbox.Account
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
}

// ConsoleToken is the demo console's sign-in token.
const ConsoleToken = "demo-console-token"

// System is the whole bot in one process.
type System struct {
	Emulator *lineemu.Emulator
	Sandbox  *sandbox.Server
	Store    *store.Store
	Clock    *Clock
	// Language is the demo user's LINE profile language.
	Language string
	// Replicas are the bot's replicas, sharing one Redis; BotURL is the
	// first one's.
	Replicas []*Replica

	processed atomic.Int64
	// Queue sees every replica's queue (they share Redis).
	Queue *queue.Queue
	// BotURL, LineURL and MarketURL are where each part listens.
	BotURL, LineURL, MarketURL string

	closers []func()
}

// Replica is one replica of the bot, serving on URL.
type Replica struct {
	*replica.Replica
	URL string
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
	sys.Language = cfg.Language
	defer func() {
		if err != nil {
			sys.Close()
		}
	}()
	rdb := cfg.Redis
	if rdb == nil {
		embedded, closeRedis, err := replica.OpenRedis(replica.Redis{PoolSize: 64}, nil)
		if err != nil {
			return nil, err
		}
		rdb = embedded
		sys.closers = append(sys.closers, closeRedis)
	}
	sys.Store = store.New(rdb, store.Options{Prefix: cfg.KeyPrefix})
	if cfg.Partitions == 0 {
		cfg.Partitions = 4
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
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
	sys.Sandbox = sandbox.New(sandbox.Options{
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
		sys.BotURL = first.URL
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	r, err := replica.New(replica.Config{
		ChannelSecret: ChannelSecret, AccessToken: AccessToken, LineURL: s.LineURL,
		MarketURL: s.MarketURL, MarketToken: MarketToken, LinkURL: s.MarketURL + "/link", TipsURL: "https://market.example/guide/selling", StaffHours: cfg.StaffHours,
		KeyPrefix: cfg.KeyPrefix, Expiry: cfg.Expiry, Partitions: cfg.Partitions,
		// Short, so that a stopped replica's partitions move soon, and a
		// replica stops soon.
		LeaseTTL: 3 * time.Second, QueueBlock: 50 * time.Millisecond,
		Console: true, ConsoleToken: cfg.ConsoleToken,
		Retry: retry.Default(),
	}, replica.Deps{Redis: rdb, Log: log, Now: s.Clock.Now, Trackers: []chat.Tracker{counter{&s.processed}}})
	if err != nil {
		ln.Close()
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		r.Serve(ctx, ln)
	}()
	var once sync.Once
	rep := &Replica{Replica: r, URL: "http://" + ln.Addr().String(), Stop: func() {
		once.Do(func() {
			stop()
			<-served
		})
	}}
	s.closers = append([]func(){rep.Stop}, s.closers...)
	return rep, nil
}

// Remind puts the reminders due now into the intake, through every
// replica's poller (each returns once what any poll of its own took is in
// the intake), as the pollers would within seconds.
func (s *System) Remind(ctx context.Context) error {
	for _, r := range s.Replicas {
		if _, err := r.Reminders.Poll(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Processed counts the events the in-process replicas have processed.
func (s *System) Processed() int64 { return s.processed.Load() }

// counter is a chat.Tracker that counts events.
type counter struct{ n *atomic.Int64 }

func (c counter) Track(context.Context, chat.Turn) { c.n.Add(1) }

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
	if s.Emulator != nil {
		// A connection the emulator's client dialled and never used would
		// hold a replica's graceful shutdown for 5 seconds (net/http waits
		// that long for a first request).
		s.Emulator.CloseIdleConnections()
	}
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
