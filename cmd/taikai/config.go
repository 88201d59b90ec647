package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	// STAFF_HOURS names a time zone (Asia/Tokyo by default): the binary
	// carries the zone database, so it starts where the system has none.
	_ "time/tzdata"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/replica"
	"github.com/taikaibot/taikai/retry"
)

// config is everything `taikai serve` (and `taikai check`) reads from the
// environment.
type config struct {
	Replica replica.Config // MarketURL "" → the sandbox, served by this process under /sandbox/
	Redis   replica.Redis  // nothing set → an embedded Redis
	Port    int
	// CheckAccount is a marketplace account `taikai check` reads the status
	// of; "" → a made-up one, whose 404 shows the API answers and takes the token.
	CheckAccount string
	PprofAddr    string // "" → no profiles served (PPROF_ADDR, for benchmarks and debugging)
}

// setting is an environment variable of `taikai serve` and `taikai check`,
// as README's Configuration table lists it: `taikai check` prints each with
// its value or what an empty one means, masking secrets.
type setting struct {
	name   string
	empty  string // what an empty value means
	secret bool
}

var settings = []setting{
	{"LINE_CHANNEL_SECRET", "required", true},
	{"LINE_CHANNEL_ACCESS_TOKEN", "required", true},
	{"LINE_API_BASE_URL", "https://api.line.me", false},
	{"REDIS_URL", "an embedded in-process Redis (state is lost on exit)", false},
	{"MARKETPLACE_API_URL", "the sandbox, served by this process under /sandbox/", false},
	{"MARKETPLACE_API_TOKEN", "required with MARKETPLACE_API_URL", true},
	{"MARKETPLACE_LINK_URL", "required with MARKETPLACE_API_URL; else the sandbox's page", false},
	{"MARKETPLACE_TIPS_URL", "none", false},
	{"MARKETPLACE_CHECK_ACCOUNT", "check asks about a made-up account and expects 404", false},
	{"REDIS_CLUSTER_ADDRS", "none", false},
	{"REDIS_SENTINEL_ADDRS", "none", false},
	{"REDIS_SENTINEL_MASTER", "none", false},
	{"REDIS_PASSWORD", "none", true},
	{"REDIS_KEY_PREFIX", "taikai:", false},
	{"REDIS_AUTOPIPELINE", "on", false},
	{"QUEUE_PARTITIONS", "16", false},
	{"QUEUE_LEASE_TTL", "10s", false},
	{"WORKERS", "64", false},
	{"CONVERSATION_EXPIRY", "24h", false},
	{"CONSOLE_USERS", "none", true},
	{"CONSOLE_TOKEN", "none", true},
	{"CONSOLE", "auto", false},
	{"AUDIT_RETENTION", "8760h", false},
	{"RETRY_ATTEMPTS", "3", false},
	{"RETRY_BACKOFF", "100ms", false},
	{"RETRY_BACKOFF_MAX", "5s", false},
	{"RETRY_AFTER_MAX", "5s", false},
	{"STAFF_HOURS", "Mon-Fri 10:00-18:00 Asia/Tokyo", false},
	{"PORT", "8080", false},
	{"PPROF_ADDR", "none", false},
	{"CONSOLE_SECRET", "one made at first start and kept in Redis", true},
	{"METRICS_TOKEN", "none: /metrics is open", true},
	{"METRICS_ADDR", "none: /metrics on PORT", false},
}

// problem is a missing or invalid setting.
type problem struct {
	setting string // the variable at fault (the first, if several)
	msg     string // one line, naming it
}

// problems collects every problem of a configuration, so that an operator
// fixes them in one go rather than one per start.
type problems []problem

func (ps *problems) add(name, format string, args ...any) {
	*ps = append(*ps, problem{name, fmt.Sprintf(format, args...)})
}

// about reports whether a problem concerns one of names.
func (ps problems) about(names ...string) bool {
	for _, p := range ps {
		for _, n := range names {
			if p.setting == n {
				return true
			}
		}
	}
	return false
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	ce := &configError{}
	for _, p := range ps {
		ce.problems = append(ce.problems, p.msg)
	}
	return ce
}

// loadConfig reads the environment. Missing or invalid settings are a
// configError naming each of them.
func loadConfig(getenv func(string) string) (config, error) {
	cfg, ps := parseConfig(getenv)
	return cfg, ps.err()
}

// parseConfig reads the environment and returns what it could make of it,
// with every problem found.
func parseConfig(getenv func(string) string) (config, problems) {
	var ps problems
	cfg := config{
		Replica: replica.Config{
			ChannelSecret:  getenv("LINE_CHANNEL_SECRET"),
			AccessToken:    getenv("LINE_CHANNEL_ACCESS_TOKEN"),
			LineURL:        getenv("LINE_API_BASE_URL"),
			MarketURL:      getenv("MARKETPLACE_API_URL"),
			MarketToken:    getenv("MARKETPLACE_API_TOKEN"),
			LinkURL:        getenv("MARKETPLACE_LINK_URL"),
			TipsURL:        getenv("MARKETPLACE_TIPS_URL"),
			KeyPrefix:      getenv("REDIS_KEY_PREFIX"),
			Expiry:         flows.DefaultExpiry,
			Partitions:     16,
			Workers:        64,
			LeaseTTL:       10 * time.Second,
			ConsoleToken:   getenv("CONSOLE_TOKEN"),
			ConsoleSecret:  getenv("CONSOLE_SECRET"),
			MetricsToken:   getenv("METRICS_TOKEN"),
			MetricsAddr:    getenv("METRICS_ADDR"),
			AuditRetention: 365 * 24 * time.Hour,
			Retry:          retry.Default(),
		},
		Redis: replica.Redis{
			URL:            getenv("REDIS_URL"),
			ClusterAddrs:   splitList(getenv("REDIS_CLUSTER_ADDRS")),
			SentinelAddrs:  splitList(getenv("REDIS_SENTINEL_ADDRS")),
			SentinelMaster: getenv("REDIS_SENTINEL_MASTER"),
			Password:       getenv("REDIS_PASSWORD"),
		},
		Port:         8080,
		CheckAccount: getenv("MARKETPLACE_CHECK_ACCOUNT"),
		PprofAddr:    getenv("PPROF_ADDR"),
	}
	c := &cfg.Replica
	if c.ChannelSecret == "" {
		ps.add("LINE_CHANNEL_SECRET", "LINE_CHANNEL_SECRET is not set")
	}
	if c.AccessToken == "" {
		ps.add("LINE_CHANNEL_ACCESS_TOKEN", "LINE_CHANNEL_ACCESS_TOKEN is not set")
	}
	if c.LineURL == "" {
		c.LineURL = "https://api.line.me"
	}
	for _, u := range []struct{ name, val string }{
		{"LINE_API_BASE_URL", c.LineURL}, {"MARKETPLACE_API_URL", c.MarketURL},
		{"MARKETPLACE_LINK_URL", c.LinkURL}, {"MARKETPLACE_TIPS_URL", c.TipsURL},
	} {
		if u.val != "" && !httpURL(u.val) {
			ps.add(u.name, "%s=%q is not an http(s) URL", u.name, redactURL(u.val))
		}
	}
	if c.MarketURL != "" && c.MarketToken == "" {
		ps.add("MARKETPLACE_API_TOKEN", "MARKETPLACE_API_TOKEN is not set (needed with MARKETPLACE_API_URL)")
	}
	if c.MarketURL != "" && c.LinkURL == "" {
		ps.add("MARKETPLACE_LINK_URL", "MARKETPLACE_LINK_URL is not set (needed with MARKETPLACE_API_URL)")
	}
	hours := getenv("STAFF_HOURS")
	if hours == "" {
		hours = flows.DefaultStaffHours
	}
	if h, err := flows.ParseStaffHours(hours); err != nil {
		ps.add("STAFF_HOURS", "STAFF_HOURS: %v", err)
	} else {
		c.StaffHours = h
	}
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			ps.add("PORT", "PORT=%q is not a port number", v)
		} else {
			cfg.Port = p
		}
	}
	if v := getenv("CONVERSATION_EXPIRY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			ps.add("CONVERSATION_EXPIRY", "CONVERSATION_EXPIRY=%q is not a duration of at least 1m (e.g. 24h)", v)
		} else {
			c.Expiry = d
		}
	}
	for _, n := range []struct {
		name string
		dst  *int
		max  int
	}{{"QUEUE_PARTITIONS", &c.Partitions, 1024}, {"WORKERS", &c.Workers, 10000}} {
		if v := getenv(n.name); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil || i < 1 || i > n.max {
				ps.add(n.name, "%s=%q is not a number from 1 to %d", n.name, v, n.max)
			} else {
				*n.dst = i
			}
		}
	}
	if v := getenv("QUEUE_LEASE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 500*time.Millisecond || d > 5*time.Minute {
			ps.add("QUEUE_LEASE_TTL", "QUEUE_LEASE_TTL=%q is not a duration from 500ms to 5m", v)
		} else {
			c.LeaseTTL = d
		}
	}
	for _, up := range splitList(getenv("CONSOLE_USERS")) {
		name, pw, ok := strings.Cut(up, ":")
		if !ok || name == "" || len(pw) < 8 {
			ps.add("CONSOLE_USERS", "CONSOLE_USERS must be name:password pairs, comma-separated, passwords of 8 or more characters")
			c.ConsoleUsers = nil
			break
		}
		if c.ConsoleUsers == nil {
			c.ConsoleUsers = map[string]string{}
		}
		c.ConsoleUsers[name] = pw
	}
	if c.ConsoleToken != "" && len(c.ConsoleToken) < 16 {
		ps.add("CONSOLE_TOKEN", "CONSOLE_TOKEN must be 16 or more characters")
	}
	if c.ConsoleSecret != "" && len(c.ConsoleSecret) < 32 {
		ps.add("CONSOLE_SECRET", "CONSOLE_SECRET must be 32 or more characters (e.g. openssl rand -hex 32)")
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		ps.add("METRICS_TOKEN", "METRICS_TOKEN must be 16 or more characters")
	}
	if v := c.MetricsAddr; v != "" {
		_, port, err := net.SplitHostPort(v)
		if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
			ps.add("METRICS_ADDR", "METRICS_ADDR=%q is not host:port (e.g. :9090)", v)
		}
	}
	creds := c.ConsoleToken != "" || len(c.ConsoleUsers) > 0
	switch v := getenv("REDIS_AUTOPIPELINE"); v {
	case "", "on":
	case "off":
		c.NoAutoPipeline = true
	default:
		ps.add("REDIS_AUTOPIPELINE", "REDIS_AUTOPIPELINE=%q must be on or off", v)
	}
	switch v := getenv("CONSOLE"); v {
	case "", "auto":
		c.Console = creds
	case "on":
		if !creds && !ps.about("CONSOLE_USERS", "CONSOLE_TOKEN") {
			ps.add("CONSOLE", "CONSOLE=on needs CONSOLE_USERS or CONSOLE_TOKEN: the console never runs without credentials")
		}
		c.Console = true
	case "off":
	default:
		ps.add("CONSOLE", "CONSOLE=%q must be on, off or auto", v)
	}
	if v := getenv("AUDIT_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 24*time.Hour {
			ps.add("AUDIT_RETENTION", "AUDIT_RETENTION=%q is not a duration of at least 24h (e.g. 8760h)", v)
		} else {
			c.AuditRetention = d
		}
	}
	loadRetry(getenv, &c.Retry, &ps)
	ps = append(ps, redisProblems(cfg.Redis)...)
	// Each owned partition holds a connection in a blocking read.
	cfg.Redis.PoolSize = 4*c.Partitions + 32
	// Dialled ahead, so that load opens no connection: the blocking reads,
	// and the workers' commands.
	cfg.Redis.MinIdle = min(c.Partitions+c.Workers, cfg.Redis.PoolSize)
	return cfg, ps
}

// redisProblems checks the Redis settings, which `taikai erase` reads too.
func redisProblems(r replica.Redis) problems {
	var ps problems
	if len(r.SentinelAddrs) > 0 && r.SentinelMaster == "" {
		ps.add("REDIS_SENTINEL_MASTER", "REDIS_SENTINEL_MASTER is not set (needed with REDIS_SENTINEL_ADDRS)")
	}
	if len(r.ClusterAddrs) > 0 && len(r.SentinelAddrs) > 0 {
		ps.add("REDIS_CLUSTER_ADDRS", "REDIS_CLUSTER_ADDRS and REDIS_SENTINEL_ADDRS are both set; choose one")
	}
	if r.URL != "" {
		if _, err := redis.ParseURL(r.URL); err != nil {
			// The error quotes no part of the URL, which may hold a password.
			ps.add("REDIS_URL", "REDIS_URL is not a redis:// or rediss:// URL")
		}
	}
	return ps
}

// loadRetry reads the retry policy of LINE and marketplace calls (and the
// pace of event and acknowledgement retries).
func loadRetry(getenv func(string) string, p *retry.Policy, ps *problems) {
	if v := getenv("RETRY_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10 {
			ps.add("RETRY_ATTEMPTS", "RETRY_ATTEMPTS=%q is not a number from 1 to 10", v)
		} else {
			p.Attempts = n
		}
	}
	ok := true
	for _, d := range []struct {
		name     string
		dst      *time.Duration
		min, max time.Duration
	}{
		{"RETRY_BACKOFF", &p.Backoff, time.Millisecond, 10 * time.Second},
		{"RETRY_BACKOFF_MAX", &p.MaxBackoff, time.Millisecond, time.Minute},
		{"RETRY_AFTER_MAX", &p.MaxRetryAfter, 0, time.Minute},
	} {
		if v := getenv(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t < d.min || t > d.max {
				ps.add(d.name, "%s=%q is not a duration from %v to %v", d.name, v, d.min, d.max)
				ok = false
			} else {
				*d.dst = t
			}
		}
	}
	if ok && p.MaxBackoff < p.Backoff {
		ps.add("RETRY_BACKOFF_MAX", "RETRY_BACKOFF_MAX (%v) is less than RETRY_BACKOFF (%v)", p.MaxBackoff, p.Backoff)
	}
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// secretQuery are query parameters whose values redactURL hides.
var secretQuery = []string{"token", "key", "secret", "password", "pass", "pwd", "auth", "sig", "signature"}

// redactURL hides the credentials a URL may carry: a password, or a user
// name alone (a token, as in redis://TOKEN@host), and the values of query
// parameters that look like secrets. Anything that is not a URL is hidden
// whole, since it cannot be told what it holds.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		// Not a URL that can be shown in part (mailto:user:pw@host is opaque).
		return "(hidden: not a URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		} else {
			u.User = url.User("xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			for _, s := range secretQuery {
				if strings.Contains(strings.ToLower(k), s) {
					q.Set(k, "xxxxx")
				}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
