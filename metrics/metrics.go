// Package metrics holds the bot's Prometheus metrics, on a registry the
// caller passes in (never the global one). Every method is safe on a nil
// *Metrics, so the parts that report can run without it.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
)

// Metrics are the bot's metrics.
type Metrics struct {
	reg       *prometheus.Registry
	webhook   *prometheus.CounterVec
	rejected  *prometheus.CounterVec
	events    *prometheus.CounterVec
	latency   prometheus.Histogram
	funnel    *prometheus.CounterVec
	blockers  *prometheus.CounterVec
	reasons   *prometheus.CounterVec
	filings   *prometheus.CounterVec
	reminders *prometheus.CounterVec
	outbound  *prometheus.CounterVec
	outSecs   *prometheus.HistogramVec
	redisErrs prometheus.Counter
}

// New registers the metrics on reg.
func New(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		reg: reg,
		webhook: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taikai_webhook_requests_total",
			Help: "Webhook requests by outcome: ok, bad_signature, too_large, unreadable, undecodable, unavailable."}, []string{"outcome"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taikai_webhook_events_rejected_total",
			Help: "Events dropped at intake, by reason: stale (older than the replay window), bad_user_id (not a LINE user id)."}, []string{"reason"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taikai_events_total",
			Help: "LINE events processed, by type (message, postback, follow, …; ignored, malformed)."}, []string{"type"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "taikai_event_processing_seconds",
			Help: "Time from LINE's delivery of an event to its replies being sent.", Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}),
		funnel: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taikai_funnel_transitions_total",
			Help: "Conversation transitions: started, linked, checked, blocked, clear, warned, reason, confirmed, filed, cancelled, expired, handed_off, reserved, reminded."}, []string{"transition"}),
		blockers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taikai_blockers_found_total",
			Help: "Blockers found by status checks, by kind."}, []string{"kind"}),
		reasons: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taikai_reasons_total",
			Help: "Withdrawal reasons given, by code."}, []string{"code"}),
		filings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taikai_filings_total",
			Help: "Withdrawal filings by outcome: filed, blocked, not_found, unavailable."}, []string{"outcome"}),
		reminders: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taikai_reminders_total",
			Help: "Reminders after a payout: scheduled (a user asked), due (put into the intake when their time came), sent (the account checked again and the user told)."}, []string{"event"}),
		outbound: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taikai_outbound_requests_total",
			Help: "Calls to the LINE and marketplace APIs, by API and HTTP status (\"error\" when no answer came)."}, []string{"api", "status"}),
		outSecs: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "taikai_outbound_request_seconds",
			Help: "Latency of calls to the LINE and marketplace APIs.", Buckets: prometheus.DefBuckets}, []string{"api"}),
		redisErrs: prometheus.NewCounter(prometheus.CounterOpts{Name: "taikai_redis_errors_total",
			Help: "Redis commands that failed (not counting a missing key)."}),
	}
	reg.MustRegister(m.webhook, m.rejected, m.events, m.latency, m.funnel, m.blockers, m.reasons, m.filings, m.reminders, m.outbound, m.outSecs, m.redisErrs)
	return m
}

// Handler serves the registry at /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Webhook counts a webhook request.
func (m *Metrics) Webhook(outcome string) {
	if m != nil {
		m.webhook.WithLabelValues(outcome).Inc()
	}
}

// Rejected counts an event dropped at intake.
func (m *Metrics) Rejected(reason string) {
	if m != nil {
		m.rejected.WithLabelValues(reason).Inc()
	}
}

// Event counts a processed event and how long it took since LINE delivered it.
func (m *Metrics) Event(typ string, since time.Duration) {
	if m != nil {
		m.events.WithLabelValues(typ).Inc()
		if since > 0 {
			m.latency.Observe(since.Seconds())
		}
	}
}

// Funnel counts a conversation transition.
func (m *Metrics) Funnel(transition flows.Transition) {
	if m != nil {
		m.funnel.WithLabelValues(string(transition)).Inc()
	}
}

// Blocker counts n blockers of a kind.
func (m *Metrics) Blocker(kind string, n int) {
	if m != nil {
		m.blockers.WithLabelValues(kind).Add(float64(n))
	}
}

// Reason counts a reason given.
func (m *Metrics) Reason(code string) {
	if m != nil {
		m.reasons.WithLabelValues(code).Inc()
	}
}

// Filing counts a filing's outcome.
func (m *Metrics) Filing(outcome taikai.Outcome) {
	if m != nil {
		m.filings.WithLabelValues(string(outcome)).Inc()
	}
}

// RemindersDue counts reminders put into the intake when their time came.
func (m *Metrics) RemindersDue(n int) {
	if m != nil {
		m.reminders.WithLabelValues("due").Add(float64(n))
	}
}

// Gauge registers a gauge family computed when scraped: f returns the value
// per label value. Used for queue depth and conversations per step.
func (m *Metrics) Gauge(name, help, label string, f func(ctx context.Context) (map[string]float64, error)) {
	if m == nil {
		return
	}
	m.reg.MustRegister(&gaugeFunc{desc: prometheus.NewDesc(name, help, []string{label}, nil), f: f})
}

type gaugeFunc struct {
	desc *prometheus.Desc
	f    func(ctx context.Context) (map[string]float64, error)
}

func (g *gaugeFunc) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *gaugeFunc) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	vals, err := g.f(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(g.desc, err)
		return
	}
	for k, v := range vals {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, v, k)
	}
}

// Transport wraps rt so that every call is counted and timed under api.
func (m *Metrics) Transport(api string, rt http.RoundTripper) http.RoundTripper {
	if m == nil {
		return rt
	}
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		res, err := rt.RoundTrip(r)
		m.outSecs.WithLabelValues(api).Observe(time.Since(start).Seconds())
		status := "error"
		if err == nil {
			status = strconv.Itoa(res.StatusCode)
		}
		m.outbound.WithLabelValues(api, status).Inc()
		return res, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// RedisHook counts failed Redis commands; add it with rdb.AddHook.
func (m *Metrics) RedisHook() redis.Hook { return redisHook{m} }

type redisHook struct{ m *Metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err != nil && err != redis.Nil && h.m != nil {
			h.m.redisErrs.Inc()
		}
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if err != nil && err != redis.Nil && h.m != nil {
			h.m.redisErrs.Inc()
		}
		return err
	}
}

// Track records what an event did (it makes Metrics a chat.Tracker).
func (m *Metrics) Track(_ context.Context, t chat.Turn) {
	if m == nil {
		return
	}
	m.Event(t.Type, t.Latency)
	for _, e := range t.Events {
		m.Funnel(e)
		switch e {
		case flows.EvReason:
			m.Reason(string(t.State.Reason))
		case flows.EvReserved:
			m.reminders.WithLabelValues("scheduled").Inc()
		case flows.EvReminded:
			m.reminders.WithLabelValues("sent").Inc()
		}
	}
	if t.Checked != nil {
		for kind, n := range t.Checked.Blockers() {
			m.Blocker(string(kind), n)
		}
	}
	if t.Filing != nil {
		m.Filing(t.Filing.Outcome)
	}
}
