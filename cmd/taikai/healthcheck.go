package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// healthTimeout bounds the healthcheck, well within the Dockerfile's 5 s.
const healthTimeout = 2 * time.Second

// healthcheck asks the server in this container whether it is alive: GET
// http://127.0.0.1:$PORT/healthz (or -path), success only on 200. It says
// nothing on success, since Docker keeps the output of every check. The
// image has no shell or curl, so the binary checks itself.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("path", "/healthz", "the path to ask: /healthz (alive) or /readyz (ready)")
	if err := fs.Parse(args); err != nil {
		return configErrorf("healthcheck: %v", err)
	}
	if !strings.HasPrefix(*path, "/") {
		return configErrorf("healthcheck: -path %q must start with /", *path)
	}
	port := 8080
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return configErrorf("PORT=%q is not a port number", v)
		}
		port = p
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	u := fmt.Sprintf("http://127.0.0.1:%d%s", port, *path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := (&http.Client{Timeout: healthTimeout}).Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: GET %s: %w", u, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 200))
		return fmt.Errorf("healthcheck: GET %s: %s %s", u, res.Status, strings.TrimSpace(string(b)))
	}
	return nil
}
