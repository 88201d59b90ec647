package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is the Redis taikai runs on: one the benchmark started (its
// own process, so its CPU is its own), or one given by URL (shared: its
// command counts and memory include whatever else uses it).
type redisServer struct {
	url  string
	pid  int // 0 when /proc cannot be read for it
	own  *proc
	rdb  *redis.Client
	db   int
	info string // version and persistence, for the report
}

// spawnRedis starts redis-server on a free loopback port, without
// persistence, logging to dir.
func spawnRedis(dir string, extra []string) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--protected-mode", "yes"}, extra...)
	p, err := start("redis-server", bin, args, nil, filepath.Join(dir, "redis.log"))
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := p.waitReady(addr, 10*time.Second); err != nil {
		p.stop(time.Second)
		return nil, err
	}
	rs := &redisServer{url: "redis://" + addr + "/0", pid: p.pid(), own: p, rdb: redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})}
	if err := rs.describe(); err != nil {
		rs.close()
		return nil, err
	}
	return rs, nil
}

// sharedRedis uses the Redis at url; flush empties its database only.
func sharedRedis(url string) (*redisServer, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opts.PoolSize = 1
	rs := &redisServer{url: url, rdb: redis.NewClient(opts), db: opts.DB}
	if err := rs.describe(); err != nil {
		rs.close()
		return nil, err
	}
	// Its CPU can be read if it runs on this machine and /proc lets us.
	if pid, err := rs.rdb.InfoMap(context.Background(), "server").Result(); err == nil {
		if n, err := strconv.Atoi(pid["Server"]["process_id"]); err == nil {
			if _, err := procCPU(n); err == nil {
				rs.pid = n
			}
		}
	}
	return rs, nil
}

func (rs *redisServer) describe() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := rs.rdb.InfoMap(ctx, "server", "persistence").Result()
	if err != nil {
		return fmt.Errorf("redis %s: %w", rs.url, err)
	}
	persist := "no persistence"
	if m["Persistence"]["aof_enabled"] == "1" {
		persist = "AOF"
	}
	where := "its own process, started by the benchmark"
	if rs.own == nil {
		where = fmt.Sprintf("shared server, database %d: command counts and memory include other clients", rs.db)
	}
	rs.info = fmt.Sprintf("redis %s (%s; %s)", m["Server"]["redis_version"], where, persist)
	return nil
}

// flush empties the benchmark's database (only that one on a shared server).
func (rs *redisServer) flush(ctx context.Context) error {
	return rs.rdb.FlushDB(ctx).Err()
}

func (rs *redisServer) close() {
	rs.rdb.Close()
	if rs.own != nil {
		rs.own.stop(5 * time.Second)
	}
}

// cmdStat is one command's line of INFO commandstats.
type cmdStat struct{ calls, usec int64 }

// redisSnap is what the benchmark reads of Redis at the start and end of a
// measured window.
type redisSnap struct {
	cmds      map[string]cmdStat
	conns     int64 // total_connections_received
	usedMem   int64 // used_memory
	clientMem int64 // mem_clients_normal: connections' buffers
	keys      int64 // keys in every database
	cpu       time.Duration
	cpuKnown  bool
	clients   int64 // connected_clients
}

func (rs *redisServer) snap(ctx context.Context) (redisSnap, error) {
	s, err := rs.rdb.Info(ctx, "commandstats", "stats", "memory", "keyspace", "clients").Result()
	if err != nil {
		return redisSnap{}, err
	}
	snap := parseInfo(s)
	if rs.pid != 0 {
		if c, err := procCPU(rs.pid); err == nil {
			snap.cpu, snap.cpuKnown = c, true
		}
	}
	return snap, nil
}

// parseInfo reads the fields the benchmark needs from INFO's text.
func parseInfo(s string) redisSnap {
	snap := redisSnap{cmds: map[string]cmdStat{}}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(k, "cmdstat_"):
			var cs cmdStat
			for _, kv := range strings.Split(v, ",") {
				name, val, _ := strings.Cut(kv, "=")
				n, _ := strconv.ParseInt(val, 10, 64)
				switch name {
				case "calls":
					cs.calls = n
				case "usec":
					cs.usec = n
				}
			}
			snap.cmds[strings.TrimPrefix(k, "cmdstat_")] = cs
		case k == "total_connections_received":
			snap.conns, _ = strconv.ParseInt(v, 10, 64)
		case k == "used_memory":
			snap.usedMem, _ = strconv.ParseInt(v, 10, 64)
		case k == "mem_clients_normal":
			snap.clientMem, _ = strconv.ParseInt(v, 10, 64)
		case k == "connected_clients":
			snap.clients, _ = strconv.ParseInt(v, 10, 64)
		case strings.HasPrefix(k, "db"):
			// db9:keys=12,expires=3,avg_ttl=0
			for _, kv := range strings.Split(v, ",") {
				if name, val, _ := strings.Cut(kv, "="); name == "keys" {
					n, _ := strconv.ParseInt(val, 10, 64)
					snap.keys += n
				}
			}
		}
	}
	return snap
}

// ownCommands are the benchmark's own calls between two snapshots (INFO,
// and the key census's SCAN and MEMORY USAGE), left out of the counts.
// taikai sends none of them.
var ownCommands = map[string]bool{"info": true, "scan": true, "memory|usage": true, "memory": true}

// redisDelta is what Redis did in a window.
type redisDelta struct {
	cmds    map[string]cmdStat
	calls   int64 // every command, script internals included
	conns   int64
	hello   int64
	mem     int64 // used_memory
	dataMem int64 // used_memory less the connections' buffers
	keys    int64
	cpu     time.Duration
	cpuOK   bool
	clients int64 // connected at the end
}

func (a redisSnap) sub(b redisSnap) redisDelta {
	d := redisDelta{cmds: map[string]cmdStat{}, conns: a.conns - b.conns, mem: a.usedMem - b.usedMem, keys: a.keys - b.keys,
		dataMem: (a.usedMem - a.clientMem) - (b.usedMem - b.clientMem),
		cpu:     a.cpu - b.cpu, cpuOK: a.cpuKnown && b.cpuKnown, clients: a.clients}
	for name, cs := range a.cmds {
		if ownCommands[name] {
			continue
		}
		x := cmdStat{cs.calls - b.cmds[name].calls, cs.usec - b.cmds[name].usec}
		if x.calls == 0 {
			continue
		}
		d.cmds[name] = x
		d.calls += x.calls
	}
	d.hello = d.cmds["hello"].calls
	return d
}

// byCalls lists the commands, most called first.
func (d redisDelta) byCalls() []string {
	names := make([]string, 0, len(d.cmds))
	for n := range d.cmds {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if d.cmds[names[i]].calls != d.cmds[names[j]].calls {
			return d.cmds[names[i]].calls > d.cmds[names[j]].calls
		}
		return names[i] < names[j]
	})
	return names
}

// keyGroup is the keys of one pattern (ids replaced by placeholders).
type keyGroup struct {
	pattern string
	keys    int64
	bytes   int64 // estimated from a sample of MEMORY USAGE
}

var keyIDs = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`U[0-9a-f]{32}`), "U…"},
	{regexp.MustCompile(`[0-9A-HJKMNP-TV-Z]{26}`), "<event>"},
	{regexp.MustCompile(`sha256:[0-9a-f]+`), "<event>"},
	{regexp.MustCompile(`[0-9]{4}-[0-9]{2}-[0-9]{2}`), "<date>"},
	{regexp.MustCompile(`\{p[0-9]+\}`), "{p…}"},
}

// keyPattern replaces the ids in a key with placeholders.
func keyPattern(k string) string {
	for _, id := range keyIDs {
		k = id.re.ReplaceAllString(k, id.with)
	}
	return k
}

// census counts the keys by pattern and estimates their memory from up to
// 100 keys of each (MEMORY USAGE), largest first.
func (rs *redisServer) census(ctx context.Context) ([]keyGroup, error) {
	groups := map[string]*keyGroup{}
	samples := map[string][]string{}
	iter := rs.rdb.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		p := keyPattern(k)
		g := groups[p]
		if g == nil {
			g = &keyGroup{pattern: p}
			groups[p] = g
		}
		g.keys++
		if len(samples[p]) < 100 {
			samples[p] = append(samples[p], k)
		}
	}
	if err := iter.Err(); err != nil {
		return nil, err
	}
	pipe := rs.rdb.Pipeline()
	cmds := map[string][]*redis.IntCmd{}
	for p, ks := range samples {
		for _, k := range ks {
			cmds[p] = append(cmds[p], pipe.MemoryUsage(ctx, k, 0))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, err
	}
	var out []keyGroup
	for p, g := range groups {
		var sum, n int64
		for _, c := range cmds[p] {
			if v, err := c.Result(); err == nil {
				sum += v
				n++
			}
		}
		if n > 0 {
			g.bytes = sum * g.keys / n
		}
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].bytes > out[j].bytes })
	return out, nil
}
