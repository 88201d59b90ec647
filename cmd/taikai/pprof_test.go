package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"
)

// TestPprofOnItsOwnPort: with PPROF_ADDR the profiles are served there, and
// never on the public port.
func TestPprofOnItsOwnPort(t *testing.T) {
	port, pport := freePort(t), freePort(t)
	e := map[string]string{
		"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "LINE_API_BASE_URL": "http://127.0.0.1:1",
		"PORT": fmt.Sprint(port), "PPROF_ADDR": fmt.Sprintf("127.0.0.1:%d", pport), "REDIS_URL": os.Getenv("REDIS_URL"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() { done <- run(ctx, []string{"taikai", "serve"}, env(e), nil, &logs, &logs) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	get := func(u string) int {
		res, err := http.Get(u)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); get(base+"/healthz") != 200; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("server not healthy:\n%s", logs.String())
		}
	}
	if code := get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap", pport)); code != 200 {
		t.Errorf("heap profile on PPROF_ADDR: HTTP %d; want 200", code)
	}
	if code := get(base + "/debug/pprof/heap"); code != 404 {
		t.Errorf("heap profile on the public port: HTTP %d; want 404", code)
	}
}

func TestPprofAddrInvalid(t *testing.T) {
	e := map[string]string{"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "PORT": "0", "PPROF_ADDR": "nonsense"}
	err := run(context.Background(), []string{"taikai", "serve"}, env(e), nil, &bytes.Buffer{}, &bytes.Buffer{})
	var ce *configError
	if !errors.As(err, &ce) {
		t.Errorf("PPROF_ADDR=nonsense: %v; want a configError naming it", err)
	}
}
