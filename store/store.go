// Package store keeps conversation state in Redis. One user's keys share a
// hash tag, so they live in one Cluster slot and one script can update them
// together: the record (a version, a fencing token, the ids of the latest
// events applied and the conversation, in one value under {U}:rec), the
// account link, the outbox of the latest event and the handoff state.
// Every one has a TTL, but the link while the user is around (see Save).
// A save is a compare-and-set on the version that also refuses a worker whose
// fencing token is older than one already seen.
//
// Loading costs one round trip (MGET, which can read a memo too: see
// LoadRecall), saving one (a script). A large conversation is stored
// deflated (see packConv).
package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/rediskind"
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// Prefix starts every key; default "taikai:".
	Prefix string
	// ConvTTL is how long an untouched conversation is kept; default 48h.
	// It should outlast the flow's expiry, so that an expired conversation is
	// still there to be recognised (and the user told) before Redis drops it.
	ConvTTL time.Duration
	// Journal is the body of a Lua function of (KEYS, ARGV, CARD),
	// returning a string, that a save runs after writing the record when its
	// commit carries a taikai.JournalWrite (console.CardScript: the case
	// card); empty, none is run. CARD is the value of its first key, read
	// with the record (false when there is none).
	Journal string
}

// Store is conversation state in Redis.
type Store struct {
	rdb     redis.UniversalClient
	opts    Options
	cluster bool // keys of different slots are not read together
	save    *redis.Script

	mu   sync.Mutex
	sent []string // outboxes to drop (see Sent)
}

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, opts Options) *Store {
	if opts.Prefix == "" {
		opts.Prefix = "taikai:"
	}
	if opts.ConvTTL <= 0 {
		opts.ConvTTL = 48 * time.Hour
	}
	src := "local function journal(KEYS, ARGV, CARD) return '' end\n"
	if opts.Journal != "" {
		src = "local function journal(KEYS, ARGV, CARD)\n" + opts.Journal + "\nend\n"
	}
	return &Store{rdb: rdb, opts: opts, cluster: rediskind.IsCluster(rdb), save: redis.NewScript(src + saveScript)}
}

// keys of one user, in the order the scripts use them: the record (the
// version, the fencing token, the applied events and the conversation, in
// one value), the link, the outbox of event and the handoff state.
func (s *Store) keys(user, event string) []string {
	tag := s.opts.Prefix + "{" + user + "}:"
	return []string{tag + "rec", tag + "link", tag + "out:" + event, tag + "handoff"}
}

// A record is stored as one string: "<version> <fence> <applied events,
// newest first, space-separated>\n<conversation>". The save's script reads
// and rewrites the first line only; the conversation is the caller's
// bytes, deflated when over 200 B (see packConv).
func parseRecord(v string, r *taikai.Record) error {
	nl := strings.IndexByte(v, '\n')
	if nl < 0 {
		return fmt.Errorf("store: load: bad record (%d B)", len(v))
	}
	head := v[:nl]
	sp := strings.IndexByte(head, ' ')
	if sp < 0 {
		return fmt.Errorf("store: load: bad record head %q", head)
	}
	ver, err := strconv.ParseInt(head[:sp], 10, 64)
	if err != nil {
		return fmt.Errorf("store: load: bad version %q", head[:sp])
	}
	r.Version = ver
	rest := head[sp+1:]
	// The fence is the script's business; the applied events follow it.
	if sp = strings.IndexByte(rest, ' '); sp >= 0 {
		r.Done = strings.Fields(rest[sp+1:])
	}
	if conv := v[nl+1:]; conv != "" {
		c, err := unpack(conv)
		if err != nil {
			// As it is: the caller finds it unreadable and starts afresh.
			c = []byte(conv)
		}
		r.Conv = c
	}
	return nil
}

// Load reads a user's record, without an outbox (see LoadRecall). A user
// never seen has the zero Record.
func (s *Store) Load(ctx context.Context, user string) (taikai.Record, error) {
	r, _, err := s.load(ctx, user, "", "")
	return r, err
}

// LoadRecall reads a user's record with the outbox of event, if it is kept
// (see Sent), and what Remember kept under id (nil if nothing) in one
// round trip (one MGET). On a Cluster the memo is not read (ok is false):
// call Recall if it is needed.
func (s *Store) LoadRecall(ctx context.Context, user, event, id string) (r taikai.Record, memo []byte, ok bool, err error) {
	if s.cluster {
		r, _, err = s.load(ctx, user, event, "")
		return r, nil, false, err
	}
	r, memo, err = s.load(ctx, user, event, id)
	return r, memo, err == nil, err
}

func (s *Store) load(ctx context.Context, user, event, id string) (taikai.Record, []byte, error) {
	k := s.keys(user, event)
	one := id != ""
	if one {
		k = append(k, s.memoKey(id))
	}
	vals, err := s.rdb.MGet(ctx, k...).Result()
	if err != nil {
		return taikai.Record{}, nil, fmt.Errorf("store: load: %w", err)
	}
	var r taikai.Record
	if v, ok := vals[0].(string); ok {
		if err := parseRecord(v, &r); err != nil {
			return taikai.Record{}, nil, err
		}
	}
	if v, ok := vals[1].(string); ok {
		r.Link = v
	}
	if v, ok := vals[2].(string); ok {
		// An unreadable outbox is none: it only spares a resend.
		r.Outbox, _ = unpack(v)
	}
	if v, ok := vals[3].(string); ok {
		r.Handoff = v
	}
	var memo []byte
	if one {
		if v, ok := vals[4].(string); ok {
			memo = []byte(v)
		}
	}
	return r, memo, nil
}

// SetHandoff sets (or, with "", clears) a user's handoff state.
func (s *Store) SetHandoff(ctx context.Context, user, state string) error {
	k := s.keys(user, "")[3]
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
	if err := s.rdb.Set(ctx, s.memoKey(id), data, ttl).Err(); err != nil {
		return fmt.Errorf("store: remember: %w", err)
	}
	return nil
}

func (s *Store) memoKey(id string) string { return s.opts.Prefix + "memo:" + id }

// Recall returns what Remember kept under id, or nil if nothing (or it expired).
func (s *Store) Recall(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.memoKey(id)).Bytes()
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

// saveScript's keys are those of Store.keys; its arguments: 1 the version
// read, 2 the conversation, 3 the link, 4 the conversation's TTL, 5 the event
// id, 6 the outbox, 7 its TTL, 8 the fencing token, 9 how many event ids to
// keep, 10 "erase" or "", 11 the link's TTL ("" none, "keep" as it is, else
// milliseconds), 12 "1" when there was no link to delete (Record.NoLink);
// a journal's keys and arguments follow (see Options.Journal), and then it
// returns the version and what the journal returned.
//
// As Redis counts: EVALSHA, GET and SET of the record, SET of the outbox
// (when the event has one), and SET of the link when there is one; with a
// journal, MGET of the record and the journal's first key instead of GET,
// and the journal's own commands (console.CardScript: SET).
const saveScript = `
local raw, card
if #KEYS > 4 then
  local got = redis.call('MGET', KEYS[1], KEYS[5])
  raw, card = got[1], got[2]
else
  raw = redis.call('GET', KEYS[1])
end
local v, fence, done = 0, 0, ''
if raw then
  local a, b, c = string.match(raw, '^(%d+) (%d+) ?([^\n]*)\n')
  if not a then return redis.error_reply('bad record') end
  v, fence, done = tonumber(a), tonumber(b), c
end
local mine = tonumber(ARGV[8])
if mine >= 0 and mine < fence then return -2 end
if v ~= tonumber(ARGV[1]) then return -1 end
v = v + 1
-- (a negative token is an action from outside the queue: not fenced, and no fence)
if mine > fence then fence = mine end
if ARGV[5] ~= '' then
  local ids, n, max = {ARGV[5]}, 1, tonumber(ARGV[9])
  for id in string.gmatch(done, '%S+') do
    if n >= max then break end
    n = n + 1
    ids[n] = id
  end
  done = table.concat(ids, ' ')
end
local ttl = ARGV[4]
local erase = ARGV[10] == 'erase'
if erase then
  -- Only what this save needs for a while outlives it, as long as the outbox.
  ttl = ARGV[7]
  redis.call('DEL', KEYS[4])
end
redis.call('SET', KEYS[1], v .. ' ' .. fence .. ' ' .. done .. '\n' .. ARGV[2], 'PX', ttl)
if ARGV[3] == '' then
  if ARGV[12] ~= '1' then redis.call('DEL', KEYS[2]) end
elseif ARGV[11] == '' then redis.call('SET', KEYS[2], ARGV[3])
elseif ARGV[11] == 'keep' then redis.call('SET', KEYS[2], ARGV[3], 'KEEPTTL')
else redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[11]) end
if ARGV[6] ~= '' then redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7]) end
if #KEYS > 4 then
  local jk, ja = {}, {}
  for i = 5, #KEYS do jk[#jk + 1] = KEYS[i] end
  for i = 13, #ARGV do ja[#ja + 1] = ARGV[i] end
  return {v, journal(jk, ja, card)}
end
return v
`

// Save writes r if the stored version is still r.Version, records c, and
// returns the new version. It fails with taikai.ErrConflict if another writer
// saved first, and with taikai.ErrFenced if a worker with a newer fencing
// token has saved for this user.
//
// Every key of a user has a TTL but the link, which is kept while the
// user is around: r.LinkTTL bounds it once the user blocked the bot. The
// record (with the fencing token) lives as long as the conversation would
// (ConvTTL, 48 h by default), even when there is none. With
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
	keys := s.keys(user, c.EventID)
	args := []any{r.Version, packConv(r.Conv), r.Link, s.convTTL(r).Milliseconds(),
		c.EventID, c.Outbox, outboxTTL.Milliseconds(), c.Fence, maxDone, erase,
		linkTTL, noLink}
	w := c.Journal
	if w != nil && s.opts.Journal != "" {
		keys = append(keys, w.Keys...)
		args = append(args, w.Args...)
	} else {
		w = nil
	}
	res, err := s.save.Run(ctx, s.rdb, keys, args...).Result()
	if err != nil {
		return 0, fmt.Errorf("store: save: %w", err)
	}
	var v int64
	switch res := res.(type) {
	case int64:
		v = res
	case []any:
		if len(res) == 2 {
			v, _ = res[0].(int64)
			if w != nil {
				w.Result, w.Written = fmt.Sprint(res[1]), true
			}
		}
	}
	if v == 0 {
		return 0, fmt.Errorf("store: save: unexpected answer %v", res)
	}
	switch v {
	case -1:
		return 0, fmt.Errorf("store: save: %w", taikai.ErrConflict)
	case -2:
		return 0, fmt.Errorf("store: save: %w", taikai.ErrFenced)
	}
	return v, nil
}

// sentDelay is how long Sent gathers outboxes to drop in one command;
// sentBatch, how many at most.
const (
	sentDelay = 20 * time.Millisecond
	sentBatch = 256
)

// Sent drops the outbox of a user's event once its messages went out, so
// that an idle user keeps none. The outbox is the event's own key, so
// nothing saved since is dropped with it. Drops are gathered for up to
// sentDelay and made in one DEL on one Redis (one per key, pipelined, on a
// Cluster); a drop lost costs only memory until the outbox's TTL (a worker
// that takes over then finds the reply token used, or pushes with the
// event's retry key).
func (s *Store) Sent(user, event string) {
	if event == "" {
		return
	}
	k := s.keys(user, event)[2]
	s.mu.Lock()
	s.sent = append(s.sent, k)
	n := len(s.sent)
	s.mu.Unlock()
	switch {
	case n >= sentBatch:
		go s.dropSent()
	case n == 1:
		time.AfterFunc(sentDelay, s.dropSent)
	}
}

func (s *Store) dropSent() {
	s.mu.Lock()
	keys := s.sent
	s.sent = nil
	s.mu.Unlock()
	if len(keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if !s.cluster {
		s.rdb.Del(ctx, keys...)
		return
	}
	pipe := s.rdb.Pipeline()
	for _, k := range keys {
		pipe.Del(ctx, k)
	}
	pipe.Exec(ctx)
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }
