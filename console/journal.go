// Package console is the support staff's console: a Redis journal of what
// the bot did (a chat.Tracker), kept as events happen, and server-rendered
// pages over it — an overview of figures and charts, the conversations and
// the staff queue, a case card per user with notes and replies, search,
// CSV exports and an audit of filings and staff actions.
package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
)

// What the journal keeps, under "<prefix>console:":
//
//	{U…}:case    the user's case card: one JSON value, written by one script
//	             per event (GET, SET with its TTL), with its timeline (50
//	             entries), the blockers as last checked, what the bot last
//	             said and the marks of the current conversation
//	{U…}:notes   staff notes, a list (100 at most), erased with the card
//	day:<date>   a hash of counters per day (JST): events, transitions,
//	             conversations per funnel stage (by the day they started),
//	             reasons, outcomes, users first blocked per kind, histograms
//	             of days from a first block to clearing and to filing (by
//	             the day of the block), of start-to-filing times; and where
//	             the cards last seen that day stand (at:<step>: an event
//	             moves its user's card from the day and step it was at), so
//	             that the last 30 days' sum is where every kept card stands
//	convs        recent conversations, by last activity (refreshed at most
//	             every 5 minutes per user)
//	q:waiting, q:staff, q:blocked, q:failing
//	             who waits for staff (since they asked), who staff have
//	             (since the pause), who is blocked (since the block), who
//	             fails repeatedly
//	find:a:<h>   search: an account (hashed) → the user
//	find:p:<x>, find:pt:<x>
//	             search: a log pseudonym → the user (a hash per first hex
//	             digit x), and when it was last written (a sorted set, for
//	             the retention: Recount drops older entries)
//	audit        a stream of filings and staff actions
//	demo         set when the data is simulated (`taikai demo -history`)
//
// Per event the card is written by the store's save, in its script
// (Prepare, Saved: the save's MGET reads the card with the record, and one
// SET writes it back; DEL when a withdrawal was filed, and its audit entry
// is one XADD after). A turn that saves nothing (staff have the
// conversation) and a store that cannot have the journal's own round trip
// (Track: the card's script, EVALSHA, GET, SET as Redis counts them). Counters and index changes are added up in memory and written by
// Flush, once a second, in one pipeline per replica: under load, the
// events of a second share each counter's HINCRBY and each index's ZADD
// (and ZREM), and an index is written only when a user's place in it changes (or every 5 minutes, or daily for
// search). Every figure the pages show is read from counters and indexes,
// never from a walk over conversations.

// Retention of what the journal keeps. Everything it writes has a TTL or a
// cap, so Redis use stays bounded.
type Retention struct {
	// Conversations: a case card, its timeline and notes after the last event; default 30 days.
	Conversations time.Duration
	// Days: the daily counters; default 400 days.
	Days time.Duration
	// Audit: the audit log; default 365 days (and at most 100,000 entries).
	Audit time.Duration
}

// Journal records what the bot did, in Redis, for the console.
type Journal struct {
	rdb    redis.UniversalClient
	prefix string
	ret    Retention
	now    func() time.Time
	log    *slog.Logger

	mu      sync.Mutex
	pending batch
	seq     atomic.Int64 // audit ids of entries dated in the past
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
	return &Journal{rdb: rdb, prefix: prefix + "console:", ret: ret, now: time.Now, log: slog.New(slog.DiscardHandler), pending: newBatch()}
}

// SetLog sets where the journal reports writes it could not make (they are
// best effort: a failure is not the user's problem).
func (j *Journal) SetLog(l *slog.Logger) { j.log = l }

// SetClock sets the journal's clock (the demo moves it forward).
func (j *Journal) SetClock(now func() time.Time) { j.now = now }

// maxAudit caps the audit stream whatever the retention.
const maxAudit = 100000

// timelineLen caps each user's timeline; maxNotes their notes.
const (
	timelineLen = 50
	maxNotes    = 100
)

// indexEvery is how often, at most, a user's place among the recent
// conversations is refreshed; findEvery, their search entries'.
const (
	indexEvery = 5 * time.Minute
	findEvery  = 24 * time.Hour
)

var jst = time.FixedZone("JST", 9*60*60)

func day(t time.Time) string { return t.In(jst).Format("2006-01-02") }

func (j *Journal) dayKey(d string) string   { return j.prefix + "day:" + d }
func (j *Journal) caseKey(u string) string  { return j.prefix + "{" + u + "}:case" }
func (j *Journal) notesKey(u string) string { return j.prefix + "{" + u + "}:notes" }
func (j *Journal) convsKey() string         { return j.prefix + "convs" }
func (j *Journal) queueKey(q string) string { return j.prefix + "q:" + q }
func (j *Journal) auditKey() string         { return j.prefix + "audit" }
func (j *Journal) demoKey() string          { return j.prefix + "demo" }

// findBuckets is how many hashes the pseudonym search is spread over (by
// the pseudonym's first hex digit).
const findBuckets = 16

// pnKeys are the keys of pseudonym pn's search entry: a hash of pseudonym
// → user, and a sorted set of pseudonym → when it was last written (for
// the retention), one of each per bucket. New entries go in with one HSET
// and one ZADD per bucket per flush, whatever the number of users.
func (j *Journal) pnKeys(pn string) (hash, times string) {
	b := "0"
	if pn != "" {
		b = pn[:1]
	}
	return j.prefix + "find:p:" + b, j.prefix + "find:pt:" + b
}

// pn is a pseudonym as search keeps it (the 12 hex digits logs show).
func pn(p string) string { return p[:min(12, len(p))] }

func (j *Journal) findKey(kind, v string) string {
	if kind == "a" {
		h := sha256.Sum256([]byte(v))
		v = hex.EncodeToString(h[:16])
	}
	return j.prefix + "find:" + kind + ":" + v
}

// The staff queues and attention lists.
const (
	qWaiting = "waiting" // asked for a person; score: when
	qStaff   = "staff"   // staff have the conversation; score: since the pause
	qBlocked = "blocked" // at the blocked step; score: since
	qFailing = "failing" // the marketplace failed them twice or more; score: when
)

var queues = []string{qWaiting, qStaff, qBlocked, qFailing}

// stages are the funnel's stages: how far a conversation got. Reaching one
// implies the ones before (a user linked earlier is not linked again).
var stages = []flows.Transition{flows.EvStarted, flows.EvLinked, flows.EvChecked, flows.EvClear, flows.EvWarned,
	flows.EvReason, flows.EvConfirmed, flows.EvFiled}

// markBlocked marks a conversation that met blockers.
const markBlocked = "blocked"

// CardScript applies one event to a case card: KEYS[1] the card, KEYS[2]
// its notes; ARGV[1] the patch (JSON), ARGV[2] the card's TTL (ms), ARGV[3]
// "1" to erase the card and its notes (a withdrawal was filed). It returns
// what the card said before (JSON) for the counters and indexes. The
// journal runs it on its own (Track), or the store's save runs it after
// writing the record, in the same script (store.Options.Journal; Prepare
// and Saved), which spares a round trip and two commands per event (the
// save's MGET reads the card with the record).
//
// ARGV[4..6] bound the timeline and pace the index and search entries;
// ARGV[7] "0" when the event alone is not worth a new card (newCard): then
// a user with no card gets none, and the answer is "" (only the day's
// counters move).
//
// CARD is the card as the save read it with the record (false: none); nil,
// the script reads it.
const CardScript = `
local raw = CARD
if raw == nil then raw = redis.call('GET', KEYS[1]) end
if not raw and ARGV[7] == '0' then return '' end
local c = {}
if raw then c = cjson.decode(raw) end
local p = cjson.decode(ARGV[1])
local at = p.at
local old = {step = c.step or '', ho = c.ho or '', fail = c.fail or 0, acct = c.acct or '', pn = c.pn or '',
  blk = {}, clrd = c.clrd or 0, conv = c.conv or '', upd = c.upd or 0}
for k, v in pairs(c.blk or {}) do old.blk[k] = v end
if p.conv and p.conv ~= '' and p.conv ~= c.conv then
  c.conv = p.conv; c.cs = at; c.mk = {}
end
if (not c.cs) and p.mk then c.cs = at end
c.mk = c.mk or {}
local new = {}
for _, m in ipairs(p.mk or {}) do
  if not c.mk[m] then c.mk[m] = 1; table.insert(new, m) end
end
old.new = table.concat(new, ',')
old.cs = c.cs or 0
if p.step ~= c.step then c.since = at end
for k, v in pairs(p.set or {}) do c[k] = v end
for _, k in ipairs(p.unset or {}) do c[k] = nil end
c.blk = c.blk or {}
for _, kind in ipairs(p.blk or {}) do
  if not c.blk[kind] then c.blk[kind] = at end
end
if p.clear and next(c.blk) and not c.clrd then c.clrd = at end
c.tl = c.tl or {}
table.insert(c.tl, 1, p.tl)
while #c.tl > tonumber(ARGV[4]) do table.remove(c.tl) end
old.ix = 0
if (c.ix or 0) <= at - tonumber(ARGV[5]) then c.ix = at; old.ix = 1 end
old.fx = 0
if (c.fx or 0) <= at - tonumber(ARGV[6]) then c.fx = at; old.fx = 1 end
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[1], KEYS[2])
else
  redis.call('SET', KEYS[1], cjson.encode(c), 'PX', ARGV[2])
  if old.ix == 1 and c.nn then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
end
return cjson.encode(old)
`

var caseScript = redis.NewScript("local CARD\n" + CardScript)

// patch is what one event changes on a case card.
type patch struct {
	At    int64          `json:"at"`
	Step  string         `json:"step"`
	Conv  string         `json:"conv,omitempty"`
	Marks []string       `json:"mk,omitempty"`
	Set   map[string]any `json:"set,omitempty"`
	Unset []string       `json:"unset,omitempty"`
	Block []string       `json:"blk,omitempty"`
	Clear bool           `json:"clear,omitempty"`
	Entry []any          `json:"tl"`
}

// before is what the card said before the event.
type before struct {
	Step  string  `json:"step"`
	Hand  string  `json:"ho"`
	Fail  float64 `json:"fail"`
	Acct  string  `json:"acct"`
	Pseud string  `json:"pn"`
	Block flexMap `json:"blk"`
	Clred float64 `json:"clrd"`
	New   string  `json:"new"`
	Start float64 `json:"cs"`
	Index float64 `json:"ix"`
	Find  float64 `json:"fx"`
	Upd   float64 `json:"upd"`
}

// Track records one event (it makes Journal a chat.Tracker). The journal is
// best effort: a failure is logged, and is not the user's problem.
func (j *Journal) Track(ctx context.Context, t chat.Turn) {
	w := j.Prepare(t)
	if w == nil {
		return
	}
	pr := w.Note.(prepared)
	var err error
	if f := t.Filing; f != nil && f.Outcome == taikai.OutcomeFiled {
		// The audit entry goes in the same round trip.
		entry := j.auditEntry(t)
		pipe := j.rdb.Pipeline()
		cmd := caseScript.EvalSha(ctx, pipe, w.Keys, w.Args...)
		add := j.addAudit(ctx, pipe, pr.at, entry)
		pipe.Exec(ctx)
		w.Result, err = cmd.Text()
		if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			w.Result, err = caseScript.Eval(ctx, j.rdb, w.Keys, w.Args...).Text()
		}
		j.retryAudit(ctx, add, entry)
	} else {
		w.Result, err = caseScript.Run(ctx, j.rdb, w.Keys, w.Args...).Text()
	}
	if err != nil {
		j.countEvent(t, pr.at)
		j.log.Warn("console: journal not written", "err", err)
		return
	}
	j.finish(t, pr, w.Result)
}

// prepared is what Prepare worked out for Saved.
type prepared struct {
	at    time.Time
	p     patch
	erase bool
}

// Prepare counts t and returns the card's write for t, for a save to run
// with CardScript (nil if t has no user, or on an error, logged). Once the
// save ran it, Saved finishes; if it did not, Track does it all.
func (j *Journal) Prepare(t chat.Turn) *taikai.JournalWrite {
	at := t.At
	if at.IsZero() {
		at = j.now()
	}
	if t.User == "" {
		j.countEvent(t, at)
		return nil
	}
	p, erase := j.patch(t, at)
	b, err := json.Marshal(p)
	if err != nil {
		j.log.Error("console: journal", "err", err)
		return nil
	}
	return &taikai.JournalWrite{
		Keys: []string{j.caseKey(t.User), j.notesKey(t.User)},
		Args: []any{b, j.ttl(at).Milliseconds(), erase, timelineLen, indexEvery.Milliseconds(), findEvery.Milliseconds(), newCard(t) || erase},
		Note: prepared{at: at, p: p, erase: erase},
	}
}

// Saved records t once a save has run w, Prepare's write, with CardScript.
func (j *Journal) Saved(ctx context.Context, t chat.Turn, w *taikai.JournalWrite) {
	pr, ok := w.Note.(prepared)
	if !ok || !w.Written {
		j.Track(ctx, t)
		return
	}
	if f := t.Filing; f != nil && f.Outcome == taikai.OutcomeFiled {
		entry := j.auditEntry(t)
		j.retryAudit(ctx, j.addAudit(ctx, j.rdb, pr.at, entry), entry)
	}
	j.finish(t, pr, w.Result)
}

// auditEntry is the audit record of t's filing.
func (j *Journal) auditEntry(t chat.Turn) map[string]any {
	f := t.Filing
	entry := map[string]any{"kind": auditFiling, "user": t.Pseudonym, "account": f.AccountID,
		"reason": string(f.Reason), "key": f.Key, "receipt": f.Receipt}
	if f.Consent != (taikai.Consent{}) {
		// What the user was shown and agreed to, as filed (no words of theirs).
		if b, err := json.Marshal(f.Consent); err == nil {
			entry["consent"] = string(b)
		}
	}
	return entry
}

// newCard reports whether t is worth a case card for a user who has none:
// anything but a greeting, a follow or an off-script message from a user
// with no conversation, no link and no staff. Those are counted by the day,
// and keep nothing per user (a card is most of what a user who only said
// hello would keep in Redis); a user who has a card has it updated.
func newCard(t chat.Turn) bool {
	return len(t.Events) > 0 || t.State.Active() || t.State.AccountID != "" || t.Handoff != "" ||
		t.Checked != nil || t.Filing != nil || t.Erased
}

// finish adds the counters and index changes of t, given what its card
// said before (res, CardScript's answer; "" when it made none).
func (j *Journal) finish(t chat.Turn, pr prepared, res string) {
	j.countEvent(t, pr.at)
	if res == "" {
		return
	}
	var old before
	if err := json.Unmarshal([]byte(res), &old); err != nil {
		j.log.Error("console: journal", "err", err)
		return
	}
	j.derive(t, pr.at, pr.p, old, pr.erase)
}

// ttl is how long a card written now about an event at at lives: the
// retention from the event (at least a few minutes, for simulated events
// long past).
func (j *Journal) ttl(at time.Time) time.Duration {
	return max(j.ret.Conversations-j.now().Sub(at), 5*time.Minute)
}

// countEvent adds the event's daily counters to the batch.
func (j *Journal) countEvent(t chat.Turn, at time.Time) {
	d := day(at)
	j.mu.Lock()
	defer j.mu.Unlock()
	b := &j.pending
	b.add(d, "events:"+t.Type, 1)
	for _, e := range t.Events {
		b.add(d, "funnel:"+string(e), 1)
		if e == flows.EvReason {
			b.add(d, "reason:"+string(t.State.Reason), 1)
		}
	}
	if t.Checked != nil {
		for kind, n := range t.Checked.Blockers() {
			b.add(d, "blocker:"+string(kind), int64(n))
		}
	}
	if f := t.Filing; f != nil {
		b.add(d, "filing:"+string(f.Outcome), 1)
	}
}

// patch is what t changes on the user's card, and whether the card is to be
// erased (after a withdrawal only the audit and the counters stay).
func (j *Journal) patch(t chat.Turn, at time.Time) (patch, bool) {
	s := t.State
	step := string(s.Step)
	if step == "" {
		step = string(flows.StepIdle)
	}
	ms := at.UnixMilli()
	p := patch{At: ms, Step: step, Conv: s.Conv, Set: map[string]any{
		"step": step, "upd": ms, "acct": s.AccountID, "ho": t.Handoff, "fail": s.Failures, "help": len(s.Advised) > 0,
		"rsn": string(s.Reason), "rtxt": s.ReasonText, "lang": string(s.Lang), "pn": t.Pseudonym,
	}}
	if t.Handoff != taikai.HandoffPaused {
		p.Unset = append(p.Unset, "staff")
	}
	if s.Remind.IsZero() {
		p.Unset = append(p.Unset, "rem")
	} else {
		p.Set["rem"] = s.Remind.UnixMilli()
	}
	if t.Handoff == taikai.HandoffRequested && slices.Contains(t.Events, flows.EvHandedOff) {
		p.Set["asked"] = ms
	}
	st := t.Checked
	if st == nil && slices.Contains(t.Events, flows.EvBlocked) {
		st = s.Status // refused at filing: the status the marketplace sent back
	}
	if st != nil {
		p.Set["st"] = snapshotOf(st, ms)
		p.Set["name"], p.Set["role"] = st.DisplayName, role(st)
		for _, k := range taikai.BlockerKinds {
			if st.Blockers()[k] > 0 {
				p.Block = append(p.Block, string(k))
			}
		}
	}
	if len(t.Replies) > 0 {
		p.Set["said"] = saidOf(t.Replies, ms)
	}
	// How far the conversation got: the furthest stage reached implies the
	// ones before it.
	filed := slices.Contains(t.Events, flows.EvFiled)
	if s.Conv != "" || filed {
		far := -1
		for i, st := range stages {
			if slices.Contains(t.Events, st) {
				far = i
			}
		}
		for i := 0; i <= far; i++ {
			p.Marks = append(p.Marks, string(stages[i]))
		}
		if slices.Contains(t.Events, flows.EvBlocked) {
			p.Marks = append(p.Marks, markBlocked)
		}
	}
	p.Clear = slices.Contains(t.Events, flows.EvClear) || filed
	names := make([]string, 0, len(t.Events)+1)
	for _, e := range t.Events {
		names = append(names, string(e))
	}
	if f := t.Filing; f != nil && f.Outcome != taikai.OutcomeFiled {
		names = append(names, "filing:"+string(f.Outcome))
	}
	p.Entry = []any{ms, step, t.Type, strings.Join(names, ",")}
	// After a withdrawal, or an unlink (Erased), only the audit and the
	// counters stay.
	return p, t.Erased || (filed && t.Filing != nil && t.Filing.Outcome == taikai.OutcomeFiled)
}

// derive adds to the batch the counters and index changes that follow from
// the event and what the card said before it.
func (j *Journal) derive(t chat.Turn, at time.Time, p patch, old before, erased bool) {
	ms := float64(at.UnixMilli())
	u := t.User
	d := day(at)
	j.mu.Lock()
	defer j.mu.Unlock()
	b := &j.pending

	// The funnel, by the day the conversation started.
	if old.New != "" {
		start := d
		if old.Start > 0 {
			start = day(time.UnixMilli(int64(old.Start)))
		}
		for _, m := range strings.Split(old.New, ",") {
			if m == markBlocked {
				b.add(d, "conv:blocked", 1)
				continue
			}
			b.add(start, "stage:"+m, 1)
		}
	}
	// Blocker clearance, by the day each kind first blocked the user.
	for _, k := range p.Block {
		if _, ok := old.Block[k]; !ok {
			b.add(d, "ublk:"+k, 1)
		}
	}
	if len(old.Block) == 0 && len(p.Block) > 0 {
		b.add(d, "ublk:any", 1)
	}
	if p.Clear && len(old.Block) > 0 {
		hist := "fil"
		if !erased {
			hist = "clr"
		}
		if erased || old.Clred == 0 {
			first := ms
			for k, since := range old.Block {
				b.add(day(time.UnixMilli(int64(since))), hist+":"+k+":"+daysBucket(ms-since), 1)
				first = min(first, since)
			}
			b.add(day(time.UnixMilli(int64(first))), hist+":any:"+daysBucket(ms-first), 1)
			if erased && old.Clred == 0 {
				// Cleared and filed in one go (the check before filing found nothing).
				for k, since := range old.Block {
					b.add(day(time.UnixMilli(int64(since))), "clr:"+k+":"+daysBucket(ms-since), 1)
				}
				b.add(day(time.UnixMilli(int64(first))), "clr:any:"+daysBucket(ms-first), 1)
			}
		}
	}
	if erased && old.Start > 0 {
		b.add(d, "s2f:"+strconv.Itoa(durationBucket(time.Duration(ms-old.Start)*time.Millisecond)), 1)
	}

	// Where the card stands: moved from the day and step it was at.
	if old.Step != "" {
		was := day(time.UnixMilli(int64(old.Upd)))
		if erased || was != d || old.Step != p.Step {
			b.add(was, "at:"+old.Step, -1)
		}
		if !erased && (was != d || old.Step != p.Step) {
			b.add(d, "at:"+p.Step, 1)
		}
	} else if !erased {
		b.add(d, "at:"+p.Step, 1)
	}

	blocked := string(flows.StepBlocked)
	if erased {
		// Out of every index that holds the user (and only those).
		b.op(op{kind: opZRem, key: j.convsKey(), member: u})
		for _, q := range []struct {
			key string
			in  bool
		}{{qWaiting, old.Hand == taikai.HandoffRequested}, {qStaff, old.Hand == taikai.HandoffPaused},
			{qBlocked, old.Step == blocked}, {qFailing, old.Fail >= 2}} {
			if q.in {
				b.op(op{kind: opZRem, key: j.queueKey(q.key), member: u})
			}
		}
		// The account is withdrawn: its entry goes, whoever it names.
		if old.Acct != "" {
			b.op(op{kind: opDel, key: j.findKey("a", old.Acct)})
		}
		if old.Pseud != "" {
			h, ts := j.pnKeys(pn(old.Pseud))
			b.op(op{kind: opHDel, key: h, member: pn(old.Pseud)})
			b.op(op{kind: opZRem, key: ts, member: pn(old.Pseud)})
		}
		return
	}
	if old.Index == 1 {
		b.op(op{kind: opZAdd, key: j.convsKey(), member: u, score: ms})
	}
	queue := func(q string, was, is bool) {
		switch {
		case is && !was:
			b.op(op{kind: opZAdd, key: j.queueKey(q), member: u, score: ms})
		case was && !is:
			b.op(op{kind: opZRem, key: j.queueKey(q), member: u})
		}
	}
	queue(qWaiting, old.Hand == taikai.HandoffRequested, t.Handoff == taikai.HandoffRequested)
	queue(qStaff, old.Hand == taikai.HandoffPaused, t.Handoff == taikai.HandoffPaused)
	queue(qBlocked, old.Step == blocked, p.Step == blocked)
	queue(qFailing, old.Fail >= 2, t.State.Failures >= 2)

	// Search: written when it changes, and its TTL renewed daily.
	ttl := j.ttl(at)
	acct := t.State.AccountID
	if old.Acct != "" && old.Acct != acct {
		b.op(op{kind: opDelIf, key: j.findKey("a", old.Acct), member: u})
	}
	if acct != "" && (acct != old.Acct || old.Find == 1) {
		b.op(op{kind: opSet, key: j.findKey("a", acct), member: u, ttl: ttl})
	}
	if t.Pseudonym != "" && (t.Pseudonym != old.Pseud || old.Find == 1) {
		h, ts := j.pnKeys(pn(t.Pseudonym))
		b.op(op{kind: opHSet, key: h, member: pn(t.Pseudonym), value: u, ttl: ttl})
		b.op(op{kind: opZAdd, key: ts, member: pn(t.Pseudonym), score: ms, ttl: ttl})
	}
}

// daysBucket is the whole days in a span of ms, capped at 90 ("90" is 90
// or more).
func daysBucket(ms float64) string {
	return strconv.Itoa(min(max(int(ms/float64(24*time.Hour/time.Millisecond)), 0), 90))
}

// durationEdges bound the buckets of start-to-filing times: bucket i holds
// times below durationEdges[i]; the last, those of 30 days or more.
var durationEdges = []time.Duration{5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour,
	6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour,
	14 * 24 * time.Hour, 30 * 24 * time.Hour}

func durationBucket(d time.Duration) int {
	for i, e := range durationEdges {
		if d < e {
			return i
		}
	}
	return len(durationEdges)
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

// The kinds of audit entries.
const (
	auditFiling = "filing"
	auditPause  = "pause"
	auditResume = "resume"
	auditReply  = "reply"
	auditNote   = "note"
)

// addAudit appends an audit entry dated at, with an id of its time, so
// that a period's entries are read by id (simulated history, written
// after the fact, too). An id the stream refuses, being below its last (a
// replica whose clock is behind another's), is retried by retryAudit with
// the stream's own.
func (j *Journal) addAudit(ctx context.Context, c redis.Cmdable, at time.Time, v map[string]any) *redis.StringCmd {
	v["at"] = strconv.FormatInt(at.UnixMilli(), 10)
	id := fmt.Sprintf("%d-%d", at.UnixMilli(), j.seq.Add(1))
	return c.XAdd(ctx, &redis.XAddArgs{Stream: j.auditKey(), ID: id, MaxLen: maxAudit, Approx: true, Values: v})
}

// retryAudit adds an entry again, with the stream's own id, when its id
// of the past was refused for being older than the stream's last (a
// clock that was moved, in a demo or a test); it logs other failures.
func (j *Journal) retryAudit(ctx context.Context, add *redis.StringCmd, v map[string]any) {
	err := add.Err()
	if err != nil && strings.Contains(err.Error(), "equal or smaller") {
		err = j.rdb.XAdd(ctx, &redis.XAddArgs{Stream: j.auditKey(), MaxLen: maxAudit, Approx: true, Values: v}).Err()
	}
	if err != nil {
		j.log.Warn("console: audit entry not written", "err", err)
	}
}

// flexMap is a JSON object of numbers that Lua may have written as an
// empty array (cjson cannot tell an empty object from an empty array).
type flexMap map[string]float64

func (m *flexMap) UnmarshalJSON(b []byte) error {
	if string(b) == "[]" || string(b) == "null" {
		*m = flexMap{}
		return nil
	}
	var v map[string]float64
	err := json.Unmarshal(b, &v)
	*m = v
	return err
}

// flexList is a JSON array that Lua may have written as an empty object.
type flexList[T any] []T

func (l *flexList[T]) UnmarshalJSON(b []byte) error {
	if string(b) == "{}" || string(b) == "null" {
		*l = nil
		return nil
	}
	var v []T
	err := json.Unmarshal(b, &v)
	*l = v
	return err
}

// The batch: counters and index changes added up in memory and written by
// Flush.

type opKind int

const (
	opZAdd opKind = iota
	opZRem
	opSet   // key = member, with ttl
	opDel   // delete key
	opDelIf // delete key if it still names member
	opHSet  // hash key's field member = value; the hash kept ttl
	opHDel  // delete hash key's field member
)

type op struct {
	kind   opKind
	key    string
	member string
	value  string
	score  float64
	ttl    time.Duration // opSet, opHSet; opZAdd: the set kept as long
}

type batch struct {
	counts map[string]map[string]int64 // day → field → n
	ops    []op
}

func newBatch() batch { return batch{counts: map[string]map[string]int64{}} }

func (b *batch) add(d, field string, n int64) {
	m := b.counts[d]
	if m == nil {
		m = map[string]int64{}
		b.counts[d] = m
	}
	m[field] += n
}

func (b *batch) op(o op) { b.ops = append(b.ops, o) }

func (b *batch) empty() bool { return len(b.counts) == 0 && len(b.ops) == 0 }

// maxPending bounds what a batch keeps while Redis is away: past it, a
// failed flush drops its batch rather than put it back.
const maxPending = 100000

// hdelIfScript deletes field ARGV[1] of hash KEYS[1] if it holds ARGV[2]
// (Forget).
var hdelIfScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`)

// delIfScript deletes KEYS[1] if it holds ARGV[1].
var delIfScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// FlushEvery is how often Run writes the batch.
const FlushEvery = time.Second

// Flush writes the counters and index changes added up since the last
// flush, in one pipeline. The pages flush before they read, so a replica's
// own events always show; another replica's show within FlushEvery.
func (j *Journal) Flush(ctx context.Context) error {
	j.mu.Lock()
	b := j.pending
	j.pending = newBatch()
	j.mu.Unlock()
	if b.empty() {
		return nil
	}
	pipe := j.rdb.Pipeline()
	for d, fields := range b.counts {
		k := j.dayKey(d)
		for f, n := range fields {
			pipe.HIncrBy(ctx, k, f, n)
		}
		pipe.Expire(ctx, k, j.ret.Days)
	}
	// A sorted set's changes go in one ZADD and one ZREM per key: each
	// member ends as its last change left it, whatever the others' order.
	type zset struct {
		add  map[string]float64
		rem  map[string]bool
		keep []string // members in the order first changed, for a stable command
		ttl  time.Duration
	}
	zsets := map[string]*zset{}
	var zkeys []string
	for _, o := range b.ops {
		if o.kind != opZAdd && o.kind != opZRem {
			continue
		}
		z := zsets[o.key]
		if z == nil {
			z = &zset{add: map[string]float64{}, rem: map[string]bool{}}
			zsets[o.key] = z
			zkeys = append(zkeys, o.key)
		}
		if _, seen := z.add[o.member]; !seen && !z.rem[o.member] {
			z.keep = append(z.keep, o.member)
		}
		if o.kind == opZAdd {
			z.add[o.member] = o.score
			z.ttl = max(z.ttl, o.ttl)
			delete(z.rem, o.member)
		} else {
			z.rem[o.member] = true
			delete(z.add, o.member)
		}
	}
	for _, k := range zkeys {
		z := zsets[k]
		var add []redis.Z
		var rem []any
		for _, m := range z.keep {
			if sc, ok := z.add[m]; ok {
				add = append(add, redis.Z{Score: sc, Member: m})
			} else {
				rem = append(rem, m)
			}
		}
		if len(add) > 0 {
			pipe.ZAdd(ctx, k, add...)
			if z.ttl > 0 {
				pipe.PExpire(ctx, k, z.ttl)
			}
		}
		if len(rem) > 0 {
			pipe.ZRem(ctx, k, rem...)
		}
	}
	// A hash's fields go in one HSET and one HDEL per key, each as its last
	// change left it.
	hlast := map[string]map[string]op{}
	httl := map[string]time.Duration{}
	var hkeys []string
	for _, o := range b.ops {
		if o.kind != opHSet && o.kind != opHDel {
			continue
		}
		h := hlast[o.key]
		if h == nil {
			h = map[string]op{}
			hlast[o.key] = h
			hkeys = append(hkeys, o.key)
		}
		h[o.member] = o
		httl[o.key] = max(httl[o.key], o.ttl)
	}
	for _, k := range hkeys {
		var fields []any
		var dels []string
		for _, f := range slices.Sorted(maps.Keys(hlast[k])) {
			if o := hlast[k][f]; o.kind == opHSet {
				fields = append(fields, f, o.value)
			} else {
				dels = append(dels, f)
			}
		}
		if len(fields) > 0 {
			pipe.HSet(ctx, k, fields...)
			pipe.PExpire(ctx, k, httl[k])
		}
		if len(dels) > 0 {
			pipe.HDel(ctx, k, dels...)
		}
	}
	for _, o := range b.ops {
		switch o.kind {
		case opSet:
			pipe.Set(ctx, o.key, o.member, o.ttl)
		case opDel:
			pipe.Del(ctx, o.key)
		case opDelIf:
			// EVAL, not EVALSHA: inside a pipeline a missing script could not fall back.
			delIfScript.Eval(ctx, pipe, []string{o.key}, o.member)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		j.mu.Lock()
		if n := len(j.pending.ops) + len(b.ops); n < maxPending {
			for d, fields := range b.counts {
				for f, v := range fields {
					j.pending.add(d, f, v)
				}
			}
			j.pending.ops = append(b.ops, j.pending.ops...)
		}
		j.mu.Unlock()
		return fmt.Errorf("console: journal flush: %w", err)
	}
	return nil
}

// Run flushes the batch every FlushEvery until ctx ends, then once more.
func (j *Journal) Run(ctx context.Context) {
	tick := time.NewTicker(FlushEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := j.Flush(fctx); err != nil {
				j.log.Warn("console: journal not flushed at shutdown", "err", err)
			}
			cancel()
			return
		case <-tick.C:
			fctx, cancel := context.WithTimeout(ctx, FlushEvery)
			if err := j.Flush(fctx); err != nil && ctx.Err() == nil {
				j.log.Warn("console: journal not flushed; trying again", "err", err)
			}
			cancel()
		}
	}
}

// Forget removes a user from every index of the journal (the conversations,
// steps, queues and search), for `taikai erase`, which deletes the user's
// keys (the card, its notes) by their hash tag. It reports how many
// entries it removed.
func (j *Journal) Forget(ctx context.Context, user string) (int, error) {
	raw, err := j.rdb.Get(ctx, j.caseKey(user)).Result()
	if err != nil && err != redis.Nil {
		return 0, err
	}
	var c struct {
		Acct string `json:"acct"`
		Pn   string `json:"pn"`
	}
	json.Unmarshal([]byte(raw), &c)
	pipe := j.rdb.Pipeline()
	var cmds []*redis.IntCmd
	cmds = append(cmds, pipe.ZRem(ctx, j.convsKey(), user))
	for _, q := range queues {
		cmds = append(cmds, pipe.ZRem(ctx, j.queueKey(q), user))
	}
	var dels []*redis.Cmd
	if c.Acct != "" {
		dels = append(dels, delIfScript.Eval(ctx, pipe, []string{j.findKey("a", c.Acct)}, user))
	}
	if c.Pn != "" {
		h, ts := j.pnKeys(pn(c.Pn))
		dels = append(dels, hdelIfScript.Eval(ctx, pipe, []string{h}, pn(c.Pn), user))
		pipe.ZRem(ctx, ts, pn(c.Pn))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("console: forget: %w", err)
	}
	n := 0
	for _, c := range cmds {
		n += int(c.Val())
	}
	for _, d := range dels {
		v, _ := d.Int()
		n += v
	}
	return n, nil
}

// Counts are the journal's counters summed over some days.
type Counts map[string]int64

// Get returns counter "kind:name".
func (c Counts) Get(kind, name string) int64 { return c[kind+":"+name] }

// Add adds o to c.
func (c Counts) Add(o Counts) {
	for k, v := range o {
		c[k] += v
	}
}

// Day is one day's counters.
type Day struct {
	Date   string
	Counts Counts
}

// Days returns the counters of the last n days (today last), in JST: one
// pipeline of n reads.
func (j *Journal) Days(ctx context.Context, n int) ([]Day, error) {
	return j.DaysTo(ctx, j.now(), n)
}

// DaysTo returns the counters of the n days up to the day of end.
func (j *Journal) DaysTo(ctx context.Context, end time.Time, n int) ([]Day, error) {
	cmds := make([]*redis.MapStringStringCmd, n)
	days := make([]Day, n)
	pipe := j.rdb.Pipeline()
	for i := 0; i < n; i++ {
		days[i].Date = day(end.AddDate(0, 0, i-n+1))
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

// StepsEvery is how often the counts per step are recomputed, and the
// indexes trimmed, by one replica at a time.
const StepsEvery = time.Minute

func (j *Journal) stepsKey() string     { return j.prefix + "steps" }
func (j *Journal) stepsLockKey() string { return j.prefix + "steps:lock" }

// StepCounts returns the counts of recent conversations at each step, as
// RefreshStepCounts last computed them (zeros before it first has): one
// Redis command, so a scrape of the gauge costs nothing that grows.
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

// RefreshStepCounts counts the users at each step within the retention
// (one count per step, from the step indexes the events keep), trims what
// the indexes and the audit keep past their retention, and keeps the
// counts for StepCounts. Replicas call it every StepsEvery; the first to
// take the turn (a lock held for most of StepsEvery) does the work and the
// others skip it.
func (j *Journal) RefreshStepCounts(ctx context.Context) error {
	ok, err := j.rdb.SetNX(ctx, j.stepsLockKey(), "1", StepsEvery*9/10).Result()
	if err != nil || !ok {
		return err
	}
	return j.Recount(ctx)
}

// Recount is RefreshStepCounts without the turn: it counts and trims now
// (after writing history, say). Where each kept card stands is the sum of
// the last days' at:<step> counters (a card lives as many days after its
// last event); one pipeline of reads, whatever the number of conversations.
func (j *Journal) Recount(ctx context.Context) error {
	now := j.now()
	oldest := strconv.FormatInt(now.Add(-j.ret.Conversations).UnixMilli(), 10)
	n := int(j.ret.Conversations/(24*time.Hour)) + 1
	ds, err := j.DaysTo(ctx, now, n)
	if err != nil {
		return err
	}
	counts := map[string]int64{}
	for _, st := range flows.Steps {
		counts[string(st)] = 0
	}
	for _, d := range ds {
		for k, v := range d.Counts {
			if st, ok := strings.CutPrefix(k, "at:"); ok {
				counts[st] += v
			}
		}
	}
	// Search entries past the retention: their pseudonyms, then the entries.
	stale := make([]*redis.StringSliceCmd, findBuckets)
	spipe := j.rdb.Pipeline()
	for i := range stale {
		_, ts := j.pnKeys(strconv.FormatInt(int64(i), 16))
		stale[i] = spipe.ZRangeByScore(ctx, ts, &redis.ZRangeBy{Min: "-inf", Max: "(" + oldest, Count: 10000})
	}
	if _, err := spipe.Exec(ctx); err != nil && err != redis.Nil {
		return err
	}
	pipe := j.rdb.Pipeline()
	for i, c := range stale {
		if pns := c.Val(); len(pns) > 0 {
			h, ts := j.pnKeys(strconv.FormatInt(int64(i), 16))
			pipe.HDel(ctx, h, pns...)
			members := make([]any, len(pns))
			for k, p := range pns {
				members[k] = p
			}
			pipe.ZRem(ctx, ts, members...)
		}
	}
	pipe.ZRemRangeByScore(ctx, j.convsKey(), "-inf", "("+oldest)
	for _, q := range queues {
		pipe.ZRemRangeByScore(ctx, j.queueKey(q), "-inf", "("+oldest)
	}
	pipe.XTrimMinIDApprox(ctx, j.auditKey(), strconv.FormatInt(now.Add(-j.ret.Audit).UnixMilli(), 10), 0)
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	fields := []any{"at", strconv.FormatInt(now.UnixMilli(), 10)}
	for _, step := range slices.Sorted(maps.Keys(counts)) {
		fields = append(fields, "step:"+step, max(0, counts[step]))
	}
	// Replaced at once, so a step that no longer exists goes too.
	_, err = j.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, j.stepsKey())
		p.HSet(ctx, j.stepsKey(), fields...)
		return nil
	})
	return err
}
