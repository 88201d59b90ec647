package console

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/flows"
)

// Case is a user's case card.
type Case struct {
	User, Pseudonym                          string
	Step, Account, Name, Role, Handoff, Lang string
	// Staff is who took the conversation over (while it is paused).
	Staff              string
	Reason, ReasonText string
	Since, Updated     time.Time
	// Asked is when the user asked for a person; Started when the
	// conversation started.
	Asked, Started time.Time
	// Remind is when the reminder the user asked for is due (zero: none).
	Remind    time.Time
	Failures  int
	HelpShown bool
	// Status is the blockers as last checked (nil before any check).
	Status *Snapshot
	// Said is what the bot last said; StaffSaid what staff last sent.
	Said      *Said
	StaffSaid *StaffSaid
	// BlockedSince is when each kind of blocker first blocked the user.
	BlockedSince map[taikai.BlockerKind]time.Time
	Timeline     []Entry
	Notes        []Note
}

// Snapshot is an account's blockers as a check found them.
type Snapshot struct {
	At        millis          `json:"at"`
	Purchases flexList[Order] `json:"p,omitempty"`
	Sales     flexList[Order] `json:"d,omitempty"`
	Payouts   flexList[Pay]   `json:"y,omitempty"`
	Balance   int64           `json:"b,omitempty"`
	// More counts the items left out (a card keeps 20 of each kind).
	More int `json:"more,omitempty"`
}

// Order is an order that blocks: a purchase not completed or a sale
// without formal delivery.
type Order struct {
	ID     string `json:"id"`
	Title  string `json:"t"`
	Status string `json:"s,omitempty"`
}

// Pay is a payout in progress.
type Pay struct {
	ID        string `json:"id"`
	Amount    int64  `json:"a"`
	Requested string `json:"r"`
	Expected  string `json:"e"`
}

// Empty reports whether the snapshot found nothing blocking.
func (s *Snapshot) Empty() bool {
	return len(s.Purchases) == 0 && len(s.Sales) == 0 && len(s.Payouts) == 0 && s.Balance == 0
}

// snapshotItems caps each kind of blocker a card keeps.
const snapshotItems = 20

func snapshotOf(st *taikai.Status, ms int64) Snapshot {
	s := Snapshot{At: millis(ms), Balance: st.SalesBalanceJPY}
	orders := func(os []taikai.Order) flexList[Order] {
		var out flexList[Order]
		for i, o := range os {
			if i == snapshotItems {
				s.More += len(os) - i
				break
			}
			out = append(out, Order{ID: o.OrderID, Title: clip(o.Title, 100), Status: o.Status})
		}
		return out
	}
	s.Purchases, s.Sales = orders(st.PurchasesInProgress), orders(st.SalesAwaitingDelivery)
	for i, p := range st.PayoutsInProgress {
		if i == snapshotItems {
			s.More += len(st.PayoutsInProgress) - i
			break
		}
		s.Payouts = append(s.Payouts, Pay{ID: p.PayoutID, Amount: p.AmountJPY, Requested: p.RequestedAt, Expected: p.ExpectedAt})
	}
	return s
}

// Said is what the bot said in one event: each message's text and the
// labels of its buttons (never a link's address: it holds a token).
type Said struct {
	At       millis          `json:"at"`
	Messages flexList[Spoke] `json:"r"`
}

// Spoke is one message the bot sent.
type Spoke struct {
	Text    string           `json:"t"`
	Buttons flexList[string] `json:"b,omitempty"`
}

// StaffSaid is the last message staff sent from the console.
type StaffSaid struct {
	At   millis `json:"at"`
	By   string `json:"by"`
	Text string `json:"t"`
}

func saidOf(replies []flows.Reply, ms int64) Said {
	s := Said{At: millis(ms)}
	for i, r := range replies {
		if i == 5 {
			break
		}
		sp := Spoke{Text: clip(r.Text, 2000)}
		if r.Link != nil {
			sp.Buttons = append(sp.Buttons, r.Link.Label)
		}
		for _, c := range r.Choices {
			sp.Buttons = append(sp.Buttons, c.Label)
		}
		s.Messages = append(s.Messages, sp)
	}
	return s
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// Entry is one line of a case's timeline.
type Entry struct {
	At   time.Time
	Step string
	// Type is the event's type (message, postback, follow…; pause, resume
	// for staff actions; reply, note for what staff did in the console).
	Type string
	// Events are the funnel's transitions (and runtime markers, and
	// "filing:<outcome>" for a filing that did not go through).
	Events []string
	// By is the staff member, for a reply or a note.
	By string
}

// Note is a staff note on a case.
type Note struct {
	At   time.Time `json:"-"`
	Ms   int64     `json:"at"`
	By   string    `json:"by"`
	Text string    `json:"t"`
}

// millis is a time in unix milliseconds, as Lua may have written it (a
// float, perhaps with an exponent).
type millis int64

func (m *millis) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*m = millis(f)
	return nil
}

// Time is m as a time; zero for 0.
func (m millis) Time() time.Time {
	if m == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(m))
}

// card is a case card as Redis keeps it.
type card struct {
	Step  string                    `json:"step"`
	Since millis                    `json:"since"`
	Upd   millis                    `json:"upd"`
	Acct  string                    `json:"acct"`
	Name  string                    `json:"name"`
	Role  string                    `json:"role"`
	Ho    string                    `json:"ho"`
	Staff string                    `json:"staff"`
	Asked millis                    `json:"asked"`
	Rem   millis                    `json:"rem"`
	Fail  float64                   `json:"fail"`
	Help  bool                      `json:"help"`
	Rsn   string                    `json:"rsn"`
	Rtxt  string                    `json:"rtxt"`
	Lang  string                    `json:"lang"`
	Pn    string                    `json:"pn"`
	Cs    millis                    `json:"cs"`
	St    *Snapshot                 `json:"st"`
	Said  *Said                     `json:"said"`
	SSaid *StaffSaid                `json:"ssaid"`
	Blk   flexMap                   `json:"blk"`
	Tl    flexList[json.RawMessage] `json:"tl"`
}

func parseCase(u, raw string) (Case, error) {
	var c card
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return Case{}, fmt.Errorf("console: case card: %w", err)
	}
	out := Case{User: u, Pseudonym: c.Pn, Step: c.Step, Account: c.Acct, Name: c.Name, Role: c.Role, Handoff: c.Ho, Staff: c.Staff,
		Lang: c.Lang, Reason: c.Rsn, ReasonText: c.Rtxt, Since: c.Since.Time(), Updated: c.Upd.Time(), Asked: c.Asked.Time(),
		Remind: c.Rem.Time(), Started: c.Cs.Time(), Failures: int(c.Fail), HelpShown: c.Help, Status: c.St, Said: c.Said, StaffSaid: c.SSaid}
	if out.Step == "" {
		out.Step = string(flows.StepIdle)
	}
	if len(c.Blk) > 0 {
		out.BlockedSince = map[taikai.BlockerKind]time.Time{}
		for k, ms := range c.Blk {
			out.BlockedSince[taikai.BlockerKind(k)] = millis(ms).Time()
		}
	}
	for _, raw := range c.Tl {
		var e []any
		if json.Unmarshal(raw, &e) != nil || len(e) < 4 {
			continue
		}
		ms, _ := e[0].(float64)
		str := func(i int) string {
			if i >= len(e) {
				return ""
			}
			s, _ := e[i].(string)
			return s
		}
		en := Entry{At: time.UnixMilli(int64(ms)), Step: str(1), Type: str(2), By: str(4)}
		if ev := str(3); ev != "" {
			en.Events = strings.Split(ev, ",")
		}
		out.Timeline = append(out.Timeline, en)
	}
	return out, nil
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

// Case returns one user's case card with its notes; ok is false when there
// is none. One round trip.
func (j *Journal) Case(ctx context.Context, user string) (Case, bool, error) {
	pipe := j.rdb.Pipeline()
	h := pipe.Get(ctx, j.caseKey(user))
	ns := pipe.LRange(ctx, j.notesKey(user), 0, -1)
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return Case{}, false, err
	}
	if h.Err() == redis.Nil {
		return Case{}, false, nil
	}
	c, err := parseCase(user, h.Val())
	if err != nil {
		return Case{}, false, err
	}
	for _, raw := range ns.Val() {
		var n Note
		if json.Unmarshal([]byte(raw), &n) == nil {
			n.At = time.UnixMilli(n.Ms)
			c.Notes = append(c.Notes, n)
		}
	}
	return c, true, nil
}

// cards reads the cards of users in one pipeline; a user whose card is
// gone is left out, and reported in gone.
func (j *Journal) cards(ctx context.Context, users []string) (cs []Case, gone []string, err error) {
	if len(users) == 0 {
		return nil, nil, nil
	}
	pipe := j.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(users))
	for i, u := range users {
		cmds[i] = pipe.Get(ctx, j.caseKey(u))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, nil, err
	}
	for i, c := range cmds {
		raw, err := c.Result()
		if err != nil {
			gone = append(gone, users[i])
			continue
		}
		if cs1, err := parseCase(users[i], raw); err == nil {
			cs = append(cs, cs1)
		}
	}
	return cs, gone, nil
}

// QueueCounts are the staff queue's figures, from its indexes.
type QueueCounts struct {
	Waiting, WithStaff int64
	// Oldest and Newest are when the longest and the latest waiting users
	// asked; zero when none waits.
	Oldest, Newest time.Time
}

// Queue returns the staff queue's figures, in one round trip.
func (j *Journal) Queue(ctx context.Context) (QueueCounts, error) {
	q, _, err := j.chrome(ctx)
	return q, err
}

// Lists are the conversations page: who waits for staff and who staff
// have (each oldest first), who is blocked for long and who fails
// repeatedly (each latest first), and the most recent conversations; with
// the full size of each list.
type Lists struct {
	Waiting, WithStaff, Blocked, Failing, Recent []Case
	NWaiting, NWithStaff, NBlocked, NFailing     int64
	NRecent                                      int64
}

// Sizes are how many cases each list of the conversations page shows.
type Sizes struct {
	// Queue: those waiting for staff, and those with staff.
	Queue int64
	// Attention: those blocked for long, and those failing repeatedly.
	Attention int64
	// Recent conversations, from Offset.
	Recent, Offset int64
}

// Lists reads the conversations page: the indexes (one round trip), then
// the cards shown (one more) — as many as sizes say, whatever the number
// of conversations. An index entry whose card is gone or says otherwise is
// dropped from the index on the way.
func (j *Journal) Lists(ctx context.Context, sizes Sizes, blockedFor time.Duration) (Lists, error) {
	now := j.now()
	cutoff := strconv.FormatInt(now.Add(-blockedFor).UnixMilli(), 10)
	pipe := j.rdb.Pipeline()
	wq := pipe.ZRange(ctx, j.queueKey(qWaiting), 0, sizes.Queue-1)
	sq := pipe.ZRange(ctx, j.queueKey(qStaff), 0, sizes.Queue-1)
	// The most recently blocked of those blocked for long first: the
	// longest blocked have mostly given up.
	bq := pipe.ZRevRangeByScore(ctx, j.queueKey(qBlocked), &redis.ZRangeBy{Min: "-inf", Max: cutoff, Count: sizes.Attention})
	fq := pipe.ZRevRange(ctx, j.queueKey(qFailing), 0, sizes.Attention-1)
	rq := pipe.ZRevRange(ctx, j.convsKey(), sizes.Offset, sizes.Offset+sizes.Recent-1)
	nw, ns := pipe.ZCard(ctx, j.queueKey(qWaiting)), pipe.ZCard(ctx, j.queueKey(qStaff))
	nb := pipe.ZCount(ctx, j.queueKey(qBlocked), "-inf", cutoff)
	nf, nr := pipe.ZCard(ctx, j.queueKey(qFailing)), pipe.ZCard(ctx, j.convsKey())
	if _, err := pipe.Exec(ctx); err != nil {
		return Lists{}, err
	}
	var users []string
	seen := map[string]bool{}
	for _, c := range []*redis.StringSliceCmd{wq, sq, bq, fq, rq} {
		for _, u := range c.Val() {
			if !seen[u] {
				seen[u] = true
				users = append(users, u)
			}
		}
	}
	cs, gone, err := j.cards(ctx, users)
	if err != nil {
		return Lists{}, err
	}
	byUser := map[string]Case{}
	for _, c := range cs {
		byUser[c.User] = c
	}
	l := Lists{NWaiting: nw.Val(), NWithStaff: ns.Val(), NBlocked: nb.Val(), NFailing: nf.Val(), NRecent: nr.Val()}
	stale := map[string][]string{} // index key → users
	pick := func(c *redis.StringSliceCmd, key string, in func(Case) bool) []Case {
		var out []Case
		for _, u := range c.Val() {
			if cs, ok := byUser[u]; ok && in(cs) {
				out = append(out, cs)
			} else {
				stale[key] = append(stale[key], u)
			}
		}
		return out
	}
	l.Waiting = pick(wq, j.queueKey(qWaiting), func(c Case) bool { return c.Handoff == taikai.HandoffRequested })
	l.WithStaff = pick(sq, j.queueKey(qStaff), func(c Case) bool { return c.Handoff == taikai.HandoffPaused })
	l.Blocked = pick(bq, j.queueKey(qBlocked), func(c Case) bool { return c.Step == string(flows.StepBlocked) })
	l.Failing = pick(fq, j.queueKey(qFailing), func(c Case) bool { return c.Failures >= 2 })
	l.Recent = pick(rq, j.convsKey(), func(Case) bool { return true })
	if len(stale) > 0 {
		// Another replica's change may be on its way (a second at most):
		// only what is stale for good — a card gone — is dropped from the
		// recent list; the queues drop what their card contradicts.
		pipe := j.rdb.Pipeline()
		gones := map[string]bool{}
		for _, u := range gone {
			gones[u] = true
		}
		for key, us := range stale {
			for _, u := range us {
				if key != j.convsKey() || gones[u] {
					pipe.ZRem(ctx, key, u)
				}
			}
		}
		pipe.Exec(ctx)
	}
	return l, nil
}

// noteScript keeps a note with a case: KEYS[1] the card, KEYS[2] its
// notes; ARGV[1] the note (JSON), ARGV[2] the cap, ARGV[3] the timeline
// entry (JSON), ARGV[4] the timeline's cap. The notes live as long as the
// card; a case that is gone takes no note (0).
var noteScript = redis.NewScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local c = cjson.decode(raw)
local ttl = redis.call('PTTL', KEYS[1])
c.nn = (c.nn or 0) + 1
c.tl = c.tl or {}
table.insert(c.tl, 1, cjson.decode(ARGV[3]))
while #c.tl > tonumber(ARGV[4]) do table.remove(c.tl) end
if ttl > 0 then redis.call('SET', KEYS[1], cjson.encode(c), 'PX', ttl) else redis.call('SET', KEYS[1], cjson.encode(c)) end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
`)

// MaxNote caps a note, in characters.
const MaxNote = 2000

// ErrNoCase is returned for a case that is not (or no longer) kept.
var ErrNoCase = fmt.Errorf("console: no such case")

// AddNote keeps a staff note with user's case (erased with it), puts it on
// the timeline and in the audit (who and when, not what).
func (j *Journal) AddNote(ctx context.Context, user, staff, text string) error {
	at := j.now()
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxNote {
		return fmt.Errorf("console: a note has 1 to %d characters", MaxNote)
	}
	n, _ := json.Marshal(Note{Ms: at.UnixMilli(), By: staff, Text: text})
	c, ok, err := j.Case(ctx, user)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoCase
	}
	e, _ := json.Marshal([]any{at.UnixMilli(), c.Step, auditNote, "", staff})
	done, err := noteScript.Run(ctx, j.rdb, []string{j.caseKey(user), j.notesKey(user)}, n, maxNotes, e, timelineLen).Int()
	if err != nil {
		return err
	}
	if done == 0 {
		return ErrNoCase
	}
	return j.audit(ctx, at, auditNote, staff, c.Pseudonym, map[string]any{"chars": utf8.RuneCountInString(text)})
}

// staffScript records a staff action on a case card: KEYS[1] the card;
// ARGV[1] who, ARGV[2] "pause", "resume" or "reply", ARGV[3] the timeline
// entry or "" for none, ARGV[4] what staff said (JSON) or "", ARGV[5] the
// timeline's cap.
var staffScript = redis.NewScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local c = cjson.decode(raw)
if ARGV[2] == 'pause' then c.staff = ARGV[1] elseif ARGV[2] == 'resume' then c.staff = nil end
if ARGV[3] ~= '' then
  c.tl = c.tl or {}
  table.insert(c.tl, 1, cjson.decode(ARGV[3]))
  while #c.tl > tonumber(ARGV[5]) do table.remove(c.tl) end
end
if ARGV[4] ~= '' then c.ssaid = cjson.decode(ARGV[4]) end
redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
return 1
`)

// StaffAct records what staff did to a case from the console — paused the
// bot, handed back to it, or sent text — on the card (who has the
// conversation; what staff last sent, on the timeline) and in the audit,
// with the staff member's name. For a reply, key is its retry key's id.
func (j *Journal) StaffAct(ctx context.Context, user, staff, act, text, key string) error {
	at := j.now()
	c, ok, err := j.Case(ctx, user)
	if err != nil {
		return err
	}
	var entry, said []byte
	extra := map[string]any{}
	if act == auditReply {
		entry, _ = json.Marshal([]any{at.UnixMilli(), c.Step, auditReply, "", staff})
		said, _ = json.Marshal(StaffSaid{At: millis(at.UnixMilli()), By: staff, Text: text})
		extra["chars"], extra["key"] = utf8.RuneCountInString(text), key
	}
	if ok {
		if err := staffScript.Run(ctx, j.rdb, []string{j.caseKey(user)}, staff, act, string(entry), string(said), timelineLen).Err(); err != nil {
			return err
		}
	}
	return j.audit(ctx, at, act, staff, c.Pseudonym, extra)
}

func (j *Journal) audit(ctx context.Context, at time.Time, kind, staff, user string, extra map[string]any) error {
	v := map[string]any{"kind": kind, "staff": staff, "user": user}
	for k, x := range extra {
		v[k] = x
	}
	add := j.addAudit(ctx, j.rdb, at, v)
	if err := add.Err(); err != nil && !strings.Contains(err.Error(), "equal or smaller") {
		return fmt.Errorf("console: audit: %w", err)
	}
	j.retryAudit(ctx, add, v)
	return nil
}

var pseudonymRe = regexp.MustCompile(`^[0-9a-f]{12}$`)

// Find returns the users a search term names: a LINE user id with a case,
// a log pseudonym (the 12 hex digits logs show) or a marketplace account
// id, looked up in the indexes the events keep (one round trip).
func (j *Journal) Find(ctx context.Context, q string) ([]string, error) {
	q = strings.TrimSpace(q)
	if q == "" || len(q) > 200 {
		return nil, nil
	}
	pipe := j.rdb.Pipeline()
	var cmds []*redis.StringCmd
	var exists *redis.IntCmd
	var since *redis.FloatCmd
	if taikai.ValidUserID(q) {
		exists = pipe.Exists(ctx, j.caseKey(q))
	}
	if p := strings.ToLower(q); pseudonymRe.MatchString(p) {
		h, ts := j.pnKeys(p)
		cmds = append(cmds, pipe.HGet(ctx, h, p))
		since = pipe.ZScore(ctx, ts, p)
	}
	cmds = append(cmds, pipe.Get(ctx, j.findKey("a", q)))
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, err
	}
	var out []string
	if exists != nil && exists.Val() == 1 {
		out = append(out, q)
	}
	if since != nil && since.Val() < float64(j.now().Add(-j.ret.Conversations).UnixMilli()) {
		// Past the retention, not yet dropped (Recount does, every minute).
		cmds = cmds[1:]
	}
	for _, c := range cmds {
		if u, err := c.Result(); err == nil && taikai.ValidUserID(u) && !contains(out, u) {
			out = append(out, u)
		}
	}
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
