package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"
)

// The channel the benchmark plays LINE for.
const (
	channelSecret = "b3e1f0a7c2d94e5f8a6b7c8d9e0f1a2b"
	accessToken   = "bench-channel-access-token"
)

// runner holds what the runs share: the binaries, the harness's HTTP
// server (the fake Messaging API and LINE's dialog; the sandbox
// marketplace in the whole-flow workload) and the choice of Redis.
type runner struct {
	o              options
	dir            string
	out, log       io.Writer
	taikaiBin      string
	echoBin        string
	line           *fakeLINE
	srv            *http.Server
	base           string                       // the harness's URL
	market         atomic.Pointer[http.Handler] // the sandbox of the current flow run
	redisInfo      string
	spawnRedis     bool
	sharedRedisURL string
	seq            int
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "bench: "+format+"\n", args...)
}

func (r *runner) startHarness() error {
	r.line = newFakeLINE(accessToken)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	r.base = "http://" + ln.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("/v2/", r.line.handler())
	mux.Handle("/dialog/", r.line.handler())
	mux.Handle("/market/", http.StripPrefix("/market", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h := r.market.Load()
		if h == nil {
			http.NotFound(w, req)
			return
		}
		(*h).ServeHTTP(w, req)
	})))
	r.srv = &http.Server{Handler: mux, ConnState: r.line.countConns, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return nil
}

func (r *runner) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r.srv.Shutdown(ctx)
}

// chooseRedis decides which Redis taikai runs on, and checks it answers.
func (r *runner) chooseRedis() error {
	needs := r.o.flowUsers > 0
	for _, s := range r.o.systems {
		needs = needs || s == "taikai"
	}
	if !needs {
		r.redisInfo = "no Redis (echo only)"
		return nil
	}
	url := r.o.redisURL
	if url == "" {
		if _, err := exec.LookPath("redis-server"); err == nil {
			r.spawnRedis = true
		} else {
			url = "redis://127.0.0.1:6379/9"
		}
	}
	if !r.spawnRedis {
		r.sharedRedisURL = url
	}
	rs, err := r.redis()
	if err != nil {
		return err
	}
	r.redisInfo = rs.info
	rs.close()
	return nil
}

// redis returns the Redis for one run: a fresh server, or the shared one
// with the benchmark's database flushed.
func (r *runner) redis() (*redisServer, error) {
	if r.spawnRedis {
		dir := filepath.Join(r.dir, fmt.Sprintf("redis-%d", r.seq))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		return spawnRedis(dir, r.o.redisArgs)
	}
	if r.sharedRedisURL == "" {
		return nil, fmt.Errorf("no Redis chosen")
	}
	rs, err := sharedRedis(r.sharedRedisURL)
	if err != nil {
		return nil, err
	}
	if err := rs.flush(context.Background()); err != nil {
		rs.close()
		return nil, err
	}
	return rs, nil
}

// bot is one bot process under measurement.
type bot struct {
	p       *proc
	url     string // its webhook
	pprof   string // its profile server, if any
	redis   *redisServer
	cleanup func()
}

// startBot starts system (echo or taikai) as its own process. env adds to
// or overrides the defaults.
func (r *runner) startBot(system string, profile bool, env ...string) (*bot, error) {
	r.seq++
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	b := &bot{url: fmt.Sprintf("http://127.0.0.1:%d/callback", port), cleanup: func() {}}
	var pprofEnv []string
	if profile {
		pp, err := freePort()
		if err != nil {
			return nil, err
		}
		b.pprof = fmt.Sprintf("127.0.0.1:%d", pp)
		pprofEnv = []string{"PPROF_ADDR=" + b.pprof}
	}
	logPath := filepath.Join(r.dir, fmt.Sprintf("%03d-%s.log", r.seq, system))
	switch system {
	case "echo":
		e := []string{"LINE_CHANNEL_SECRET=" + channelSecret, "LINE_CHANNEL_TOKEN=" + accessToken,
			"LINE_API_BASE_URL=" + r.base, fmt.Sprintf("PORT=%d", port)}
		if !r.o.echoLog {
			e = append(e, "ECHO_LOG=off")
		}
		e = append(append(e, pprofEnv...), env...)
		if b.p, err = start("echo", r.echoBin, nil, e, logPath); err != nil {
			return nil, err
		}
		if err := b.p.waitReady(fmt.Sprintf("127.0.0.1:%d", port), 20*time.Second); err != nil {
			b.p.stop(time.Second)
			return nil, err
		}
	case "taikai":
		rs, err := r.redis()
		if err != nil {
			return nil, err
		}
		b.redis = rs
		e := []string{"LINE_CHANNEL_SECRET=" + channelSecret, "LINE_CHANNEL_ACCESS_TOKEN=" + accessToken,
			"LINE_API_BASE_URL=" + r.base, "REDIS_URL=" + rs.url, fmt.Sprintf("PORT=%d", port)}
		e = append(append(append(e, pprofEnv...), r.o.taikaiEnv...), env...)
		if b.p, err = start("taikai", r.taikaiBin, []string{"serve"}, e, logPath); err != nil {
			rs.close()
			return nil, err
		}
		if err := b.p.waitReady(fmt.Sprintf("http://127.0.0.1:%d/healthz", port), 20*time.Second); err != nil {
			b.p.stop(time.Second)
			rs.close()
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown system %q", system)
	}
	r.logf("%s started (pid %d), log %s", system, b.p.pid(), logPath)
	return b, nil
}

// stop ends the bot (gracefully) and its Redis.
func (b *bot) stop() error {
	err := b.p.stop(30 * time.Second)
	if b.redis != nil {
		b.redis.close()
	}
	return err
}

// window is the state at the start or end of a measured window.
type window struct {
	at      time.Time
	line    lineCounts
	botCPU  time.Duration
	selfCPU time.Duration
	machine time.Duration // the machine's busy CPU time (see machineCPU)
	redis   redisSnap
	hasRed  bool
}

func (r *runner) mark(ctx context.Context, b *bot) (window, error) {
	w := window{at: time.Now(), line: r.line.counts()}
	var err error
	if w.botCPU, err = procCPU(b.p.pid()); err != nil {
		return w, fmt.Errorf("bot CPU: %w (did it exit?)\n%s", err, b.p.tail())
	}
	w.selfCPU, _ = procCPU(os.Getpid())
	w.machine, _ = machineCPU()
	if b.redis != nil {
		if w.redis, err = b.redis.snap(ctx); err != nil {
			return w, fmt.Errorf("redis INFO: %w", err)
		}
		w.hasRed = true
	}
	return w, nil
}

// fetch saves url's body (a profile) to path.
func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", url, res.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// others is the share of the machine's CPU (all CPUs) that processes other
// than the bot, its Redis and the benchmark used between two marks, stolen
// time included. The kernel's network processing is not attributed to any
// process, so a few per cent are ours; more means the machine was shared.
func others(w0, w1 window, ours time.Duration) float64 {
	wall := w1.at.Sub(w0.at)
	if wall <= 0 {
		return 0
	}
	busy := w1.machine - w0.machine - ours
	return max(0, float64(busy)/float64(wall*time.Duration(runtime.NumCPU())))
}
