package e2e

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/taikaibot/taikai/demo"
)

// TestConsoleInABrowser drives the console in a real headless Chromium, on
// 90 days of simulated history plus the demo user, as the support lead
// would each morning: sign in, read the conversion figures, find a case by
// the user's account, write a note, pause the bot, reply, hand back, export
// the figures and the audit as CSV, and watch the queue update itself. On
// the way it checks the pages' accessibility (headings, captions, labels,
// chart alternatives, the keyboard's path) and takes screenshots of the
// overview and the case card, checked for size and content; with -update
// they are written for the README (docs/console.png, docs/console-case.png,
// docs/console-queue.png).
func TestConsoleInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser")
	}
	chromium := need(t, "chromium")
	sys := startSystem(t)
	if _, err := sys.FillHistory(context.Background(), 90, 1); err != nil {
		t.Fatal(err)
	}
	send(t, sys, sys.Emulator.Text(user, "退会したい"))
	linkAs(t, sys, "acc_buyer")

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "ja-JP"), chromedp.Flag("accept-lang", "ja-JP,ja"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1100))
	// The browser lives as long as this context: it is killed at the deadline.
	actx, cancelA := chromedp.NewExecAllocator(processDeadline(t, 3*time.Minute), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first run starts the browser; it gets no timeout of its own (that
	// would stop the browser when it ends).
	if err := chromedp.Do(ctx, chromedp.Navigate(sys.BotURL+"/console/")); err != nil {
		t.Fatalf("open the console: %v", err)
	}
	tctx, cancelT := context.WithTimeout(ctx, 150*time.Second)
	defer cancelT()
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(tctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(tctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("evaluate %.60s…: %v", js, err)
		}
		return s
	}
	shot := func(name string, full bool) {
		t.Helper()
		take := chromedp.CaptureScreenshot()
		if full {
			take = chromedp.FullScreenshot(100)
		}
		b, err := chromedp.Run(tctx, take)
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		checkScreenshot(t, name, b)
		if *update {
			if err := os.WriteFile(filepath.Join(repo, name), b, 0o644); err != nil {
				t.Errorf("screenshot: %v", err)
			}
		}
	}
	a11y := func(page string) {
		t.Helper()
		if p := eval(a11yScript); p != "" {
			t.Errorf("%s: accessibility: %s", page, p)
		}
	}

	do("sign in",
		chromedp.WaitVisible(`input[name="token"]`),
		chromedp.SendKeys(`input[name="token"]`, demo.ConsoleToken),
		chromedp.Click(`#signin`),
		chromedp.WaitVisible(`#funnel`))
	if lang := eval(`document.documentElement.lang`); lang != "ja" {
		t.Fatalf("the console speaks %q to a Japanese browser", lang)
	}

	// The overview: conversions at each stage, the biggest drop marked,
	// the history marked as demo data.
	started, _ := strconv.Atoi(text(`td[data-funnel="started"]`))
	filed, _ := strconv.Atoi(text(`td[data-funnel="filed"]`))
	if started < 200 || filed < 50 || filed >= started {
		t.Errorf("funnel: %d started, %d filed; want a month of simulated history", started, filed)
	}
	for _, stage := range []string{"linked", "checked", "clear", "warned", "reason", "confirmed", "filed"} {
		if c := text(`td[data-conv="` + stage + `"]`); !regexp.MustCompile(`^\d{1,3}\.\d%$`).MatchString(c) {
			t.Errorf("conversion to %s: %q", stage, c)
		}
	}
	if b := text(`tr.biggest th`); !strings.Contains(b, "最大の離脱") {
		t.Errorf("the biggest drop is not marked: %q", b)
	}
	if d := text(`.demo`); !strings.Contains(d, "デモデータ") {
		t.Errorf("the simulated history is not marked: %q", d)
	}
	if w := text(`#waiting-now`); w != "3" {
		t.Errorf("waiting now: %q; want the 3 simulated", w)
	}
	if m := text(`#clearance-table tr[data-kind="any"]`); !strings.Contains(m, "約") {
		t.Errorf("no median days to clear: %q", m)
	}
	a11y("overview")
	keyboardPath(t, tctx, eval)
	do("a whole quarter", chromedp.Navigate(sys.BotURL+"/console/?days=90"), chromedp.WaitVisible(`#funnel`))
	shot("docs/console.png", true)

	// Export the quarter's figures as CSV, as the form on the overview does
	// (fetch's text drops the byte order mark).
	csv := eval(`fetch("/console/export/funnel.csv?from=" + document.getElementById("ef-from").value + "&to=" + document.getElementById("ef-to").value).then(r => r.text())`)
	if lines := strings.Split(strings.TrimSpace(csv), "\n"); len(lines) != 91 || !strings.HasPrefix(lines[0], "日付,会話数: 手続き開始") {
		t.Errorf("funnel.csv: %d lines, header %.60q", len(lines), lines[0])
	}

	// The demo user asks for a person; the conversations page hears of it
	// without being reloaded.
	do("the conversations", chromedp.Navigate(sys.BotURL+"/console/conversations"), chromedp.WaitVisible(`#queue`))
	a11y("conversations")
	before := text(`#live-count`)
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "担当者に相談する")))
	do("the queue updates itself", chromedp.WaitVisible(`#queue tr[data-user="`+user+`"]`))
	if after := text(`#live-count`); after == before || !strings.Contains(after, "担当者待ち 4件") {
		t.Errorf("live count: %q, then %q; want 4 waiting", before, after)
	}
	shot("docs/console-queue.png", false) // the top of the page: the queue

	// Find the case by the user's marketplace account.
	do("search",
		chromedp.SendKeys(`#q`, "acc_buyer"),
		chromedp.Click(`#search`),
		chromedp.WaitVisible(`#blockers`))
	if h := text(`h1`); !strings.Contains(h, user[:12]) {
		t.Fatalf("search for acc_buyer opened %q", h)
	}
	if b := text(`#blockers`); !strings.Contains(b, "注文番号") {
		t.Errorf("blockers: %q; want the orders", b)
	}
	if s := text(`#said`); !strings.Contains(s, "担当者におつなぎします") {
		t.Errorf("what the bot said last: %q", s)
	}
	a11y("case")

	do("write a note",
		chromedp.SendKeys(`#note-text`, "購入者に連絡済み。納品確認を待つ。"),
		chromedp.Click(`#save-note`),
		chromedp.WaitVisible(`#done`))
	if n := text(`#notes`); !strings.Contains(n, "購入者に連絡済み") {
		t.Errorf("notes: %q", n)
	}
	do("pause", chromedp.Click(`#pause`), chromedp.WaitVisible(`#reply-text`))
	if h := text(`#handoff`); !strings.Contains(h, "対応中") {
		t.Errorf("after pause the case says %q", h)
	}
	wait(t, sys)
	got := texts(sys)
	if !strings.Contains(got[len(got)-1], "担当者がこのトークでお答えします") {
		t.Errorf("the user was not told that a person answers: %q", got[len(got)-1])
	}
	do("reply",
		chromedp.SendKeys(`#reply-text`, "担当の者です。出品者に納品の状況を確認しますので、少しお待ちください。"),
		chromedp.Click(`#send-reply`),
		chromedp.WaitVisible(`#staff-said`))
	msgs := sys.Emulator.Messages(user)
	last := msgs[len(msgs)-1]
	if last.Via != "push" || !strings.Contains(last.Shown(), "出品者に納品の状況を確認します") || len(last.Buttons()) != 1 || last.Buttons()[0].Label != "ボットに戻る" {
		t.Errorf("the user got %+v; want staff's text by push with ボットに戻る", last)
	}
	if sys.Emulator.QuotaUsed() < 2 {
		t.Errorf("%d pushes counted; want the pause notice and the reply", sys.Emulator.QuotaUsed())
	}
	shot("docs/console-case.png", true)

	do("resume", chromedp.Click(`#resume`), chromedp.WaitVisible(`#pause`))
	wait(t, sys)
	got = texts(sys)
	if !strings.Contains(strings.Join(got[len(got)-4:], "\n"), "担当者との対応を終了しました") {
		t.Errorf("resumed: the user saw %q; want a note and the step again", got[len(got)-4:])
	}

	// The audit: who did what, and its export.
	do("audit", chromedp.Navigate(sys.BotURL+"/console/audit"), chromedp.WaitVisible(`#audit`))
	a11y("audit")
	audit := eval(`fetch("/console/export/audit.csv").then(r => r.text())`)
	for _, want := range []string{"メモ", "ボット停止", "返信", "ボットに戻す", "退会受付", "token"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit.csv lacks %q", want)
		}
	}
	noViolations(t, sys)
}

// checkScreenshot checks a screenshot is a page, not a blank: big enough,
// and with enough drawn on it.
func checkScreenshot(t *testing.T, name string, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	r := img.Bounds()
	if r.Dx() < 1200 || r.Dy() < 800 {
		t.Errorf("%s is %dx%d; want at least 1200x800", name, r.Dx(), r.Dy())
	}
	colours := map[uint32]bool{}
	ink := 0
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			colours[(cr>>11)<<10|(cg>>11)<<5|cb>>11] = true
			if cr>>8 < 200 || cg>>8 < 200 || cb>>8 < 200 {
				ink++
			}
		}
	}
	samples := (r.Dx() / 3) * (r.Dy() / 3)
	if len(colours) < 50 || ink < samples/50 {
		t.Errorf("%s looks blank: %d colours, %d of %d samples drawn", name, len(colours), ink, samples)
	}
}

// a11yScript checks the page as a screen reader and a keyboard find it:
// one h1 and no heading level skipped; a caption on every table; a label
// on every field; a title and a description on every chart; a name on
// every link and button; no positive tabindex. It returns the problems.
const a11yScript = `(() => {
  const p = [];
  const hs = [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")];
  if (document.querySelectorAll("h1").length !== 1) p.push("h1 count " + document.querySelectorAll("h1").length);
  let last = 0;
  for (const h of hs) { const l = +h.tagName[1]; if (l > last + 1) p.push("skipped to " + h.tagName + " " + h.textContent.slice(0, 20)); last = l; }
  for (const t of document.querySelectorAll("table")) if (!t.caption || !t.caption.textContent.trim()) p.push("table without caption");
  for (const f of document.querySelectorAll("input:not([type=hidden]),textarea,select"))
    if (!(f.labels && f.labels.length) && !f.getAttribute("aria-label")) p.push("field without label " + f.name);
  for (const s of document.querySelectorAll("svg[role=img]"))
    if (!s.querySelector("title") || !s.querySelector("desc")) p.push("chart without title/desc");
  for (const e of document.querySelectorAll("a[href],button"))
    if (!(e.textContent.trim() || e.getAttribute("aria-label"))) p.push("unnamed " + e.tagName);
  for (const e of document.querySelectorAll("[tabindex]")) if (+e.getAttribute("tabindex") > 0) p.push("positive tabindex");
  if (!document.documentElement.lang) p.push("no lang");
  return p.join("; ");
})()`

// keyboardPath walks the overview with the Tab key: the skip link comes
// first and takes focus to the content; then the menu, in reading order;
// every stop is visible and named.
func keyboardPath(t *testing.T, ctx context.Context, eval func(string) string) {
	t.Helper()
	focused := func() string {
		return eval(`(() => { const e = document.activeElement; const r = e.getBoundingClientRect();
			return e.tagName + "|" + (e.textContent.trim() || e.getAttribute("aria-label") || e.name || "") + "|" + (r.width > 0 && r.height > 0) })()`)
	}
	eval(`(() => { document.activeElement.blur(); window.scrollTo(0, 0); return "" })()`)
	var path []string
	for i := 0; i < 7; i++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		f := focused()
		if !strings.HasSuffix(f, "|true") || strings.Contains(f, "||") {
			t.Errorf("tab stop %d is hidden or unnamed: %s", i+1, f)
		}
		path = append(path, strings.TrimSuffix(f, "|true"))
	}
	want := []string{"A|本文へスキップ", "A|taikai コンソール", "A|概要", "A|会話", "A|監査", "A|担当者待ち 3件", "BUTTON|ログアウト（token）"}
	if strings.Join(path, " → ") != strings.Join(want, " → ") {
		t.Errorf("the keyboard's path:\n %s\nwant\n %s", strings.Join(path, " → "), strings.Join(want, " → "))
	}
	// The skip link takes focus to the content.
	eval(`(() => { document.querySelector(".skip").focus(); return "" })()`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	if f := eval(`document.activeElement.id`); f != "main" {
		t.Errorf("the skip link took focus to %q; want main", f)
	}
}
