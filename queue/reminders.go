package queue

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/taikaibot/taikai"
)

// Reminders is the index of reminders users asked for (a sorted set of user
// → due time, in milliseconds; one reminder per user) and the poller that
// puts each into the intake when it comes due, as an event keyed by the
// user (taikai.ReminderEvent): processed in order with the user's own
// events, under the partition's fencing, deduplicated by its id.
//
// Every replica polls. A poll claims the due entries in one script: their
// score moves to the end of a lease, so that no other poller sees them due.
// The claimer adds their events to the intake, then removes each entry
// whose score is still its claim (a reminder set again meanwhile stays). If
// adding fails, the entries go back to their due time for the next poll;
// if the claimer dies, they come due again when the lease ends and another
// replica takes them. A reminder is therefore enqueued at least once, and
// processed once: the intake dedupes an id within its dedupe window, and
// the conversation acts on a reminder only if it still waits for one that
// is due (a second delivery finds it handled).
//
// One key holds the index, so it lives in one slot on Redis Cluster; a poll
// costs one script call, and one more round trip per batch taken.
type Reminders struct {
	q    *Queue
	opts ReminderOptions
	// mu makes polls one at a time in this process: Poll returns only once
	// what any poll of this process took is in the intake (the demo relies
	// on it after moving its clock).
	mu sync.Mutex
}

// ReminderOptions configure Reminders. The zero value is usable.
type ReminderOptions struct {
	// Every is how often Run polls; default 5s.
	Every time.Duration
	// Batch bounds the reminders one script call takes; default 100. A poll
	// takes batches until fewer are due, at most 10.
	Batch int
	// Lease is how long a claimed reminder waits for its claimer before
	// another replica may take it; default 1m.
	Lease time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Due, if set, is told how many reminders each poll put into the intake.
	Due func(n int)
}

// NewReminders returns the reminder index and poller of q.
func NewReminders(q *Queue, opts ReminderOptions) *Reminders {
	if opts.Every <= 0 {
		opts.Every = 5 * time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 100
	}
	if opts.Lease <= 0 {
		opts.Lease = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Reminders{q: q, opts: opts}
}

func (r *Reminders) key() string { return r.q.opts.Prefix + "reminders" }

// Remind has user reminded at at, in place of any reminder set before.
func (r *Reminders) Remind(ctx context.Context, user string, at time.Time) error {
	if err := r.q.rdb.ZAdd(ctx, r.key(), redis.Z{Score: float64(at.UnixMilli()), Member: user}).Err(); err != nil {
		return fmt.Errorf("queue: remind: %w", err)
	}
	return nil
}

// Forget removes user's reminder, if any.
func (r *Reminders) Forget(ctx context.Context, user string) error {
	_, err := r.Drop(ctx, user)
	return err
}

// Drop removes user's reminder and reports whether there was one.
func (r *Reminders) Drop(ctx context.Context, user string) (bool, error) {
	n, err := r.q.rdb.ZRem(ctx, r.key(), user).Result()
	if err != nil {
		return false, fmt.Errorf("queue: forget a reminder: %w", err)
	}
	return n > 0, nil
}

// Count is how many reminders are set (due or not).
func (r *Reminders) Count(ctx context.Context) (int64, error) {
	return r.q.rdb.ZCard(ctx, r.key()).Result()
}

// Overdue is how many reminders came due more than a while ago and are
// still waiting to be taken: none unless no replica polls, or the intake
// keeps failing. Claimed ones count again once their lease ends.
func (r *Reminders) Overdue(ctx context.Context, by time.Duration) (int64, error) {
	return r.q.rdb.ZCount(ctx, r.key(), "-inf", strconv.FormatInt(r.opts.Now().Add(-by).UnixMilli(), 10)).Result()
}

// claimScript takes up to ARGV[3] entries due by ARGV[1] and moves them to
// ARGV[2] (the lease's end), returning them with the scores they had.
var claimRemindersScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #due, 2 do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], due[i]) end
return due
`)

// settleReminderScript, for a member still claimed (its score is ARGV[2]):
// removes it (ARGV[3] empty), or puts it back at ARGV[3].
var settleReminderScript = redis.NewScript(`
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s or tonumber(s) ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then return redis.call('ZREM', KEYS[1], ARGV[1]) end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
return 1
`)

// Poll puts every reminder due now into the intake and reports how many.
func (r *Reminders) Poll(ctx context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	var err error
	for i := 0; i < 10; i++ {
		var n int
		var full bool
		n, full, err = r.poll(ctx)
		total += n
		if err != nil || !full {
			break
		}
	}
	if r.opts.Due != nil && total > 0 {
		r.opts.Due(total)
	}
	return total, err
}

// poll takes one batch; full reports whether it was full (more may be due).
func (r *Reminders) poll(ctx context.Context) (n int, full bool, err error) {
	now := r.opts.Now()
	claim := strconv.FormatInt(now.Add(r.opts.Lease).UnixMilli(), 10)
	res, err := claimRemindersScript.Run(ctx, r.q.rdb, []string{r.key()}, now.UnixMilli(), claim, r.opts.Batch).StringSlice()
	if err != nil {
		return 0, false, fmt.Errorf("queue: claim reminders: %w", err)
	}
	full = len(res)/2 >= r.opts.Batch
	var users, dues, drop []string
	var evs []taikai.Event
	for i := 0; i+1 < len(res); i += 2 {
		user := res[i]
		ms, err := strconv.ParseFloat(res[i+1], 64)
		if err != nil || !taikai.ValidUserID(user) {
			drop = append(drop, user) // not ours to read: dropped, not claimed for ever
			continue
		}
		users, dues = append(users, user), append(dues, strconv.FormatInt(int64(ms), 10))
		ev := taikai.ReminderEvent(user, time.UnixMilli(int64(ms)), now)
		ev.Request = "reminder"
		evs = append(evs, ev)
	}
	r.settle(ctx, drop, claim, nil)
	if len(evs) == 0 {
		return 0, full, nil
	}
	if _, err := r.q.Add(ctx, evs); err != nil {
		// Back to their due time: the next poll, here or elsewhere, tries again.
		r.settle(ctx, users, claim, dues)
		return 0, false, fmt.Errorf("queue: enqueue reminders: %w", err)
	}
	r.settle(ctx, users, claim, nil)
	return len(evs), full, nil
}

// settle removes the claimed entries of users (to nil) or puts each back
// at its score in to, where the entry is still the claim's, in one round
// trip. A failure leaves them to come due when the lease ends (enqueued
// again, and deduplicated).
func (r *Reminders) settle(ctx context.Context, users []string, claim string, to []string) {
	if len(users) == 0 {
		return
	}
	_, err := r.q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, u := range users {
			back := ""
			if to != nil {
				back = to[i]
			}
			// EVAL rather than EVALSHA: a pipeline cannot load a script Redis lost.
			settleReminderScript.Eval(ctx, p, []string{r.key()}, u, claim, back)
		}
		return nil
	})
	if err != nil {
		r.q.log.Warn("reminders not settled; they come due again after their lease", "count", len(users), "err", err)
	}
}

// Run polls every opts.Every until ctx ends.
func (r *Reminders) Run(ctx context.Context) {
	tick := time.NewTicker(r.opts.Every)
	defer tick.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, r.opts.Every)
		if _, err := r.Poll(pctx); err != nil && ctx.Err() == nil {
			r.q.log.Warn("reminders not polled", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
