package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/replica"
	"github.com/taikaibot/taikai/retry"
)

// config is everything `taikai serve` reads from the environment.
type config struct {
	Replica replica.Config // MarketURL "" → the sandbox, served by this process under /sandbox/
	Redis   replica.Redis  // nothing set → an embedded Redis
	Port    int
}

// loadConfig reads the environment. A missing or invalid setting is a
// configError naming it.
func loadConfig(getenv func(string) string) (config, error) {
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
		Port: 8080,
	}
	c := &cfg.Replica
	if c.ChannelSecret == "" {
		return cfg, configErrorf("LINE_CHANNEL_SECRET is not set")
	}
	if c.AccessToken == "" {
		return cfg, configErrorf("LINE_CHANNEL_ACCESS_TOKEN is not set")
	}
	if c.LineURL == "" {
		c.LineURL = "https://api.line.me"
	}
	for _, u := range []struct{ name, val string }{
		{"LINE_API_BASE_URL", c.LineURL}, {"MARKETPLACE_API_URL", c.MarketURL},
		{"MARKETPLACE_LINK_URL", c.LinkURL}, {"MARKETPLACE_TIPS_URL", c.TipsURL},
	} {
		if u.val != "" && !httpURL(u.val) {
			return cfg, configErrorf("%s%s is not an http(s) URL", u.name, shown(u.val))
		}
	}
	if c.MarketURL != "" && c.MarketToken == "" {
		return cfg, configErrorf("MARKETPLACE_API_TOKEN is not set (needed with MARKETPLACE_API_URL)")
	}
	if c.MarketURL != "" && c.LinkURL == "" {
		return cfg, configErrorf("MARKETPLACE_LINK_URL is not set (needed with MARKETPLACE_API_URL)")
	}
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			return cfg, configErrorf("PORT=%q is not a port number", v)
		}
		cfg.Port = p
	}
	if v := getenv("CONVERSATION_EXPIRY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			return cfg, configErrorf("CONVERSATION_EXPIRY=%q is not a duration of at least 1m (e.g. 24h)", v)
		}
		c.Expiry = d
	}
	for _, n := range []struct {
		name string
		dst  *int
		max  int
	}{{"QUEUE_PARTITIONS", &c.Partitions, 1024}, {"WORKERS", &c.Workers, 10000}} {
		if v := getenv(n.name); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil || i < 1 || i > n.max {
				return cfg, configErrorf("%s=%q is not a number from 1 to %d", n.name, v, n.max)
			}
			*n.dst = i
		}
	}
	if v := getenv("QUEUE_LEASE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 500*time.Millisecond || d > 5*time.Minute {
			return cfg, configErrorf("QUEUE_LEASE_TTL=%q is not a duration from 500ms to 5m", v)
		}
		c.LeaseTTL = d
	}
	for _, up := range splitList(getenv("CONSOLE_USERS")) {
		name, pw, ok := strings.Cut(up, ":")
		if !ok || name == "" || len(pw) < 8 {
			return cfg, configErrorf("CONSOLE_USERS must be name:password pairs, comma-separated, passwords of 8 or more characters")
		}
		if c.ConsoleUsers == nil {
			c.ConsoleUsers = map[string]string{}
		}
		c.ConsoleUsers[name] = pw
	}
	if c.ConsoleToken != "" && len(c.ConsoleToken) < 16 {
		return cfg, configErrorf("CONSOLE_TOKEN must be 16 or more characters")
	}
	if c.ConsoleSecret != "" && len(c.ConsoleSecret) < 32 {
		return cfg, configErrorf("CONSOLE_SECRET must be 32 or more characters (e.g. openssl rand -hex 32)")
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return cfg, configErrorf("METRICS_TOKEN must be 16 or more characters")
	}
	if v := c.MetricsAddr; v != "" {
		_, port, err := net.SplitHostPort(v)
		if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
			return cfg, configErrorf("METRICS_ADDR=%q is not host:port (e.g. :9090)", v)
		}
	}
	creds := c.ConsoleToken != "" || len(c.ConsoleUsers) > 0
	switch v := getenv("CONSOLE"); v {
	case "", "auto":
		c.Console = creds
	case "on":
		if !creds {
			return cfg, configErrorf("CONSOLE=on needs CONSOLE_USERS or CONSOLE_TOKEN: the console never runs without credentials")
		}
		c.Console = true
	case "off":
	default:
		return cfg, configErrorf("CONSOLE=%q must be on, off or auto", v)
	}
	if v := getenv("AUDIT_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 24*time.Hour {
			return cfg, configErrorf("AUDIT_RETENTION=%q is not a duration of at least 24h (e.g. 8760h)", v)
		}
		c.AuditRetention = d
	}
	if err := loadRetry(getenv, &c.Retry); err != nil {
		return cfg, err
	}
	if len(cfg.Redis.SentinelAddrs) > 0 && cfg.Redis.SentinelMaster == "" {
		return cfg, configErrorf("REDIS_SENTINEL_MASTER is not set (needed with REDIS_SENTINEL_ADDRS)")
	}
	if len(cfg.Redis.ClusterAddrs) > 0 && len(cfg.Redis.SentinelAddrs) > 0 {
		return cfg, configErrorf("REDIS_CLUSTER_ADDRS and REDIS_SENTINEL_ADDRS are both set; choose one")
	}
	if cfg.Redis.URL != "" {
		// Not the parser's error: it repeats the URL, password and all.
		if _, err := redis.ParseURL(cfg.Redis.URL); err != nil {
			return cfg, configErrorf("REDIS_URL%s is not a redis:// or rediss:// URL (redis://[user:password@]host:port/db)", shown(cfg.Redis.URL))
		}
	}
	// Each owned partition holds a connection in a blocking read.
	cfg.Redis.PoolSize = 4*c.Partitions + 32
	return cfg, nil
}

// loadRetry reads the retry policy of LINE and marketplace calls (and the
// pace of event and acknowledgement retries).
func loadRetry(getenv func(string) string, p *retry.Policy) error {
	if v := getenv("RETRY_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10 {
			return configErrorf("RETRY_ATTEMPTS=%q is not a number from 1 to 10", v)
		}
		p.Attempts = n
	}
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
				return configErrorf("%s=%q is not a duration from %v to %v", d.name, v, d.min, d.max)
			}
			*d.dst = t
		}
	}
	if p.MaxBackoff < p.Backoff {
		return configErrorf("RETRY_BACKOFF_MAX (%v) is less than RETRY_BACKOFF (%v)", p.MaxBackoff, p.Backoff)
	}
	return nil
}

// shown is how a URL setting is repeated in an error: "=" and the URL
// without its user info, or nothing when it cannot be parsed (it may hold a
// password either way).
func shown(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		return " (not shown)"
	}
	hidden := ""
	if u.User != nil {
		u.User, hidden = nil, " (credentials hidden)"
	}
	return fmt.Sprintf("=%q%s", u.String(), hidden)
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
