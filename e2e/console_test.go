package e2e

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/taikaibot/taikai/demo"
)

// staff is an HTTP client that does not follow redirects, so tests see them.
var staff = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func consoleGet(t *testing.T, sys *demo.System, path, auth string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, sys.BotURL+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := staff.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func consolePost(t *testing.T, sys *demo.System, path, auth string, form url.Values, origin string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, sys.BotURL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := staff.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

const bearer = "Bearer " + demo.ConsoleToken

func TestConsoleRefusesStrangers(t *testing.T) {
	sys := startSystem(t)
	if code, _ := consoleGet(t, sys, "/console/", ""); code != http.StatusSeeOther {
		t.Errorf("no credentials: %d; want a redirect to sign-in", code)
	}
	for _, auth := range []string{"Bearer wrong-token", "Basic " + "YWxpY2U6d3Jvbmc="} {
		if code, _ := consoleGet(t, sys, "/console/", auth); code != http.StatusUnauthorized {
			t.Errorf("%s: %d; want 401", auth, code)
		}
	}
	if code := consolePost(t, sys, "/console/login", "", url.Values{"token": {"wrong"}}, ""); code != http.StatusSeeOther {
		t.Errorf("wrong sign-in: %d", code)
	}
	if code := consolePost(t, sys, "/console/conversations/"+user+"/pause", "", url.Values{}, ""); code != http.StatusUnauthorized {
		t.Errorf("anonymous pause: %d; want 401", code)
	}
}

func TestConsoleRejectsCSRF(t *testing.T) {
	sys := startSystem(t)
	send(t, sys, sys.Emulator.Text(user, "退会したい"))
	_, page := consoleGet(t, sys, "/console/conversations/"+user, bearer)
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the case page:\n%s", page)
	}
	path := "/console/conversations/" + user + "/pause"
	if code := consolePost(t, sys, path, bearer, url.Values{}, ""); code != http.StatusForbidden {
		t.Errorf("no token: %d; want 403", code)
	}
	if code := consolePost(t, sys, path, bearer, url.Values{"csrf": {"0000"}}, ""); code != http.StatusForbidden {
		t.Errorf("wrong token: %d; want 403", code)
	}
	if code := consolePost(t, sys, path, bearer, url.Values{"csrf": {m[1]}}, "https://evil.example"); code != http.StatusForbidden {
		t.Errorf("foreign origin: %d; want 403", code)
	}
	if code := consolePost(t, sys, path, bearer, url.Values{"csrf": {m[1]}}, ""); code != http.StatusSeeOther {
		t.Errorf("right token: %d; want 303", code)
	}
}

func TestHandoffToStaffAndBack(t *testing.T) {
	sys := startSystem(t)
	send(t, sys, sys.Emulator.Text(user, "退会したい"))
	linkAs(t, sys, "acc_clean")
	// The user asks for a person from the warning step.
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "担当者に相談する")))
	got := texts(sys)
	if !strings.Contains(got[len(got)-1], "担当者におつなぎします") {
		t.Fatalf("asking for staff: %q", got[len(got)-1])
	}
	_, list := consoleGet(t, sys, "/console/conversations", bearer)
	row := regexp.MustCompile(`(?s)<tr data-user="` + user + `">.*?</tr>`).FindString(list)
	if !strings.Contains(row, `<td class="stuck">担当者待ち</td>`) {
		t.Fatalf("the conversations list does not show the user waiting for staff: %q", row)
	}

	_, page := consoleGet(t, sys, "/console/conversations/"+user, bearer)
	csrf := csrfRe.FindStringSubmatch(page)[1]
	if code := consolePost(t, sys, "/console/conversations/"+user+"/pause", bearer, url.Values{"csrf": {csrf}}, ""); code != http.StatusSeeOther {
		t.Fatalf("pause: %d", code)
	}
	got = texts(sys)
	if !strings.Contains(got[len(got)-1], "担当者がこのトークでお答えします") {
		t.Fatalf("paused: the user was told %q", got[len(got)-1])
	}
	before := len(got)
	send(t, sys, sys.Emulator.Text(user, "電話で話せますか"), sys.Emulator.Sticker(user))
	if n := len(texts(sys)); n != before {
		t.Fatalf("the bot answered %d messages while staff had the conversation", n-before)
	}
	if code := consolePost(t, sys, "/console/conversations/"+user+"/resume", bearer, url.Values{"csrf": {csrf}}, ""); code != http.StatusSeeOther {
		t.Fatalf("resume: %d", code)
	}
	got = texts(sys)
	if !strings.Contains(got[len(got)-2], "担当者との対応を終了しました") || !strings.Contains(got[len(got)-1], "必ずご確認") {
		t.Fatalf("resumed: %q; want a note and the same step (the warning)", got[len(got)-2:])
	}
	// The conversation goes on from there.
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "理解して次へ進む")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "使わなくなった")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "退会手続きを続ける")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "退会する")))
	if sys.Sandbox.Filed() != 1 {
		t.Fatalf("filed %d; want 1", sys.Sandbox.Filed())
	}

	// After the withdrawal only the audit record stays.
	if code, _ := consoleGet(t, sys, "/console/conversations/"+user, bearer); code != http.StatusNotFound {
		t.Errorf("case card after withdrawal: %d; want it erased (404)", code)
	}
	_, audit := consoleGet(t, sys, "/console/audit", bearer)
	for _, want := range []string{"acc_clean", "wd-000001", "taikai-line-", "使わなくなった"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit lacks %q", want)
		}
	}
	_, overview := consoleGet(t, sys, "/console/?days=1", bearer)
	for _, want := range []string{`data-funnel="started">1<`, `data-funnel="filed">1<`, `data-conv="filed">100.0%<`,
		`data-total="handed_off">1<`, `data-reason="not_using">1<`, `data-outcome="filed">1<`} {
		if !strings.Contains(overview, want) {
			t.Errorf("overview lacks %s", want)
		}
	}
	noViolations(t, sys)

	_, metrics := consoleGet(t, sys, "/metrics", "")
	for _, want := range []string{
		`taikai_funnel_transitions_total{transition="filed"} 1`,
		`taikai_filings_total{outcome="filed"} 1`,
		`taikai_reasons_total{code="not_using"} 1`,
		`taikai_webhook_requests_total{outcome="ok"}`,
		`taikai_outbound_requests_total`,
		`taikai_queue_events{state="backlog"} 0`,
		`taikai_conversations{step="idle"}`,
		`taikai_event_processing_seconds_bucket`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
