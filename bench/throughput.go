package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// result is one measured run of one system at one concurrency.
type result struct {
	system string
	c      int
	round  int // 0: a profile run
	// events is the replies counted at the fake API in the window, the
	// backlog drained; eps is events over the time to the last of them.
	events int64
	eps    float64
	load   loadResult
	line   lineCounts
	botCPU time.Duration
	self   time.Duration // the harness's own CPU (load generator, fake API)
	redis  *redisDelta
	rss    int64
	users  int64 // users in the measured window
	// allUsers counts the warm-up's users too (the census sees their keys).
	allUsers int64
	// drained is the time from the last webhook answer to the last reply.
	drained  time.Duration
	census   []keyGroup // taikai's keys after the run (first round only)
	others   float64    // share of the machine used by other processes (see others)
	profiles []string
	problems []string
}

func (r result) label() string {
	if r.round == 0 {
		return fmt.Sprintf("profile c=%d %s", r.c, r.system)
	}
	return fmt.Sprintf("r%d c=%d %s", r.round, r.c, r.system)
}

func perEvent(d time.Duration, n int64) time.Duration {
	if n <= 0 {
		return 0
	}
	return d / time.Duration(n)
}

// throughput runs system at concurrency c: a warm-up, drained; then the
// measured window, drained; and returns the figures.
func (r *runner) throughput(ctx context.Context, system string, c, round int, profile bool) (result, error) {
	res := result{system: system, c: c, round: round}
	b, err := r.startBot(system, profile)
	if err != nil {
		return res, err
	}
	defer b.stop()
	r.line.forget()
	g := newGen(channelSecret)
	p := newPoster(b.url, c)
	defer p.close()

	if r.o.warmup > 0 {
		base := r.line.counts()
		warm := load(ctx, p, g, r.line, r.o.text, c, r.o.warmup, 0)
		if got := drain(r.line, base, warm.ok, r.o.drainTimeout); got < warm.ok {
			res.problems = append(res.problems, fmt.Sprintf("warm-up: %d of %d events replied to within %v", got, warm.ok, r.o.drainTimeout))
		}
		if warm.failed > 0 {
			res.problems = append(res.problems, fmt.Sprintf("warm-up: %d webhooks failed (first: %s)", warm.failed, warm.firstErr))
		}
	}
	usersBefore := g.u.Load()
	w0, err := r.mark(ctx, b)
	if err != nil {
		return res, err
	}

	profDone := make(chan error, 1)
	if profile {
		secs := int(r.o.duration.Seconds())
		if r.o.events > 0 || secs < 1 {
			secs = 5
		}
		path := filepath.Join(r.o.profileDir, fmt.Sprintf("%s-c%d.cpu.pprof", system, c))
		res.profiles = append(res.profiles, path)
		go func() {
			profDone <- fetch(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", b.pprof, secs), path)
		}()
	} else {
		profDone <- nil
	}

	res.load = load(ctx, p, g, r.line, r.o.text, c, r.o.duration, r.o.events)
	answered := time.Now()
	if profile {
		path := filepath.Join(r.o.profileDir, fmt.Sprintf("%s-c%d.heap.pprof", system, c))
		if err := fetch(ctx, fmt.Sprintf("http://%s/debug/pprof/heap", b.pprof), path); err != nil {
			return res, fmt.Errorf("heap profile: %w", err)
		}
		res.profiles = append(res.profiles, path)
	}
	got := drain(r.line, w0.line, res.load.ok, r.o.drainTimeout)
	last := time.Unix(0, r.line.lastReply.Load())
	if err := <-profDone; err != nil {
		return res, fmt.Errorf("CPU profile: %w", err)
	}
	// Anything that would still come (a duplicate, a late push) comes now.
	time.Sleep(200 * time.Millisecond)
	w1, err := r.mark(ctx, b)
	if err != nil {
		return res, err
	}
	if res.rss, err = peakRSS(b.p.pid()); err != nil {
		return res, err
	}
	if b.redis != nil && round == 1 {
		if res.census, err = b.redis.census(ctx); err != nil {
			return res, fmt.Errorf("key census: %w", err)
		}
	}

	res.line = w1.line.sub(w0.line)
	res.events = res.line.replies
	if last.After(w0.at) {
		res.eps = float64(res.events) / last.Sub(w0.at).Seconds()
		res.drained = max(0, last.Sub(answered))
	}
	res.botCPU = w1.botCPU - w0.botCPU
	res.self = w1.selfCPU - w0.selfCPU
	res.users = int64(g.u.Load() - usersBefore)
	res.allUsers = int64(g.u.Load())
	ours := res.botCPU + res.self
	if w0.hasRed {
		d := w1.redis.sub(w0.redis)
		res.redis = &d
		ours += d.cpu
	}
	res.others = others(w0, w1, ours)

	// Sanity: every event answered 200 and replied to exactly once.
	l := res.load
	if l.failed > 0 {
		res.problems = append(res.problems, fmt.Sprintf("%d of %d webhooks not answered 200 (first: %s)", l.failed, l.sent, l.firstErr))
	}
	if got < l.ok {
		res.problems = append(res.problems, fmt.Sprintf("%d of %d events without a reply after %v", l.ok-got, l.ok, r.o.drainTimeout))
	}
	if n := res.line.pushes; n > 0 {
		res.problems = append(res.problems, fmt.Sprintf("%d pushes: every event should have been answered with its reply token", n))
	}
	if res.line.replies > l.ok {
		res.problems = append(res.problems, fmt.Sprintf("%d replies for %d events", res.line.replies, l.ok))
	}
	if n := r.line.unanswered(); int64(n) > l.failed {
		res.problems = append(res.problems, fmt.Sprintf("%d reply tokens never used", n))
	}
	if a := res.line; a.anomalies() > 0 {
		res.problems = append(res.problems, fmt.Sprintf("fake API refused calls: unknown token %d, token reused %d, bad auth %d, bad body %d, unexpected %d",
			a.unknownToken, a.reusedToken, a.badAuth, a.badBody, a.unexpected))
	}
	if done, err := b.p.exited(); done {
		res.problems = append(res.problems, fmt.Sprintf("the bot exited during the run (%v)", err))
	}
	return res, nil
}
