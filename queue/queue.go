// Package queue is durable intake on Redis Streams. The webhook adds each
// event to one of N partition streams (by user, so one user's events share a
// partition) in one script with its dedupe mark (two on Cluster), and
// answers LINE only after Redis has taken it. An event id is deduped across
// all partitions (see intakeScript and claimScript). Workers in every
// replica share the partitions through leases: a partition is read by one
// worker at a time, in order, and each lease carries a fencing token that
// grows with every new owner, so a worker that lost its lease cannot
// overwrite a newer owner's work. A new owner first claims what the
// previous one left pending (XAUTOCLAIM), then reads new entries. Processed
// entries are acknowledged and deleted.
package queue

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/rediskind"
	"github.com/taikaibot/taikai/retry"
)

// Options configure a Queue. The zero value is usable.
type Options struct {
	// Intake is the client Add uses; default the Queue's. It should not
	// retry commands: Add is on the path to LINE's answer, where a retry
	// only delays the 503 that makes LINE redeliver.
	Intake redis.UniversalClient
	// Batch, if set, carries Add's script for a body of one event (the
	// usual webhook) on one node: go-redis's deferred autopipeliner on the
	// Intake's client, so that concurrent webhooks share a round trip while
	// each waits for its own answer no longer than its context allows.
	Batch Submitter
	// Prefix starts every key; default "taikai:".
	Prefix string
	// Partitions is the number of streams; every replica must use the same
	// number. Default 16; below 9999 (see intakeScript).
	Partitions int
	// Consumer names this worker; default host-pid-random.
	Consumer string
	// LeaseTTL is how long a partition stays owned without renewal; a dead
	// worker's partitions move after this. Default 10s.
	LeaseTTL time.Duration
	// EventTTL is how long an event id is remembered for dedupe; default
	// 25h: the webhook stores no event older than 24h (by LINE's timestamp),
	// and an hour more allows for LINE's clock and ours to disagree.
	EventTTL time.Duration
	// MaxInFlight bounds the events of one partition being processed; default 256.
	MaxInFlight int
	// Block is how long a read waits for new entries; it also bounds how
	// long stopping takes. Default 1s.
	Block time.Duration
	// Retry paces the retries of a failed acknowledgement (they go on until
	// shutdown); default retry.Default().
	Retry retry.Policy
	Log   *slog.Logger
}

// Submitter queues a command with others and returns at once; the future
// says when it ran (go-redis's *redis.AutoPipeliner, deferred face).
type Submitter interface {
	Submit(ctx context.Context, cmd redis.Cmder) redis.AutoFuture
}

// Queue is the Redis Streams intake and its consumer. It is safe for
// concurrent use.
type Queue struct {
	rdb     redis.UniversalClient
	opts    Options
	log     *slog.Logger
	cluster bool // the intake is on Redis Cluster: two steps (see claimScript)
}

// Group is the consumer group every replica reads through.
const Group = "workers"

// New returns a Queue on rdb.
func New(rdb redis.UniversalClient, opts Options) *Queue {
	if opts.Prefix == "" {
		opts.Prefix = "taikai:"
	}
	if opts.Partitions <= 0 {
		opts.Partitions = 16
	}
	if opts.Consumer == "" {
		host, _ := os.Hostname()
		opts.Consumer = fmt.Sprintf("%s-%d-%04x", host, os.Getpid(), rand.IntN(1<<16))
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 10 * time.Second
	}
	if opts.EventTTL <= 0 {
		opts.EventTTL = 25 * time.Hour
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 256
	}
	if opts.Block <= 0 {
		opts.Block = time.Second
	}
	if opts.Retry.MaxBackoff <= 0 {
		opts.Retry = retry.Default()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Intake == nil {
		opts.Intake = rdb
	}
	return &Queue{rdb: rdb, opts: opts, log: opts.Log, cluster: rediskind.IsCluster(opts.Intake)}
}

// partition maps an ordering key (a user) to its partition.
func (q *Queue) partition(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(q.opts.Partitions))
}

// tag is the hash tag of partition p: all its keys live in one Cluster slot.
func (q *Queue) tag(p int) string { return q.opts.Prefix + "{p" + strconv.Itoa(p) + "}:" }

func (q *Queue) stream(p int) string { return q.tag(p) + "stream" }

// Dedupe is on the event id alone, whatever its partition, in two steps,
// because on Redis Cluster one script can touch only one slot, and an
// event's id and its partition's stream hash to different ones:
//
//  1. claimScript, on the id's own key (evt:<id>, its own slot), binds the
//     id to a partition: the first delivery's, kept for EventTTL. A later
//     delivery of the id — a redelivery, a replica with another
//     QUEUE_PARTITIONS, another user naming the same id — is sent to that
//     partition, whatever its own would be.
//  2. addScript, on that partition's slot, marks the id stored there and
//     appends the event to the stream, atomically: the mark means stored.
//
// (-2 is an id stored by intakeScript, the one-node intake: skipped.)
// If step 2 fails the webhook answers 503; the redelivery finds the id bound
// and not marked in its partition, and stores it. Once stored there, any
// delivery of the id finds the mark and is skipped. Two pipelined round
// trips per webhook, each bounded by the caller's deadline (three when an
// id was bound to a partition beyond QUEUE_PARTITIONS, after it shrank).
var claimScript = redis.NewScript(`
local p = redis.call('GET', KEYS[1])
if p == '9999' then return -2 end
if p then return tonumber(p) end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return tonumber(ARGV[1])
`)

var addScript = redis.NewScript(`
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('XADD', KEYS[2], '*', 'id', ARGV[2], 'key', ARGV[3], 'raw', ARGV[4], 'at', ARGV[5], 'rid', ARGV[6])
  return 1
end
return 0
`)

// intakeScript is the intake on one node (not Cluster), where one script
// may touch any key: it binds the id and stores the event in one step, so
// the binding means stored: evt:<id> holds 9999 (no partition:
// QUEUE_PARTITIONS is at most 1024; a small integer, which Redis keeps
// without an allocation of its own). Steady path: EVALSHA, SET, XADD as
// Redis counts them. An id bound by the two-step intake (a partition: a
// Cluster-era or older replica's binding) is stored where it was bound,
// unless that partition's mark says it already is. The keys of that
// fallback are built in the script: on one node there are no slots.
// KEYS[1] evt:<id>, KEYS[2] the stream of the event's own partition; ARGV
// 1 the TTL (s), 2-6 the entry's id, key, raw, at, rid, 7 the prefix, 8 the
// number of partitions.
var intakeScript = redis.NewScript(intakeSrc)

const intakeSrc = `
if redis.call('SET', KEYS[1], '9999', 'NX', 'EX', ARGV[1]) then
  redis.call('XADD', KEYS[2], '*', 'id', ARGV[2], 'key', ARGV[3], 'raw', ARGV[4], 'at', ARGV[5], 'rid', ARGV[6])
  return 1
end
local p = tonumber(redis.call('GET', KEYS[1]) or '')
if p == nil or p == 9999 then return 0 end
local tag = ARGV[7] .. '{p' .. p .. '}:'
if redis.call('EXISTS', tag .. 'evt:' .. ARGV[2]) == 1 then return 0 end
local stream = KEYS[2]
if p >= 0 and p < tonumber(ARGV[8]) then stream = tag .. 'stream' end
redis.call('XADD', stream, '*', 'id', ARGV[2], 'key', ARGV[3], 'raw', ARGV[4], 'at', ARGV[5], 'rid', ARGV[6])
redis.call('SET', KEYS[1], '9999', 'KEEPTTL')
return 1
`

// Add stores events durably, skipping ids already seen, and reports how many
// were new. On one node every event is one script (intakeScript), all in one
// pipelined round trip; on Cluster, two (see claimScript). An error means
// some may not be stored: the caller must ask LINE to send them again. Event
// ids must be safe in a key (the webhook makes them so).
func (q *Queue) Add(ctx context.Context, evs []taikai.Event) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	if q.cluster {
		return q.addTwoStep(ctx, evs)
	}
	ttl := int(q.opts.EventTTL.Seconds())
	cmds := make([]*redis.Cmd, len(evs))
	if len(evs) == 1 && q.opts.Batch != nil {
		n, err := q.submitIntake(ctx, evs[0], ttl)
		if err != nil {
			return 0, fmt.Errorf("queue: add: %w", err)
		}
		return n, nil
	}
	if len(evs) == 1 {
		// Script.Run: EVALSHA, and EVAL when the script is missing (a
		// restarted Redis).
		ev := evs[0]
		cmds[0] = intakeScript.Run(ctx, q.opts.Intake, q.intakeKeys(ev), q.intakeArgs(ev, ttl)...)
	} else {
		// EVAL, not EVALSHA: in a pipeline, a script missing for the first
		// event and loaded (by another client) before the second would store
		// the second first, and a user's events must stay in order.
		_, err := q.opts.Intake.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, ev := range evs {
				cmds[i] = intakeScript.Eval(ctx, p, q.intakeKeys(ev), q.intakeArgs(ev, ttl)...)
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("queue: add: %w", err)
		}
	}
	n := 0
	for _, c := range cmds {
		v, err := c.Int()
		if err != nil {
			return 0, fmt.Errorf("queue: add: %w", err)
		}
		n += v
	}
	return n, nil
}

// submitIntake runs the intake script for ev through q.opts.Batch: EVALSHA,
// and EVAL when the script is missing. It waits no longer than ctx allows
// (a command that timed out may still run: the redelivery finds it stored).
func (q *Queue) submitIntake(ctx context.Context, ev taikai.Event, ttl int) (int, error) {
	keys, args := q.intakeKeys(ev), q.intakeArgs(ev, ttl)
	run := func(name, script string) (int, error) {
		a := make([]any, 0, 3+len(keys)+len(args))
		a = append(a, name, script, len(keys))
		for _, k := range keys {
			a = append(a, k)
		}
		cmd := redis.NewCmd(ctx, append(a, args...)...)
		if err := q.opts.Batch.Submit(ctx, cmd).WaitContext(ctx); err != nil {
			return 0, err
		}
		return cmd.Int()
	}
	n, err := run("evalsha", intakeScript.Hash())
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		n, err = run("eval", intakeSrc)
	}
	return n, err
}

func (q *Queue) intakeKeys(ev taikai.Event) []string {
	return []string{q.opts.Prefix + "evt:" + ev.ID, q.stream(q.partition(ev.Key))}
}

func (q *Queue) intakeArgs(ev taikai.Event, ttl int) []any {
	return []any{ttl, ev.ID, ev.Key, ev.Raw, ev.Received.UnixMilli(), ev.Request, q.opts.Prefix, q.opts.Partitions}
}

// addTwoStep is Add on Cluster: two pipelined round trips (see claimScript).
func (q *Queue) addTwoStep(ctx context.Context, evs []taikai.Event) (int, error) {
	ttl := int(q.opts.EventTTL.Seconds())
	claims := make([]*redis.Cmd, len(evs))
	_, err := q.opts.Intake.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, ev := range evs {
			// EVAL rather than EVALSHA: a restarted Redis has no scripts loaded.
			claims[i] = claimScript.Eval(ctx, p, []string{q.opts.Prefix + "evt:" + ev.ID}, q.partition(ev.Key), ttl)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue: add: %w", err)
	}
	parts := make([]int, len(evs))
	moved := map[int]*redis.IntCmd{} // bound to a partition that no longer exists
	cmds := make([]*redis.Cmd, len(evs))
	_, err = q.opts.Intake.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, ev := range evs {
			parts[i], _ = claims[i].Int()
			if parts[i] == -2 {
				continue // stored by the one-node intake
			}
			if parts[i] < 0 || parts[i] >= q.opts.Partitions {
				// Bound when there were more partitions: stored there if
				// marked there; else it goes to its own partition below.
				moved[i] = p.Exists(ctx, q.tag(parts[i])+"evt:"+ev.ID)
				continue
			}
			cmds[i] = q.add(ctx, p, parts[i], ev, ttl)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue: add: %w", err)
	}
	if len(moved) > 0 {
		_, err = q.opts.Intake.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, c := range moved {
				if c.Val() == 0 {
					cmds[i] = q.add(ctx, p, q.partition(evs[i].Key), evs[i], ttl)
				}
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("queue: add: %w", err)
		}
	}
	n := 0
	for _, c := range cmds {
		if c == nil {
			continue
		}
		if v, _ := c.Int(); v == 1 {
			n++
		}
	}
	return n, nil
}

// add queues addScript for ev in partition part on p.
func (q *Queue) add(ctx context.Context, p redis.Pipeliner, part int, ev taikai.Event, ttl int) *redis.Cmd {
	keys := []string{q.tag(part) + "evt:" + ev.ID, q.stream(part)}
	return addScript.Eval(ctx, p, keys, ttl, ev.ID, ev.Key, ev.Raw, ev.Received.UnixMilli(), ev.Request)
}

// Backlog counts the events stored and not yet processed, in all partitions.
func (q *Queue) Backlog(ctx context.Context) (int64, error) {
	cmds := make([]*redis.IntCmd, q.opts.Partitions)
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range cmds {
			cmds[i] = p.XLen(ctx, q.stream(i))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, c := range cmds {
		n += c.Val()
	}
	return n, nil
}

// Depth reports, over all partitions, the events stored and not yet
// processed (backlog) and those of them handed to a worker (pending).
func (q *Queue) Depth(ctx context.Context) (map[string]float64, error) {
	backlog, err := q.Backlog(ctx)
	if err != nil {
		return nil, err
	}
	cmds := make([]*redis.XPendingCmd, q.opts.Partitions)
	pipe := q.rdb.Pipeline()
	for i := range cmds {
		cmds[i] = pipe.XPending(ctx, q.stream(i), Group)
	}
	pipe.Exec(ctx) // a partition never read has no group yet: counted as 0
	var pending int64
	for _, c := range cmds {
		if v, err := c.Result(); err == nil {
			pending += v.Count
		}
	}
	return map[string]float64{"backlog": float64(backlog), "pending": float64(pending)}, nil
}

// Dispatcher processes events; it calls an event's Ack once it is done with
// it for good. The bot is one.
type Dispatcher interface {
	Enqueue(ctx context.Context, evs []taikai.Event) error
}

// parseEntry turns a stream entry into an event.
func parseEntry(m redis.XMessage) (taikai.Event, bool) {
	id, _ := m.Values["id"].(string)
	key, _ := m.Values["key"].(string)
	raw, _ := m.Values["raw"].(string)
	at, _ := m.Values["at"].(string)
	rid, _ := m.Values["rid"].(string)
	ms, _ := strconv.ParseInt(at, 10, 64)
	if id == "" {
		return taikai.Event{}, false
	}
	return taikai.Event{ID: id, Key: key, Raw: []byte(raw), Received: time.UnixMilli(ms), Request: rid}, true
}

// ack is an entry to acknowledge and delete.
type ack struct {
	stream, id string
}

// acker acknowledges processed entries in batches: what piles up within
// ackLinger of the first (or maxAckBatch entries) goes in one pipeline, one
// XACK and one XDEL per stream, so that under load a partition's acks cost
// two commands per ackLinger rather than two per read. An ack held back
// only delays the entry's deletion: a worker that dies meanwhile leaves it
// pending, and the next owner's re-processing is recognised by the store.
type acker struct {
	q    *Queue
	ch   chan ack
	done chan struct{}

	mu     sync.Mutex // held while sending, so that close never races a send
	closed atomic.Bool
}

// add queues an ack; after close it is dropped (the entry stays pending and
// the next owner re-processes it, which the store recognises).
func (a *acker) add(x ack) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.closed.Load() {
		a.ch <- x
	}
}

func (a *acker) close() {
	a.mu.Lock()
	a.closed.Store(true)
	close(a.ch)
	a.mu.Unlock()
	<-a.done
}

// ackLinger is how long acks wait for company; maxAckBatch caps a batch.
const (
	ackLinger   = 100 * time.Millisecond
	maxAckBatch = 1024
)

func (a *acker) run() {
	defer close(a.done)
	linger := time.NewTimer(ackLinger)
	linger.Stop()
	for first := range a.ch {
		batch := map[string][]string{first.stream: {first.id}}
		n := 1
		linger.Reset(ackLinger)
	drain:
		for n < maxAckBatch {
			select {
			case x, ok := <-a.ch:
				if !ok {
					break drain // closing: flush now
				}
				batch[x.stream] = append(batch[x.stream], x.id)
				n++
			case <-linger.C:
				break drain
			}
		}
		linger.Stop()
		a.flush(batch)
	}
}

func (a *acker) flush(batch map[string][]string) {
	a.q.opts.Retry.Forever().Run(context.Background(), func(attempt int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := a.q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for s, ids := range batch {
				p.XAck(ctx, s, Group, ids...)
				p.XDel(ctx, s, ids...)
			}
			return nil
		})
		cancel()
		if err == nil {
			return nil
		}
		// Not a.mu: an add blocked on a full channel holds it while this
		// flush is what would make room.
		if a.closed.Load() && attempt >= 3 {
			// Left pending: the next owner re-processes these entries, and
			// the store recognises them as applied.
			a.q.log.Error("acks dropped at shutdown", "err", err)
			return retry.Permanent(err)
		}
		a.q.log.Warn("ack failed; retrying", "err", err)
		return err
	})
}

// Run consumes the queue until ctx ends: it takes a fair share of the
// partitions, reads them in order and hands events to d. On return it has
// stopped reading, waited for the events it handed over (up to drain), and
// released its leases so other replicas take over at once.
func (q *Queue) Run(ctx context.Context, d Dispatcher, drain func(context.Context) error) error {
	a := &acker{q: q, ch: make(chan ack, 1024), done: make(chan struct{})}
	go a.run()

	c := &consumer{q: q, d: d, acks: a, owned: map[int]*lease{}}
	tick := time.NewTicker(q.opts.LeaseTTL / 3)
	defer tick.Stop()
	for {
		c.balance(ctx)
		select {
		case <-ctx.Done():
			c.stopAll()
			dctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			if drain != nil {
				if err := drain(dctx); err != nil {
					q.log.Error("events left in flight at shutdown", "err", err)
				}
			}
			cancel()
			a.close()
			c.releaseAll()
			return nil
		case <-tick.C:
		}
	}
}

// consumer is one replica's share of the partitions.
type consumer struct {
	q    *Queue
	d    Dispatcher
	acks *acker

	mu    sync.Mutex
	owned map[int]*lease
}

type lease struct {
	part   int
	token  string
	fence  int64
	cancel context.CancelFunc
	done   chan struct{}
}

var acquireScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local f = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. f, 'PX', ARGV[2])
return f
`)

var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// balance renews the leases held, drops lost ones, and takes or gives up
// partitions so each live replica holds about its share.
func (c *consumer) balance(ctx context.Context) {
	q := c.q
	ttl := q.opts.LeaseTTL.Milliseconds()
	rctx, cancel := context.WithTimeout(ctx, q.opts.LeaseTTL/3)
	defer cancel()

	// Renew, and notice lost leases.
	for _, l := range c.leases() {
		ok, err := renewScript.Run(rctx, q.rdb, []string{q.tag(l.part) + "lease"}, l.token, ttl).Int()
		if err == nil && ok == 1 {
			continue
		}
		if err != nil && ctx.Err() == nil {
			// Redis did not answer: keep reading while the lease may still be
			// ours; fencing stops any write once someone else owns it.
			q.log.Warn("lease renewal failed", "partition", l.part, "err", err)
			continue
		}
		q.log.Warn("lease lost", "partition", l.part)
		c.stop(l)
	}

	// A fair share: heartbeat, and count the live replicas.
	now := time.Now().UnixMilli()
	reps := q.opts.Prefix + "replicas"
	pipe := q.rdb.TxPipeline()
	pipe.ZAdd(rctx, reps, redis.Z{Score: float64(now), Member: q.opts.Consumer})
	pipe.ZRemRangeByScore(rctx, reps, "-inf", strconv.FormatInt(now-3*ttl, 10))
	card := pipe.ZCard(rctx, reps)
	if _, err := pipe.Exec(rctx); err != nil {
		return
	}
	live := int(card.Val())
	if live < 1 {
		live = 1
	}
	share := (q.opts.Partitions + live - 1) / live

	if held := c.leases(); len(held) > share {
		// More than a fair share (another replica came up): give the excess back.
		for _, l := range held[share:] {
			c.stop(l)
			c.release(l)
		}
		return
	}
	start := rand.IntN(q.opts.Partitions)
	for i := 0; i < q.opts.Partitions && len(c.leases()) < share; i++ {
		p := (start + i) % q.opts.Partitions
		if c.holds(p) {
			continue
		}
		f, err := acquireScript.Run(rctx, q.rdb, []string{q.tag(p) + "lease", q.tag(p) + "fence"}, q.opts.Consumer, ttl).Int64()
		if err != nil || f == 0 {
			continue
		}
		c.start(ctx, p, f)
	}
}

func (c *consumer) leases() []*lease {
	c.mu.Lock()
	defer c.mu.Unlock()
	ls := make([]*lease, 0, len(c.owned))
	for _, l := range c.owned {
		ls = append(ls, l)
	}
	return ls
}

func (c *consumer) holds(p int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.owned[p] != nil
}

func (c *consumer) start(ctx context.Context, p int, fence int64) {
	rctx, cancel := context.WithCancel(ctx)
	l := &lease{part: p, fence: fence, token: c.q.opts.Consumer + ":" + strconv.FormatInt(fence, 10), cancel: cancel, done: make(chan struct{})}
	c.mu.Lock()
	c.owned[p] = l
	c.mu.Unlock()
	c.q.log.Info("partition taken", "partition", p, "fence", fence)
	go func() {
		defer close(l.done)
		err := c.read(rctx, l)
		if err == nil || rctx.Err() != nil {
			return
		}
		// The reader stopped on its own (Redis refused its group or its
		// claim): holding on to the lease would leave the partition unread
		// for good. Give it up; the next balance takes it again, with a new
		// fence, and claims what this reader left pending.
		c.q.log.Warn("partition reader stopped; lease given up", "partition", p, "err", err)
		c.mu.Lock()
		if c.owned[p] == l {
			delete(c.owned, p)
		}
		c.mu.Unlock()
		c.release(l)
	}()
}

// stop stops reading a partition (events already handed over finish).
func (c *consumer) stop(l *lease) {
	c.mu.Lock()
	delete(c.owned, l.part)
	c.mu.Unlock()
	l.cancel()
	<-l.done
}

func (c *consumer) release(l *lease) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	releaseScript.Run(ctx, c.q.rdb, []string{c.q.tag(l.part) + "lease"}, l.token)
}

// stopAll stops every reader, keeping the leases for releaseAll.
func (c *consumer) stopAll() {
	for _, l := range c.leases() {
		l.cancel()
		<-l.done
	}
}

func (c *consumer) releaseAll() {
	for _, l := range c.leases() {
		c.release(l)
	}
}

// read hands a partition's events over in order: first what earlier owners
// left pending, then new entries.
func (c *consumer) read(ctx context.Context, l *lease) error {
	q := c.q
	s := q.stream(l.part)
	if err := q.rdb.XGroupCreateMkStream(ctx, s, Group, "0").Err(); err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create group: %w", err)
	}
	sem := make(chan struct{}, q.opts.MaxInFlight)
	var inflight sync.Map // entry id → true, so a re-claim does not dispatch twice
	dispatch := func(msgs []redis.XMessage) error {
		var evs []taikai.Event
		for _, m := range msgs {
			if _, dup := inflight.LoadOrStore(m.ID, true); dup {
				continue
			}
			ev, ok := parseEntry(m)
			if !ok {
				// Unreadable: nothing to process; drop it.
				c.acks.add(ack{s, m.ID})
				inflight.Delete(m.ID)
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				inflight.Delete(m.ID)
				return ctx.Err()
			}
			id := m.ID
			ev.Fence = l.fence
			ev.Ack = func(done bool) {
				if done {
					c.acks.add(ack{s, id})
				}
				inflight.Delete(id)
				<-sem
			}
			evs = append(evs, ev)
		}
		if len(evs) == 0 {
			return nil
		}
		return c.d.Enqueue(ctx, evs)
	}

	// What earlier owners (or this worker, before) left pending comes first.
	start := "0-0"
	for {
		msgs, next, err := q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: s, Group: Group, Consumer: q.opts.Consumer, MinIdle: 0, Start: start, Count: 100,
		}).Result()
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		if len(msgs) > 0 {
			q.log.Info("claimed pending events", "partition", l.part, "count", len(msgs))
		}
		if err := dispatch(msgs); err != nil {
			return err
		}
		if next == "0-0" || next == "" {
			break
		}
		start = next
	}
	// Entries another worker took while it (wrongly) believed it still held
	// this partition are claimed once they have idled long enough.
	reclaim := time.NewTicker(q.opts.LeaseTTL)
	defer reclaim.Stop()

	// After a failed read, the entries of that read may have been delivered
	// to this consumer without reaching it: re-read this consumer's pending
	// entries (in order, before anything newer) until none is left.
	resync := false
	for {
		select {
		case <-reclaim.C:
			msgs, _, err := q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
				Stream: s, Group: Group, Consumer: q.opts.Consumer, MinIdle: 3 * q.opts.LeaseTTL, Start: "0-0", Count: 100,
			}).Result()
			if err == nil && len(msgs) > 0 {
				q.log.Warn("claimed events left idle by another worker", "partition", l.part, "count", len(msgs))
				if err := dispatch(msgs); err != nil {
					return err
				}
			}
		default:
		}
		from, count := ">", int64(64)
		if resync {
			// Everything this consumer has pending fits: at most what is in
			// flight plus the lost read.
			from, count = "0", int64(q.opts.MaxInFlight+64)
		}
		res, err := q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: Group, Consumer: q.opts.Consumer, Streams: []string{s, from}, Count: count, Block: q.opts.Block,
		}).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if strings.HasPrefix(err.Error(), "NOGROUP") {
				// Redis lost the group (restarted without persistence): make it again.
				q.rdb.XGroupCreateMkStream(ctx, s, Group, "0")
				continue
			}
			q.log.Warn("read failed", "partition", l.part, "err", err)
			resync = true
			select {
			case <-time.After(500 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		fresh := 0
		for _, st := range res {
			for _, m := range st.Messages {
				if _, busy := inflight.Load(m.ID); !busy {
					fresh++
				}
			}
			if err := dispatch(st.Messages); err != nil {
				return err
			}
		}
		if resync && fresh == 0 {
			resync = false
		}
	}
}
