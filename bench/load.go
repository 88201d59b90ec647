package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// poster posts signed webhook bodies to a bot, as LINE does.
type poster struct {
	url string
	hc  *http.Client
}

func newPoster(url string, conns int) *poster {
	t := &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: 90 * time.Second,
		DisableCompression: true, ForceAttemptHTTP2: false,
	}
	return &poster{url: url, hc: &http.Client{Transport: t, Timeout: 30 * time.Second}}
}

func (p *poster) close() { p.hc.Transport.(*http.Transport).CloseIdleConnections() }

// post sends body with its signature and returns the HTTP status.
func (p *poster) post(ctx context.Context, body []byte, sig string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "LineBotWebhook/2.0")
	req.Header.Set("x-line-signature", sig)
	res, err := p.hc.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// loadResult is what the load generator saw.
type loadResult struct {
	sent, ok int64 // webhooks posted; answered 200
	failed   int64 // answered otherwise, or not at all
	firstErr string
	lat      []time.Duration // answer latency of every post, sorted
	elapsed  time.Duration   // from the first post to the last answer
}

func (r loadResult) quantile(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(q * float64(len(r.lat)))
	if i >= len(r.lat) {
		i = len(r.lat) - 1
	}
	return r.lat[i]
}

// load posts events, each a text from a user never seen before, from c
// goroutines each waiting for the answer before posting again, for dur or
// until max events (if max > 0). Every reply token is registered with the
// fake API before its webhook is posted.
func load(ctx context.Context, p *poster, g *gen, line *fakeLINE, text string, c int, dur time.Duration, max int64) loadResult {
	var sent, ok, failed atomic.Int64
	var errOnce sync.Once
	var firstErr string
	lats := make([][]time.Duration, c)
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Go(func() {
			s := g.signer()
			lat := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				if max > 0 {
					if sent.Add(1) > max {
						sent.Add(-1)
						break
					}
				} else {
					if time.Now().After(deadline) {
						break
					}
					sent.Add(1)
				}
				e := g.text(g.user(), text)
				body := g.body(e)
				sig := s.sign(body)
				line.expect(e.token, e.user)
				t0 := time.Now()
				code, err := p.post(ctx, body, sig)
				lat = append(lat, time.Since(t0))
				if err == nil && code == http.StatusOK {
					ok.Add(1)
					continue
				}
				failed.Add(1)
				errOnce.Do(func() {
					if err != nil {
						firstErr = err.Error()
					} else {
						firstErr = fmt.Sprintf("HTTP %d", code)
					}
				})
			}
			lats[w] = lat
		})
	}
	wg.Wait()
	r := loadResult{sent: sent.Load(), ok: ok.Load(), failed: failed.Load(), firstErr: firstErr, elapsed: time.Since(start)}
	for _, l := range lats {
		r.lat = append(r.lat, l...)
	}
	slices.Sort(r.lat)
	return r
}

// drain waits until the fake API has counted want replies (and pushes)
// since base, or timeout passes; it reports how many came.
func drain(line *fakeLINE, base lineCounts, want int64, timeout time.Duration) int64 {
	deadline := time.Now().Add(timeout)
	for {
		c := line.counts().sub(base)
		got := c.replies + c.pushes
		if got >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}
