package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/internal/redistest"
)

// TestWebChatWithdrawalByClicking runs the system as compose.yaml does —
// `taikai emulator`, `taikai sandbox` and `taikai serve` as processes, then
// `taikai setup -apply` — and completes a withdrawal in the emulator's web
// chat in a real headless Chromium, by clicking only: the rich menu, the
// login button, an account on the sandbox's login page, the way back to the
// chat, and the bot's buttons — those inside its messages, never the quick
// replies, as on LINE for PC, which shows none. With -update it rewrites
// docs/webchat.png.
func TestWebChatWithdrawalByClicking(t *testing.T) {
	if testing.Short() {
		t.Skip("browser")
	}
	chromium := need(t, "chromium")
	ctx := processDeadline(t, 3*time.Minute)
	bin := filepath.Join(t.TempDir(), "taikai")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/taikaibot/taikai/cmd/taikai").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	_, prefix, mr := redistest.Redis(t)
	redisURL := os.Getenv("REDIS_URL")
	if mr != nil {
		redisURL = "redis://" + mr.Addr()
	}
	emuPort, sbPort, botPort := freePort(t), freePort(t), freePort(t)
	// What the browser opens names localhost, as compose.yaml does: the
	// chat's cookie must be there again after the account-link dialog.
	emu, sb, bot := fmt.Sprintf("http://localhost:%d", emuPort), fmt.Sprintf("http://localhost:%d", sbPort), fmt.Sprintf("http://127.0.0.1:%d", botPort)
	const marketToken = "e2e-marketplace-token"
	start := func(name string, env ...string) *syncBuffer {
		cmd := exec.CommandContext(ctx, bin, name)
		cmd.Env = append(os.Environ(), env...)
		buf := &syncBuffer{}
		// Only its Write: the ReadFrom syncBuffer gets from bytes.Buffer
		// would skip its lock.
		w := struct{ io.Writer }{buf}
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return buf
	}
	emuLog := start("emulator", "LINE_CHANNEL_SECRET="+demo.ChannelSecret, "LINE_CHANNEL_ACCESS_TOKEN="+demo.AccessToken,
		"WEBHOOK_URL="+bot+"/callback", fmt.Sprintf("PORT=%d", emuPort))
	sbLog := start("sandbox", "MARKETPLACE_API_TOKEN="+marketToken, "LINE_ACCOUNT_LINK_URL="+emu+"/dialog/bot/accountLink", fmt.Sprintf("PORT=%d", sbPort))
	botLog := start("serve", "LINE_CHANNEL_SECRET="+demo.ChannelSecret, "LINE_CHANNEL_ACCESS_TOKEN="+demo.AccessToken,
		"LINE_API_BASE_URL="+emu, "MARKETPLACE_API_URL="+sb, "MARKETPLACE_API_TOKEN="+marketToken, "MARKETPLACE_LINK_URL="+sb+"/link",
		"REDIS_URL="+redisURL, "REDIS_KEY_PREFIX="+prefix, fmt.Sprintf("PORT=%d", botPort))
	waitHealthy(t, emu, emuLog)
	waitHealthy(t, sb, sbLog)
	waitHealthy(t, bot, botLog)
	defer func() {
		if t.Failed() {
			t.Logf("emulator log:\n%s\nbot log (tail):\n%s", tail(emuLog.String(), 3000), tail(botLog.String(), 3000))
		}
	}()
	setup := exec.CommandContext(ctx, bin, "setup", "-webhook-url", bot+"/callback", "-apply")
	setup.Env = append(os.Environ(), "LINE_CHANNEL_ACCESS_TOKEN="+demo.AccessToken, "LINE_API_BASE_URL="+emu)
	if out, err := setup.CombinedOutput(); err != nil || !strings.Contains(string(out), "test:          ok") {
		t.Fatalf("setup: %v\n%s", err, out)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(440, 900))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.Navigate(emu+"/")); err != nil {
		t.Fatalf("open the web chat: %v", err)
	}
	tctx, cancelT := context.WithTimeout(bctx, 90*time.Second)
	defer cancelT()
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tctx, steps...); err != nil {
			page, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: %v\npage:\n%s", what, err, page)
		}
	}
	// poll waits until a predicate holds on the page, across navigations
	// (a page being left takes its script context with it).
	poll := func(what, predicate string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := chromedp.Run(tctx, chromedp.Poll[bool](predicate, chromedp.WithPollingTimeout(time.Until(deadline))))
			if err == nil {
				return
			}
			if time.Now().After(deadline) || tctx.Err() != nil {
				page, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`document.body.innerText`))
				t.Fatalf("%s: %v\npage:\n%s", what, err, page)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// see waits until the page shows text.
	see := func(text string) {
		t.Helper()
		poll(fmt.Sprintf("waiting for %q", text), fmt.Sprintf(`document.body.innerText.includes(%q)`, text))
	}
	// press clicks, with the mouse, the latest visible button labelled
	// label that is not a quick reply.
	press := func(label string) {
		t.Helper()
		mark := fmt.Sprintf(`(() => {
			const els = [...document.querySelectorAll("[data-act]:not(.quick)")].filter(e => e.dataset.label === %q && e.offsetParent !== null);
			if (!els.length) return false;
			document.querySelectorAll("[data-press]").forEach(e => e.removeAttribute("data-press"));
			els[els.length - 1].setAttribute("data-press", "1");
			return true;
		})()`, label)
		poll(fmt.Sprintf("no button %q", label), mark)
		do("press "+label, chromedp.Click(`[data-press="1"]`))
	}

	see("友だち追加ありがとうございます")
	// The rich menu set by setup, its image loaded (and shown, for the screenshot).
	poll("the rich menu's image", `(() => { const i = document.querySelector("#richmenu.open img"); return !!i && i.complete && i.naturalWidth === 2500; })()`)
	if *update {
		png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(repo, "docs/webchat.png"), png, 0o644)
		}
		if err != nil {
			t.Errorf("screenshot: %v", err)
		}
	}

	press("退会の手続き") // the rich menu's left half
	see("ログインしてください")
	press("ログインして連携する") // opens the sandbox's login page in this tab
	do("log in on the sandbox", chromedp.WaitVisible(`button[value="acc_clean"]`), chromedp.Click(`button[value="acc_clean"]`))
	do("LINE's account-link dialog", chromedp.WaitVisible(`#back`), chromedp.Click(`#back`))
	see("アカウントの連携が完了しました")
	press("理解して次へ進む")
	press("使わなくなった")
	// Some reasons get a word of advice first, with a button to go on.
	poll("the confirmation, or advice", `[...document.querySelectorAll("[data-act]")].some(e => e.offsetParent !== null && ["退会する", "退会手続きを続ける"].includes(e.dataset.label))`)
	if advice, _ := chromedp.Run(tctx, chromedp.Evaluate[bool](`[...document.querySelectorAll("[data-act]")].some(e => e.offsetParent !== null && e.dataset.label === "退会手続きを続ける")`)); advice {
		press("退会手続きを続ける")
	}
	see("退会しますか")
	press("退会する")
	see("退会を受け付けました")

	if strings.Contains(emuLog.String(), "LINE rule broken") {
		t.Errorf("the bot broke LINE's rules:\n%s", emuLog.String())
	}
}
