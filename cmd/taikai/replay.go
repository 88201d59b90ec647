package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/taikaibot/taikai/lineemu"
)

// replay signs recorded webhook bodies with LINE_CHANNEL_SECRET and posts
// them, byte for byte, to a running bot.
func replay(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) < 2 {
		return configErrorf("replay needs a URL and at least one FILE\n%s", usage)
	}
	secret := getenv("LINE_CHANNEL_SECRET")
	if secret == "" {
		return configErrorf("LINE_CHANNEL_SECRET is not set")
	}
	target := args[0]
	if !httpURL(target) {
		return configErrorf("replay: %q is not an http(s) URL", target)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	failed := 0
	for _, name := range args[1:] {
		body, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set("x-line-signature", lineemu.Sign(secret, body))
		res, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		fmt.Fprintf(stdout, "%s: HTTP %d\n", name, res.StatusCode)
		if res.StatusCode != http.StatusOK {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d bodies were not accepted", failed, len(args)-1)
	}
	return nil
}
