package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/internal/redistest"
)

// TestStormSurvivesKill9 runs three `taikai serve` processes on one Redis and
// kills one with SIGKILL a third of the way through a storm: every event
// answered 200 must still be processed, and none twice.
func TestStormSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("storm")
	}
	ctx := processDeadline(t, 3*time.Minute)
	bin := filepath.Join(t.TempDir(), "taikai")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/taikaibot/taikai/cmd/taikai").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	rdb, prefix, mr := redistest.Redis(t)
	redisURL := os.Getenv("REDIS_URL")
	if mr != nil {
		redisURL = "redis://" + mr.Addr()
	}
	users := *stormUsers
	sys := startSystemWith(t, demo.Config{Redis: rdb, KeyPrefix: prefix, Replicas: -1, Partitions: 8, Accounts: stormAccounts(users)})

	var mu sync.Mutex
	var live []string
	var procs []*exec.Cmd
	var logs []*syncBuffer
	for i := 0; i < 3; i++ {
		port := freePort(t)
		cmd := exec.CommandContext(ctx, bin, "serve")
		cmd.Env = append(os.Environ(),
			"LINE_CHANNEL_SECRET="+demo.ChannelSecret, "LINE_CHANNEL_ACCESS_TOKEN="+demo.AccessToken,
			"LINE_API_BASE_URL="+sys.LineURL, "MARKETPLACE_API_URL="+sys.MarketURL,
			"MARKETPLACE_API_TOKEN="+demo.MarketToken, "MARKETPLACE_LINK_URL="+sys.MarketURL+"/link",
			"REDIS_URL="+redisURL, "REDIS_KEY_PREFIX="+prefix, "QUEUE_PARTITIONS=8", "QUEUE_LEASE_TTL=2s",
			fmt.Sprintf("PORT=%d", port))
		buf := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = buf, buf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		waitHealthy(t, url, buf)
		live = append(live, url)
		procs = append(procs, cmd)
		logs = append(logs, buf)
	}
	urls := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), live...)
	}
	killed := false
	st := storm(t, sys, urls, users, func(done int) {
		if !killed && done >= users/3 {
			killed = true
			procs[0].Process.Kill() // SIGKILL: no shutdown, no lease release
			mu.Lock()
			live = live[1:]
			mu.Unlock()
		}
	})
	st.check(t, sys)
	if !killed {
		t.Error("no replica was killed")
	}
	if t.Failed() {
		for i, l := range logs {
			t.Logf("replica %d log (tail):\n%s", i, tail(l.String(), 3000))
		}
	}
}

// redisServer runs a redis-server of the test's own on port, keeping its
// data in dir with an fsync per write, so that a restart loses nothing.
func redisServer(ctx context.Context, t *testing.T, port int, dir string, extra ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--appendonly", "yes", "--appendfsync", "always", "--logfile", filepath.Join(dir, fmt.Sprintf("redis-%d.log", port))}, extra...)
	cmd := exec.CommandContext(ctx, need(t, "redis-server"), args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	defer c.Close()
	for i := 0; i < 100; i++ {
		if c.Ping(context.Background()).Err() == nil {
			return cmd
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("redis-server on %d did not start", port)
	return nil
}

// TestStormSurvivesRedisRestart stops Redis under load and starts it again:
// webhooks get 503 while it is down (LINE redelivers), nothing answered 200
// is lost, and processing resumes without restarting the bot.
func TestStormSurvivesRedisRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("storm")
	}
	ctx := processDeadline(t, 3*time.Minute)
	port, dir := freePort(t), t.TempDir()
	srv := redisServer(ctx, t, port, dir)
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), PoolSize: 64,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 2 * time.Second, WriteTimeout: time.Second, MaxRetries: 1})
	defer rdb.Close()
	users := *stormUsers
	sys := startSystemWith(t, demo.Config{Redis: rdb, KeyPrefix: "r:", Replicas: 3, Partitions: 8, Accounts: stormAccounts(users)})
	restarted := make(chan struct{})
	var once sync.Once
	st := storm(t, sys, replicaURLs(sys), users, func(done int) {
		// At the first user done: the others walk at about the same pace,
		// so later and they may all have delivered their last event (this
		// test once saw no webhook refused at a third done).
		if done >= 1 {
			once.Do(func() {
				go func() {
					defer close(restarted)
					srv.Process.Kill()
					srv.Wait()
					time.Sleep(1500 * time.Millisecond)
					redisServer(ctx, t, port, dir)
				}()
			})
		}
	})
	<-restarted
	st.check(t, sys)
	if st.unavailable.Load() == 0 {
		t.Error("no webhook was refused while Redis was down")
	}
}

// TestStormOnRedisCluster runs the storm against a three-master Redis Cluster
// on loopback ports.
func TestStormOnRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("storm")
	}
	ctx := processDeadline(t, 3*time.Minute)
	cli := need(t, "redis-cli")
	dir := t.TempDir()
	var addrs []string
	for i := 0; i < 3; i++ {
		port := freePort(t)
		redisServer(ctx, t, port, dir, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", port)),
			"--appendfsync", "everysec", "--appendfilename", fmt.Sprintf("aof-%d", port), "--appenddirname", fmt.Sprintf("aofdir-%d", port))
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("cluster create: %v\n%s", err, out)
	}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, PoolSize: 64})
	defer rdb.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := rdb.ClusterInfo(context.Background()).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ready: %v %s", err, info)
		}
		time.Sleep(100 * time.Millisecond)
	}
	users := *stormUsers
	sys := startSystemWith(t, demo.Config{Redis: rdb, KeyPrefix: "c:", Replicas: 3, Partitions: 8, Accounts: stormAccounts(users)})
	storm(t, sys, replicaURLs(sys), users, nil).check(t, sys)
}

// TestStormThroughSentinel runs the storm with Redis reached through a
// Sentinel, as `taikai serve` does with REDIS_SENTINEL_ADDRS.
func TestStormThroughSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("storm")
	}
	ctx := processDeadline(t, 3*time.Minute)
	dir := t.TempDir()
	master := freePort(t)
	redisServer(ctx, t, master, dir, "--appendfsync", "everysec")
	sentinelPort := freePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 %d 1\nsentinel down-after-milliseconds mymaster 5000\n", sentinelPort, master)), 0o644)
	cmd := exec.CommandContext(ctx, need(t, "redis-server"), conf, "--sentinel")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sentinel := fmt.Sprintf("127.0.0.1:%d", sentinelPort)
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{sentinel}, MasterName: "mymaster", PoolSize: 64})
	defer rdb.Close()
	deadline := time.Now().Add(20 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("no master through the sentinel at %s", sentinel)
		}
		time.Sleep(100 * time.Millisecond)
	}
	users := *stormUsers
	sys := startSystemWith(t, demo.Config{Redis: rdb, KeyPrefix: "s:", Replicas: 2, Partitions: 8, Accounts: stormAccounts(users)})
	storm(t, sys, replicaURLs(sys), users, nil).check(t, sys)
}
