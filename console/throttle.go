package console

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/internal/random"
)

// Guessing is throttled per source address and per staff name: after
// maxFailures failed sign-ins (form, Basic or bearer) within failureWindow,
// further attempts from that address, or for that name, are answered 429
// with Retry-After until the oldest failure that counts leaves the window —
// before any credential is looked at, so even the right one waits. The
// failures are kept in Redis (a sorted set per address and per name, by
// time), so the limit holds across replicas.
//
// The source address is the connection's (http.Request.RemoteAddr): headers
// such as X-Forwarded-For are not trusted, since anyone can send them.
// Behind a proxy every request comes from the proxy's address, so failures
// from everyone count together; IPv6 addresses count per /64.
//
// A bearer token has no name; its guesses count per address only (a count
// per token would let anyone lock every holder out, and a token of 16 or
// more random characters is not guessed ten at a time).
const (
	maxFailures   = 10
	failureWindow = 10 * time.Minute
)

// checkScript forgets failures older than the window and, when maxFailures
// remain, returns when the one whose leaving reopens the door was made
// (unix ms); else 0.
var checkScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[2])
if n < max then return 0 end
local e = redis.call('ZRANGE', KEYS[1], n - max, n - max, 'WITHSCORES')
return tonumber(e[2])
`)

// failScript records a failure, keeping the set small and expiring.
var failScript = redis.NewScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) * 2 + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`)

// source is the address a request counts under.
func source(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// throttleKeys are the counters an attempt counts under: its address, and
// its name when it gives one. Names and addresses are keyed hashes in the
// keys (whatever a name holds, it never reaches a key as it is).
func (s *Server) throttleKeys(key []byte, r *http.Request, name string) []string {
	p := s.opts.Journal.prefix + "fail:"
	keys := []string{p + "a:" + mac(key, "addr", source(r))[:32]}
	if name != "" {
		keys = append(keys, p+"n:"+mac(key, "name", name)[:32])
	}
	return keys
}

// throttled reports how long the attempt must wait; 0 when it may go on.
func (s *Server) throttled(ctx context.Context, r *http.Request, name string) (time.Duration, error) {
	key, err := s.key(ctx)
	if err != nil {
		return 0, err
	}
	now := s.opts.Now()
	keys := s.throttleKeys(key, r, name)
	cmds := make([]*redis.Cmd, len(keys))
	_, err = s.opts.Journal.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = checkScript.Eval(ctx, p, []string{k}, now.Add(-failureWindow).UnixMilli(), maxFailures)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("console: throttle: %w", err)
	}
	var wait time.Duration
	for _, c := range cmds {
		if at, _ := c.Int64(); at > 0 {
			wait = max(wait, time.UnixMilli(at).Add(failureWindow).Sub(now))
		}
	}
	if wait > 0 && wait < time.Second {
		wait = time.Second
	}
	return wait, nil
}

// failed records a failed attempt.
func (s *Server) failed(ctx context.Context, r *http.Request, name string) error {
	key, err := s.key(ctx)
	if err != nil {
		return err
	}
	now := s.opts.Now().UnixMilli()
	_, err = s.opts.Journal.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range s.throttleKeys(key, r, name) {
			failScript.Eval(ctx, p, []string{k}, now, strconv.FormatInt(now, 10)+"-"+random.Hex(4), maxFailures, failureWindow.Milliseconds())
		}
		return nil
	})
	return err
}

// tooMany answers an attempt that must wait.
func tooMany(w http.ResponseWriter, wait time.Duration) {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	http.Error(w, fmt.Sprintf("サインインの試行が多すぎます。%d分後にもう一度お試しください。", (secs+59)/60), http.StatusTooManyRequests)
}
