package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
)

// gate is a Channel whose Decode blocks until released and records, per
// key, the order events were decoded in and how many were at once; every
// event then reads as malformed (dropped: nothing else runs).
type gate struct {
	Channel
	release chan struct{}
	mu      sync.Mutex
	now     int
	most    int
	order   map[string][]int
	inKey   map[string]int
	overlap bool
}

func (g *gate) Decode(raw []byte) (chat.Incoming, error) {
	var key string
	var n int
	fmt.Sscanf(string(raw), "%s %d", &key, &n)
	g.mu.Lock()
	g.now++
	g.most = max(g.most, g.now)
	g.order[key] = append(g.order[key], n)
	g.inKey[key]++
	if g.inKey[key] > 1 {
		g.overlap = true
	}
	g.mu.Unlock()
	<-g.release
	g.mu.Lock()
	g.now--
	g.inKey[key]--
	g.mu.Unlock()
	return chat.Incoming{}, errors.New("malformed")
}

// TestWorkersBoundAndOrder: at most Workers events at once, one at a time
// per key and in its order, every event acknowledged, and the workers end
// at Close.
func TestWorkersBoundAndOrder(t *testing.T) {
	g := &gate{release: make(chan struct{}), order: map[string][]int{}, inKey: map[string]int{}}
	b := New(Options{Channel: g, Workers: 4})
	var acked sync.WaitGroup
	const keys, per = 10, 5
	acked.Add(keys * per)
	for i := 0; i < per; i++ {
		var evs []taikai.Event
		for k := 0; k < keys; k++ {
			key := fmt.Sprintf("k%d", k)
			evs = append(evs, taikai.Event{ID: fmt.Sprintf("%s-%d", key, i), Key: key, Raw: []byte(fmt.Sprintf("%s %d", key, i)),
				Ack: func(done bool) {
					if !done {
						t.Errorf("%s-%d not done", key, i)
					}
					acked.Done()
				}})
		}
		if err := b.Enqueue(context.Background(), evs); err != nil {
			t.Fatal(err)
		}
	}
	// All four at once before any is released.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		g.mu.Lock()
		n := g.now
		g.mu.Unlock()
		if n == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events at once; want 4", n)
		}
	}
	go func() {
		for range keys * per {
			g.release <- struct{}{}
		}
	}()
	acked.Wait()
	b.Wait()
	g.mu.Lock()
	if g.most != 4 || g.overlap {
		t.Errorf("%d events at once (want 4), one key's at once: %v", g.most, g.overlap)
	}
	for k, o := range g.order {
		for i, n := range o {
			if n != i {
				t.Errorf("%s: order %v", k, o)
				break
			}
		}
	}
	g.mu.Unlock()
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for {
		b.mu.Lock()
		w := b.workers
		b.mu.Unlock()
		if w == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d workers left after Close", w)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestAnIdleWorkerTakesNewWork: a worker that waited, then one that ended
// after workerIdle, are followed by work that still gets done.
func TestAnIdleWorkerTakesNewWork(t *testing.T) {
	g := &gate{release: make(chan struct{}, 100), order: map[string][]int{}, inKey: map[string]int{}}
	b := New(Options{Channel: g, Workers: 2})
	for i := range 3 {
		done := make(chan bool, 1)
		g.release <- struct{}{}
		b.Enqueue(context.Background(), []taikai.Event{{ID: fmt.Sprint(i), Key: "k", Raw: []byte(fmt.Sprintf("k %d", i)), Ack: func(d bool) { done <- d }}})
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d not processed", i)
		}
		if i == 1 {
			time.Sleep(workerIdle + 200*time.Millisecond)
			b.mu.Lock()
			w := b.workers
			b.mu.Unlock()
			if w != 0 {
				t.Errorf("%d workers after %v idle; want 0", w, workerIdle)
			}
		}
	}
	b.Close(context.Background())
}
