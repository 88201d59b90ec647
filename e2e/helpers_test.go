package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/internal/redistest"
	"github.com/taikaibot/taikai/lineemu"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in ../testdata/conversations and the console screenshots in ../docs")

// repo is the repository's root, seen from this package's directory, where
// `go test` runs it.
const repo = ".."

func startSystem(t *testing.T) *demo.System { return startSystemWith(t, demo.Config{}) }

// startSystemWith starts the whole system on the test's Redis (REDIS_URL or
// the embedded one).
func startSystemWith(t *testing.T, cfg demo.Config) *demo.System {
	t.Helper()
	if cfg.Redis == nil {
		cfg.Redis, cfg.KeyPrefix, _ = redistest.Redis(t)
	}
	sys, err := demo.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	return sys
}

const user = demo.User

// texts returns the text of every message user received.
func texts(sys *demo.System) []string {
	var out []string
	for _, m := range sys.Emulator.Messages(user) {
		out = append(out, m.Shown())
	}
	return out
}

func send(t *testing.T, sys *demo.System, evs ...lineemu.Event) {
	t.Helper()
	code, err := sys.Emulator.Send(context.Background(), evs...)
	if err != nil || code != http.StatusOK {
		t.Fatalf("webhook: %d, %v; want 200", code, err)
	}
	wait(t, sys)
}

// settle is how long a test waits for the system to process what it was sent.
const settle = 30 * time.Second

// wait waits until sys has processed every event it took, or fails the test.
func wait(t *testing.T, sys *demo.System) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), settle)
	defer cancel()
	if err := sys.WaitContext(ctx); err != nil {
		t.Fatalf("events not processed within %v", settle)
	}
}

// lastButton returns the postback data of the button labelled label in the
// last message user received.
func lastButton(t *testing.T, sys *demo.System, label string) string {
	t.Helper()
	msgs := sys.Emulator.Messages(user)
	if len(msgs) == 0 {
		t.Fatal("no messages")
	}
	for _, a := range msgs[len(msgs)-1].Buttons() {
		if a.Label == label {
			return a.Data
		}
	}
	t.Fatalf("no button %q in the last message %+v", label, msgs[len(msgs)-1])
	return ""
}

func noViolations(t *testing.T, sys *demo.System) {
	t.Helper()
	for _, v := range sys.Emulator.Violations() {
		t.Errorf("LINE rule broken: %s", v)
	}
}

// linkAs links the demo user to account through the real link page and
// LINE's account-link dialog, as a person would.
func linkAs(t *testing.T, sys *demo.System, account string) {
	t.Helper()
	msgs := sys.Emulator.Messages(user)
	var link string
	for _, a := range msgs[len(msgs)-1].Buttons() {
		if a.Type == "uri" {
			link = a.URI
		}
	}
	if link == "" {
		t.Fatalf("no link button in %+v", msgs[len(msgs)-1])
	}
	u := strings.SplitN(link, "linkToken=", 2)
	res, err := http.PostForm(u[0][:len(u[0])-1], map[string][]string{"linkToken": {u[1]}, "account": {account}})
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("link: %v %v", res, err)
	}
	res.Body.Close()
	wait(t, sys)
}

// toConfirm walks a linked clean account to the confirm step.
func toConfirm(t *testing.T, sys *demo.System, account string) {
	t.Helper()
	send(t, sys, sys.Emulator.Text(user, "退会したい"))
	linkAs(t, sys, account)
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "理解して次へ進む")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "回答しない")))
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// need finds a program the test needs; it skips without it, except in CI,
// where a missing program is a failure.
func need(t *testing.T, prog string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed", prog)
		}
		t.Skipf("%s is not installed", prog)
	}
	return p
}

func waitHealthy(t *testing.T, url string, logs fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not healthy:\n%s", url, logs.String())
}

// syncBuffer is a bytes.Buffer safe for a process's output.
type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// processDeadline bounds a test that starts processes (redis-server, taikai
// serve, Chromium): the context it returns ends, killing what was started
// with it, after d or a little before the test binary's own deadline, so a
// hung process fails the test instead of hanging it.
func processDeadline(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	end := time.Now().Add(d)
	if dl, ok := t.Deadline(); ok && dl.Add(-5*time.Second).Before(end) {
		end = dl.Add(-5 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), end)
	t.Cleanup(cancel)
	return ctx
}
