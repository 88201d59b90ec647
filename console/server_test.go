package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/internal/redistest"
)

// fakeHandoff records what the console asked of the bot.
type fakeHandoff struct{ paused, resumed []string }

func (h *fakeHandoff) Pause(_ context.Context, u string) error {
	h.paused = append(h.paused, u)
	return nil
}
func (h *fakeHandoff) Resume(_ context.Context, u string) error {
	h.resumed = append(h.resumed, u)
	return nil
}

const (
	staffName = "alice"
	staffPass = "correct horse battery"
	token     = "a-shared-staff-token-0123"
)

// clock is a clock tests move.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// env is what the servers of one test share: Redis, its key prefix, a clock.
type env struct {
	rdb    redis.UniversalClient
	prefix string
	clock  *clock
}

func newEnv(t *testing.T) *env {
	rdb, prefix, _ := redistest.Redis(t)
	return &env{rdb: rdb, prefix: prefix, clock: &clock{time.Now()}}
}

// server is a console (one replica's) on e's Redis, with users as its staff.
func (e *env) server(t *testing.T, users map[string]string) *Server {
	t.Helper()
	s, err := New(Options{
		Journal: NewJournal(e.rdb, e.prefix, Retention{}), Handoff: &fakeHandoff{},
		Users: users, Token: token,
		Log: slog.New(slog.DiscardHandler), Now: e.clock.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newServer(t *testing.T) *Server {
	return newEnv(t).server(t, map[string]string{staffName: staffPass})
}

// do sends a request to the console's handler.
func do(s *Server, method, path string, form url.Values, header http.Header) *httptest.ResponseRecorder {
	return doFrom(s, "192.0.2.1:4711", method, path, form, header)
}

// doFrom sends a request to the console's handler from addr.
func doFrom(s *Server, addr, method, path string, form url.Values, header http.Header) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, "http://console.test"+path, body)
	r.RemoteAddr = addr
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range header {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

func TestSignInRedirectsOnlyUnderTheConsole(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct{ next, want string }{
		{"/console/conversations", "/console/conversations"},
		{"/console/audit", "/console/audit"},
		{"/console/conversations/U0123456789abcdef0123456789abcdef", "/console/conversations/U0123456789abcdef0123456789abcdef"},
		{"", "/console/"},
		{"/console/../\\evil.example", "/console/"},
		{"/console/..\\evil.example", "/console/"},
		{"/console/\\\\evil.example", "/console/"},
		{"/console/%5c%5cevil.example", "/console/"},
		{"/console/../", "/console/"},
		{"/console/../../evil", "/console/"},
		{"/console//evil.example", "/console/"},
		{"//evil.example/console/", "/console/"},
		{"https://evil.example/console/", "/console/"},
		{"/console/\t/evil.example", "/console/"},
		{"javascript:alert(1)//console/", "/console/"},
		{"/console/./../x", "/console/"},
		{"/consolex", "/console/"},
	} {
		w := do(s, http.MethodPost, "/console/login", url.Values{"user": {staffName}, "password": {staffPass}, "next": {tc.next}}, nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != tc.want {
			t.Errorf("next=%q: %d Location %q; want 303 to %q", tc.next, w.Code, w.Header().Get("Location"), tc.want)
		}
	}
}

// signIn signs in through the form and returns the session cookie.
func signIn(t *testing.T, s *Server, name, password string) *http.Cookie {
	t.Helper()
	w := do(s, http.MethodPost, "/console/login", url.Values{"user": {name}, "password": {password}}, nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/" {
		t.Fatalf("sign-in: %d to %q; want 303 to /console/", w.Code, w.Header().Get("Location"))
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == cookieName && c.Value != "" {
			return c
		}
	}
	t.Fatal("sign-in set no session cookie")
	return nil
}

func withCookie(c *http.Cookie) http.Header { return http.Header{"Cookie": {c.String()}} }

// signedIn reports whether the console lets the cookie's holder in.
func signedIn(t *testing.T, s *Server, c *http.Cookie) bool {
	t.Helper()
	w := do(s, http.MethodGet, "/console/audit", nil, withCookie(c))
	switch w.Code {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		return false
	}
	t.Fatalf("GET /console/audit: %d %s", w.Code, w.Body)
	return false
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf reads the CSRF token from a page the cookie's holder is shown.
func csrfOf(t *testing.T, s *Server, c *http.Cookie) string {
	t.Helper()
	w := do(s, http.MethodGet, "/console/audit", nil, withCookie(c))
	m := csrfRe.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no CSRF token on the page: %d %s", w.Code, w.Body)
	}
	return m[1]
}

func TestASessionEndsWhenItsStaffIsRemoved(t *testing.T) {
	e := newEnv(t)
	before := e.server(t, map[string]string{staffName: staffPass, "bob": "bobs password"})
	c := signIn(t, before, staffName, staffPass)
	if !signedIn(t, before, c) {
		t.Fatal("a fresh session is refused")
	}
	// alice is removed from CONSOLE_USERS and the replicas restart.
	after := e.server(t, map[string]string{"bob": "bobs password"})
	if signedIn(t, after, c) {
		t.Error("the session of a removed staff member is still let in")
	}
	// alice's password is changed: her old session ends too.
	changed := e.server(t, map[string]string{staffName: "a new password"})
	if signedIn(t, changed, c) {
		t.Error("a session outlives its staff member's password")
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	s := newServer(t)
	c := signIn(t, s, staffName, staffPass)
	h := withCookie(c)
	w := do(s, http.MethodPost, "/console/logout", url.Values{"csrf": {csrfOf(t, s, c)}}, h)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", w.Code)
	}
	if signedIn(t, s, c) {
		t.Error("the cookie still works after signing out")
	}
}

func TestASessionLastsTwelveHoursAtMost(t *testing.T) {
	e := newEnv(t)
	s := e.server(t, map[string]string{staffName: staffPass})
	c := signIn(t, s, staffName, staffPass)
	if c.MaxAge <= 0 || c.MaxAge > int((12*time.Hour).Seconds()) {
		t.Errorf("cookie Max-Age %d; want at most 12h", c.MaxAge)
	}
	e.clock.t = e.clock.t.Add(11 * time.Hour)
	if !signedIn(t, s, c) {
		t.Fatal("refused after 11 hours")
	}
	e.clock.t = e.clock.t.Add(time.Hour + time.Second)
	if signedIn(t, s, c) {
		t.Error("a session is let in after 12 hours")
	}
}

func TestTheCSRFTokenIsPerSession(t *testing.T) {
	s := newServer(t)
	one, two := signIn(t, s, staffName, staffPass), signIn(t, s, staffName, staffPass)
	t1, t2 := csrfOf(t, s, one), csrfOf(t, s, two)
	if t1 == t2 {
		t.Fatalf("two sessions of %s share the CSRF token %s", staffName, t1)
	}
	path := "/console/conversations/U0123456789abcdef0123456789abcdef/pause"
	if w := do(s, http.MethodPost, path, url.Values{"csrf": {t1}}, withCookie(two)); w.Code != http.StatusForbidden {
		t.Errorf("another session's CSRF token: %d; want 403", w.Code)
	}
	if w := do(s, http.MethodPost, path, url.Values{"csrf": {t2}}, withCookie(two)); w.Code != http.StatusSeeOther {
		t.Errorf("the session's own CSRF token: %d; want 303", w.Code)
	}
}

// wrong is a failed attempt of each kind the console takes.
var wrong = map[string]func(name string) (url.Values, http.Header){
	"form": func(name string) (url.Values, http.Header) {
		return url.Values{"user": {name}, "password": {"wrong password"}}, nil
	},
	"basic": func(name string) (url.Values, http.Header) {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(name, "wrong password")
		return nil, r.Header
	},
	"bearer": func(string) (url.Values, http.Header) {
		return nil, http.Header{"Authorization": {"Bearer wrong-token-0123456789"}}
	},
}

// attempt sends one failed attempt of kind from addr and returns the answer.
func attempt(s *Server, kind, addr, name string) *httptest.ResponseRecorder {
	form, h := wrong[kind](name)
	if form != nil {
		return doFrom(s, addr, http.MethodPost, "/console/login", form, h)
	}
	return doFrom(s, addr, http.MethodGet, "/console/audit", nil, h)
}

func retryAfter(t *testing.T, w *httptest.ResponseRecorder) time.Duration {
	t.Helper()
	n, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if w.Code != http.StatusTooManyRequests || err != nil || n <= 0 || n > 600 {
		t.Fatalf("%d Retry-After %q; want 429 and a wait of at most 10 minutes", w.Code, w.Header().Get("Retry-After"))
	}
	return time.Duration(n) * time.Second
}

func TestGuessingFromOneAddressIsThrottled(t *testing.T) {
	for kind := range wrong {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t)
			s := e.server(t, map[string]string{staffName: staffPass})
			for i := range 10 {
				w := attempt(s, kind, "198.51.100.7:1000", fmt.Sprintf("guess%d", i))
				if w.Code == http.StatusTooManyRequests {
					t.Fatalf("attempt %d throttled; want 10 allowed", i+1)
				}
			}
			wait := retryAfter(t, attempt(s, kind, "198.51.100.7:1001", "another"))
			// Even the right password waits: the throttle answers before any check.
			w := doFrom(s, "198.51.100.7:1002", http.MethodPost, "/console/login", url.Values{"user": {staffName}, "password": {staffPass}}, nil)
			retryAfter(t, w)
			// Another address is not held up.
			if c := signIn(t, s, staffName, staffPass); c == nil {
				t.Fatal("no session")
			}
			e.clock.t = e.clock.t.Add(wait)
			if w := attempt(s, kind, "198.51.100.7:1003", "later"); w.Code == http.StatusTooManyRequests {
				t.Errorf("still throttled after Retry-After (%v)", wait)
			}
		})
	}
}

func TestGuessingOneNameFromManyAddressesIsThrottled(t *testing.T) {
	for _, kind := range []string{"form", "basic"} {
		t.Run(kind, func(t *testing.T) {
			s := newServer(t)
			for i := range 10 {
				if w := attempt(s, kind, fmt.Sprintf("203.0.113.%d:80", i), staffName); w.Code == http.StatusTooManyRequests {
					t.Fatalf("attempt %d throttled; want 10 allowed", i+1)
				}
			}
			retryAfter(t, attempt(s, kind, "203.0.113.99:80", staffName))
		})
	}
}

func TestTheThrottleHoldsAcrossReplicas(t *testing.T) {
	e := newEnv(t)
	users := map[string]string{staffName: staffPass}
	a, b := e.server(t, users), e.server(t, users)
	for i := range 10 {
		s := a
		if i%2 == 1 {
			s = b
		}
		if w := attempt(s, "form", "198.51.100.9:1", fmt.Sprintf("n%d", i)); w.Code == http.StatusTooManyRequests {
			t.Fatalf("attempt %d throttled", i+1)
		}
	}
	retryAfter(t, attempt(a, "bearer", "198.51.100.9:2", ""))
	retryAfter(t, attempt(b, "basic", "198.51.100.9:3", "x"))
}
