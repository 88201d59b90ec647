package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/taikaibot/taikai/lineemu"
)

// replay signs recorded webhook bodies with LINE_CHANNEL_SECRET and posts
// them to a running bot: byte for byte, or with -restamp, with their
// events' timestamps shifted to now (the bot skips events older than 24
// hours, which recorded ones usually are).
func replay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	restamp := fs.Bool("restamp", false, "shift the events' timestamps so that the newest is now (keeping their order and spacing), then sign")
	if err := fs.Parse(args); err != nil {
		return configErrorf("replay: %v", err)
	}
	args = fs.Args()
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
		n, err := countEvents(body)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		note := ""
		if *restamp {
			if body, err = restampBody(body, time.Now()); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			note = ", restamped"
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
		fmt.Fprintf(stdout, "%s: %s%s: HTTP %d\n", name, plural(n, "event"), note, res.StatusCode)
		if res.StatusCode != http.StatusOK {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d bodies were not accepted", failed, len(args)-1)
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// webhookBody is a webhook body as far as replay reads it: its events,
// each kept as it is but for what restamp changes.
type webhookBody struct {
	Events []map[string]json.RawMessage `json:"events"`
}

// countEvents is how many events body carries.
func countEvents(body []byte) (int, error) {
	var b webhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		return 0, errors.New("not a webhook body (JSON with events)")
	}
	return len(b.Events), nil
}

// restampBody shifts the events' numeric timestamps by one amount, so that
// the newest is now; their order and spacing are kept. Only the events'
// timestamps change (the body is encoded again, so its keys' order and
// spacing may differ).
func restampBody(body []byte, now time.Time) ([]byte, error) {
	var top map[string]json.RawMessage
	var b webhookBody
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, errors.New("not a webhook body (JSON with events)")
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, errors.New("not a webhook body (JSON with events)")
	}
	ts := make([]int64, len(b.Events))
	newest, found := int64(0), false
	for i, ev := range b.Events {
		if t, err := strconv.ParseInt(string(ev["timestamp"]), 10, 64); err == nil {
			ts[i] = t
			if !found || t > newest {
				newest, found = t, true
			}
		} else {
			ts[i] = -1 // not a number: left as it is (the bot refuses it)
		}
	}
	if !found {
		return body, nil
	}
	shift := now.UnixMilli() - newest
	for i, ev := range b.Events {
		if ts[i] >= 0 {
			ev["timestamp"] = json.RawMessage(strconv.FormatInt(ts[i]+shift, 10))
		}
	}
	evs, err := json.Marshal(b.Events)
	if err != nil {
		return nil, err
	}
	top["events"] = evs
	return json.Marshal(top)
}
