package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/internal/redistest"
	"github.com/taikaibot/taikai/replica"
)

// The attacker's walk: the console, /metrics and the webhook, attacked as
// issue 8 found them open. Each case is one of its defects or weaknesses.

const (
	alicePass    = "alice-correct-horse"
	bobPass      = "bob-battery-staple"
	staffToken   = "staff-shared-token-0123456789"
	metricsToken = "metrics-token-0123456789"
)

// consoleReplica is one replica serving the console, with users as its
// staff (CONSOLE_USERS), on rdb.
func consoleReplica(t *testing.T, rdb redis.UniversalClient, prefix string, users map[string]string) *httptest.Server {
	t.Helper()
	r, err := replica.New(replica.Config{ChannelSecret: demo.ChannelSecret, AccessToken: demo.AccessToken,
		MarketURL: "http://127.0.0.1:1", MarketToken: "m", LinkURL: "http://127.0.0.1:1/link", KeyPrefix: prefix,
		Console: true, ConsoleUsers: users, ConsoleToken: staffToken, MetricsToken: metricsToken}, replica.Deps{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.Handler)
	t.Cleanup(srv.Close)
	return srv
}

type answer struct {
	code    int
	header  http.Header
	body    string
	cookies []*http.Cookie
}

// hit sends one request as the attacker (or staff) would, following no
// redirect.
func hit(t *testing.T, method, u string, form url.Values, header http.Header) answer {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := staff.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(b), res.Cookies()}
}

func sessionOf(t *testing.T, a answer) *http.Cookie {
	t.Helper()
	for _, c := range a.cookies {
		if c.Name == "taikai_console" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("no session cookie: %d %s", a.code, a.body)
	return nil
}

func cookieHeader(c *http.Cookie) http.Header { return http.Header{"Cookie": {c.Name + "=" + c.Value}} }

func TestAttackerWalksTheConsole(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	both := map[string]string{"alice": alicePass, "bob": bobPass}
	a := consoleReplica(t, rdb, prefix, both)
	b := consoleReplica(t, rdb, prefix, both)
	signIn := func(srv *httptest.Server, name, pw, next string) answer {
		return hit(t, "POST", srv.URL+"/console/login", url.Values{"user": {name}, "password": {pw}, "next": {next}}, nil)
	}
	in := func(srv *httptest.Server, c *http.Cookie) bool {
		return hit(t, "GET", srv.URL+"/console/audit", nil, cookieHeader(c)).code == http.StatusOK
	}

	t.Run("defect 1: open redirect after sign-in", func(t *testing.T) {
		for _, next := range []string{`/console/../\evil.example`, `/console/..\evil.example`, `/console/%5c%5cevil.example`, `/console//evil.example`, `//evil.example`, `https://evil.example/console/`, `/console/../../x`} {
			if got := signIn(a, "bob", bobPass, next); got.header.Get("Location") != "/console/" {
				t.Errorf("next=%s: Location %q; want /console/", next, got.header.Get("Location"))
			}
		}
	})

	t.Run("defect 2: a session minted from the channel secret", func(t *testing.T) {
		k := hmac.New(sha256.New, []byte(demo.ChannelSecret))
		k.Write([]byte("taikai console sessions"))
		payload := base64.RawURLEncoding.EncodeToString([]byte("alice|" + strconv.FormatInt(time.Now().Add(1000*time.Hour).Unix(), 10)))
		m := hmac.New(sha256.New, k.Sum(nil))
		m.Write([]byte("session\x00" + payload))
		forged := &http.Cookie{Name: "taikai_console", Value: payload + "." + hex.EncodeToString(m.Sum(nil))}
		if in(a, forged) {
			t.Error("a cookie minted with the channel secret is let in")
		}
	})

	t.Run("defect 2: sessions are server-side, shared, and end", func(t *testing.T) {
		c := sessionOf(t, signIn(a, "alice", alicePass, ""))
		if !in(a, c) || !in(b, c) {
			t.Fatal("a session made on one replica is not known to another")
		}
		// alice is removed from CONSOLE_USERS; a replica restarted so.
		c2 := consoleReplica(t, rdb, prefix, map[string]string{"bob": bobPass})
		if in(c2, c) {
			t.Error("the session of a removed staff member is let in")
		}
		// Signing out on one replica ends the session on all.
		page := hit(t, "GET", a.URL+"/console/audit", nil, cookieHeader(c))
		csrf := csrfRe.FindStringSubmatch(page.body)
		if csrf == nil {
			t.Fatal("no CSRF token")
		}
		if got := hit(t, "POST", a.URL+"/console/logout", url.Values{"csrf": {csrf[1]}}, cookieHeader(c)); got.code != http.StatusSeeOther {
			t.Fatalf("logout: %d", got.code)
		}
		if in(b, c) {
			t.Error("a signed-out cookie is let in on another replica")
		}
	})

	t.Run("defect 2: the CSRF token is per session", func(t *testing.T) {
		one, two := sessionOf(t, signIn(a, "bob", bobPass, "")), sessionOf(t, signIn(b, "bob", bobPass, ""))
		csrfOne := csrfRe.FindStringSubmatch(hit(t, "GET", a.URL+"/console/audit", nil, cookieHeader(one)).body)[1]
		got := hit(t, "POST", a.URL+"/console/conversations/"+user+"/pause", url.Values{"csrf": {csrfOne}}, cookieHeader(two))
		if got.code != http.StatusForbidden {
			t.Errorf("bob's other session's CSRF token: %d; want 403", got.code)
		}
	})

	t.Run("defect 3: guessing is throttled, across replicas and kinds", func(t *testing.T) {
		rdb, prefix, _ := redistest.Redis(t)
		a, b := consoleReplica(t, rdb, prefix, both), consoleReplica(t, rdb, prefix, both)
		for i := range 10 {
			srv := []*httptest.Server{a, b}[i%2]
			var got answer
			switch i % 3 {
			case 0:
				got = signIn(srv, "alice", fmt.Sprintf("guess-%d", i), "")
			case 1:
				got = hit(t, "GET", srv.URL+"/console/", nil, http.Header{"Authorization": {"Bearer guess-" + strconv.Itoa(i)}})
			case 2:
				r, _ := http.NewRequest("GET", "/", nil)
				r.SetBasicAuth("alice", fmt.Sprintf("guess-%d", i))
				got = hit(t, "GET", srv.URL+"/console/", nil, r.Header)
			}
			if got.code == http.StatusTooManyRequests {
				t.Fatalf("guess %d throttled; want 10 allowed", i+1)
			}
		}
		for _, srv := range []*httptest.Server{a, b} {
			got := signIn(srv, "alice", alicePass, "") // even the right password
			if n, err := strconv.Atoi(got.header.Get("Retry-After")); got.code != http.StatusTooManyRequests || err != nil || n <= 0 || n > 600 {
				t.Errorf("the 11th try: %d Retry-After %q; want 429 and a wait", got.code, got.header.Get("Retry-After"))
			}
		}
	})

	t.Run("defect 4: metrics need their token; every page its headers", func(t *testing.T) {
		if got := hit(t, "GET", a.URL+"/metrics", nil, nil); got.code != http.StatusUnauthorized {
			t.Errorf("anonymous /metrics: %d; want 401", got.code)
		}
		if got := hit(t, "GET", a.URL+"/metrics", nil, http.Header{"Authorization": {"Bearer " + metricsToken}}); got.code != http.StatusOK {
			t.Errorf("/metrics with the token: %d", got.code)
		}
		for _, path := range []string{"/console/login", "/console/login?next=//evil", "/healthz", "/metrics"} {
			got := hit(t, "GET", a.URL+path, nil, nil)
			if got.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: no nosniff", path)
			}
			if strings.HasPrefix(path, "/console/") && (got.header.Get("Content-Security-Policy") == "" || got.header.Get("X-Frame-Options") != "DENY") {
				t.Errorf("%s: headers %v; want the console's security headers", path, got.header)
			}
		}
	})

	t.Run("defect 7: an id that is not a user's never reaches the bot", func(t *testing.T) {
		c := sessionOf(t, signIn(a, "bob", bobPass, ""))
		csrf := csrfRe.FindStringSubmatch(hit(t, "GET", a.URL+"/console/audit", nil, cookieHeader(c)).body)[1]
		for _, id := range []string{"U}{", "Uabc", strings.Repeat("U", 3000)} {
			if got := hit(t, "POST", a.URL+"/console/conversations/"+url.PathEscape(id)+"/pause", url.Values{"csrf": {csrf}}, cookieHeader(c)); got.code != http.StatusNotFound {
				t.Errorf("pause of %.10q…: %d; want 404", id, got.code)
			}
		}
		keys, _ := rdb.Keys(context.Background(), prefix+"*}{*").Result()
		if len(keys) > 0 {
			t.Errorf("keys with a broken hash tag: %v", keys)
		}
	})
}

func TestAttackerReplaysTheWebhook(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	sys := startSystemWith(t, demo.Config{Redis: rdb, KeyPrefix: prefix})

	t.Run("a body replayed after the dedupe window", func(t *testing.T) {
		old := sys.Emulator.Text(user, "退会したい")
		old["timestamp"] = sys.Clock.Now().Add(-25 * time.Hour).UnixMilli()
		send(t, sys, old)
		if got := texts(sys); len(got) != 0 {
			t.Errorf("a day-old event was answered: %q", got)
		}
	})

	t.Run("an event from an id that is not LINE's", func(t *testing.T) {
		before := sys.Processed()
		send(t, sys, sys.Emulator.Text("U}evil{0123456789abcdef0123456789", "退会したい"))
		keys, _ := rdb.Keys(context.Background(), prefix+"*evil*").Result()
		if len(keys) > 0 {
			t.Errorf("keys made from the id: %v", keys)
		}
		if n := sys.Processed() - before; n != 0 {
			t.Errorf("%d events processed; want the event refused at intake", n)
		}
	})

	t.Run("the same event id from two users", func(t *testing.T) {
		before := sys.Processed()
		first := sys.Emulator.Text(user, "退会したい")
		other := sys.Emulator.Text("U0123456789abcdef0123456789abcdef", "退会したい")
		other["webhookEventId"] = first["webhookEventId"]
		send(t, sys, first, other)
		if n := sys.Processed() - before; n != 1 {
			t.Errorf("%d events processed; want one per event id", n)
		}
	})
}
