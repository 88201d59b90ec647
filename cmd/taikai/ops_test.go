package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/internal/redistest"
	"github.com/taikaibot/taikai/lineemu"
	"github.com/taikaibot/taikai/marketplace/sandbox"
	"github.com/taikaibot/taikai/replica"
	"github.com/taikaibot/taikai/richmenu"
)

// runCmd runs the binary's run with args and env, returning its output.
func runCmd(t *testing.T, e map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	err := run(context.Background(), append([]string{"taikai"}, args...), env(e), nil, &out, &errs)
	return out.String() + errs.String(), err
}

func TestConfigReportsEveryProblemAtOnce(t *testing.T) {
	_, err := runCmd(t, map[string]string{"PORT": "eighty", "QUEUE_PARTITIONS": "0", "CONSOLE": "maybe", "REDIS_URL": "http://user:hunter2@x", "REDIS_AUTOPIPELINE": "yes"}, "serve")
	var ce *configError
	if !errors.As(err, &ce) {
		t.Fatalf("err %v; want a configError", err)
	}
	for _, want := range []string{"LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "PORT", "QUEUE_PARTITIONS", "CONSOLE=", "REDIS_URL", "REDIS_AUTOPIPELINE="} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems %q do not name %s", ce.problems, want)
		}
	}
	if len(ce.problems) != 7 {
		t.Errorf("%d problems; want 7, one line each: %q", len(ce.problems), ce.problems)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a password in REDIS_URL was shown: %v", err)
	}
}

// TestSettingsAreREADMEs keeps check's list of settings to README's
// Configuration table, both ways.
func TestSettingsAreREADMEs(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n## Configuration")
	section, _, _ = strings.Cut(section, "\n## ")
	inREADME := map[string]bool{}
	for _, l := range strings.Split(section, "\n") {
		if cells := strings.Split(l, "|"); len(cells) > 2 {
			for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]+)`").FindAllStringSubmatch(cells[1], -1) {
				inREADME[m[1]] = true
			}
		}
	}
	inCode := map[string]bool{}
	for _, s := range settings {
		inCode[s.name] = true
		if !inREADME[s.name] {
			t.Errorf("%s is not in README's Configuration table", s.name)
		}
	}
	for n := range inREADME {
		if !inCode[n] {
			t.Errorf("README's Configuration table has %s, which check does not show", n)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"redis://:hunter2@redis:6379/0":              "redis://:xxxxx@redis:6379/0",
		"rediss://default:hunter2@r.example:6380":    "rediss://default:xxxxx@r.example:6380",
		"redis://TOKEN123@redis:6379":                "redis://xxxxx@redis:6379",
		"https://m.example/api?api_key=abc&region=1": "https://m.example/api?api_key=xxxxx&region=1",
		"https://m.example/api":                      "https://m.example/api",
		"hunter2":                                    "(hidden: not a URL)",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestVersion(t *testing.T) {
	out, err := runCmd(t, nil, "version")
	if err != nil || !strings.HasPrefix(out, "taikai dev (revision unknown, ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("version: %q %v", out, err)
	}
	version, revision = "1.2.3", "abc123"
	defer func() { version, revision = "dev", "unknown" }()
	if out, _ := runCmd(t, nil, "version"); !strings.HasPrefix(out, "taikai 1.2.3 (revision abc123, ") {
		t.Errorf("stamped version: %q", out)
	}
}

func TestHealthcheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte("ok"))
		case "/slow":
			time.Sleep(3 * time.Second)
		default:
			http.Error(w, "redis unavailable", http.StatusServiceUnavailable)
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	e := map[string]string{"PORT": fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)}
	if out, err := runCmd(t, e, "healthcheck"); err != nil || out != "" {
		t.Errorf("healthy: %q %v; want silence and success", out, err)
	}
	if _, err := runCmd(t, e, "healthcheck", "-path", "/readyz"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("unready: %v; want an error with the 503", err)
	}
	start := time.Now()
	if _, err := runCmd(t, e, "healthcheck", "-path", "/slow"); err == nil || time.Since(start) > 2900*time.Millisecond {
		t.Errorf("slow: %v after %v; want a failure within about 2s", err, time.Since(start))
	}
	srv.Close()
	if _, err := runCmd(t, e, "healthcheck"); err == nil {
		t.Error("nothing listening: no error")
	}
	var ce *configError
	if _, err := runCmd(t, map[string]string{"PORT": "x"}, "healthcheck"); !errors.As(err, &ce) {
		t.Errorf("bad PORT: %v; want a configError", err)
	}
}

// stack is the LINE emulator and the sandbox marketplace on httptest
// servers, and a bot's webhook that answers 200.
type stack struct {
	emu        *lineemu.Emulator
	lineURL    string
	marketURL  string
	hook       *httptest.Server
	hookBodies chan string
}

const (
	testSecret      = "8c570fa6dd201bb328f1c1eac23a96d8"
	testToken       = "a-channel-access-token"
	testMarketToken = "a-marketplace-token"
)

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{hookBodies: make(chan string, 10)}
	s.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("x-line-signature") != lineemu.Sign(testSecret, b) {
			http.Error(w, "invalid signature", 400)
			return
		}
		s.hookBodies <- string(b)
	}))
	t.Cleanup(s.hook.Close)
	s.emu = lineemu.New(lineemu.Options{ChannelSecret: testSecret, AccessToken: testToken, AllowHTTPWebhook: true})
	line := httptest.NewServer(s.emu.Handler())
	t.Cleanup(line.Close)
	market := httptest.NewServer(sandbox.New(sandbox.Options{Token: testMarketToken}).Handler())
	t.Cleanup(market.Close)
	s.lineURL, s.marketURL = line.URL, market.URL
	return s
}

func (s *stack) env(extra ...string) map[string]string {
	e := map[string]string{
		"LINE_CHANNEL_SECRET": testSecret, "LINE_CHANNEL_ACCESS_TOKEN": testToken, "LINE_API_BASE_URL": s.lineURL,
		"MARKETPLACE_API_URL": s.marketURL, "MARKETPLACE_API_TOKEN": testMarketToken, "MARKETPLACE_LINK_URL": s.marketURL + "/link",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		e[extra[i]] = extra[i+1]
	}
	return e
}

func redisURL(t *testing.T) string {
	_, _, mr := redistest.Redis(t)
	if mr != nil {
		return "redis://" + mr.Addr()
	}
	return os.Getenv("REDIS_URL")
}

func TestCheckPassesAWorkingSetup(t *testing.T) {
	s := newStack(t)
	e := s.env("REDIS_URL", redisURL(t), "MARKETPLACE_CHECK_ACCOUNT", "acc_clean", "CONSOLE_USERS", "alice:a-long-password")
	s.emu.SetWebhookURL(s.hook.URL + "/callback")
	out, err := runCmd(t, e, "check")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Every setting is valid.",
		"  ok    marketplace  GET /v1/accounts/acc_clean/withdrawal-status: 200",
		"  ok    LINE         " + s.lineURL + " accepts the token: bot 退会サポート",
		"webhook endpoint " + s.hook.URL + "/callback, in use",
		"CONSOLE_USERS              alice:xxxxx",
		"All good.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check's report lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^  (ok  |warn)  Redis  `).MatchString(out) {
		t.Errorf("Redis not reached:\n%s", out)
	}
	// Without a test account, a 404 for a made-up one will do; without a
	// webhook endpoint, a warning.
	delete(e, "MARKETPLACE_CHECK_ACCOUNT")
	s.emu.SetWebhookURL("")
	out, err = runCmd(t, e, "check")
	if err != nil || !strings.Contains(out, "404 in") || !strings.Contains(out, "warn  LINE") || !strings.Contains(out, "no webhook endpoint set") {
		t.Errorf("check without MARKETPLACE_CHECK_ACCOUNT and a webhook: %v\n%s", err, out)
	}
}

// TestCheckReportsEverythingWrongInOneRun: a wrong LINE token, a Redis and
// a marketplace that do not answer, and bad settings, all in one report;
// no secret in it.
func TestCheckReportsEverythingWrongInOneRun(t *testing.T) {
	s := newStack(t)
	e := s.env("LINE_CHANNEL_ACCESS_TOKEN", "a-wrong-token-0123", "REDIS_URL", "redis://:hunter2-redis@127.0.0.1:1/0",
		"MARKETPLACE_API_URL", "http://127.0.0.1:1", "PORT", "eighty", "CONSOLE_TOKEN", "short", "RETRY_ATTEMPTS", "0")
	out, err := runCmd(t, e, "check")
	if err == nil {
		t.Fatalf("check passed:\n%s", out)
	}
	for _, want := range []string{
		"3 setting problem(s):", `✗ PORT="eighty"`, "✗ CONSOLE_TOKEN must be", "✗ RETRY_ATTEMPTS=",
		"  FAIL  Redis        redis://:xxxxx@127.0.0.1:1/0 does not answer",
		"  FAIL  marketplace  http://127.0.0.1:1 cannot be reached",
		"  FAIL  LINE         GET " + s.lineURL + "/v2/bot/info: 401: LINE did not accept LINE_CHANNEL_ACCESS_TOKEN",
		"6 problem(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"hunter2-redis", "a-wrong-token-0123", testSecret, testMarketToken, "short"} {
		if strings.Contains(out, secret) {
			t.Errorf("the report shows the secret %q:\n%s", secret, out)
		}
	}
	// A marketplace that takes another token.
	out, _ = runCmd(t, s.env("MARKETPLACE_API_TOKEN", "not-the-token"), "check")
	if !strings.Contains(out, "FAIL  marketplace  GET /v1/accounts/"+madeUpAccount+"/withdrawal-status: 401: the marketplace did not accept MARKETPLACE_API_TOKEN") {
		t.Errorf("a wrong marketplace token:\n%s", out)
	}
}

func TestSetupSetsTheWebhookAndTheRichMenuOnce(t *testing.T) {
	s := newStack(t)
	e := map[string]string{"LINE_CHANNEL_ACCESS_TOKEN": testToken, "LINE_API_BASE_URL": s.lineURL}
	hookURL := s.hook.URL + "/callback"
	// A foreign menu, and one an earlier setup made (another image).
	foreign := createMenu(t, s, "spring campaign")
	older := createMenu(t, s, menuPrefix+"000000000000")

	out, err := runCmd(t, e, "setup", "-webhook-url", hookURL)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	for _, want := range []string{
		"bot:           退会サポート (@000taikai)",
		"endpoint:      (none) → " + hookURL + " (would set)",
		"would create it, upload its image and make it the default",
		"would delete:  " + older, "left alone:    " + foreign,
		"Webhook redelivery: on. Whether it is on cannot be read through the API.",
		"3 change(s) to make: run again with -apply",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if s.emu.WebhookURL() != "" || len(s.emu.RichMenus()) != 2 {
		t.Fatalf("the dry run changed something: webhook %q, %d menus", s.emu.WebhookURL(), len(s.emu.RichMenus()))
	}
	if strings.Contains(out, "Use webhook") {
		t.Errorf("the dry run tells whether Use webhook is on before there is an endpoint:\n%s", out)
	}

	out, err = runCmd(t, e, "setup", "-webhook-url", hookURL, "-apply")
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if s.emu.WebhookURL() != hookURL || !strings.Contains(out, "Use webhook:   on") {
		t.Errorf("webhook %q; want %q, in use:\n%s", s.emu.WebhookURL(), hookURL, out)
	}
	select {
	case b := <-s.hookBodies:
		if b != `{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}` {
			t.Errorf("the webhook test sent %s", b)
		}
	default:
		t.Errorf("the webhook was not tested:\n%s", out)
	}
	m, img, ok := s.emu.DefaultRichMenu()
	if !ok {
		t.Fatalf("no default rich menu:\n%s", out)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width != 2500 || cfg.Height != 843 {
		t.Errorf("the menu's image: %v, %dx%d; want a 2500×843 PNG", err, cfg.Width, cfg.Height)
	}
	var got []string
	for _, a := range m.Areas {
		got = append(got, fmt.Sprintf("%s %s %d,%d %dx%d", a.Action.Label, a.Action.Data, a.Bounds.X, a.Bounds.Y, a.Bounds.Width, a.Bounds.Height))
	}
	want := []string{"退会の手続き a=start 0,0 1250x843", "担当者に相談 " + richmenu.StaffData + " 1250,0 1250x843"}
	if strings.Join(got, "|") != strings.Join(want, "|") || m.ChatBarText != "メニュー" || !strings.HasPrefix(m.Name, menuPrefix) {
		t.Errorf("menu %q %q, areas %q; want %q", m.Name, m.ChatBarText, got, want)
	}
	var names []string
	for _, rm := range s.emu.RichMenus() {
		names = append(names, rm.Name)
	}
	sort.Strings(names)
	if len(names) != 2 || names[0] != "spring campaign" || names[1] != m.Name {
		t.Errorf("menus after apply: %q; want the foreign one and the new one", names)
	}

	// Again: nothing changes (the webhook is tested again).
	out, err = runCmd(t, e, "setup", "-webhook-url", hookURL, "-apply")
	if err != nil || !strings.Contains(out, "Nothing to change.") || !strings.Contains(out, "(as wanted)") {
		t.Errorf("second apply: %v\n%s", err, out)
	}
	if m2, _, _ := s.emu.DefaultRichMenu(); m2.ID != m.ID || len(s.emu.RichMenus()) != 2 {
		t.Errorf("the second apply changed the menus")
	}
	if v := s.emu.Violations(); len(v) > 0 {
		t.Errorf("LINE rules broken: %q", v)
	}

	s.emu.SetWebhookActive(false)
	if out, _ := runCmd(t, e, "setup"); !strings.Contains(out, "Use webhook:   off: turn it on in LINE Developers console") {
		t.Errorf("Use webhook off is not reported:\n%s", out)
	}
	s.emu.SetWebhookActive(true)
	// LINE's own API takes only HTTPS endpoints: said before anything is asked.
	var ce *configError
	if _, err := runCmd(t, map[string]string{"LINE_CHANNEL_ACCESS_TOKEN": testToken}, "setup", "-webhook-url", "http://bot.example/callback"); !errors.As(err, &ce) || !strings.Contains(err.Error(), "HTTPS") {
		t.Errorf("an http endpoint for LINE: %v; want a configError", err)
	}

	// A bot that refuses the test's signature is reported.
	s.hook.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "invalid signature", 400) })
	if out, err := runCmd(t, e, "setup", "-apply"); err == nil || !strings.Contains(err.Error(), "LINE_CHANNEL_SECRET") {
		t.Errorf("a bot answering 400: %v\n%s", err, out)
	}
	if _, err := runCmd(t, map[string]string{"LINE_CHANNEL_ACCESS_TOKEN": "wrong", "LINE_API_BASE_URL": s.lineURL}, "setup"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a wrong token: %v", err)
	}
}

func createMenu(t *testing.T, s *stack, name string) string {
	t.Helper()
	body := fmt.Sprintf(`{"size":{"width":2500,"height":843},"selected":false,"name":%q,"chatBarText":"menu","areas":[{"bounds":{"x":0,"y":0,"width":2500,"height":843},"action":{"type":"message","text":"hi"}}]}`, name)
	req, _ := http.NewRequest("POST", s.lineURL+"/v2/bot/richmenu", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("create menu: %v %v", res, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	id := regexp.MustCompile(`richmenu-[0-9a-f]+`).FindString(string(b))
	img := new(bytes.Buffer)
	png.Encode(img, richmenuBlank())
	req, _ = http.NewRequest("POST", s.lineURL+"/v2/bot/richmenu/"+id+"/content", img)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "image/png")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("upload: %v %v", res, err)
	}
	return id
}

// TestTheRichMenusButtonsWork sets the rich menu up on the whole system
// and taps each area, as a user would: the bot must answer each postback.
func TestTheRichMenusButtonsWork(t *testing.T) {
	sys, err := demo.Start(demo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	out, err := runCmd(t, map[string]string{"LINE_CHANNEL_ACCESS_TOKEN": demo.AccessToken, "LINE_API_BASE_URL": sys.LineURL}, "setup", "-apply")
	if err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	m, _, ok := sys.Emulator.DefaultRichMenu()
	if !ok || len(m.Areas) != 2 {
		t.Fatalf("menu %+v", m)
	}
	for _, tc := range []struct {
		x, y int64
		want string
	}{{600, 400, "ログインしてください"}, {1900, 400, "担当者"}} {
		var data string
		for _, a := range m.Areas {
			if a.Bounds.Contains(tc.x, tc.y) {
				data = a.Action.Data
			}
		}
		before := len(sys.Emulator.Messages(demo.User))
		if code, err := sys.Emulator.Send(context.Background(), sys.Emulator.Postback(demo.User, data)); err != nil || code != 200 {
			t.Fatalf("tap: %d %v", code, err)
		}
		sys.Wait()
		msgs := sys.Emulator.Messages(demo.User)[before:]
		var said []string
		for _, msg := range msgs {
			said = append(said, msg.Shown())
		}
		if !strings.Contains(strings.Join(said, "\n"), tc.want) {
			t.Errorf("tapping (%d,%d) (postback %q): the bot said %q; want %q", tc.x, tc.y, data, said, tc.want)
		}
	}
	if v := sys.Emulator.Violations(); len(v) > 0 {
		t.Errorf("LINE rules broken: %q", v)
	}
}

// TestErase erases one user in the middle of a withdrawal, with a case card
// in the console, a handoff, a memory under their pseudonym and an event
// still waiting, and leaves another user alone.
func TestErase(t *testing.T) {
	rdb, prefix, mr := redistest.Redis(t)
	url := os.Getenv("REDIS_URL")
	if mr != nil {
		url = "redis://" + mr.Addr()
	}
	sys, err := demo.Start(demo.Config{Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	ctx := context.Background()
	other := "U0000000000000000000000000000000a"
	for _, ev := range []lineemu.Event{
		sys.Emulator.Text(demo.User, "退会したい"), sys.Emulator.Text(other, "退会したい"), sys.Emulator.Text(demo.User, "担当者"),
	} {
		if code, err := sys.Emulator.Send(ctx, ev); err != nil || code != 200 {
			t.Fatal(code, err)
		}
		sys.Wait()
	}
	// Staff wrote a note on the case: it goes with the case.
	if err := sys.Replicas[0].Journal.AddNote(ctx, demo.User, "bob", "電話で連絡済み"); err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, replica.PseudonymKey(demo.ChannelSecret))
	m.Write([]byte(demo.User))
	hash := hex.EncodeToString(m.Sum(nil))
	memo := prefix + "memo:filed:" + hash
	rdb.Set(ctx, memo, "receipt", time.Hour)
	// A reminder the user asked for (and another user's).
	later := time.Now().Add(48 * time.Hour)
	sys.Replicas[0].Reminders.Remind(ctx, demo.User, later)
	sys.Replicas[0].Reminders.Remind(ctx, other, later)
	// An event taken by the webhook and not processed yet.
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: prefix + "{p9}:stream", Values: map[string]any{"id": "x", "key": demo.User, "raw": `{"message":{"text":"secret"}}`}})

	userKeys := func(u string) []string {
		keys, err := scanKeys(ctx, rdb, glob(prefix)+"*")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range keys {
			if strings.Contains(k, u) || u == demo.User && k == memo {
				out = append(out, k)
			}
		}
		return out
	}
	if !slices.ContainsFunc(userKeys(demo.User), func(k string) bool { return strings.HasSuffix(k, ":notes") }) {
		t.Fatalf("no notes among the user's keys: %q", userKeys(demo.User))
	}
	if n := len(userKeys(demo.User)); n < 5 {
		t.Fatalf("only %d keys of the user before erasing: %q", n, userKeys(demo.User))
	}
	kept := userKeys(other)
	// The console's indexes that name the user: a member, or a search
	// key's value.
	indexed := func() []string {
		var out []string
		for _, k := range userKeys("") {
			if !strings.Contains(k, "console:") {
				continue
			}
			switch typ, _ := rdb.Type(ctx, k).Result(); typ {
			case "zset":
				if _, err := rdb.ZScore(ctx, k, demo.User).Result(); err == nil {
					out = append(out, k)
				}
			case "string":
				if v, _ := rdb.Get(ctx, k).Result(); v == demo.User {
					out = append(out, k)
				}
			case "hash":
				vs, _ := rdb.HVals(ctx, k).Result()
				if slices.Contains(vs, demo.User) {
					out = append(out, k)
				}
			}
		}
		return out
	}
	sys.Replicas[0].Journal.Flush(ctx)
	if n := len(indexed()); n < 3 {
		t.Fatalf("%d console indexes name the user before erasing: %q; want the conversations, the queue, search…", n, indexed())
	}

	e := map[string]string{"REDIS_URL": url, "REDIS_KEY_PREFIX": prefix, "LINE_CHANNEL_SECRET": demo.ChannelSecret}
	var ce *configError
	if _, err := runCmd(t, e, "erase", demo.User); !errors.As(err, &ce) || !strings.Contains(err.Error(), "-by") {
		t.Errorf("without -by or $USER: %v; want a configError", err)
	}
	e["USER"] = "alice"
	out, err := runCmd(t, e, "erase", "-ticket", "REQ-42", demo.User)
	if err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	if left := userKeys(demo.User); len(left) > 0 {
		t.Errorf("left after erasing: %q\n%s", left, out)
	}
	// No index of the console names the user any more.
	if left := indexed(); len(left) > 0 {
		t.Errorf("the console's indexes still name the user: %q", left)
	}
	if n, _ := rdb.XLen(ctx, prefix+"{p9}:stream").Result(); n != 0 {
		t.Error("the waiting event was not erased")
	}
	if _, err := rdb.ZScore(ctx, prefix+"reminders", demo.User).Result(); err != redis.Nil || !strings.Contains(out, "the reminder") {
		t.Errorf("the user's reminder was not erased (%v)", err)
	}
	if _, err := rdb.ZScore(ctx, prefix+"reminders", other).Result(); err != nil {
		t.Errorf("the other user's reminder: %v", err)
	}
	if got := userKeys(other); strings.Join(got, " ") != strings.Join(kept, " ") || len(got) == 0 {
		t.Errorf("the other user's keys: %q; want %q", got, kept)
	}
	if !strings.Contains(out, "1 event(s) of the user were waiting") || !strings.Contains(out, "by alice") || !strings.Contains(out, memo) {
		t.Errorf("erase's report:\n%s", out)
	}
	log, err := rdb.XRange(ctx, prefix+"erasures", "-", "+").Result()
	if err != nil || len(log) != 1 || log[0].Values["by"] != "alice" || log[0].Values["ticket"] != "REQ-42" {
		t.Fatalf("erasure log %v %v", log, err)
	}
	for k, v := range log[0].Values {
		if s := fmt.Sprint(v); strings.Contains(s, demo.User) || strings.Contains(s, hash) {
			t.Errorf("the erasure log's %s names the user: %q", k, s)
		}
	}
	out, err = runCmd(t, e, "erase", "-log")
	if err != nil || !strings.Contains(out, `by alice  ticket "REQ-42"`) {
		t.Errorf("erase -log: %v\n%s", err, out)
	}
}

// TestStandInCommands runs `taikai emulator` and `taikai sandbox` as
// compose.yaml does, on their ports.
func TestStandInCommands(t *testing.T) {
	var ce *configError
	if _, err := runCmd(t, nil, "emulator"); !errors.As(err, &ce) || len(ce.problems) != 2 {
		t.Errorf("emulator without its settings: %v; want both named", err)
	}
	if _, err := runCmd(t, map[string]string{"LINE_ACCOUNT_LINK_URL": "nope"}, "sandbox"); !errors.As(err, &ce) || len(ce.problems) != 2 {
		t.Errorf("sandbox without its settings: %v; want both named", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	start := func(e map[string]string, cmd string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out bytes.Buffer
			if err := run(ctx, []string{"taikai", cmd}, env(e), nil, &out, &out); err != nil {
				t.Errorf("%s: %v\n%s", cmd, err, out.String())
			}
		}()
	}
	emuPort, sbPort := freePort(t), freePort(t)
	start(map[string]string{"LINE_CHANNEL_SECRET": testSecret, "LINE_CHANNEL_ACCESS_TOKEN": testToken, "PORT": fmt.Sprint(emuPort), "WEBHOOK_URL": "http://127.0.0.1:1/callback"}, "emulator")
	start(map[string]string{"MARKETPLACE_API_TOKEN": testMarketToken, "PORT": fmt.Sprint(sbPort), "LINE_ACCOUNT_LINK_URL": fmt.Sprintf("http://localhost:%d/dialog/bot/accountLink", emuPort)}, "sandbox")
	defer func() { cancel(); wg.Wait() }()
	for _, p := range []int{emuPort, sbPort} {
		if _, err := runCmdUntil(t, map[string]string{"PORT": fmt.Sprint(p)}, "healthcheck"); err != nil {
			t.Fatalf("port %d not healthy: %v", p, err)
		}
	}
	get := func(u string, header ...string) (int, string) {
		req, _ := http.NewRequest("GET", u, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	emu, sb := fmt.Sprintf("http://127.0.0.1:%d", emuPort), fmt.Sprintf("http://127.0.0.1:%d", sbPort)
	if code, body := get(emu + "/"); code != 200 || !strings.Contains(body, `id="log"`) || !strings.Contains(body, "ボットが Webhook を受け取りませんでした") && !strings.Contains(body, "Webhook を送れませんでした") {
		t.Errorf("web chat: %d (with no bot, a note that the follow was not taken)\n%s", code, body)
	}
	if code, body := get(emu+"/v2/bot/info", "Authorization", "Bearer "+testToken); code != 200 || !strings.Contains(body, "退会サポート") {
		t.Errorf("bot info: %d %s", code, body)
	}
	if code, body := get(emu+"/v2/bot/channel/webhook/endpoint", "Authorization", "Bearer "+testToken); code != 200 || !strings.Contains(body, "127.0.0.1:1/callback") {
		t.Errorf("webhook from WEBHOOK_URL: %d %s", code, body)
	}
	if code, body := get(sb + "/link?linkToken=abc"); code != 200 || !strings.Contains(body, "acc_clean") {
		t.Errorf("sandbox link page: %d\n%s", code, body)
	}
	if code, _ := get(sb+"/v1/accounts/acc_clean/withdrawal-status", "Authorization", "Bearer "+testMarketToken); code != 200 {
		t.Errorf("sandbox API: %d", code)
	}
}

func richmenuBlank() image.Image { return image.NewGray(image.Rect(0, 0, 2500, 843)) }

// runCmdUntil runs a command until it succeeds, for 10 seconds.
func runCmdUntil(t *testing.T, e map[string]string, args ...string) (string, error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := runCmd(t, e, args...)
		if err == nil || time.Now().After(deadline) {
			return out, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
