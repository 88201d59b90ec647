package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai/internal/redistest"
)

// fakeHandoff records what the console asked of the bot.
type fakeHandoff struct{ paused, resumed []string }

func (h *fakeHandoff) Pause(_ context.Context, u string) error  { h.paused = append(h.paused, u); return nil }
func (h *fakeHandoff) Resume(_ context.Context, u string) error { h.resumed = append(h.resumed, u); return nil }

const (
	staffName = "alice"
	staffPass = "correct horse battery"
	token     = "a-shared-staff-token-0123"
)

func newServer(t *testing.T) *Server {
	t.Helper()
	rdb, prefix, _ := redistest.Redis(t)
	s, err := New(Options{
		Journal: NewJournal(rdb, prefix, Retention{}), Handoff: &fakeHandoff{},
		Users: map[string]string{staffName: staffPass}, Token: token,
		Key: []byte("0123456789abcdef0123456789abcdef"), Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends a request to the console's handler from addr.
func do(s *Server, method, path string, form url.Values, header http.Header) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, "http://console.test"+path, body)
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

var _ = time.Second
