package main

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/taikaibot/taikai/flows"
)

// config is everything `taikai serve` reads from the environment.
type config struct {
	ChannelSecret  string
	AccessToken    string
	LineAPIBaseURL string
	RedisURL       string // "" → embedded Redis
	MarketURL      string // "" → the sandbox, served by this process under /sandbox/
	MarketToken    string
	LinkURL        string // "" → the sandbox's link page
	TipsURL        string
	StaffHours     flows.StaffHours
	Port           int
	Expiry         time.Duration
	Partitions     int
	Workers        int
	ClusterAddrs   []string
	SentinelAddrs  []string
	SentinelMaster string
	RedisPassword  string
	KeyPrefix      string
	LeaseTTL       time.Duration
	Console        bool
	ConsoleUsers   map[string]string
	ConsoleToken   string
	AuditRetention time.Duration
}

// loadConfig reads the environment. A missing or invalid setting is a
// configError naming it.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		ChannelSecret:  getenv("LINE_CHANNEL_SECRET"),
		AccessToken:    getenv("LINE_CHANNEL_ACCESS_TOKEN"),
		LineAPIBaseURL: getenv("LINE_API_BASE_URL"),
		RedisURL:       getenv("REDIS_URL"),
		MarketURL:      getenv("MARKETPLACE_API_URL"),
		MarketToken:    getenv("MARKETPLACE_API_TOKEN"),
		LinkURL:        getenv("MARKETPLACE_LINK_URL"),
		TipsURL:        getenv("MARKETPLACE_TIPS_URL"),
		Port:           8080,
		Expiry:         flows.DefaultExpiry,
		Partitions:     16,
		Workers:        64,
		ClusterAddrs:   splitList(getenv("REDIS_CLUSTER_ADDRS")),
		SentinelAddrs:  splitList(getenv("REDIS_SENTINEL_ADDRS")),
		SentinelMaster: getenv("REDIS_SENTINEL_MASTER"),
		RedisPassword:  getenv("REDIS_PASSWORD"),
		KeyPrefix:      getenv("REDIS_KEY_PREFIX"),
		LeaseTTL:       10 * time.Second,
		ConsoleToken:   getenv("CONSOLE_TOKEN"),
		AuditRetention: 365 * 24 * time.Hour,
	}
	if c.ChannelSecret == "" {
		return c, configErrorf("LINE_CHANNEL_SECRET is not set")
	}
	if c.AccessToken == "" {
		return c, configErrorf("LINE_CHANNEL_ACCESS_TOKEN is not set")
	}
	if c.LineAPIBaseURL == "" {
		c.LineAPIBaseURL = "https://api.line.me"
	}
	for _, u := range []struct{ name, val string }{
		{"LINE_API_BASE_URL", c.LineAPIBaseURL}, {"MARKETPLACE_API_URL", c.MarketURL},
		{"MARKETPLACE_LINK_URL", c.LinkURL}, {"MARKETPLACE_TIPS_URL", c.TipsURL},
	} {
		if u.val != "" && !httpURL(u.val) {
			return c, configErrorf("%s=%q is not an http(s) URL", u.name, u.val)
		}
	}
	if c.MarketURL != "" && c.MarketToken == "" {
		return c, configErrorf("MARKETPLACE_API_TOKEN is not set (needed with MARKETPLACE_API_URL)")
	}
	if c.MarketURL != "" && c.LinkURL == "" {
		return c, configErrorf("MARKETPLACE_LINK_URL is not set (needed with MARKETPLACE_API_URL)")
	}
	hours := getenv("STAFF_HOURS")
	if hours == "" {
		hours = flows.DefaultStaffHours
	}
	h, err := flows.ParseStaffHours(hours)
	if err != nil {
		return c, configErrorf("STAFF_HOURS: %v", err)
	}
	c.StaffHours = h
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			return c, configErrorf("PORT=%q is not a port number", v)
		}
		c.Port = p
	}
	if v := getenv("CONVERSATION_EXPIRY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			return c, configErrorf("CONVERSATION_EXPIRY=%q is not a duration of at least 1m (e.g. 24h)", v)
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
				return c, configErrorf("%s=%q is not a number from 1 to %d", n.name, v, n.max)
			}
			*n.dst = i
		}
	}
	if v := getenv("QUEUE_LEASE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 500*time.Millisecond || d > 5*time.Minute {
			return c, configErrorf("QUEUE_LEASE_TTL=%q is not a duration from 500ms to 5m", v)
		}
		c.LeaseTTL = d
	}
	for _, up := range splitList(getenv("CONSOLE_USERS")) {
		name, pw, ok := strings.Cut(up, ":")
		if !ok || name == "" || len(pw) < 8 {
			return c, configErrorf("CONSOLE_USERS must be name:password pairs, comma-separated, passwords of 8 or more characters")
		}
		if c.ConsoleUsers == nil {
			c.ConsoleUsers = map[string]string{}
		}
		c.ConsoleUsers[name] = pw
	}
	if c.ConsoleToken != "" && len(c.ConsoleToken) < 16 {
		return c, configErrorf("CONSOLE_TOKEN must be 16 or more characters")
	}
	creds := c.ConsoleToken != "" || len(c.ConsoleUsers) > 0
	switch v := getenv("CONSOLE"); v {
	case "", "auto":
		c.Console = creds
	case "on":
		if !creds {
			return c, configErrorf("CONSOLE=on needs CONSOLE_USERS or CONSOLE_TOKEN: the console never runs without credentials")
		}
		c.Console = true
	case "off":
	default:
		return c, configErrorf("CONSOLE=%q must be on, off or auto", v)
	}
	if v := getenv("AUDIT_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 24*time.Hour {
			return c, configErrorf("AUDIT_RETENTION=%q is not a duration of at least 24h (e.g. 8760h)", v)
		}
		c.AuditRetention = d
	}
	if len(c.SentinelAddrs) > 0 && c.SentinelMaster == "" {
		return c, configErrorf("REDIS_SENTINEL_MASTER is not set (needed with REDIS_SENTINEL_ADDRS)")
	}
	if len(c.ClusterAddrs) > 0 && len(c.SentinelAddrs) > 0 {
		return c, configErrorf("REDIS_CLUSTER_ADDRS and REDIS_SENTINEL_ADDRS are both set; choose one")
	}
	if c.RedisURL != "" {
		if _, err := url.Parse(c.RedisURL); err != nil {
			return c, configErrorf("REDIS_URL is not a URL")
		}
	}
	return c, nil
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
