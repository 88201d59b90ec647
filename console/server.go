package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/flows"
)

//go:embed templates/*.html
var templateFS embed.FS

// Handoff is what the console needs of the bot to hand users to staff and back.
type Handoff interface {
	Pause(ctx context.Context, user string) error
	Resume(ctx context.Context, user string) error
}

// Options configure the console server.
type Options struct {
	// Journal is what the console shows; its Redis also keeps the
	// console's sessions, throttle counters and (when Secret is nil) secret.
	Journal *Journal
	Handoff Handoff
	// Users are staff credentials (name → password); Token is a shared token.
	// At least one must be set.
	Users map[string]string
	Token string
	// Secret (CONSOLE_SECRET) keys what the console keeps in Redis: the
	// names of session records (a hash of the cookie's session id), the
	// fingerprints that tie a session to its credential, the names of the
	// throttle's counters, and the CSRF token of Basic and bearer requests.
	// Nil: a random one is made and kept in Redis, the same for every
	// replica. It is never the channel secret, so holding that mints nothing.
	Secret []byte
	// BlockedFor is how long a user may stay blocked before the case counts as stuck; default 3 days.
	BlockedFor time.Duration
	Log        *slog.Logger
	Now        func() time.Time
}

// Server serves the console under /console/.
type Server struct {
	opts Options
	tmpl *template.Template

	mu     sync.Mutex
	secret []byte
}

// New returns the console server. It refuses to run without credentials.
func New(opts Options) (*Server, error) {
	if len(opts.Users) == 0 && opts.Token == "" {
		return nil, fmt.Errorf("console: no staff credentials")
	}
	if opts.Journal == nil {
		return nil, fmt.Errorf("console: no journal")
	}
	if opts.Secret != nil && len(opts.Secret) < 32 {
		return nil, fmt.Errorf("console: secret shorter than 32 bytes")
	}
	for name, pw := range opts.Users {
		if name == "" || pw == "" {
			return nil, fmt.Errorf("console: a staff name or password is empty")
		}
	}
	if opts.BlockedFor <= 0 {
		opts.BlockedFor = 3 * 24 * time.Hour
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	tmpl, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &Server{opts: opts, tmpl: tmpl, secret: opts.Secret}, nil
}

// Handler routes the console's pages.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console/login", s.handleLoginPage)
	mux.HandleFunc("POST /console/login", s.handleLogin)
	mux.Handle("POST /console/logout", s.auth(s.handleLogout))
	mux.Handle("GET /console/{$}", s.auth(s.handleOverview))
	mux.Handle("GET /console/conversations", s.auth(s.handleCases))
	mux.Handle("GET /console/conversations/{user}", s.auth(s.handleCase))
	mux.Handle("POST /console/conversations/{user}/pause", s.auth(s.handleHandoff(true)))
	mux.Handle("POST /console/conversations/{user}/resume", s.auth(s.handleHandoff(false)))
	mux.Handle("GET /console/audit", s.auth(s.handleAudit))
	return secure(mux)
}

// secure sets the headers every console answer carries, the sign-in page
// and errors included.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.ServeHTTP(w, r)
	})
}

type ctxKey struct{}

// auth admits a signed-in session, Basic credentials or the bearer token;
// every POST must also carry the CSRF token of its session (or
// credential). Basic and bearer attempts are throttled like sign-ins.
func (s *Server) auth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.principal(w, r)
		if err != nil {
			if !errors.Is(err, errRefused) {
				s.fail(w, err)
			}
			return
		}
		if r.Method == http.MethodPost && !s.validCSRF(r, p) {
			s.opts.Log.Warn("console: CSRF check failed", "staff", p.staff)
			http.Error(w, "invalid or missing CSRF token", http.StatusForbidden)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)))
	})
}

// errRefused means the request was answered: refused, throttled or sent
// to sign in.
var errRefused = errors.New("console: refused")

// principal finds who r comes from, or answers it and returns errRefused.
func (s *Server) principal(w http.ResponseWriter, r *http.Request) (principal, error) {
	ctx := r.Context()
	if c, err := r.Cookie(cookieName); err == nil {
		p, err := s.session(ctx, c.Value)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, errNoSession) {
			return principal{}, err
		}
	}
	name, password, basic := r.BasicAuth()
	tok, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !basic && !bearer {
		if r.Method == http.MethodGet && r.Header.Get("Authorization") == "" {
			http.Redirect(w, r, "/console/login?next="+url.QueryEscape(safeNext(r.URL.Path)), http.StatusSeeOther)
			return principal{}, errRefused
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="taikai console"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return principal{}, errRefused
	}
	if bearer {
		name, password = "", ""
	} else {
		tok = ""
	}
	if wait, err := s.throttled(ctx, r, name); err != nil {
		return principal{}, err
	} else if wait > 0 {
		s.opts.Log.Warn("console: credentials refused unchecked: too many failures")
		tooMany(w, wait)
		return principal{}, errRefused
	}
	kind, staff, ok := s.check(name, password, tok)
	if !ok {
		if err := s.failed(ctx, r, name); err != nil {
			return principal{}, err
		}
		s.opts.Log.Warn("console: credentials refused")
		w.Header().Set("WWW-Authenticate", `Basic realm="taikai console"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return principal{}, errRefused
	}
	key, err := s.key(ctx)
	if err != nil {
		return principal{}, err
	}
	return principal{staff: staff, csrf: s.credentialCSRF(key, kind, staff)}, nil
}

// sameOrigin refuses a form posted from another site.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

func (s *Server) validCSRF(r *http.Request, p principal) bool {
	// A cross-site form post carries another Origin; refuse it outright.
	if !sameOrigin(r) {
		return false
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	got := r.PostFormValue("csrf")
	return got != "" && p.csrf != "" && equal(got, p.csrf) == 1
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data map[string]any) {
	p, _ := r.Context().Value(ctxKey{}).(principal)
	data["User"], data["CSRF"], data["Now"] = p.staff, p.csrf, s.opts.Now()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.tmpl.ExecuteTemplate(w, name, data); err != nil {
		s.opts.Log.Error("console: render", "page", name, "err", err)
	}
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	s.opts.Log.Error("console", "err", err)
	http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "login.html", map[string]any{"Title": "サインイン", "Next": safeNext(r.URL.Query().Get("next")), "Failed": r.URL.Query().Get("failed") != "", "HasToken": s.opts.Token != "", "HasUsers": len(s.opts.Users) > 0})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if !sameOrigin(r) {
		http.Error(w, "cross-site sign-in refused", http.StatusForbidden)
		return
	}
	name, password, tok := r.PostFormValue("user"), r.PostFormValue("password"), r.PostFormValue("token")
	next := safeNext(r.PostFormValue("next"))
	ctx := r.Context()
	if tok != "" {
		name, password = "", ""
	}
	wait, err := s.throttled(ctx, r, name)
	if err != nil {
		s.fail(w, err)
		return
	}
	if wait > 0 {
		s.opts.Log.Warn("console: sign-in refused unchecked: too many failures")
		tooMany(w, wait)
		return
	}
	kind, staff, ok := s.check(name, password, tok)
	if !ok {
		if err := s.failed(ctx, r, name); err != nil {
			s.fail(w, err)
			return
		}
		s.opts.Log.Warn("console: sign-in refused")
		http.Redirect(w, r, "/console/login?failed=1&next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	sid, err := s.newSession(ctx, kind, staff)
	if err != nil {
		s.fail(w, err)
		return
	}
	setSessionCookie(w, r, sid)
	s.opts.Log.Info("console: signed in", "staff", staff)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext is where a sign-in may send the browser: a clean path under
// /console/ made only of letters, digits, '/', '_' and '-', with no '//'.
// Anything else — a backslash (browsers read "/\x" as "//x"), an encoded
// one, a dot segment, a scheme, a host, a control character — is
// /console/. The path is checked as given, not after cleaning, since
// http.Redirect cleans what it is given into another path.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.Contains(next, "//") {
		return "/console/"
	}
	for _, c := range next {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '/' || c == '_' || c == '-') {
			return "/console/"
		}
	}
	return next
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if p, _ := r.Context().Value(ctxKey{}).(principal); p.sid != "" {
		if err := s.endSession(r.Context(), p.sid); err != nil {
			s.fail(w, err)
			return
		}
		s.opts.Log.Info("console: signed out", "staff", p.staff)
	}
	clearSessionCookie(w)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// funnelSteps are the funnel's transitions, in order.
var funnelSteps = []flows.Transition{flows.EvStarted, flows.EvLinked, flows.EvChecked, flows.EvBlocked, flows.EvClear, flows.EvWarned, flows.EvReason, flows.EvConfirmed, flows.EvFiled, flows.EvCancelled, flows.EvExpired, flows.EvHandedOff}

// bar is one bar of a chart.
type bar struct {
	Label string
	Value int64
	Width int // in px, of 320
}

func bars(labels []string, values []int64) []bar {
	var max int64 = 1
	for _, v := range values {
		if v > max {
			max = v
		}
	}
	out := make([]bar, len(labels))
	for i := range labels {
		out[i] = bar{Label: labels[i], Value: values[i], Width: int(values[i] * 320 / max)}
	}
	return out
}

func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) {
	days, _ := strconv.Atoi(r.URL.Query().Get("days"))
	if days != 1 && days != 30 && days != 90 {
		days = 7
	}
	ds, err := s.opts.Journal.Days(r.Context(), days)
	if err != nil {
		s.fail(w, err)
		return
	}
	sum := Counts{}
	for _, d := range ds {
		for k, v := range d.Counts {
			sum[k] += v
		}
	}
	series := func(kind string, names []string, label func(string) string) []bar {
		var ls []string
		var vs []int64
		for _, n := range names {
			ls = append(ls, label(n))
			vs = append(vs, sum.Get(kind, n))
		}
		return bars(ls, vs)
	}
	same := func(s string) string { return s }
	var funnel, reasons, kinds, outcomes []string
	for _, e := range funnelSteps {
		funnel = append(funnel, string(e))
	}
	for _, r := range taikai.Reasons {
		reasons = append(reasons, string(r))
	}
	for _, k := range taikai.BlockerKinds {
		kinds = append(kinds, string(k))
	}
	for _, o := range taikai.Outcomes {
		outcomes = append(outcomes, string(o))
	}
	var dl []string
	var dv []int64
	for _, d := range ds {
		dl = append(dl, d.Date[5:])
		dv = append(dv, d.Counts.Get("filing", string(taikai.OutcomeFiled)))
	}
	s.render(w, r, "overview.html", map[string]any{
		"Title": "概要", "Days": days, "Funnel": series("funnel", funnel, funnelLabel), "Reasons": series("reason", reasons, reasonLabel),
		"Blockers": series("blocker", kinds, blockerLabel), "Filings": bars(dl, dv),
		"FilingOutcomes": series("filing", outcomes, same),
	})
}

func (s *Server) handleCases(w http.ResponseWriter, r *http.Request) {
	cs, err := s.opts.Journal.Cases(r.Context(), 500, s.opts.BlockedFor)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.render(w, r, "cases.html", map[string]any{"Title": "会話", "Cases": cs, "BlockedFor": s.opts.BlockedFor})
}

func (s *Server) handleCase(w http.ResponseWriter, r *http.Request) {
	if !taikai.ValidUserID(r.PathValue("user")) {
		http.NotFound(w, r)
		return
	}
	c, ok, err := s.opts.Journal.Case(r.Context(), r.PathValue("user"))
	if err != nil {
		s.fail(w, err)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.render(w, r, "case.html", map[string]any{"Title": "ケース", "Case": c, "BlockedFor": s.opts.BlockedFor, "Done": r.URL.Query().Get("done")})
}

func (s *Server) handleHandoff(pause bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user := r.PathValue("user")
		if !taikai.ValidUserID(user) {
			// Whatever the path holds never reaches Redis or the bot.
			http.NotFound(w, r)
			return
		}
		p, _ := r.Context().Value(ctxKey{}).(principal)
		do, what := s.opts.Handoff.Resume, "resumed"
		if pause {
			do, what = s.opts.Handoff.Pause, "paused"
		}
		if err := do(r.Context(), user); err != nil {
			s.fail(w, err)
			return
		}
		s.opts.Log.Info("console: handoff", "action", what, "staff", p.staff)
		http.Redirect(w, r, "/console/conversations/"+url.PathEscape(user)+"?done="+what, http.StatusSeeOther)
	}
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	es, err := s.opts.Journal.Audit(r.Context(), 500)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.render(w, r, "audit.html", map[string]any{"Title": "監査", "Entries": es})
}

func funnelLabel(e string) string {
	return map[string]string{"started": "開始", "linked": "連携", "checked": "確認", "blocked": "ブロック", "clear": "条件クリア",
		"warned": "注意事項確認", "reason": "理由", "confirmed": "確定", "filed": "退会受付", "cancelled": "中止", "expired": "期限切れ", "handed_off": "担当者依頼"}[e]
}

// stuckLabels are what the staff read for each Stuck.
var stuckLabels = map[Stuck]string{
	StuckWaiting: "担当者待ち", StuckWithStaff: "担当者対応中", StuckBlocked: "長期ブロック", StuckFailing: "エラー反復",
}

func reasonLabel(r string) string {
	return map[string]string{"not_using": "使わなくなった", "hard_to_earn": "稼ぐのが難しい", "reset_rating": "評価をリセットしたい", "other": "その他", "none": "回答しない"}[r]
}

func blockerLabel(k string) string {
	return map[string]string{string(taikai.BlockerPurchase): "購入が未完了", string(taikai.BlockerDelivery): "正式な納品なし",
		string(taikai.BlockerPayout): "振込申請中", string(taikai.BlockerBalance): "売上金残高"}[k]
}

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(jst).Format("2006-01-02 15:04")
	},
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		d := now.Sub(t)
		switch {
		case d < time.Hour:
			return fmt.Sprintf("%d分前", int(d.Minutes()))
		case d < 48*time.Hour:
			return fmt.Sprintf("%d時間前", int(d.Hours()))
		}
		return fmt.Sprintf("%d日前", int(d.Hours()/24))
	},
	"stuck": func(c Case, now time.Time, blockedFor time.Duration) string {
		return stuckLabels[c.Stuck(now, blockedFor)]
	},
	"reason": func(r string) string {
		if r == "" {
			return "—"
		}
		return reasonLabel(r)
	},
	"blocker": func(b string) string {
		k, n, _ := strings.Cut(b, ":")
		return blockerLabel(k) + "×" + n
	},
	"short": func(u string) string {
		if len(u) > 12 {
			return u[:12] + "…"
		}
		return u
	},
	"mul": func(a, b int) int { return a * b },
	"chart": func(title string, bs []bar) map[string]any {
		return map[string]any{"Title": title, "Bars": bs}
	},
}
