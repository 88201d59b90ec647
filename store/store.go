// Package store keeps conversation state in Redis. One user's keys share a
// hash tag, so they live in one Cluster slot and one script can update them
// together: the conversation, the account link, a version, the ids of the
// latest events applied, the outbox of the latest event, a fencing token
// and the handoff state. Every one has a TTL, but the link while the user
// is around (see Save).
// A save is a compare-and-set on the version that also refuses a worker whose
// fencing token is older than one already seen.
//
// Loading costs one round trip (MGET), saving one (a script). The outbox,
// the largest of them, is stored deflated (see pack).
package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
	return &Store{rdb: rdb, opts: opts}
}

// keys of one user, in the order the scripts use them.
func (s *Store) keys(user string) []string {
	tag := s.opts.Prefix + "{" + user + "}:"
	return []string{tag + "ver", tag + "conv", tag + "link", tag + "done", tag + "out", tag + "fence", tag + "handoff"}
}

// Load reads a user's record. A user never seen has the zero Record.
func (s *Store) Load(ctx context.Context, user string) (taikai.Record, error) {
	k := s.keys(user)
	vals, err := s.rdb.MGet(ctx, k[0], k[1], k[2], k[3], k[4], k[6]).Result()
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
	if v, ok := vals[3].(string); ok {
		r.Done = strings.Fields(v)
	}
	if v, ok := vals[4].(string); ok {
		// An unreadable outbox is none: it only spares a resend.
		r.Outbox, _ = unpack(v)
	}
	if v, ok := vals[5].(string); ok {
		r.Handoff = v
	}
	return r, nil
}

// SetHandoff sets (or, with "", clears) a user's handoff state.
func (s *Store) SetHandoff(ctx context.Context, user, state string) error {
	k := s.keys(user)[6]
	var err error
	if state == "" {
		err = s.rdb.Del(ctx, k).Err()
	} else {
		err = s.rdb.Set(ctx, k, state, 30*24*time.Hour).Err()
	}
	if err != nil {
		return fmt.Errorf("store: handoff: %w", err)
	}
	return nil
}

// Remember keeps data under id for ttl, apart from any user's record: id
// is a pseudonym (a keyed hash of the LINE user id), so what is kept after
// a user's data was erased (the receipt of a withdrawal) names no one.
func (s *Store) Remember(ctx context.Context, id string, data []byte, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.opts.Prefix+"memo:"+id, data, ttl).Err(); err != nil {
		return fmt.Errorf("store: remember: %w", err)
	}
	return nil
}

// Recall returns what Remember kept under id, or nil if nothing (or it expired).
func (s *Store) Recall(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.opts.Prefix+"memo:"+id).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: recall: %w", err)
	}
	return b, nil
}

// maxDone is how many applied event ids a record remembers. Redelivery and
// re-processing concern the latest few events of a user.
const maxDone = 32

// outboxTTL keeps an outbox long enough for a crashed worker's successor to
// find it, and no longer (a reply token lives a minute).
const outboxTTL = 10 * time.Minute

// fenceTTL keeps the highest fencing token seen for a user.
const fenceTTL = 7 * 24 * time.Hour

// saveScript's arguments: 1 the version read, 2 the conversation, 3 the
// link, 4 the conversation's TTL, 5 the event id, 6 the outbox, 7 its TTL,
// 8 the fencing token, 9 how many event ids to keep, 10 the fence's TTL,
// 11 the link's TTL ("" none, "keep" as it is, else milliseconds), 12
// "erase" or "", 13 "1" when there was no link to delete (Record.NoLink).
var saveScript = redis.NewScript(`
-- One read: the fence, the version, the applied events.
local got = redis.call('MGET', KEYS[6], KEYS[1], KEYS[4])
local fence = tonumber(got[1] or '0')
local mine = tonumber(ARGV[8])
if mine >= 0 and mine < fence then return -2 end
local v = tonumber(got[2] or '0')
if v ~= tonumber(ARGV[1]) then return -1 end
v = v + 1
local ttl = ARGV[4]
local erase = ARGV[12] == 'erase'
if erase then
  -- Only what this save needs for a while outlives it, as long as the outbox.
  ttl = ARGV[7]
  redis.call('DEL', KEYS[7])
end
if ARGV[2] == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl) end
if ARGV[3] == '' then
  if ARGV[13] ~= '1' then redis.call('DEL', KEYS[3]) end
elseif ARGV[11] == '' then redis.call('SET', KEYS[3], ARGV[3])
elseif ARGV[11] == 'keep' then redis.call('SET', KEYS[3], ARGV[3], 'KEEPTTL')
else redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[11]) end
redis.call('SET', KEYS[1], v, 'PX', ttl)
if ARGV[5] ~= '' then
  local ids = {ARGV[5]}
  local old = got[3] or ''
  for id in string.gmatch(old, '%S+') do
    if #ids >= tonumber(ARGV[9]) then break end
    table.insert(ids, id)
  end
  redis.call('SET', KEYS[4], table.concat(ids, ' '), 'PX', ttl)
end
if ARGV[6] == '' then redis.call('DEL', KEYS[5]) else redis.call('SET', KEYS[5], ARGV[6], 'PX', ARGV[7]) end
if mine > fence then redis.call('SET', KEYS[6], ARGV[8], 'PX', ARGV[10]) end
-- (a negative token is an action from outside the queue: not fenced, and no fence)
if erase then redis.call('PEXPIRE', KEYS[6], ARGV[7]) end
return v
`)

// Save writes r if the stored version is still r.Version, records c, and
// returns the new version. It fails with taikai.ErrConflict if another writer
// saved first, and with taikai.ErrFenced if a worker with a newer fencing
// token has saved for this user.
//
// Every key of a user has a TTL but the link, which is kept while the
// user is around: r.LinkTTL bounds it once the user blocked the bot. With
// c.Erase, the conversation, the link and the handoff state are deleted and
// the rest expires with the outbox (10 minutes).
func (s *Store) Save(ctx context.Context, user string, r taikai.Record, c taikai.Commit) (int64, error) {
	linkTTL := ""
	switch {
	case r.LinkTTL == taikai.KeepTTL:
		linkTTL = "keep"
	case r.LinkTTL > 0:
		linkTTL = strconv.FormatInt(r.LinkTTL.Milliseconds(), 10)
	}
	noLink := ""
	if r.NoLink {
		noLink = "1"
	}
	erase := ""
	if c.Erase {
		erase = "erase"
	}
	v, err := saveScript.Run(ctx, s.rdb, s.keys(user),
		r.Version, r.Conv, r.Link, s.convTTL(r).Milliseconds(),
		c.EventID, pack(c.Outbox), outboxTTL.Milliseconds(), c.Fence, maxDone, fenceTTL.Milliseconds(),
		linkTTL, erase, noLink).Int64()
	if err != nil {
		return 0, fmt.Errorf("store: save: %w", err)
	}
	switch v {
	case -1:
		return 0, fmt.Errorf("store: save: %w", taikai.ErrConflict)
	case -2:
		return 0, fmt.Errorf("store: save: %w", taikai.ErrFenced)
	}
	return v, nil
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }
