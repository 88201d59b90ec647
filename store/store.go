// Package store keeps conversation state in Redis: one user's conversation,
// account link and version under keys that share a hash tag (so they live in
// one Cluster slot), saved by compare-and-set on the version; and a dedupe
// mark per LINE webhook event.
//
// A loaded-and-saved event costs two round trips (MGET, then one script);
// marking a webhook body's events seen costs one pipelined round trip.
package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/taikaibot/taikai"
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// Prefix starts every key; default "taikai:".
	Prefix string
	// ConvTTL is how long an untouched conversation is kept; default 48h.
	// It should outlast the flow's expiry, so that an expired conversation is
	// still there to be recognised (and the user told) before Redis drops it.
	ConvTTL time.Duration
	// EventTTL is how long a webhook event id is remembered; default 24h
	// (LINE stops redelivering long before).
	EventTTL time.Duration
}

// Store is conversation state in Redis.
type Store struct {
	rdb  redis.UniversalClient
	opts Options
}

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, opts Options) *Store {
	if opts.Prefix == "" {
		opts.Prefix = "taikai:"
	}
	if opts.ConvTTL <= 0 {
		opts.ConvTTL = 48 * time.Hour
	}
	if opts.EventTTL <= 0 {
		opts.EventTTL = 24 * time.Hour
	}
	return &Store{rdb: rdb, opts: opts}
}

func (s *Store) keys(user string) []string {
	tag := s.opts.Prefix + "{" + user + "}:"
	return []string{tag + "ver", tag + "conv", tag + "link"}
}

// Load reads a user's record. A user never seen has the zero Record.
func (s *Store) Load(ctx context.Context, user string) (taikai.Record, error) {
	vals, err := s.rdb.MGet(ctx, s.keys(user)...).Result()
	if err != nil {
		return taikai.Record{}, fmt.Errorf("store: load: %w", err)
	}
	var r taikai.Record
	if v, ok := vals[0].(string); ok {
		if _, err := fmt.Sscan(v, &r.Version); err != nil {
			return taikai.Record{}, fmt.Errorf("store: load: bad version %q", v)
		}
	}
	if v, ok := vals[1].(string); ok {
		r.Conv = []byte(v)
	}
	if v, ok := vals[2].(string); ok {
		r.Link = v
	}
	return r, nil
}

// saveScript writes conversation and link if the version is unchanged, and
// bumps it. An empty conversation or link deletes the key.
var saveScript = redis.NewScript(`
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v ~= tonumber(ARGV[1]) then return -1 end
v = v + 1
if ARGV[2] == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4]) end
if ARGV[3] == '' then redis.call('DEL', KEYS[3]) else redis.call('SET', KEYS[3], ARGV[3]) end
redis.call('SET', KEYS[1], v, 'PX', ARGV[4])
return v
`)

// Save writes r if the stored version is still r.Version, and returns the new
// version; taikai.ErrConflict if another writer saved first.
func (s *Store) Save(ctx context.Context, user string, r taikai.Record) (int64, error) {
	ttl := s.opts.ConvTTL.Milliseconds()
	v, err := saveScript.Run(ctx, s.rdb, s.keys(user), r.Version, r.Conv, r.Link, ttl).Int64()
	if err != nil {
		return 0, fmt.Errorf("store: save: %w", err)
	}
	if v < 0 {
		return 0, fmt.Errorf("store: save: %w", taikai.ErrConflict)
	}
	return v, nil
}

// FirstSeen marks webhook event ids as seen and reports, for each, whether
// this was the first time. One pipelined round trip for all of them.
func (s *Store) FirstSeen(ctx context.Context, ids []string) ([]bool, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.BoolCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.SetNX(ctx, s.opts.Prefix+"evt:"+id, 1, s.opts.EventTTL)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: dedupe: %w", err)
	}
	first := make([]bool, len(ids))
	for i, c := range cmds {
		first[i] = c.Val()
	}
	return first, nil
}

// Forget unmarks event ids, so that a redelivery of events that could not be
// handed over is processed.
func (s *Store) Forget(ctx context.Context, ids []string) error {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.opts.Prefix + "evt:" + id
	}
	if len(keys) == 0 {
		return nil
	}
	// One DEL per key: in Cluster the keys live in different slots.
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Del(ctx, k)
		}
		return nil
	})
	return err
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }
