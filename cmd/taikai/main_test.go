package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai/lineemu"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	ok := map[string]string{"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}
	for _, tc := range []struct {
		change map[string]string
		want   string
	}{
		{map[string]string{"LINE_CHANNEL_SECRET": ""}, "LINE_CHANNEL_SECRET"},
		{map[string]string{"LINE_CHANNEL_ACCESS_TOKEN": ""}, "LINE_CHANNEL_ACCESS_TOKEN"},
		{map[string]string{"PORT": "eighty"}, "PORT"},
		{map[string]string{"LINE_API_BASE_URL": "ftp://x"}, "LINE_API_BASE_URL"},
		{map[string]string{"MARKETPLACE_API_URL": "https://m.example", "MARKETPLACE_LINK_URL": "https://m.example/link"}, "MARKETPLACE_API_TOKEN"},
		{map[string]string{"MARKETPLACE_API_URL": "https://m.example", "MARKETPLACE_API_TOKEN": "x"}, "MARKETPLACE_LINK_URL"},
		{map[string]string{"CONVERSATION_EXPIRY": "soon"}, "CONVERSATION_EXPIRY"},
		{map[string]string{"STAFF_HOURS": "weekdays 10-18"}, "STAFF_HOURS"},
		{map[string]string{"REDIS_URL": "http://nope"}, "REDIS_URL"},
		{map[string]string{"RETRY_ATTEMPTS": "many"}, "RETRY_ATTEMPTS"},
		{map[string]string{"RETRY_BACKOFF": "1h"}, "RETRY_BACKOFF"},
		{map[string]string{"RETRY_BACKOFF": "2s", "RETRY_BACKOFF_MAX": "1s"}, "RETRY_BACKOFF_MAX"},
		{map[string]string{"RETRY_AFTER_MAX": "-1s"}, "RETRY_AFTER_MAX"},
	} {
		e := map[string]string{}
		for k, v := range ok {
			e[k] = v
		}
		for k, v := range tc.change {
			e[k] = v
		}
		err := run(context.Background(), []string{"taikai", "serve"}, env(e), nil, &bytes.Buffer{}, &bytes.Buffer{})
		var ce *configError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: err %v; want one line naming %s", tc.change, err, tc.want)
		}
	}
	c, err := loadConfig(env(map[string]string{"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}))
	if err != nil || c.Replica.StaffHours.String() != "Mon-Fri 10:00-18:00 Asia/Tokyo" {
		t.Errorf("default staff hours %q, %v", c.Replica.StaffHours, err)
	}
	var ce *configError
	if err := run(context.Background(), []string{"taikai"}, env(nil), nil, &bytes.Buffer{}, &bytes.Buffer{}); !errors.As(err, &ce) {
		t.Errorf("no command: %v; want a usage error", err)
	}
}

func TestRetrySettingsReachThePolicy(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{
		"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t",
		"RETRY_ATTEMPTS": "5", "RETRY_BACKOFF": "50ms", "RETRY_BACKOFF_MAX": "2s", "RETRY_AFTER_MAX": "3s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Replica.Retry
	if p.Attempts != 5 || p.Backoff != 50*time.Millisecond || p.MaxBackoff != 2*time.Second || p.MaxRetryAfter != 3*time.Second {
		t.Errorf("policy %+v; want the settings", p)
	}
	cfg, _ = loadConfig(env(map[string]string{"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}))
	if d := cfg.Replica.Retry; d.Attempts != 3 || d.MaxRetryAfter != 5*time.Second {
		t.Errorf("default policy %+v; want the README's defaults", d)
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestServe starts the production server as a user would (env only, no
// Redis URL: the embedded one), checks health, the webhook's answers, the
// sandbox link page, replay, and a graceful stop.
func TestServe(t *testing.T) {
	port := freePort(t)
	e := map[string]string{
		"LINE_CHANNEL_SECRET": "8c570fa6dd201bb328f1c1eac23a96d8", "LINE_CHANNEL_ACCESS_TOKEN": "t",
		"LINE_API_BASE_URL": "http://127.0.0.1:1", "PORT": fmt.Sprint(port), "REDIS_URL": os.Getenv("REDIS_URL"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() { done <- run(ctx, []string{"taikai", "serve"}, env(e), nil, &logs, &logs) }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
		if err == nil && res.StatusCode == 200 {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server not healthy: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	body := []byte(`{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}`)
	post := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/callback", bytes.NewReader(body))
		req.Header.Set("x-line-signature", sig)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := post("GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="); code != 200 {
		t.Errorf("verify request: %d; want 200", code)
	}
	if code := post(lineemu.Sign("wrong", body)); code != 400 {
		t.Errorf("bad signature: %d; want 400", code)
	}
	if res, err := http.Get(base + "/sandbox/link?linkToken=x"); err != nil || res.StatusCode != 200 {
		t.Errorf("sandbox link page: %v %v", res, err)
	}

	var out bytes.Buffer
	err := run(ctx, []string{"taikai", "replay", base + "/callback", "../../testdata/webhook/verify_empty_events.json", "../../testdata/webhook/unfollow.json"},
		env(map[string]string{"LINE_CHANNEL_SECRET": e["LINE_CHANNEL_SECRET"]}), nil, &out, &out)
	if err != nil || strings.Count(out.String(), "HTTP 200") != 2 {
		t.Errorf("replay: %v\n%s", err, out.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	if strings.Contains(logs.String(), "8c570fa6dd201bb328f1c1eac23a96d8") {
		t.Error("the channel secret was logged")
	}
}

func TestDemoScripted(t *testing.T) {
	var out, errs bytes.Buffer
	in := strings.NewReader("退会したい\n1\nacc_balance\n2\n")
	if err := run(context.Background(), []string{"taikai", "demo"}, env(nil), in, &out, &errs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"友だち追加ありがとうございます", "3,200円", "中止しました"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo transcript lacks %q:\n%s", want, out.String())
		}
	}
}

func TestDemoWithHistory(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"taikai", "demo", "-history", "3d"}, env(nil), strings.NewReader("/quit\n"), &out, &errs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errs.String(), "simulated conversations in the console (marked as demo data)") {
		t.Errorf("demo -history said:\n%s", errs.String())
	}
	var ce *configError
	if err := run(context.Background(), []string{"taikai", "demo", "-history", "ninety"}, env(nil), strings.NewReader(""), &out, &errs); !errors.As(err, &ce) {
		t.Errorf("-history ninety: %v; want a configError", err)
	}
}

func TestAutoPipelineSetting(t *testing.T) {
	for v, off := range map[string]bool{"": false, "on": false, "off": true} {
		cfg, _ := parseConfig(env(map[string]string{"REDIS_AUTOPIPELINE": v}))
		if cfg.Replica.NoAutoPipeline != off {
			t.Errorf("REDIS_AUTOPIPELINE=%q: off %v; want %v", v, cfg.Replica.NoAutoPipeline, off)
		}
	}
}
