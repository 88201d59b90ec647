package replica

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, h http.Handler, method, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader("{}")))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestOneReplicaServesItsRoutes(t *testing.T) {
	rdb, closeRedis, err := OpenRedis(Redis{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRedis()
	cfg := Config{ChannelSecret: "secret", AccessToken: "token", MarketURL: "http://127.0.0.1:1", MarketToken: "m", LinkURL: "http://127.0.0.1:1/link"}
	extra := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("extra")) })
	r, err := New(cfg, Deps{Redis: rdb, Routes: map[string]http.Handler{"/sandbox/": extra}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		code         int
		want         string
	}{
		{"GET", "/healthz", 200, "ok"},
		{"GET", "/readyz", 503, "queue worker not running"}, // Serve not called
		{"POST", "/callback", 400, "invalid signature"},
		{"GET", "/metrics", 200, "taikai_queue_events"},
		{"GET", "/metrics", 200, "go_goroutines"},
		{"GET", "/sandbox/x", 200, "extra"},
		{"GET", "/console/", 404, ""}, // off without credentials
	} {
		code, body := get(t, r.Handler, tc.method, tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s: %d %q; want %d with %q", tc.method, tc.path, code, body, tc.code, tc.want)
		}
	}
}

func TestConsoleNeedsCredentials(t *testing.T) {
	rdb, closeRedis, _ := OpenRedis(Redis{}, nil)
	defer closeRedis()
	cfg := Config{ChannelSecret: "secret", AccessToken: "token", MarketURL: "http://127.0.0.1:1", Console: true}
	if _, err := New(cfg, Deps{Redis: rdb}); err == nil || !strings.Contains(err.Error(), "console") {
		t.Errorf("console on without credentials: %v; want an error naming the console", err)
	}
	cfg.ConsoleToken = "a-token-of-sixteen"
	r, err := New(cfg, Deps{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, r.Handler, "GET", "/console/"); code != http.StatusSeeOther {
		t.Errorf("/console/: %d; want a redirect to sign-in", code)
	}
	if _, err := New(Config{AccessToken: "t", MarketURL: "ftp://x"}, Deps{Redis: rdb}); err == nil || !strings.Contains(err.Error(), "MARKETPLACE_API_URL") {
		t.Errorf("bad marketplace URL: %v; want it named", err)
	}
	if _, err := New(cfg, Deps{}); err == nil {
		t.Error("no Redis: no error")
	}
}

func TestServeStopsWhenItsContextEnds(t *testing.T) {
	rdb, closeRedis, _ := OpenRedis(Redis{}, nil)
	defer closeRedis()
	r, err := New(Config{ChannelSecret: "s", AccessToken: "t", MarketURL: "http://127.0.0.1:1", QueueBlock: 50 * time.Millisecond}, Deps{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(base + path)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s while serving: %v %v", path, res, err)
		}
		res.Body.Close()
	}
	// Redis gone: not ready, but alive (a restart would not bring Redis back).
	closeRedis()
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 503} {
		res, err := http.Get(base + path)
		if err != nil || res.StatusCode != want {
			t.Errorf("%s with Redis down: %v %v; want %d", path, res, err, want)
		} else {
			res.Body.Close()
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("still serving after Serve returned")
	}
}
