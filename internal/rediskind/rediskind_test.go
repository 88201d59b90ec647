package rediskind

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

type wrapper struct {
	redis.UniversalClient
	under redis.UniversalClient
}

func (w wrapper) Unwrap() redis.UniversalClient { return w.under }

func TestIsCluster(t *testing.T) {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer cc.Close()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for name, tc := range map[string]struct {
		rdb  redis.UniversalClient
		want bool
	}{
		"cluster":         {cc, true},
		"wrapped cluster": {wrapper{cc, wrapper{cc, cc}}, true},
		"node":            {c, false},
		"wrapped node":    {wrapper{c, c}, false},
	} {
		if got := IsCluster(tc.rdb); got != tc.want {
			t.Errorf("%s: %v; want %v", name, got, tc.want)
		}
	}
}
