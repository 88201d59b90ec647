package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/marketplace/sandbox"
)

// flowResult is one run of the whole-flow workload.
type flowResult struct {
	users, c           int
	walked             int   // users who filed
	events, deliveries int64 // distinct events; webhook posts (redeliveries included)
	redelivered        int64
	offScript          int64
	blocked            int64 // users who were blocked first
	lat                []time.Duration
	elapsed            time.Duration
	line               lineCounts
	botCPU, self       time.Duration
	redis              *redisDelta
	// Redis memory and keys per user with every conversation at the
	// confirm step, and after every withdrawal was filed.
	memInProgress, memAfter   float64
	dataInProgress, dataAfter float64 // the same, less the connections' buffers
	keysInProgress, keysAfter float64
	rss                       int64
	filed                     int
	censusMid, censusEnd      []keyGroup
	others                    float64
	problems                  []string
}

// The buttons of the flow, as the user sees them.
const (
	btnRecheck  = "もう一度確認する"
	btnContinue = "理解して次へ進む"
	btnConfirm  = "退会する"
)

// forward are the buttons that lead on towards the confirm step, in the
// order they are preferred: the warning's, a reason, help's way on.
var forward = []string{btnContinue, "使わなくなった", "退会手続きを続ける"}

// flow runs the whole-flow workload against taikai: users walk the whole
// withdrawal, c at a time; halfway (every conversation at the confirm
// step) Redis memory is read.
func (r *runner) flow(ctx context.Context, users, c int) (flowResult, error) {
	res := flowResult{users: users, c: c}
	accounts := make([]sandbox.Account, users)
	for i := range accounts {
		accounts[i] = sandbox.Account{
			ID: fmt.Sprintf("acc_b%06d", i), Name: fmt.Sprintf("ベンチ 太郎%d", i),
			Rating: taikai.Rating{Average: 4.2, Count: 12}, CompletedOrders: 11,
		}
		if i%4 == 3 {
			accounts[i].BalanceJPY = 1200
		}
	}
	token := randomHex(16)
	sb := sandbox.New(sandbox.Options{Token: token, AccountLinkURL: r.base + "/dialog/bot/accountLink", Accounts: accounts})
	h := sb.Handler()
	r.market.Store(&h)
	defer r.market.Store(nil)

	b, err := r.startBot("taikai", false, "MARKETPLACE_API_URL="+r.base+"/market", "MARKETPLACE_API_TOKEN="+token,
		"MARKETPLACE_LINK_URL="+r.base+"/market/link")
	if err != nil {
		return res, err
	}
	defer b.stop()
	r.line.forget()
	r.line.keep.Store(true)
	defer r.line.keep.Store(false)

	g := newGen(channelSecret)
	p := newPoster(b.url, 2*c)
	defer p.close()
	fs := &flowStats{}
	deliver := func(ctx context.Context, rnd *rand.Rand, e event) error { return fs.deliver(ctx, r.line, g, p, rnd, e) }
	r.line.setOnLink(func(ctx context.Context, user, nonce string) error {
		// LINE's dialog sends the accountLink event; redelivered like any other.
		return deliver(ctx, rand.New(rand.NewPCG(rand.Uint64(), 0)), g.accountLink(user, nonce))
	})
	defer r.line.setOnLink(nil)

	w0, err := r.mark(ctx, b)
	if err != nil {
		return res, err
	}
	var (
		sem      = make(chan struct{}, c)
		arrived  sync.WaitGroup
		go2      = make(chan struct{})
		done     sync.WaitGroup
		failMu   sync.Mutex
		failures []string
		walked   atomic.Int64
	)
	fail := func(user string, err error) {
		failMu.Lock()
		failures = append(failures, fmt.Sprintf("%s: %v", user, err))
		failMu.Unlock()
	}
	arrived.Add(users)
	for i := 0; i < users; i++ {
		done.Go(func() {
			wk := &walker{r: r, g: g, deliver: deliver, user: g.user(), account: accounts[i].ID, sandbox: sb,
				rnd: rand.New(rand.NewPCG(uint64(i), 42)), offScript: i%4 == 1, fs: fs}
			wk.inbox = r.line.inbox(wk.user)
			sem <- struct{}{}
			err := wk.toConfirm(ctx)
			<-sem
			arrived.Done()
			if err != nil {
				fail(wk.user, err)
				return
			}
			<-go2
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := wk.confirm(ctx); err != nil {
				fail(wk.user, err)
				return
			}
			walked.Add(1)
		})
	}
	arrived.Wait()
	mid, err := b.redis.snap(ctx)
	if err == nil {
		res.censusMid, err = b.redis.census(ctx)
	}
	close(go2)
	done.Wait()
	if err != nil {
		return res, err
	}
	last := time.Unix(0, r.line.lastReply.Load())
	time.Sleep(300 * time.Millisecond) // let anything late (a duplicate) land
	w1, err := r.mark(ctx, b)
	if err != nil {
		return res, err
	}
	if res.rss, err = peakRSS(b.p.pid()); err != nil {
		return res, err
	}
	if res.censusEnd, err = b.redis.census(ctx); err != nil {
		return res, err
	}

	res.walked = int(walked.Load())
	res.events, res.deliveries = fs.events.Load(), fs.deliveries.Load()
	res.redelivered, res.offScript, res.blocked = fs.redelivered.Load(), fs.offScript.Load(), fs.blocked.Load()
	res.lat = fs.latencies()
	res.elapsed = last.Sub(w0.at)
	res.line = w1.line.sub(w0.line)
	res.botCPU, res.self = w1.botCPU-w0.botCPU, w1.selfCPU-w0.selfCPU
	d := w1.redis.sub(w0.redis)
	res.redis = &d
	res.others = others(w0, w1, res.botCPU+res.self+d.cpu)
	res.memInProgress = float64(mid.usedMem-w0.redis.usedMem) / float64(users)
	res.memAfter = float64(w1.redis.usedMem-w0.redis.usedMem) / float64(users)
	res.dataInProgress = float64((mid.usedMem-mid.clientMem)-(w0.redis.usedMem-w0.redis.clientMem)) / float64(users)
	res.dataAfter = float64(d.dataMem) / float64(users)
	res.keysInProgress = float64(mid.keys-w0.redis.keys) / float64(users)
	res.keysAfter = float64(w1.redis.keys-w0.redis.keys) / float64(users)
	res.filed = sb.Filed()

	slices.Sort(failures)
	for i, f := range failures {
		if i == 5 {
			res.problems = append(res.problems, fmt.Sprintf("… and %d more users who did not finish", len(failures)-5))
			break
		}
		res.problems = append(res.problems, "did not finish: "+f)
	}
	if res.filed != users {
		res.problems = append(res.problems, fmt.Sprintf("%d withdrawals filed for %d users; want exactly one each", res.filed, users))
	}
	if res.line.replies != res.events {
		res.problems = append(res.problems, fmt.Sprintf("%d replies for %d events; want exactly one each", res.line.replies, res.events))
	}
	if res.line.pushes > 0 {
		res.problems = append(res.problems, fmt.Sprintf("%d pushes: every event should have been answered with its reply token", res.line.pushes))
	}
	if a := res.line; a.anomalies() > 0 {
		res.problems = append(res.problems, fmt.Sprintf("fake API refused calls: unknown token %d, token reused %d, bad auth %d, bad body %d, unexpected %d",
			a.unknownToken, a.reusedToken, a.badAuth, a.badBody, a.unexpected))
	}
	if n := fs.failedPosts.Load(); n > 0 {
		res.problems = append(res.problems, fmt.Sprintf("%d webhooks not answered 200 (first: %s)", n, fs.firstErr()))
	}
	return res, nil
}

// flowStats are the whole-flow workload's counts, shared by its walkers.
type flowStats struct {
	events, deliveries, redelivered, offScript, blocked, failedPosts atomic.Int64

	mu    sync.Mutex
	lat   []time.Duration
	first string
}

func (fs *flowStats) latencies() []time.Duration {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	l := slices.Clone(fs.lat)
	slices.Sort(l)
	return l
}

func (fs *flowStats) firstErr() string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.first
}

// deliver posts e as LINE does; one in five events is delivered a second
// time: either the identical bytes again (a network duplicate) or LINE's
// redelivery (isRedelivery true), after the first or at the same time.
func (fs *flowStats) deliver(ctx context.Context, line *fakeLINE, g *gen, p *poster, rnd *rand.Rand, e event) error {
	fs.events.Add(1)
	line.expect(e.token, e.user)
	body := g.body(e)
	s := g.signer()
	post := func(body []byte) error {
		sig := s.sign(body)
		t0 := time.Now()
		code, err := p.post(ctx, body, sig)
		lat := time.Since(t0)
		fs.deliveries.Add(1)
		fs.mu.Lock()
		fs.lat = append(fs.lat, lat)
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("HTTP %d", code)
		}
		if err != nil && fs.first == "" {
			fs.first = err.Error()
		}
		fs.mu.Unlock()
		if err != nil {
			fs.failedPosts.Add(1)
		}
		return err
	}
	if rnd.IntN(5) != 0 {
		return post(body)
	}
	fs.redelivered.Add(1)
	again := body
	if rnd.IntN(2) == 0 {
		re := e
		re.redelivery = true
		again = g.body(re)
	}
	if rnd.IntN(2) == 0 {
		if err := post(body); err != nil {
			return err
		}
		return post(again)
	}
	// Both at once, each with its own signer (a signer is not shared).
	errc := make(chan error, 1)
	go func() {
		s2 := g.signer()
		t0 := time.Now()
		code, err := p.post(ctx, again, s2.sign(again))
		lat := time.Since(t0)
		fs.deliveries.Add(1)
		fs.mu.Lock()
		fs.lat = append(fs.lat, lat)
		fs.mu.Unlock()
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("HTTP %d", code)
		}
		if err != nil {
			fs.failedPosts.Add(1)
		}
		errc <- err
	}()
	return errors.Join(post(body), <-errc)
}

// walker is one user walking the flow.
type walker struct {
	r         *runner
	g         *gen
	deliver   func(ctx context.Context, rnd *rand.Rand, e event) error
	user      string
	account   string
	sandbox   *sandbox.Server
	inbox     chan []message
	rnd       *rand.Rand
	offScript bool
	fs        *flowStats
	last      []message
}

// replyTimeout is how long a user waits for the bot's answer.
const replyTimeout = 30 * time.Second

// await takes the next reply, which must contain want (in a message's text
// or as a button).
func (w *walker) await(ctx context.Context, what, want string) error {
	select {
	case msgs := <-w.inbox:
		w.last = msgs
	case <-time.After(replyTimeout):
		return fmt.Errorf("%s: no reply within %v", what, replyTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
	if want != "" && !w.saw(want) {
		return fmt.Errorf("%s: the reply lacks %q: %q", what, want, w.lastTexts())
	}
	return nil
}

func (w *walker) saw(want string) bool {
	for _, m := range w.last {
		if strings.Contains(m.String(), want) {
			return true
		}
		for _, a := range m.buttons() {
			if a.Label == want {
				return true
			}
		}
	}
	return false
}

// button finds the button labelled label in the last reply.
func (w *walker) button(label string) (action, error) {
	for _, m := range w.last {
		for _, a := range m.buttons() {
			if a.Label == label {
				return a, nil
			}
		}
	}
	return action{}, fmt.Errorf("no button %q in the last reply", label)
}

// say sends e and waits for its reply, which must contain want.
func (w *walker) say(ctx context.Context, what string, e event, want string) error {
	if err := w.deliver(ctx, w.rnd, e); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return w.await(ctx, what, want)
}

func (w *walker) press(ctx context.Context, label, want string) error {
	a, err := w.button(label)
	if err != nil {
		return err
	}
	return w.say(ctx, "press "+label, w.g.postback(w.user, a.Data), want)
}

// offTrack sends something the flow does not expect; the bot answers and
// shows the current step again (whose button is want).
func (w *walker) offTrack(ctx context.Context, e event, want string) error {
	if !w.offScript {
		return nil
	}
	w.fs.offScript.Add(1)
	return w.say(ctx, "off-script "+e.typ, e, want)
}

// toConfirm walks from the first message to the confirm step.
func (w *walker) toConfirm(ctx context.Context) error {
	if err := w.offTrack(ctx, w.g.text(w.user, "こんにちは"), ""); err != nil {
		return err
	}
	if err := w.say(ctx, "start", w.g.text(w.user, "退会したい"), ""); err != nil {
		return err
	}
	var link string
	for _, m := range w.last {
		for _, a := range m.buttons() {
			if a.Type == "uri" {
				link = a.URI
			}
		}
	}
	if link == "" {
		return errors.New("start: no link button in the reply")
	}
	if err := w.openLink(ctx, link); err != nil {
		return err
	}
	if err := w.await(ctx, "account link", "連携が完了"); err != nil {
		return err
	}
	// Forward to the confirm step, whatever steps lie between (a blocker
	// to clear, the warning, the reason, help offered for the reason).
	warned := false
	for presses := 0; !w.has(btnConfirm); presses++ {
		if presses == 8 {
			return fmt.Errorf("not at the confirm step after %d presses; last reply %q", presses, w.lastTexts())
		}
		if w.has(btnRecheck) {
			w.fs.blocked.Add(1)
			w.sandbox.Update(w.account, func(a *sandbox.Account) { a.BalanceJPY = 0 })
			if err := w.press(ctx, btnRecheck, ""); err != nil {
				return err
			}
			continue
		}
		if w.has(btnContinue) && !warned {
			warned = true
			if err := w.offTrack(ctx, w.g.sticker(w.user), btnContinue); err != nil {
				return err
			}
		}
		next := ""
		for _, l := range forward {
			if w.has(l) {
				next = l
				break
			}
		}
		if next == "" {
			return fmt.Errorf("no way forward in the reply %q", w.lastTexts())
		}
		if err := w.press(ctx, next, ""); err != nil {
			return err
		}
	}
	return nil
}

// has reports whether the last reply has a button labelled label.
func (w *walker) has(label string) bool {
	_, err := w.button(label)
	return err == nil
}

func (w *walker) lastTexts() []string {
	var got []string
	for _, m := range w.last {
		got = append(got, strings.SplitN(m.String(), "\n", 2)[0])
	}
	return got
}

// confirm files the withdrawal.
func (w *walker) confirm(ctx context.Context) error {
	return w.press(ctx, btnConfirm, "受付番号")
}

// openLink does what the user's browser does with the link button: opens
// the marketplace's login page, logs in as the user's account, and follows
// the redirect to LINE's account-link dialog (which sends the accountLink
// event to the bot).
func (w *walker) openLink(ctx context.Context, link string) error {
	hc := &http.Client{Timeout: replyTimeout}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	res, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("link page: %w", err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), `value="`+w.account+`"`) {
		return fmt.Errorf("link page: HTTP %d, account %s not offered", res.StatusCode, w.account)
	}
	u, err := url.Parse(link)
	if err != nil {
		return err
	}
	form := url.Values{"linkToken": {u.Query().Get("linkToken")}, "account": {w.account}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, link, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err = hc.Do(req)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("login and LINE's dialog: HTTP %d", res.StatusCode)
	}
	return nil
}

func printFlow(w io.Writer, f flowResult) {
	q := func(p float64) float64 {
		if len(f.lat) == 0 {
			return 0
		}
		return ms(f.lat[min(int(p*float64(len(f.lat))), len(f.lat)-1)])
	}
	fmt.Fprintf(w, "  users %d (filed %d, blocked first %d), events %d, webhooks %d (redelivered %d), off-script %d, in %.1fs; machine used by others %.0f%%\n",
		f.users, f.filed, f.blocked, f.events, f.deliveries, f.redelivered, f.offScript, f.elapsed.Seconds(), 100*f.others)
	fmt.Fprintf(w, "  completed events/s %.0f (walks/s %.1f); webhook answer p50 %.1f ms, p99 %.1f ms\n",
		float64(f.line.replies)/f.elapsed.Seconds(), float64(f.walked)/f.elapsed.Seconds(), q(0.5), q(0.99))
	redisCPU := "-"
	if f.redis.cpuOK {
		redisCPU = fmt.Sprintf("%.0f", us(perEvent(f.redis.cpu, f.events)))
	}
	fmt.Fprintf(w, "  per event: bot CPU %.0f µs, Redis CPU %s µs, Redis commands %.1f, harness CPU %.0f µs (sandbox and link pages included)\n",
		us(perEvent(f.botCPU, f.events)), redisCPU, float64(f.redis.calls)/float64(max(f.events, 1)), us(perEvent(f.self, f.events)))
	fmt.Fprintf(w, "  Redis used_memory per user: %.0f bytes (%.0f less connection buffers; %.1f keys) per conversation in progress (all at the confirm step); %.0f bytes (%.0f; %.1f keys) after filing\n",
		f.memInProgress, f.dataInProgress, f.keysInProgress, f.memAfter, f.dataAfter, f.keysAfter)
	fmt.Fprintf(w, "  Redis connections: HELLO %d, new connections %d\n", f.redis.hello, f.redis.conns)
	fmt.Fprintf(w, "  bot peak RSS %.1f MB; fake API: replies %d, pushes %d, loading %d, link tokens %d\n",
		float64(f.rss)/(1<<20), f.line.replies, f.line.pushes, f.line.loading, f.line.linkTokens)
	var parts, rare []string
	for _, n := range f.redis.byCalls() {
		per := float64(f.redis.cmds[n].calls) / float64(max(f.events, 1))
		if per < 0.01 {
			rare = append(rare, strings.ToUpper(n))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.2f,", strings.ToUpper(n), per))
	}
	if len(rare) > 0 {
		parts = append(parts, "and under 0.01 each: "+strings.Join(rare, " "))
	}
	fmt.Fprintf(w, "  Redis commands per event: %s\n", strings.TrimSuffix(wrap(parts, 96, "    "), ","))
	fmt.Fprintf(w, "  Redis keys with every conversation at the confirm step:\n")
	printCensus(w, f.censusMid, int64(f.users))
	fmt.Fprintf(w, "  Redis keys after every withdrawal was filed:\n")
	printCensus(w, f.censusEnd, int64(f.users))
	for _, p := range f.problems {
		fmt.Fprintf(w, "  ! %s\n", p)
	}
}
