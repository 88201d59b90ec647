package console

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/flows"
)

// view is what templates call to write codes, times and numbers in the
// request's language: the bot's codes through the bot's catalog, the rest
// through the console's words.
type view struct {
	w          *words
	l          flows.Labels
	now        time.Time
	blockedFor time.Duration
}

func (s *Server) view(r *http.Request) view {
	lang := langOf(r)
	return view{w: wordsFor(lang), l: flows.StaffLabels(lang), now: s.opts.Now(), blockedFor: s.opts.BlockedFor}
}

// Step names a step.
func (v view) Step(s string) string { return v.l.Step(flows.Step(s)) }

// Event names a transition, a runtime marker or a filing's outcome.
func (v view) Event(e string) string {
	if o, ok := strings.CutPrefix(e, "filing:"); ok {
		return v.l.Outcome(taikai.Outcome(o))
	}
	if e == "while_paused" {
		return v.w.WhilePaused
	}
	return v.l.Event(flows.Transition(e))
}

// Events names a timeline entry's transitions.
func (v view) Events(es []string) string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = v.Event(e)
	}
	sep := "、"
	if v.w.Lang == "en" {
		sep = ", "
	}
	return strings.Join(out, sep)
}

// Type names an event type.
func (v view) Type(t string) string {
	if s, ok := v.w.Types[t]; ok {
		return s
	}
	return t
}

// Blocker names a blocker kind ("any" for any kind).
func (v view) Blocker(k string) string {
	if k == "any" {
		return v.w.AnyKind
	}
	return v.l.Blocker(taikai.BlockerKind(k))
}

// Reason names a reason code; "—" for none.
func (v view) Reason(r string) string {
	if r == "" {
		return "—"
	}
	return v.l.Reason(taikai.Reason(r))
}

// Outcome names a filing outcome.
func (v view) Outcome(o string) string { return v.l.Outcome(taikai.Outcome(o)) }

// Yen writes an amount.
func (v view) Yen(n int64) string { return v.l.Yen(n) }

// Date writes a YYYY-MM-DD date.
func (v view) Date(d string) string { return v.l.Date(d) }

// Role names a buyer/seller role.
func (v view) Role(r string) string { return v.w.Roles[r] }

// AuditKind names an audit entry's kind.
func (v view) AuditKind(k string) string {
	if s, ok := v.w.AuditKinds[k]; ok {
		return s
	}
	return k
}

// Stuck says why a case needs a person.
func (v view) Stuck(c Case) string { return v.w.Stuck[c.Stuck(v.now, v.blockedFor)] }

// Time writes a time in Japan time.
func (v view) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if v.w.Lang == "en" {
		return t.In(jst).Format("2 Jan 2006 15:04")
	}
	return t.In(jst).Format("2006-01-02 15:04")
}

// Stamp writes a consent record's time (RFC 3339, UTC) in Japan time, to
// the millisecond; as given if it is not one.
func (v view) Stamp(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.In(jst).Format("2006-01-02 15:04:05.000")
}

// Figures writes the rating and completed orders a warning showed.
func (v view) Figures(c taikai.ConsentWarning) string {
	sep := "・"
	if v.w.Lang == "en" {
		sep = ", "
	}
	return v.l.Rating(c.Rating) + sep + v.l.Orders(c.CompletedOrders)
}

// ISO writes a time for a <time datetime>.
func (v view) ISO(t time.Time) string { return t.In(jst).Format(time.RFC3339) }

// Ago writes how long ago t was.
func (v view) Ago(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := v.now.Sub(t)
	switch {
	case d < time.Hour:
		return fmt.Sprintf(v.w.Ago[0], max(0, int(d.Minutes())))
	case d < 48*time.Hour:
		return fmt.Sprintf(v.w.Ago[1], int(d.Hours()))
	}
	return fmt.Sprintf(v.w.Ago[2], int(d.Hours()/24))
}

// Since writes how long it has been since t.
func (v view) Since(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return v.Dur(v.now.Sub(t))
}

// Dur writes a duration in minutes, hours or days.
func (v view) Dur(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf(v.w.Minutes, max(0, int(d.Minutes())))
	case d < 48*time.Hour:
		return fmt.Sprintf(v.w.Hours, int(d.Hours()))
	}
	return fmt.Sprintf(v.w.Days, int(d.Hours()/24))
}

// Bucket writes a bucket of start-to-filing times as its range.
func (v view) Bucket(i int) string {
	lo := time.Duration(0)
	if i > 0 {
		lo = durationEdges[i-1]
	}
	if i >= len(durationEdges) {
		return fmt.Sprintf(v.w.DaysRange, v.Dur(lo), "")
	}
	if lo == 0 {
		return fmt.Sprintf(v.w.DaysRange, "0", v.Dur(durationEdges[i]))
	}
	return fmt.Sprintf(v.w.DaysRange, v.Dur(lo), v.Dur(durationEdges[i]))
}

// Pct writes a percentage; "—" for none.
func (v view) Pct(p float64) string {
	if p < 0 {
		return "—"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// F formats with one of the console's words.
func (v view) F(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// Bar is a table cell's bar (decoration; the number is beside it).
func (v view) Bar(n, of int64, i int) template.HTML {
	return bar(n, of, palette.Series[i%len(palette.Series)])
}

// Totals describes a chart by its series' totals.
func (v view) Totals(c chart) string {
	sep := "、"
	if v.w.Lang == "en" {
		sep = ", "
	}
	var parts []string
	for _, s := range c.Series {
		var sum int64
		for _, n := range s.Values {
			sum += n
		}
		parts = append(parts, s.Name+" "+strconv.FormatInt(sum, 10))
	}
	return strings.Join(parts, sep)
}

// Sum adds up a series.
func (v view) Sum(s series) int64 {
	var n int64
	for _, x := range s.Values {
		n += x
	}
	return n
}

// Short shortens a user id for display.
func (v view) Short(u string) string {
	if len(u) > 12 {
		return u[:12] + "…"
	}
	return u
}

// demo describes simulated data (`taikai demo -history`).
type demo struct {
	Days     int    `json:"days"`
	From, To string `json:"-"`
	FromMs   int64  `json:"from"`
	ToMs     int64  `json:"to"`
}

// MarkDemo marks the journal's data as simulated: days of conversations
// from from to to. Every page then says so.
func (j *Journal) MarkDemo(ctx context.Context, days int, from, to time.Time) error {
	b, _ := json.Marshal(demo{Days: days, FromMs: from.UnixMilli(), ToMs: to.UnixMilli()})
	return j.rdb.Set(ctx, j.demoKey(), b, j.ret.Days).Err()
}

// chrome is what every page's header shows: the staff queue's figures and
// whether the data is simulated; one round trip.
func (j *Journal) chrome(ctx context.Context) (QueueCounts, *demo, error) {
	pipe := j.rdb.Pipeline()
	w := pipe.ZCard(ctx, j.queueKey(qWaiting))
	first := pipe.ZRangeWithScores(ctx, j.queueKey(qWaiting), 0, 0)
	last := pipe.ZRangeWithScores(ctx, j.queueKey(qWaiting), -1, -1)
	st := pipe.ZCard(ctx, j.queueKey(qStaff))
	dm := pipe.Get(ctx, j.demoKey())
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return QueueCounts{}, nil, err
	}
	q := QueueCounts{Waiting: w.Val(), WithStaff: st.Val()}
	if f := first.Val(); len(f) > 0 {
		q.Oldest = time.UnixMilli(int64(f[0].Score))
	}
	if l := last.Val(); len(l) > 0 {
		q.Newest = time.UnixMilli(int64(l[0].Score))
	}
	var d *demo
	if raw, err := dm.Bytes(); err == nil {
		d = &demo{}
		if json.Unmarshal(raw, d) != nil {
			d = nil
		} else {
			d.From, d.To = day(time.UnixMilli(d.FromMs)), day(time.UnixMilli(d.ToMs))
		}
	}
	return q, d, nil
}
