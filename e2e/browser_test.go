package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/taikaibot/taikai/demo"
)

// TestConsoleInABrowser drives the console in a real headless Chromium: sign
// in, see a conversation made through the LINE emulator, pause and resume
// it, and read the funnel on the overview. With -update it also rewrites the
// README's screenshots (docs/console.png, docs/console-case.png).
func TestConsoleInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser")
	}
	chromium := need(t, "chromium")
	sys := startSystem(t)
	send(t, sys, sys.Emulator.Text(user, "退会したい"))
	linkAs(t, sys, "acc_buyer")
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "担当者に相談する")))

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	// The browser lives as long as this context: it is killed at the deadline.
	actx, cancelA := chromedp.NewExecAllocator(processDeadline(t, 2*time.Minute), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first run starts the browser; it gets no timeout of its own (that
	// would stop the browser when it ends).
	if err := chromedp.Do(ctx, chromedp.Navigate(sys.BotURL+"/console/")); err != nil {
		t.Fatalf("open the console: %v", err)
	}
	tctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
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
	shot := func(name string) {
		if !*update {
			return
		}
		if png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100)); err == nil {
			if err := os.WriteFile(filepath.Join(repo, name), png, 0o644); err != nil {
				t.Errorf("screenshot: %v", err)
			}
		}
	}

	do("sign in",
		chromedp.WaitVisible(`input[name="token"]`),
		chromedp.SendKeys(`input[name="token"]`, demo.ConsoleToken),
		chromedp.Click(`#signin`),
		chromedp.WaitVisible(`#funnel`))
	if started, handed := text(`td[data-funnel="開始"]`), text(`td[data-funnel="担当者依頼"]`); started != "1" || handed != "1" {
		t.Errorf("funnel: started %q, handed off %q; want 1 and 1", started, handed)
	}
	shot("docs/console.png")

	do("open the case",
		chromedp.Navigate(sys.BotURL+"/console/conversations"),
		chromedp.WaitVisible(`#cases`))
	if list := text(`#cases`); !strings.Contains(list, "担当者待ち") {
		t.Errorf("conversations list: %q; want the user waiting for staff", list)
	}
	do("pause",
		chromedp.Click(`tr[data-user="`+user+`"] a`),
		chromedp.WaitVisible(`#pause`),
		chromedp.Click(`#pause`),
		chromedp.WaitVisible(`#done`))
	if h := text(`#handoff`); !strings.Contains(h, "対応中") {
		t.Errorf("after pause the case says %q", h)
	}
	wait(t, sys)
	got := texts(sys)
	if !strings.Contains(got[len(got)-1], "担当者がこのトークでお答えします") {
		t.Errorf("the user was not told that a person answers: %q", got[len(got)-1])
	}
	shot("docs/console-case.png")

	do("resume", chromedp.Click(`#resume`), chromedp.WaitVisible(`#pause`))
	wait(t, sys)
	got = texts(sys)
	// The note, then the blocked step: its head, the blockers' cards, its buttons.
	if !strings.Contains(got[len(got)-4], "担当者との対応を終了しました") || !strings.Contains(got[len(got)-1], "もう一度確認する") {
		t.Errorf("resumed: the user saw %q; want a note and the blocked step again", got[len(got)-4:])
	}
	noViolations(t, sys)
}
