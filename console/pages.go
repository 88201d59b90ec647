package console

import (
	"context"
	"embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/internal/random"
)

//go:embed static/console.js
var staticFS embed.FS

// handleScript serves the script of the live queue (the only script: the
// pages work without it).
func handleScript(w http.ResponseWriter, r *http.Request) {
	b, _ := staticFS.ReadFile("static/console.js")
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Write(b)
}

// periods are the overview's periods, in days.
var periods = []int{7, 30, 90}

func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) {
	days, _ := strconv.Atoi(r.URL.Query().Get("days"))
	if days != 1 && days != 7 && days != 30 && days != 90 {
		days = 30
	}
	ctx := r.Context()
	j := s.opts.Journal
	if err := j.Flush(ctx); err != nil {
		s.fail(w, err)
		return
	}
	ds, err := j.Days(ctx, days)
	if err != nil {
		s.fail(w, err)
		return
	}
	steps, err := j.StepCounts(ctx)
	if err != nil {
		s.fail(w, err)
		return
	}
	v := s.view(r)
	f := compute(ds, v.now, v.l, v.w)
	var now []named
	for _, st := range flows.Steps {
		if st != flows.StepIdle {
			now = append(now, named{string(st), v.Step(string(st)), int64(steps[string(st)])})
		}
	}
	f.Trend.Title = v.w.TrendsCaption
	f.Trend.Desc = fmt.Sprintf(v.w.TrendsDesc, v.Totals(f.Trend))
	f.Reasons.Title = fmt.Sprintf(v.w.ReasonsCaption, fmt.Sprintf(v.w.PeriodDays, days))
	f.Reasons.Desc = fmt.Sprintf(v.w.ReasonsDesc, v.Totals(f.Reasons))
	to := day(v.now)
	from := day(v.now.AddDate(0, 0, 1-days))
	s.render(w, r, "overview.html", map[string]any{"Title": v.w.Overview, "Nav": "overview", "Days": days, "Periods": periods,
		"F": f, "From": from, "To": to, "StepsNow": now})
}

// The sizes of the conversations page's lists: the queue in full (up to
// 50), 10 of those needing attention (100 when asked), 20 recent ones a
// page.
const (
	queueShown     = 50
	attentionShown = 10
	attentionAll   = 100
	recentShown    = 20
)

func (s *Server) handleCases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, _ := strconv.ParseInt(q.Get("offset"), 10, 64)
	offset = max(0, min(offset, 100000))
	sizes := Sizes{Queue: queueShown, Attention: attentionShown, Recent: recentShown, Offset: offset}
	if q.Get("all") != "" {
		sizes.Attention = attentionAll
	}
	ctx := r.Context()
	j := s.opts.Journal
	if err := j.Flush(ctx); err != nil {
		s.fail(w, err)
		return
	}
	l, err := j.Lists(ctx, sizes, s.opts.BlockedFor)
	if err != nil {
		s.fail(w, err)
		return
	}
	v := s.view(r)
	s.render(w, r, "cases.html", map[string]any{"Title": v.w.Conversations, "Nav": "conversations", "L": l, "Sizes": sizes,
		"BlockedFor": v.Dur(s.opts.BlockedFor), "Offset": offset, "Next": offset + recentShown, "HasMore": offset+recentShown < l.NRecent,
		"Q": q.Get("q"), "NotFound": q.Get("nf") != "",
		"MoreBlocked": l.NBlocked > int64(len(l.Blocked)), "MoreFailing": l.NFailing > int64(len(l.Failing))})
}

// handleLive tells the conversations page the staff queue's figures as
// they change (server-sent events), for a while; the browser reconnects.
func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	v := s.view(r)
	ctx := r.Context()
	end := time.NewTimer(10 * time.Minute)
	defer end.Stop()
	tick := time.NewTicker(s.opts.LiveEvery)
	defer tick.Stop()
	last := ""
	for {
		j := s.opts.Journal
		j.Flush(ctx)
		q, err := j.Queue(ctx)
		if err != nil {
			return
		}
		sig := fmt.Sprintf("%d.%d.%d.%d", q.Waiting, q.WithStaff, q.Oldest.UnixMilli(), q.Newest.UnixMilli())
		if sig != last {
			last = sig
			b, _ := json.Marshal(map[string]any{"sig": sig, "waiting": q.Waiting, "withStaff": q.WithStaff,
				"text": fmt.Sprintf(v.w.LiveCount, q.Waiting, q.WithStaff), "badge": fmt.Sprintf(v.w.WaitingBadge, q.Waiting)})
			// The server's write timeout is for pages; a stream asks for more.
			rc.SetWriteDeadline(time.Now().Add(s.opts.LiveEvery + 10*time.Second))
			if _, err := fmt.Fprintf(w, "event: queue\ndata: %s\n\n", b); err != nil {
				return
			}
		} else {
			rc.SetWriteDeadline(time.Now().Add(s.opts.LiveEvery + 10*time.Second))
			if _, err := fmt.Fprint(w, ": still here\n\n"); err != nil {
				return
			}
		}
		if rc.Flush() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-end.C:
			return
		case <-tick.C:
		}
	}
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if err := s.opts.Journal.Flush(r.Context()); err != nil {
		s.fail(w, err)
		return
	}
	users, err := s.opts.Journal.Find(r.Context(), q)
	if err != nil {
		s.fail(w, err)
		return
	}
	if len(users) == 1 {
		http.Redirect(w, r, "/console/conversations/"+url.PathEscape(users[0]), http.StatusSeeOther)
		return
	}
	if len(users) > 1 {
		// An account relinked to another LINE user: both are shown.
		l := Lists{}
		cs, _, err := s.opts.Journal.cards(r.Context(), users)
		if err != nil {
			s.fail(w, err)
			return
		}
		l.Recent, l.NRecent = cs, int64(len(cs))
		v := s.view(r)
		s.render(w, r, "cases.html", map[string]any{"Title": v.w.Search, "Nav": "conversations", "L": l, "Q": q,
			"BlockedFor": v.Dur(s.opts.BlockedFor)})
		return
	}
	http.Redirect(w, r, "/console/conversations?nf=1&q="+url.QueryEscape(clip(q, 100)), http.StatusSeeOther)
}

func (s *Server) handleCase(w http.ResponseWriter, r *http.Request) {
	if !taikai.ValidUserID(r.PathValue("user")) {
		http.NotFound(w, r)
		return
	}
	ctx := r.Context()
	j := s.opts.Journal
	if err := j.Flush(ctx); err != nil {
		s.fail(w, err)
		return
	}
	c, ok, err := j.Case(ctx, r.PathValue("user"))
	if err != nil {
		s.fail(w, err)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	v := s.view(r)
	q := r.URL.Query()
	msg, bad := "", ""
	switch q.Get("done") {
	case "paused":
		msg = v.w.Paused
	case "resumed":
		msg = v.w.Resumed
	case "replied":
		msg = v.w.Replied
	case "noted":
		msg = v.w.NoteSaved
	}
	switch q.Get("err") {
	case "quota":
		used, _ := strconv.ParseInt(q.Get("used"), 10, 64)
		limit, _ := strconv.ParseInt(q.Get("limit"), 10, 64)
		bad = fmt.Sprintf(v.w.QuotaRefused, used, limit)
	case "quotaunknown":
		bad = v.w.QuotaUnknown
	case "failed":
		bad = v.w.ReplyFailed
	case "notpaused":
		bad = v.w.NotPaused
	case "input":
		bad = v.w.BadInput
	}
	var blockedSince []string
	for _, k := range taikai.BlockerKinds {
		if t, ok := c.BlockedSince[k]; ok {
			blockedSince = append(blockedSince, v.Blocker(string(k))+" "+v.Time(t))
		}
	}
	s.render(w, r, "case.html", map[string]any{"Title": fmt.Sprintf(v.w.Case, v.Short(c.User)), "Nav": "conversations", "Case": c,
		"Done": q.Get("done"), "Msg": msg, "Bad": bad, "CanReply": s.opts.Replier != nil, "ReplyKey": random.Hex(16),
		"BlockedSince": strings.Join(blockedSince, "、"), "MaxNote": MaxNote})
}

// staff is who makes the request.
func staff(r *http.Request) string {
	p, _ := r.Context().Value(ctxKey{}).(principal)
	return p.staff
}

func caseURL(user string, query string) string {
	return "/console/conversations/" + url.PathEscape(user) + "?" + query
}

func (s *Server) handleHandoff(pause bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user := r.PathValue("user")
		if !taikai.ValidUserID(user) {
			// Whatever the path holds never reaches Redis or the bot.
			http.NotFound(w, r)
			return
		}
		do, what, act := s.opts.Handoff.Resume, "resumed", auditResume
		if pause {
			do, what, act = s.opts.Handoff.Pause, "paused", auditPause
		}
		if err := do(r.Context(), user); err != nil {
			s.fail(w, err)
			return
		}
		if err := s.opts.Journal.StaffAct(r.Context(), user, staff(r), act, "", ""); err != nil {
			s.opts.Log.Warn("console: staff action not recorded", "err", err)
		}
		s.opts.Log.Info("console: handoff", "action", what, "staff", staff(r))
		http.Redirect(w, r, caseURL(user, "done="+what), http.StatusSeeOther)
	}
}

func (s *Server) handleNote(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("user")
	if !taikai.ValidUserID(user) {
		http.NotFound(w, r)
		return
	}
	text := strings.TrimSpace(r.PostFormValue("note"))
	if text == "" || utf8.RuneCountInString(text) > MaxNote {
		http.Redirect(w, r, caseURL(user, "err=input#notes"), http.StatusSeeOther)
		return
	}
	err := s.opts.Journal.AddNote(r.Context(), user, staff(r), text)
	if errors.Is(err, ErrNoCase) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	s.opts.Log.Info("console: note written", "staff", staff(r))
	http.Redirect(w, r, caseURL(user, "done=noted#notes"), http.StatusSeeOther)
}

// reserve is how many messages of a month's limit replies leave for the
// bot's own pushes.
func (s *Server) reserve(limit int64) int64 {
	if s.opts.QuotaReserve > 0 {
		return s.opts.QuotaReserve
	}
	return max(10, limit/50)
}

func (s *Server) handleReply(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("user")
	if !taikai.ValidUserID(user) || s.opts.Replier == nil {
		http.NotFound(w, r)
		return
	}
	ctx := r.Context()
	text := strings.TrimSpace(r.PostFormValue("text"))
	key := r.PostFormValue("key")
	if text == "" || utf8.RuneCountInString(text) > MaxNote || len(key) != 32 || strings.Trim(key, "0123456789abcdef") != "" {
		http.Redirect(w, r, caseURL(user, "err=input#reply"), http.StatusSeeOther)
		return
	}
	if s.opts.Quota != nil {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		limit, used, err := s.opts.Quota.MessageQuota(qctx)
		cancel()
		if err != nil {
			s.opts.Log.Warn("console: message quota not read; reply refused", "err", err)
			http.Redirect(w, r, caseURL(user, "err=quotaunknown#reply"), http.StatusSeeOther)
			return
		}
		if limit >= 0 && limit-used < s.reserve(limit) {
			s.opts.Log.Warn("console: reply refused: the month's messages are nearly used up", "used", used, "limit", limit)
			http.Redirect(w, r, caseURL(user, fmt.Sprintf("err=quota&used=%d&limit=%d#reply", used, limit)), http.StatusSeeOther)
			return
		}
	}
	if err := s.opts.Replier.Say(ctx, user, text, key); err != nil {
		s.opts.Log.Warn("console: reply not sent", "staff", staff(r), "err", err)
		q := "err=failed#reply"
		if errors.Is(err, chat.ErrNotPaused) {
			q = "err=notpaused#reply"
		}
		http.Redirect(w, r, caseURL(user, q), http.StatusSeeOther)
		return
	}
	if err := s.opts.Journal.StaffAct(ctx, user, staff(r), auditReply, text, key); err != nil {
		s.opts.Log.Warn("console: reply not recorded", "err", err)
	}
	s.opts.Log.Info("console: reply sent", "staff", staff(r))
	http.Redirect(w, r, caseURL(user, "done=replied"), http.StatusSeeOther)
}

// period reads a period's from and to (YYYY-MM-DD, Japan time; default the
// last 30 days, at most 400), as the first and the last day.
func (s *Server) period(r *http.Request) (from, to time.Time) {
	now := s.opts.Now().In(jst)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, jst)
	parse := func(k string, def time.Time) time.Time {
		t, err := time.ParseInLocation("2006-01-02", r.URL.Query().Get(k), jst)
		if err != nil {
			return def
		}
		return t
	}
	to = parse("to", today)
	if to.After(today) {
		to = today
	}
	from = parse("from", to.AddDate(0, 0, -29))
	if from.After(to) {
		from = to
	}
	if to.Sub(from) > 399*24*time.Hour {
		from = to.AddDate(0, 0, -399)
	}
	return from, to
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	from, to := s.period(r)
	es, err := s.opts.Journal.AuditBetween(r.Context(), from, to.Add(24*time.Hour-time.Millisecond), 500)
	if err != nil {
		s.fail(w, err)
		return
	}
	v := s.view(r)
	s.render(w, r, "audit.html", map[string]any{"Title": v.w.AuditTitle, "Nav": "audit", "Entries": es,
		"From": from.Format("2006-01-02"), "To": to.Format("2006-01-02")})
}

// csvOut starts a CSV download: UTF-8 with a byte order mark (so that
// spreadsheet programs set to Japanese read it as UTF-8).
func csvOut(w http.ResponseWriter, name string) *csv.Writer {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write([]byte("\ufeff"))
	return csv.NewWriter(w)
}

// cell keeps a value from being read as a formula by a spreadsheet.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *Server) handleExportFunnel(w http.ResponseWriter, r *http.Request) {
	from, to := s.period(r)
	n := int(to.Sub(from).Hours()/24) + 1
	ctx := r.Context()
	j := s.opts.Journal
	if err := j.Flush(ctx); err != nil {
		s.fail(w, err)
		return
	}
	ds, err := j.DaysTo(ctx, to, n)
	if err != nil {
		s.fail(w, err)
		return
	}
	v := s.view(r)
	type col struct{ head, field string }
	var cols []col
	for _, e := range stages {
		cols = append(cols, col{v.w.Count + ": " + v.l.Event(e), "stage:" + string(e)})
	}
	for _, e := range flows.Transitions {
		cols = append(cols, col{v.l.Event(e), "funnel:" + string(e)})
	}
	cols = append(cols, col{v.w.BlockedConv, "conv:blocked"})
	for _, r := range taikai.Reasons {
		cols = append(cols, col{v.w.Reason + ": " + v.l.Reason(r), "reason:" + string(r)})
	}
	for _, o := range taikai.Outcomes {
		cols = append(cols, col{v.w.Outcomes + ": " + v.l.Outcome(o), "filing:" + string(o)})
	}
	for _, k := range taikai.BlockerKinds {
		cols = append(cols, col{v.w.UsersBlocked + ": " + v.l.Blocker(k), "ublk:" + string(k)})
	}
	cw := csvOut(w, fmt.Sprintf("taikai-funnel-%s-%s.csv", from.Format("20060102"), to.Format("20060102")))
	head := []string{v.w.Date}
	for _, c := range cols {
		head = append(head, c.head)
	}
	cw.Write(head)
	for _, d := range ds {
		row := []string{d.Date}
		for _, c := range cols {
			row = append(row, strconv.FormatInt(d.Counts[c.field], 10))
		}
		cw.Write(row)
	}
	cw.Flush()
}

func (s *Server) handleExportAudit(w http.ResponseWriter, r *http.Request) {
	from, to := s.period(r)
	v := s.view(r)
	cw := csvOut(w, fmt.Sprintf("taikai-audit-%s-%s.csv", from.Format("20060102"), to.Format("20060102")))
	cw.Write([]string{v.w.Time, v.w.What, v.w.Staff, v.w.Pseudonym, v.w.Account, v.w.Reason, v.w.Key, v.w.Receipt, v.w.Chars,
		v.w.Consent + ": " + v.w.ConsentLang,
		v.w.WarningShown, v.w.WarningAcked, v.w.FiguresShown, v.w.WarningShown + ": " + v.w.CopyVersion, v.w.WarningShown + ": " + v.w.TextSHA,
		v.w.ConfirmShown, v.w.Confirmed, v.w.ConfirmShown + ": " + v.w.CopyVersion, v.w.ConfirmShown + ": " + v.w.TextSHA})
	err := s.opts.Journal.EachAudit(r.Context(), from, to.Add(24*time.Hour-time.Millisecond), func(e AuditEntry) error {
		chars := ""
		if e.Chars > 0 {
			chars = strconv.Itoa(e.Chars)
		}
		row := []string{e.At.In(jst).Format(time.RFC3339), v.AuditKind(e.Kind), cell(e.Staff), cell(e.User), cell(e.Account),
			e.Reason, cell(e.Key), cell(e.Receipt), chars}
		// The consent's times as recorded (RFC 3339, UTC), for whoever checks them.
		c := taikai.Consent{}
		figures := ""
		if e.Consent != nil {
			c, figures = *e.Consent, v.Figures(e.Consent.Warning)
		}
		row = append(row, cell(c.Language), cell(c.Warning.ShownAt), cell(c.Warning.AcknowledgedAt), figures,
			cell(c.Warning.Version), cell(c.Warning.SHA256), cell(c.Confirm.ShownAt), cell(c.Confirm.ConfirmedAt),
			cell(c.Confirm.Version), cell(c.Confirm.SHA256))
		return cw.Write(row)
	})
	cw.Flush()
	if err != nil {
		s.opts.Log.Error("console: audit export cut short", "err", err)
	}
}
