package queue

import (
	"net"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/taikaibot/taikai/retry"
)

// TestAckerHoldsUnderBackpressure: while Redis is away, acks pile up until
// the channel is full and adding blocks; once Redis is back they must all go
// through (a flush that waited for the adder's lock deadlocked here).
func TestAckerHoldsUnderBackpressure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: Redis is away

	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 50 * time.Millisecond, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	defer rdb.Close()
	q := New(rdb, Options{Prefix: "t:", Retry: retry.Policy{Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}})
	a := &acker{q: q, ch: make(chan ack, 1), done: make(chan struct{})}
	go a.run()

	added := make(chan struct{})
	go func() {
		for i := 0; i < 4; i++ {
			a.add(ack{"t:{p0}:stream", "1-" + string(rune('0'+i))})
		}
		close(added)
	}()
	time.Sleep(300 * time.Millisecond) // flushes fail; the channel fills

	m := miniredis.NewMiniRedis()
	if err := m.StartAddr(addr); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	select {
	case <-added:
	case <-time.After(5 * time.Second):
		t.Fatal("acks never went through after Redis came back")
	}
	a.close()
}
