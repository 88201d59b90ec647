// Package rediskind tells what kind of Redis a client talks to, looking
// through the wrappers the wiring puts around it.
package rediskind

import "github.com/redis/go-redis/v9"

// IsCluster reports whether rdb is a Cluster client, or wraps one (a
// wrapper has Unwrap() redis.UniversalClient).
func IsCluster(rdb redis.UniversalClient) bool {
	for i := 0; i < 4; i++ {
		switch c := rdb.(type) {
		case *redis.ClusterClient:
			return true
		case interface{ Unwrap() redis.UniversalClient }:
			rdb = c.Unwrap()
		default:
			return false
		}
	}
	return false
}
