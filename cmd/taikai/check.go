package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/replica"
)

// checkTimeout bounds each thing check reaches.
const checkTimeout = 5 * time.Second

// madeUpAccount is the account check asks the marketplace about when
// MARKETPLACE_CHECK_ACCOUNT is not set: the contract answers 404 for it,
// which shows the API answers and takes the token.
const madeUpAccount = "taikai-check-no-such-account"

// quiet is a go-redis logger that says nothing.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// reached is what check found of one thing the bot needs.
type reached struct {
	name   string
	status string // ok, warn (works, but see the note), fail, skipped
	lines  []string
}

func (r *reached) say(format string, args ...any) {
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

// check validates every setting of `taikai serve`, reporting all problems
// at once, then reaches Redis, the marketplace and LINE as serve would, and
// prints the effective configuration with secrets masked. Any problem is an
// error (exit 1).
func check(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	// go-redis logs failed dials itself; check says what failed, once.
	redis.SetLogger(quiet{})
	cfg, ps := parseConfig(getenv)
	fmt.Fprintln(stdout, "Settings (secrets masked)")
	printSettings(stdout, getenv)

	fmt.Fprintln(stdout)
	if len(ps) == 0 {
		fmt.Fprintln(stdout, "Every setting is valid.")
	} else {
		fmt.Fprintf(stdout, "%d setting problem(s):\n", len(ps))
		for _, p := range ps {
			fmt.Fprintf(stdout, "  ✗ %s\n", p.msg)
		}
	}

	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "Reaching what the bot needs")
	results := []*reached{{name: "Redis"}, {name: "marketplace"}, {name: "LINE"}}
	var wg sync.WaitGroup
	for i, f := range []func(context.Context, config, problems, *reached){checkRedis, checkMarketplace, checkLINE} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			f(ctx, cfg, ps, results[i])
		}()
	}
	wg.Wait()
	failed := 0
	for _, r := range results {
		mark := map[string]string{"ok": "ok  ", "warn": "warn", "fail": "FAIL", "skipped": "skip"}[r.status]
		fmt.Fprintf(stdout, "  %s  %-12s %s\n", mark, r.name, strings.Join(r.lines, "\n                     "))
		if r.status == "fail" {
			failed++
		}
	}
	fmt.Fprintln(stdout)
	if n := len(ps) + failed; n > 0 {
		fmt.Fprintf(stdout, "%d problem(s): taikai serve would not work as configured.\n", n)
		return fmt.Errorf("check: %d problem(s)", n)
	}
	fmt.Fprintln(stdout, "All good.")
	return nil
}

// printSettings prints every setting: its value, or what an empty one
// means; secrets only as set or not, and URLs without their credentials.
func printSettings(w io.Writer, getenv func(string) string) {
	width := 0
	for _, s := range settings {
		width = max(width, len(s.name))
	}
	for _, s := range settings {
		fmt.Fprintf(w, "  %-*s  %s\n", width, s.name, shownValue(s, getenv(s.name)))
	}
}

func shownValue(s setting, v string) string {
	switch {
	case v == "":
		return "(empty: " + s.empty + ")"
	case s.name == "CONSOLE_USERS":
		var users []string
		for _, up := range splitList(v) {
			name, _, _ := strings.Cut(up, ":")
			users = append(users, name+":xxxxx")
		}
		return strings.Join(users, ",")
	case s.secret:
		return fmt.Sprintf("set (%d characters)", len(v))
	case strings.Contains(v, "://"):
		return redactURL(v)
	}
	return v
}

func checkRedis(ctx context.Context, cfg config, ps problems, r *reached) {
	rc := cfg.Redis
	switch {
	case ps.about("REDIS_URL", "REDIS_CLUSTER_ADDRS", "REDIS_SENTINEL_ADDRS", "REDIS_SENTINEL_MASTER"):
		r.status = "skipped"
		r.say("not tried: its settings are invalid")
		return
	case rc.URL == "" && len(rc.ClusterAddrs) == 0 && len(rc.SentinelAddrs) == 0:
		r.status = "warn"
		r.say("no Redis set: taikai serve would run an embedded one in each replica, losing everything on exit (not for production)")
		return
	}
	where := redactURL(rc.URL)
	switch {
	case len(rc.ClusterAddrs) > 0:
		where = "Cluster " + strings.Join(rc.ClusterAddrs, ",")
	case len(rc.SentinelAddrs) > 0:
		where = "Sentinel " + strings.Join(rc.SentinelAddrs, ",") + ", master " + rc.SentinelMaster
	}
	rc.PoolSize = 2
	rdb, closeRedis, err := replica.OpenRedis(rc, nil)
	if err != nil {
		r.status = "fail"
		r.say("%s: %v", where, err)
		return
	}
	defer closeRedis()
	start := time.Now()
	if err := rdb.Ping(ctx).Err(); err != nil {
		r.status = "fail"
		r.say("%s does not answer: %v", where, err)
		return
	}
	r.status = "ok"
	r.say("%s answered PING in %v", where, time.Since(start).Round(100*time.Microsecond))
	// What docs/operating.md asks of the Redis, when it tells.
	info, err := rdb.Info(ctx, "persistence", "memory").Result()
	if err != nil {
		return
	}
	fields := map[string]string{}
	for _, l := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok {
			fields[k] = v
		}
	}
	if fields["aof_enabled"] == "0" {
		r.status = "warn"
		r.say("AOF is off: a Redis restart would lose events already answered 200 (appendonly yes; docs/operating.md, Redis)")
	}
	if p := fields["maxmemory_policy"]; p != "" && p != "noeviction" {
		r.status = "warn"
		r.say("maxmemory-policy is %s: Redis may evict conversations and dedupe marks silently; use noeviction", p)
	}
}

func checkMarketplace(ctx context.Context, cfg config, ps problems, r *reached) {
	c := cfg.Replica
	switch {
	case ps.about("MARKETPLACE_API_URL", "MARKETPLACE_API_TOKEN"):
		r.status = "skipped"
		r.say("not tried: its settings are invalid")
		return
	case c.MarketURL == "":
		r.status = "warn"
		r.say("MARKETPLACE_API_URL is not set: taikai serve would serve the sandbox (demo accounts) under /sandbox/")
		return
	}
	account := cfg.CheckAccount
	if account == "" {
		account = madeUpAccount
	}
	path := "/v1/accounts/" + url.PathEscape(account) + "/withdrawal-status"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.MarketURL, "/")+path, nil)
	if err != nil {
		r.status = "fail"
		r.say("%v", err)
		return
	}
	req.Header.Set("Authorization", "Bearer "+c.MarketToken)
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	res, err := (&http.Client{Timeout: checkTimeout}).Do(req)
	if err != nil {
		r.status = "fail"
		r.say("%s cannot be reached: %v", redactURL(c.MarketURL), err)
		return
	}
	defer res.Body.Close()
	took := time.Since(start).Round(100 * time.Microsecond)
	r.status = "fail"
	switch {
	case res.StatusCode == http.StatusOK:
		var st struct {
			AccountID string `json:"account_id"`
		}
		if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&st); err != nil || st.AccountID == "" {
			r.say("GET %s: 200, but not a withdrawal status (api/marketplace.yaml)", path)
			return
		}
		r.status = "ok"
		r.say("GET %s: 200 in %v, the status of %s", path, took, st.AccountID)
	case res.StatusCode == http.StatusNotFound && cfg.CheckAccount == "":
		r.status = "ok"
		r.say("GET %s: 404 in %v, as the contract says for a made-up account: the API answers and takes the token", path, took)
		r.say("(set MARKETPLACE_CHECK_ACCOUNT to a test account to read a real status)")
	case res.StatusCode == http.StatusNotFound:
		r.say("GET %s: 404: MARKETPLACE_CHECK_ACCOUNT=%s is not an account there", path, account)
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		r.say("GET %s: %d: the marketplace did not accept MARKETPLACE_API_TOKEN", path, res.StatusCode)
	default:
		r.say("GET %s: %s", path, res.Status)
	}
}

func checkLINE(ctx context.Context, cfg config, ps problems, r *reached) {
	c := cfg.Replica
	if ps.about("LINE_CHANNEL_ACCESS_TOKEN", "LINE_API_BASE_URL") {
		r.status = "skipped"
		r.say("not tried: its settings are invalid")
		return
	}
	lc, err := newLineClients(c.AccessToken, c.LineURL, c.LineURL, checkTimeout)
	if err != nil {
		r.status = "fail"
		r.say("%v", err)
		return
	}
	res, info, err := lc.api.GetBotInfoWithHttpInfo()
	if err != nil {
		r.status = "fail"
		r.say("%v", lineError("GET "+c.LineURL+"/v2/bot/info", res, err))
		return
	}
	r.status = "ok"
	r.say("%s accepts the token: bot %s (%s), chat mode %s", c.LineURL, info.DisplayName, info.BasicId, info.ChatMode)
	res, hook, err := lc.api.GetWebhookEndpointWithHttpInfo()
	switch {
	case err == nil && hook.Active:
		r.say("webhook endpoint %s, in use", hook.Endpoint)
	case err == nil:
		r.status = "warn"
		r.say("webhook endpoint %s, but Use webhook is off (LINE Developers console → Messaging API)", hook.Endpoint)
	case res != nil && res.StatusCode == http.StatusNotFound:
		r.status = "warn"
		r.say("no webhook endpoint set: taikai setup -webhook-url https://<host>/callback -apply")
	default:
		r.status = "warn"
		r.say("%v", lineError("GET /v2/bot/channel/webhook/endpoint", res, err))
	}
}
