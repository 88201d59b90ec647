package replica

import (
	"net"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestTheIntakeNeverRetries: OpenRedis gives the webhook's intake a client
// of its own that tries each command once (the shared one retries).
func TestTheIntakeNeverRetries(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for name, cfg := range map[string]Redis{"embedded": {}, "REDIS_URL": {URL: "redis://" + ln.Addr().String() + "/0"}} {
		rdb, closeRedis, err := OpenRedis(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		intake, ok := intakeClient(rdb).(*redis.Client)
		if !ok || intake == rdb {
			t.Errorf("%s: the intake shares the client %T", name, rdb)
		} else if o := intake.Options(); o.MaxRetries != 0 || o.DialerRetries != 1 {
			t.Errorf("%s: the intake's client retries %d times and dials %d times; want one try", name, o.MaxRetries, o.DialerRetries)
		}
		closeRedis()
	}
}
