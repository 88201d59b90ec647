// Package console is the support staff's console: a Redis journal of what
// the bot did (a chat.Tracker), and server-rendered pages over it —
// overview, conversations, a case card per user, handoff to a person, and
// an audit of filings.
package console

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
)

// Retention of what the journal keeps. Everything it writes has a TTL or a
// cap, so Redis use stays bounded.
type Retention struct {
	// Conversations: a case card and its timeline after the last event; default 30 days.
	Conversations time.Duration
	// Days: the daily counters; default 400 days.
	Days time.Duration
	// Audit: filings in the audit log; default 365 days (and at most 100,000 entries).
	Audit time.Duration
}

// Journal records what the bot did, in Redis, for the console.
type Journal struct {
	rdb    redis.UniversalClient
	prefix string
	ret    Retention
	now    func() time.Time
}

// NewJournal returns a Journal writing under prefix (default "taikai:").
func NewJournal(rdb redis.UniversalClient, prefix string, ret Retention) *Journal {
	if prefix == "" {
		prefix = "taikai:"
	}
	if ret.Conversations <= 0 {
		ret.Conversations = 30 * 24 * time.Hour
	}
	if ret.Days <= 0 {
		ret.Days = 400 * 24 * time.Hour
	}
	if ret.Audit <= 0 {
		ret.Audit = 365 * 24 * time.Hour
	}
	return &Journal{rdb: rdb, prefix: prefix + "console:", ret: ret, now: time.Now}
}

// maxAudit caps the audit stream whatever the retention.
const maxAudit = 100000

// timelineLen caps each user's timeline.
const timelineLen = 50

var jst = time.FixedZone("JST", 9*60*60)

func day(t time.Time) string { return t.In(jst).Format("2006-01-02") }

func (j *Journal) dayKey(d string) string  { return j.prefix + "day:" + d }
func (j *Journal) convKey(u string) string { return j.prefix + "{" + u + "}:conv" }
func (j *Journal) tlKey(u string) string   { return j.prefix + "{" + u + "}:tl" }
func (j *Journal) convsKey() string        { return j.prefix + "convs" }
func (j *Journal) auditKey() string        { return j.prefix + "audit" }

// convScript updates a case card, keeping "since" (when the step was
// entered) unless the step changed.
var convScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'step') ~= ARGV[1] then redis.call('HSET', KEYS[1], 'since', ARGV[2]) end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1]) end
return 1
`)

// Track records one event (it makes Journal a chat.Tracker). The journal is
// best effort: a failure is not the user's problem.
func (j *Journal) Track(ctx context.Context, t chat.Turn) {
	at := t.At
	if at.IsZero() {
		at = j.now()
	}
	d := j.dayKey(day(at))
	ms := strconv.FormatInt(at.UnixMilli(), 10)
	pipe := j.rdb.Pipeline()
	pipe.HIncrBy(ctx, d, "events:"+t.Type, 1)
	for _, e := range t.Events {
		pipe.HIncrBy(ctx, d, "funnel:"+string(e), 1)
		if e == flows.EvReason {
			pipe.HIncrBy(ctx, d, "reason:"+string(t.State.Reason), 1)
		}
	}
	if t.Checked != nil {
		for kind, n := range t.Checked.Blockers() {
			pipe.HIncrBy(ctx, d, "blocker:"+string(kind), int64(n))
		}
	}
	if f := t.Filing; f != nil {
		pipe.HIncrBy(ctx, d, "filing:"+string(f.Outcome), 1)
		if f.Outcome == taikai.OutcomeFiled {
			minID := strconv.FormatInt(at.Add(-j.ret.Audit).UnixMilli(), 10)
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: j.auditKey(), MaxLen: maxAudit, Approx: true, Values: map[string]any{
				"at": ms, "account": f.AccountID, "reason": string(f.Reason), "key": f.Key, "receipt": f.Receipt,
			}})
			pipe.XTrimMinIDApprox(ctx, j.auditKey(), minID, 0)
		}
	}
	pipe.Expire(ctx, d, j.ret.Days)
	if t.User != "" {
		j.trackUser(ctx, pipe, t, ms)
	}
	pipe.Exec(ctx)
}

func (j *Journal) trackUser(ctx context.Context, pipe redis.Pipeliner, t chat.Turn, ms string) {
	u := t.User
	if t.Erased || (t.Filing != nil && t.Filing.Outcome == taikai.OutcomeFiled) {
		// After a withdrawal or an unlink the user's data is erased; the
		// audit stays.
		pipe.Del(ctx, j.convKey(u), j.tlKey(u))
		pipe.ZRem(ctx, j.convsKey(), u)
		return
	}
	s := t.State
	step := string(s.Step)
	if step == "" {
		step = string(flows.StepIdle)
	}
	fields := []any{step, ms, "step", step, "updated", ms, "account", s.AccountID, "handoff", t.Handoff,
		"failures", strconv.Itoa(s.Failures), "help", strconv.FormatBool(len(s.Advised) > 0),
		"reason", string(s.Reason), "reason_text", s.ReasonText}
	if st := s.Status; st != nil {
		fields = append(fields, "name", st.DisplayName, "blockers", blockerList(st), "role", role(st))
	} else if !s.Active() {
		fields = append(fields, "blockers", "")
	}
	if t.Handoff == taikai.HandoffRequested && slices.Contains(t.Events, flows.EvHandedOff) {
		fields = append(fields, "asked", ms)
	}
	// EVAL, not EVALSHA: inside a pipeline a missing script could not fall back.
	convScript.Eval(ctx, pipe, []string{j.convKey(u)}, fields...)
	pipe.Expire(ctx, j.convKey(u), j.ret.Conversations)
	names := []string{t.Type}
	for _, e := range t.Events {
		names = append(names, string(e))
	}
	entry := ms + "|" + step + "|" + strings.Join(names, ",")
	pipe.LPush(ctx, j.tlKey(u), entry)
	pipe.LTrim(ctx, j.tlKey(u), 0, timelineLen-1)
	pipe.Expire(ctx, j.tlKey(u), j.ret.Conversations)
	pipe.ZAdd(ctx, j.convsKey(), redis.Z{Score: float64(t.At.UnixMilli()), Member: u})
	// The index forgets what the case cards forgot; left alone that long,
	// it goes as a whole (every entry in it is as old by then).
	pipe.ZRemRangeByScore(ctx, j.convsKey(), "-inf", strconv.FormatInt(t.At.Add(-j.ret.Conversations).UnixMilli(), 10))
	pipe.Expire(ctx, j.convsKey(), j.ret.Conversations)
}

func blockerList(st *taikai.Status) string {
	var parts []string
	b := st.Blockers()
	for _, k := range taikai.BlockerKinds {
		if n := b[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", k, n))
		}
	}
	return strings.Join(parts, ",")
}

func role(st *taikai.Status) string {
	buyer := len(st.PurchasesInProgress) > 0
	seller := len(st.SalesAwaitingDelivery) > 0 || len(st.PayoutsInProgress) > 0 || st.SalesBalanceJPY != 0
	switch {
	case buyer && seller:
		return "buyer+seller"
	case buyer:
		return "buyer"
	case seller:
		return "seller"
	}
	return ""
}

// Counts are the journal's counters summed over some days.
type Counts map[string]int64

// Get returns counter "kind:name".
func (c Counts) Get(kind, name string) int64 { return c[kind+":"+name] }

// Day is one day's counters.
type Day struct {
	Date   string
	Counts Counts
}

// Days returns the counters of the last n days (today last), in JST.
func (j *Journal) Days(ctx context.Context, n int) ([]Day, error) {
	now := j.now()
	cmds := make([]*redis.MapStringStringCmd, n)
	days := make([]Day, n)
	pipe := j.rdb.Pipeline()
	for i := 0; i < n; i++ {
		days[i].Date = day(now.AddDate(0, 0, i-n+1))
		cmds[i] = pipe.HGetAll(ctx, j.dayKey(days[i].Date))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, err
	}
	for i, c := range cmds {
		days[i].Counts = Counts{}
		for k, v := range c.Val() {
			days[i].Counts[k], _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return days, nil
}

// Case is a user's case card.
type Case struct {
	User, Step, Account, Name, Role, Handoff, Reason, ReasonText string
	Blockers                                                     []string
	Since, Updated, Asked                                        time.Time
	Failures                                                     int
	HelpShown                                                    bool
	Timeline                                                     []Entry
}

// Entry is one line of a case's timeline.
type Entry struct {
	At     time.Time
	Step   string
	Events string
}

// Stuck is why a case needs a person.
type Stuck string

// The reasons a case needs a person, most urgent first.
const (
	NotStuck       Stuck = ""
	StuckWaiting   Stuck = "waiting"    // the user asked for a person
	StuckWithStaff Stuck = "with_staff" // staff have the conversation
	StuckBlocked   Stuck = "blocked"    // blocked for longer than the console's BlockedFor
	StuckFailing   Stuck = "failing"    // the marketplace failed the user repeatedly
)

// Stuck reports why a case needs a person, or NotStuck.
func (c Case) Stuck(now time.Time, blockedFor time.Duration) Stuck {
	switch {
	case c.Handoff == taikai.HandoffRequested:
		return StuckWaiting
	case c.Handoff == taikai.HandoffPaused:
		return StuckWithStaff
	case c.Step == string(flows.StepBlocked) && now.Sub(c.Since) > blockedFor:
		return StuckBlocked
	case c.Failures >= 2:
		return StuckFailing
	}
	return NotStuck
}

func parseCase(u string, h map[string]string) Case {
	ms := func(k string) time.Time {
		n, err := strconv.ParseInt(h[k], 10, 64)
		if err != nil {
			return time.Time{}
		}
		return time.UnixMilli(n)
	}
	c := Case{User: u, Step: h["step"], Account: h["account"], Name: h["name"], Role: h["role"], Handoff: h["handoff"],
		Reason: h["reason"], ReasonText: h["reason_text"], Since: ms("since"), Updated: ms("updated"), Asked: ms("asked"),
		HelpShown: h["help"] == "true"}
	c.Failures, _ = strconv.Atoi(h["failures"])
	if b := h["blockers"]; b != "" {
		c.Blockers = strings.Split(b, ",")
	}
	return c
}

// Cases returns the most recent cases (at most limit), stuck ones first.
func (j *Journal) Cases(ctx context.Context, limit int, blockedFor time.Duration) ([]Case, error) {
	users, err := j.rdb.ZRevRange(ctx, j.convsKey(), 0, int64(limit-1)).Result()
	if err != nil {
		return nil, err
	}
	pipe := j.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(users))
	for i, u := range users {
		cmds[i] = pipe.HGetAll(ctx, j.convKey(u))
	}
	if len(users) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, err
		}
	}
	now := j.now()
	var cs []Case
	for i, u := range users {
		if h := cmds[i].Val(); len(h) > 0 {
			cs = append(cs, parseCase(u, h))
		}
	}
	// Those waiting for staff first, then those with staff, then the
	// otherwise stuck, then conversations under way, then the rest.
	rank := func(c Case) int {
		switch c.Stuck(now, blockedFor) {
		case StuckWaiting:
			return 0
		case StuckWithStaff:
			return 1
		case StuckBlocked, StuckFailing:
			return 2
		}
		if c.Step != string(flows.StepIdle) {
			return 3
		}
		return 4
	}
	sort.SliceStable(cs, func(a, b int) bool { return rank(cs[a]) < rank(cs[b]) })
	return cs, nil
}

// Case returns one user's case card; ok is false when there is none.
func (j *Journal) Case(ctx context.Context, user string) (Case, bool, error) {
	pipe := j.rdb.Pipeline()
	h := pipe.HGetAll(ctx, j.convKey(user))
	tl := pipe.LRange(ctx, j.tlKey(user), 0, -1)
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return Case{}, false, err
	}
	if len(h.Val()) == 0 {
		return Case{}, false, nil
	}
	c := parseCase(user, h.Val())
	for _, e := range tl.Val() {
		parts := strings.SplitN(e, "|", 3)
		if len(parts) != 3 {
			continue
		}
		n, _ := strconv.ParseInt(parts[0], 10, 64)
		c.Timeline = append(c.Timeline, Entry{At: time.UnixMilli(n), Step: parts[1], Events: parts[2]})
	}
	return c, true, nil
}

// stepsRecent is how many of the most recent conversations the counts per
// step cover.
const stepsRecent = 10000

// StepsEvery is how often the counts per step are recomputed, by one
// replica at a time.
const StepsEvery = time.Minute

func (j *Journal) stepsKey() string     { return j.prefix + "steps" }
func (j *Journal) stepsLockKey() string { return j.prefix + "steps:lock" }

// StepCounts returns the counts of recent conversations at each step, as
// RefreshStepCounts last computed them (zeros before it first has): one
// Redis command, whatever the number of conversations, so a scrape of the
// gauge costs nothing that grows.
func (j *Journal) StepCounts(ctx context.Context) (map[string]float64, error) {
	h, err := j.rdb.HGetAll(ctx, j.stepsKey()).Result()
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, s := range flows.Steps {
		out[string(s)] = 0
	}
	for k, v := range h {
		if step, ok := strings.CutPrefix(k, "step:"); ok {
			out[step], _ = strconv.ParseFloat(v, 64)
		}
	}
	return out, nil
}

// RefreshStepCounts recomputes the counts per step of the most recent
// conversations (up to 10,000): it reads the step of each case, in batches.
// Replicas call it every StepsEvery; the first to take the turn (a lock
// held for most of StepsEvery) does the work and the others skip it, so
// the whole deployment reads the steps once a minute.
func (j *Journal) RefreshStepCounts(ctx context.Context) error {
	ok, err := j.rdb.SetNX(ctx, j.stepsLockKey(), "1", StepsEvery*9/10).Result()
	if err != nil || !ok {
		return err
	}
	users, err := j.rdb.ZRevRange(ctx, j.convsKey(), 0, stepsRecent-1).Result()
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, s := range flows.Steps {
		counts[string(s)] = 0
	}
	const batch = 1000
	for i := 0; i < len(users); i += batch {
		part := users[i:min(i+batch, len(users))]
		pipe := j.rdb.Pipeline()
		cmds := make([]*redis.StringCmd, len(part))
		for k, u := range part {
			cmds[k] = pipe.HGet(ctx, j.convKey(u), "step")
		}
		pipe.Exec(ctx) // a case that expired meanwhile answers nil: not counted
		for _, c := range cmds {
			if step, err := c.Result(); err == nil {
				counts[step]++
			}
		}
	}
	fields := []any{"at", strconv.FormatInt(j.now().UnixMilli(), 10)}
	for step, n := range counts {
		fields = append(fields, "step:"+step, n)
	}
	// Replaced at once, so a step that no longer exists goes too.
	_, err = j.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, j.stepsKey())
		p.HSet(ctx, j.stepsKey(), fields...)
		return nil
	})
	return err
}

// AuditEntry is one filing in the audit log.
type AuditEntry struct {
	At                            time.Time
	Account, Reason, Key, Receipt string
}

// Audit returns the latest filings, newest first.
func (j *Journal) Audit(ctx context.Context, limit int) ([]AuditEntry, error) {
	msgs, err := j.rdb.XRevRangeN(ctx, j.auditKey(), "+", "-", int64(limit)).Result()
	if err != nil {
		return nil, err
	}
	out := make([]AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { s, _ := m.Values[k].(string); return s }
		n, _ := strconv.ParseInt(str("at"), 10, 64)
		out = append(out, AuditEntry{At: time.UnixMilli(n), Account: str("account"), Reason: str("reason"), Key: str("key"), Receipt: str("receipt")})
	}
	return out, nil
}
