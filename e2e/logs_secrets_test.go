package e2e

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/internal/redistest"
)

// TestLogsHoldNoIDsOrSecrets reads the logs of a whole run — a withdrawal
// through a marketplace that fails and recovers, events with ids that are
// not LINE's, staff signing in, guessing and signing out — for anything
// that identifies someone or opens something: LINE user ids, marketplace
// account ids, link tokens, secrets, tokens, passwords, session cookies.
func TestLogsHoldNoIDsOrSecrets(t *testing.T) {
	var logs syncBuffer
	var down, lineDown atomic.Bool
	rdb, prefix, _ := redistest.Redis(t)
	sys, err := demo.Start(demo.Config{Redis: rdb, KeyPrefix: prefix,
		Log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		LineFaults: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if lineDown.Load() && strings.HasSuffix(r.URL.Path, "/linkToken") {
					// No answer: the SDK's error names the URL, whose path
					// holds the user id.
					c, _, _ := w.(http.Hijacker).Hijack()
					c.Close()
					return
				}
				h.ServeHTTP(w, r)
			})
		},
		MarketFaults: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if down.Load() && strings.HasPrefix(r.URL.Path, "/v1/accounts/") {
					// No answer at all: the client's error is about the connection.
					c, _, _ := w.(http.Hijacker).Hijack()
					c.Close()
					return
				}
				h.ServeHTTP(w, r)
			})
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()

	// A withdrawal, through a marketplace down for the first check.
	send(t, sys, sys.Emulator.Text(user, "退会したい"))
	var linkToken string
	for _, a := range sys.Emulator.Messages(user)[len(sys.Emulator.Messages(user))-1].Buttons() {
		if _, tok, ok := strings.Cut(a.URI, "linkToken="); ok {
			linkToken = tok
		}
	}
	down.Store(true)
	linkAs(t, sys, "acc_clean")
	down.Store(false)
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "もう一度確認する")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "理解して次へ進む")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "回答しない")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "退会する")))
	if sys.Sandbox.Filed() != 1 {
		t.Fatalf("filed %d; want 1", sys.Sandbox.Filed())
	}

	// Starting again (from the rich menu: typed, 退会したい just after a
	// filing gets its receipt) while LINE does not answer the link-token
	// call; an account-link event with a nonce the marketplace never issued.
	lineDown.Store(true)
	send(t, sys, sys.Emulator.Postback(user, flows.StartData))
	lineDown.Store(false)
	const nonce = "nonce-never-issued-Xq72"
	send(t, sys, sys.Emulator.AccountLink(user, nonce, true))

	// Events from ids that are not LINE's.
	badIDs := []string{"Uevil}{0123456789abcdef0123456789ab", "U" + strings.Repeat("f", 5000)}
	for _, id := range badIDs {
		send(t, sys, sys.Emulator.Text(id, "こんにちは"))
	}

	// Staff: guesses, a sign-in, a page, a sign-out.
	const guess = "guessed-token-Zq81"
	consolePost(t, sys, "/console/login", "", url.Values{"token": {guess}}, "")
	consoleGet(t, sys, "/console/", "Bearer "+guess)
	req, _ := http.NewRequest(http.MethodPost, sys.BotURL+"/console/login", strings.NewReader(url.Values{"token": {demo.ConsoleToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := staff.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "taikai_console" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no session cookie")
	}
	_, page := consoleGet(t, sys, "/console/", "Bearer "+demo.ConsoleToken)
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the overview")
	}
	for _, id := range badIDs {
		consoleGet(t, sys, "/console/conversations/"+url.PathEscape(id), "Bearer "+demo.ConsoleToken)
		consolePost(t, sys, "/console/conversations/"+url.PathEscape(id)+"/pause", "Bearer "+demo.ConsoleToken, url.Values{"csrf": {m[1]}}, "")
	}

	consoleSecret, _ := rdb.Get(context.Background(), prefix+"console:secret").Result()
	out := logs.String()
	for name, s := range map[string]string{
		"the LINE user id": user, "an account id": "acc_clean", "the link token": linkToken,
		"the channel secret": demo.ChannelSecret, "the access token": demo.AccessToken, "the marketplace token": demo.MarketToken,
		"the console token": demo.ConsoleToken, "a guessed token": guess, "the session cookie": cookie.Value,
		"the console secret": consoleSecret, "a malformed user id": badIDs[0], "a long malformed user id": badIDs[1][:100],
		"a link nonce": nonce,
	} {
		if s == "" {
			t.Errorf("%s: unknown to the test", name)
			continue
		}
		if strings.Contains(out, s) {
			t.Errorf("logs contain %s (%.40q)", name, s)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 2000 {
			t.Errorf("a log line of %d bytes: %.200s…", len(line), line)
		}
	}
	for _, want := range []string{`"user_sha256"`, `"msg":"console: sign-in refused"`, "unavailable",
		`"effect":"issue_link"`, `"msg":"withdrawal filed"`, `"account":"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s", want)
		}
	}
}
