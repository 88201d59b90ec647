// Package replica builds one replica of the bot — its store, queue
// consumer, runtime, LINE and marketplace clients, webhook, health check,
// metrics and staff console — and serves it. `taikai serve`, the demo and
// the system tests all build their replicas here, so what the tests run is
// the wiring production runs.
//
// It knows no stand-ins: the LINE emulator and the sandbox marketplace are
// reached through the URLs in Config, or mounted with Deps.Routes.
package replica

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/bot"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/console"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/line"
	"github.com/taikaibot/taikai/marketplace"
	"github.com/taikaibot/taikai/metrics"
	"github.com/taikaibot/taikai/queue"
	"github.com/taikaibot/taikai/retry"
	"github.com/taikaibot/taikai/store"
	"github.com/taikaibot/taikai/webhook"
)

// Config is what a replica is told; `taikai serve` reads it from the
// environment (see README). Zero values take the defaults named.
type Config struct {
	// ChannelSecret verifies webhooks; the key of log pseudonyms is derived
	// from it, so all replicas agree. Nothing of the console is.
	ChannelSecret string
	AccessToken   string
	// LineURL is the Messaging API endpoint; default https://api.line.me.
	LineURL string

	MarketURL, MarketToken string
	// LinkURL is the marketplace's account-link page.
	LinkURL string
	// TipsURL is offered to users who find it hard to earn; may be empty.
	TipsURL string
	// StaffHours are when staff answer in the chat; the zero value is
	// "always" (`taikai serve` defaults to flows.DefaultStaffHours).
	StaffHours flows.StaffHours

	// KeyPrefix starts every Redis key; default "taikai:".
	KeyPrefix string
	// Expiry is how long a conversation may idle; default 24h.
	Expiry time.Duration
	// Partitions of the queue; default 16; the same on every replica.
	Partitions int
	// Workers is how many users are served at once; default 64.
	Workers int
	// LeaseTTL is how long a dead replica keeps its partitions; default 10s.
	LeaseTTL time.Duration
	// NoAutoPipeline sends each Redis command of the event path on its own
	// round trip instead of through go-redis's autopipeliner (an
	// experimental go-redis API: this is its off switch,
	// REDIS_AUTOPIPELINE=off).
	NoAutoPipeline bool
	// QueueBlock is how long a read of the queue waits for new events; it
	// also bounds how long stopping takes. Default 1s.
	QueueBlock time.Duration
	// ReminderPoll is how often the replica looks for reminders that came
	// due; default 5s.
	ReminderPoll time.Duration

	// Console turns the staff console on; it needs ConsoleUsers (name →
	// password) or ConsoleToken.
	Console      bool
	ConsoleUsers map[string]string
	ConsoleToken string
	// ConsoleSecret keys the console's sessions, throttle and CSRF tokens
	// (see console.Options.Secret); empty: one is made and kept in Redis.
	ConsoleSecret  string
	AuditRetention time.Duration

	// MetricsToken, when set, is the bearer token /metrics asks for.
	MetricsToken string
	// MetricsAddr, when set, is where /metrics is served (host:port), instead
	// of the main port.
	MetricsAddr string

	// Retry is how LINE and marketplace calls are tried again, and how
	// patiently events and acknowledgements are; default retry.Default().
	Retry retry.Policy
	// CallTimeout bounds each outbound call; default 5s (a user is waiting,
	// and a reply token lives a minute).
	CallTimeout time.Duration
}

// Deps are what a replica is given rather than told.
type Deps struct {
	// Redis is required; OpenRedis makes one from settings.
	Redis redis.UniversalClient
	Log   *slog.Logger
	// Now is the clock; default time.Now (the demo moves it forward).
	Now func() time.Time
	// Trackers are told of each event, besides the metrics and the journal.
	Trackers []chat.Tracker
	// Routes are more handlers to serve, by pattern: the sandbox marketplace
	// under "/sandbox/" when `taikai serve` has none configured.
	Routes map[string]http.Handler
}

// Replica is one instance of the bot. Serve runs it.
type Replica struct {
	Bot   *bot.Bot
	Queue *queue.Queue
	// Reminders is the index of reminders users asked for, and its poller
	// (Serve runs it).
	Reminders *queue.Reminders
	Store     *store.Store
	Journal   *console.Journal
	Metrics   *metrics.Metrics
	// Handler serves every route: POST /callback, GET /healthz, GET
	// /readyz, GET /metrics (unless Config.MetricsAddr is set), /console/
	// (when on) and Deps.Routes.
	Handler http.Handler
	// MetricsHandler serves GET /metrics alone (behind Config.MetricsToken
	// when set); Serve serves it on Config.MetricsAddr when that is set.
	MetricsHandler http.Handler

	metricsAddr string
	log         *slog.Logger
	// consuming is set while Serve's queue worker runs: from its start to
	// the beginning of a shutdown.
	consuming atomic.Bool
}

// overdueAfter is how long after its time a reminder not yet taken counts
// as overdue (replicas poll every few seconds).
const overdueAfter = 5 * time.Minute

// Server timeouts: a webhook body is small and LINE waits 2s for the answer;
// the console's pages are small too.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	// shutdownTimeout bounds the wait for webhooks in flight at shutdown.
	shutdownTimeout = 20 * time.Second
)

// New builds a replica. Its errors name the setting at fault.
func New(cfg Config, deps Deps) (*Replica, error) {
	if deps.Redis == nil {
		return nil, errors.New("replica: no Redis")
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.LineURL == "" {
		cfg.LineURL = "https://api.line.me"
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = 24 * time.Hour
	}
	if cfg.Retry.MaxBackoff <= 0 {
		cfg.Retry = retry.Default()
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 5 * time.Second
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg)
	deps.Redis.AddHook(m.RedisHook())
	intake := intakeClient(deps.Redis)
	if intake != deps.Redis {
		intake.AddHook(m.RedisHook())
	}
	// The events' loads, saves and journal writes, issued one at a time by
	// many events at once, go to Redis together (see autoPipelined). Not the
	// intake's: the autopipeliner does not honour a command's own deadline,
	// and the webhook's 800 ms one is what turns a hanging Redis into a 503.
	rdb, batch := deps.Redis, queue.Submitter(nil)
	if !cfg.NoAutoPipeline {
		rdb, batch = autoPipelined(deps.Redis), intakeBatch(intake)
	}

	lc, err := line.NewClient(cfg.LineURL, cfg.AccessToken, httpClient(cfg.CallTimeout, m, "line"))
	if err != nil {
		return nil, fmt.Errorf("LINE_CHANNEL_ACCESS_TOKEN: %w", err)
	}
	lc.Retry = cfg.Retry
	mc, err := marketplace.NewClient(cfg.MarketURL, cfg.MarketToken, httpClient(cfg.CallTimeout, m, "marketplace"))
	if err != nil {
		return nil, fmt.Errorf("MARKETPLACE_API_URL: %w", err)
	}
	mc.Retry = cfg.Retry
	// Account ids appear in logs as user ids do: as a keyed hash.
	mc.Pseudonym = pseudonym(PseudonymKey(cfg.ChannelSecret))

	st := store.New(rdb, store.Options{Prefix: cfg.KeyPrefix, ConvTTL: 2 * cfg.Expiry, Journal: console.CardScript})
	journal := console.NewJournal(rdb, cfg.KeyPrefix, console.Retention{Audit: cfg.AuditRetention})
	journal.SetLog(log)
	if deps.Now != nil {
		journal.SetClock(deps.Now)
	}
	q := queue.New(deps.Redis, queue.Options{
		Intake: intake, Batch: batch, Prefix: cfg.KeyPrefix, Partitions: cfg.Partitions, LeaseTTL: cfg.LeaseTTL, Block: cfg.QueueBlock, Retry: cfg.Retry, Log: log,
	})
	rem := queue.NewReminders(q, queue.ReminderOptions{Every: cfg.ReminderPoll, Now: deps.Now, Due: m.RemindersDue})
	b := bot.New(bot.Options{
		Store: st, Marketplace: mc, Channel: lc, Log: log,
		LinkURL: cfg.LinkURL, TipsURL: cfg.TipsURL, StaffHours: cfg.StaffHours,
		Expiry: cfg.Expiry, Workers: cfg.Workers,
		PseudonymKey: PseudonymKey(cfg.ChannelSecret),
		Trackers:     append([]chat.Tracker{m, journal}, deps.Trackers...),
		Reminders:    rem,
		Retry:        cfg.Retry,
		Now:          deps.Now,
	})
	m.Gauge("taikai_queue_events", "Events stored and not yet processed (backlog), and those handed to a worker (pending).", "state", q.Depth)
	m.Gauge("taikai_reminders", "Reminders users asked for: set (due or not), and overdue (due more than 5 minutes ago and not taken yet: no replica polls).", "state",
		func(ctx context.Context) (map[string]float64, error) {
			set, err := rem.Count(ctx)
			if err != nil {
				return nil, err
			}
			late, err := rem.Overdue(ctx, overdueAfter)
			return map[string]float64{"set": float64(set), "overdue": float64(late)}, err
		})
	m.Gauge("taikai_conversations", "Conversations active in the last 30 days, by the step they are at (the console's journal).", "step", journal.StepCounts)

	rep := &Replica{Bot: b, Queue: q, Reminders: rem, Store: st, Journal: journal, Metrics: m, metricsAddr: cfg.MetricsAddr, log: log}
	metricsMux := http.NewServeMux()
	metricsMux.Handle("GET /metrics", bearer(cfg.MetricsToken, m.Handler()))
	mux := http.NewServeMux()
	mux.Handle("POST /callback", &webhook.Handler{Secret: cfg.ChannelSecret, Intake: q, Log: log, Now: deps.Now, Count: m.Webhook, Reject: m.Rejected})
	if cfg.MetricsAddr == "" {
		mux.Handle("GET /metrics", metricsMux)
	}
	// Liveness: the process answers. Nothing outside it (Redis) counts, so
	// that a Redis outage makes replicas unready, not restarted.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	// Readiness: this replica can take webhooks and process them.
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !rep.consuming.Load() {
			http.Error(w, "queue worker not running", http.StatusServiceUnavailable)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			http.Error(w, "redis unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	})
	if cfg.Console {
		cs, err := console.New(console.Options{
			Journal: journal, Handoff: b, Replier: b, Quota: lc, Users: cfg.ConsoleUsers, Token: cfg.ConsoleToken,
			Secret: consoleSecret(cfg.ConsoleSecret), Log: log, Now: deps.Now,
		})
		if err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
		mux.Handle("/console/", cs.Handler())
	} else {
		log.Info("console off (set CONSOLE_USERS or CONSOLE_TOKEN to turn it on)")
	}
	for pattern, h := range deps.Routes {
		mux.Handle(pattern, h)
	}
	rep.Handler, rep.MetricsHandler = noSniff(mux), noSniff(metricsMux)
	return rep, nil
}

// noSniff tells browsers to take every answer for the type it says it is.
func noSniff(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// bearer asks for token (when set) as a bearer token, compared in constant
// time.
func bearer(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="taikai metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Serve serves webhooks on ln and consumes the queue until ctx ends, then
// shuts down gracefully: it stops taking webhooks, stops reading the queue,
// finishes the events taken and releases its partitions, so that other
// replicas take over at once; what is left in the streams is theirs.
func (r *Replica) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           r.Handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
	qctx, stopQueue := context.WithCancel(context.Background())
	consumed := make(chan struct{})
	r.consuming.Store(true)
	go func() {
		defer close(consumed)
		defer r.consuming.Store(false)
		r.Queue.Run(qctx, r.Bot, r.Bot.Close)
	}()
	// The journal's counters are flushed once a second, and once more
	// after the last event is processed.
	jctx, stopJournal := context.WithCancel(context.Background())
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		r.Journal.Run(jctx)
	}()
	// Reminders that came due go into the intake while the queue runs.
	reminded := make(chan struct{})
	go func() {
		defer close(reminded)
		r.Reminders.Run(qctx)
	}()
	defer func() { stopQueue(); <-consumed; <-reminded; stopJournal(); <-flushed }()

	go r.refreshGauges(qctx)

	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	if r.metricsAddr != "" {
		mln, err := net.Listen("tcp", r.metricsAddr)
		if err != nil {
			return fmt.Errorf("METRICS_ADDR: %w", err)
		}
		msrv := &http.Server{Handler: r.MetricsHandler, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
			WriteTimeout: writeTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes}
		servers = append(servers, msrv)
		go func() { errc <- msrv.Serve(mln) }()
		r.log.Info("serving metrics", "addr", mln.Addr().String())
	}
	go func() { errc <- srv.Serve(ln) }()
	r.log.Info("serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		for _, s := range servers {
			s.Close()
		}
		return err
	case <-ctx.Done():
	}
	r.log.Info("shutting down")
	// Unready at once, so that load balancers stop sending webhooks here
	// while the last ones are finished.
	r.consuming.Store(false)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error("shutdown", "err", err)
		}
	}
	stopQueue()
	<-consumed
	<-reminded
	stopJournal()
	<-flushed
	r.log.Info("stopped")
	return nil
}

// refreshGauges recomputes, now and every console.StepsEvery until ctx
// ends, what the gauges show that is too costly to compute per scrape (the
// conversations per step), and trims the console's indexes; one replica at
// a time does the work.
func (r *Replica) refreshGauges(ctx context.Context) {
	tick := time.NewTicker(console.StepsEvery)
	defer tick.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, console.StepsEvery/2)
		if err := r.Journal.RefreshStepCounts(rctx); err != nil && ctx.Err() == nil {
			r.log.Warn("conversations per step not counted", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// httpClient is a client for outbound calls to api, counted and timed by
// m: a timeout, and a transport that keeps enough idle connections per host
// (the default keeps 2, which costs about a third of the throughput under
// load).
func httpClient(timeout time.Duration, m *metrics.Metrics, api string) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Timeout: timeout, Transport: m.Transport(api, t)}
}

// PseudonymKey is the key of the hash that stands for user ids in logs (and
// for what is remembered of a user after their data is erased), derived from
// the channel secret: `taikai erase` needs it to find such records.
func PseudonymKey(channelSecret string) []byte {
	return derivedKey(channelSecret, "taikai log pseudonyms")
}

// pseudonym stands for an id in logs: a keyed hash, the same in every
// replica (the bot's, for user ids, is made the same way).
func pseudonym(key []byte) func(string) string {
	return func(id string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id))
		return hex.EncodeToString(m.Sum(nil))[:12]
	}
}

// consoleSecret is CONSOLE_SECRET as a key; nil when unset (the console
// then keeps one in Redis).
func consoleSecret(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// derivedKey derives a key for one purpose (log pseudonyms) from the
// channel secret: the same in every replica, and telling
// nothing of the secret.
func derivedKey(secret, purpose string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(purpose))
	return h.Sum(nil)
}
