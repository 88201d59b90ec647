package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

// Handoff is what the console needs of the bot to hand users to staff and back.
type Handoff interface {
	Pause(ctx context.Context, user string) error
	Resume(ctx context.Context, user string) error
}

// Replier sends staff's text to a user whose conversation staff have (the
// bot: bot.Bot.Say); key makes a retried send go out once. It fails with
// chat.ErrNotPaused when staff do not have the conversation.
type Replier interface {
	Say(ctx context.Context, user, text, key string) error
}

// Quota reads the chat channel's monthly message budget: its limit (-1
// for none) and what was used this month (the LINE client:
// line.Client.MessageQuota).
type Quota interface {
	MessageQuota(ctx context.Context) (limit, used int64, err error)
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
	// Replier, when set, lets staff answer users from the case card while
	// the bot is paused for them.
	Replier Replier
	// Quota, when set, is checked before each reply: a reply is refused
	// while fewer than QuotaReserve messages are left this month (default
	// 2% of the limit, and at least 10), kept for the bot's own pushes.
	Quota        Quota
	QuotaReserve int64
	// LiveEvery is how often the conversations page's live queue is told
	// the queue's figures; default 5s.
	LiveEvery time.Duration
	Log       *slog.Logger
	Now       func() time.Time
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
	if opts.LiveEvery <= 0 {
		opts.LiveEvery = 5 * time.Second
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{"dict": dict}).ParseFS(templateFS, "templates/*.html")
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
	mux.HandleFunc("GET /console/static/console.js", handleScript)
	mux.Handle("GET /console/{$}", s.auth(s.handleOverview))
	mux.Handle("GET /console/conversations", s.auth(s.handleCases))
	mux.Handle("GET /console/conversations/live", s.auth(s.handleLive))
	mux.Handle("GET /console/conversations/{user}", s.auth(s.handleCase))
	mux.Handle("POST /console/conversations/{user}/pause", s.auth(s.handleHandoff(true)))
	mux.Handle("POST /console/conversations/{user}/resume", s.auth(s.handleHandoff(false)))
	mux.Handle("POST /console/conversations/{user}/notes", s.auth(s.handleNote))
	mux.Handle("POST /console/conversations/{user}/reply", s.auth(s.handleReply))
	mux.Handle("GET /console/search", s.auth(s.handleSearch))
	mux.Handle("GET /console/audit", s.auth(s.handleAudit))
	mux.Handle("GET /console/export/funnel.csv", s.auth(s.handleExportFunnel))
	mux.Handle("GET /console/export/audit.csv", s.auth(s.handleExportAudit))
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

// render writes a page: data, and what every page shows — who is signed
// in, the words in the browser's language, the staff queue's figures and
// whether the data is simulated.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data map[string]any) {
	p, _ := r.Context().Value(ctxKey{}).(principal)
	v := s.view(r)
	data["User"], data["CSRF"], data["Now"], data["W"], data["V"], data["P"] = p.staff, p.csrf, v.now, v.w, v, palette
	if p.staff != "" {
		// The header's badge and banner: one round trip.
		q, demo, err := s.opts.Journal.chrome(r.Context())
		if err != nil {
			s.fail(w, err)
			return
		}
		data["Queue"], data["Demo"] = q, demo
	}
	var b bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		s.opts.Log.Error("console: render", "page", name, "err", err)
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.w.Lang)
	w.Header().Set("Vary", "Accept-Language")
	w.Write(b.Bytes())
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	s.opts.Log.Error("console", "err", err)
	http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "login.html", map[string]any{"Title": s.view(r).w.SignIn, "Next": safeNext(r.URL.Query().Get("next")), "Failed": r.URL.Query().Get("failed") != "", "HasToken": s.opts.Token != "", "HasUsers": len(s.opts.Users) > 0})
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

// dict makes a map of its arguments, pairs of a name and a value, for a
// template called with more than one value.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd arguments")
	}
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: a name is a %T", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}
