package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/lineemu"
)

// TestReplayRestamps: with -restamp, replay shifts a recorded body's
// timestamps so that the newest is now, keeping their spacing, signs what
// it sends, and says how many events each body carries; without, it sends
// the file byte for byte.
func TestReplayRestamps(t *testing.T) {
	const secret = "8c570fa6dd201bb328f1c1eac23a96d8"
	var mu sync.Mutex
	var got [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("x-line-signature") != lineemu.Sign(secret, b) {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
	}))
	defer srv.Close()
	const file = "../../testdata/webhook/two_events_same_user.json"
	recorded, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	before := time.Now().UnixMilli()
	err = run(context.Background(), []string{"taikai", "replay", "-restamp", srv.URL, file, file}, env(map[string]string{"LINE_CHANNEL_SECRET": secret}), nil, &out, &out)
	after := time.Now().UnixMilli()
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, out.String())
	}
	if want := file + ": 2 events, restamped: HTTP 200\n"; out.String() != want+want {
		t.Errorf("output %q; want %q twice", out.String(), want)
	}
	var body struct {
		Destination string
		Events      []struct {
			Timestamp      int64
			WebhookEventID string
			Message        struct{ Text string }
		}
	}
	if err := json.Unmarshal(got[0], &body); err != nil || len(body.Events) != 2 {
		t.Fatalf("sent %s: %v", got[0], err)
	}
	e0, e1 := body.Events[0], body.Events[1]
	if e1.Timestamp < before || e1.Timestamp > after || e1.Timestamp-e0.Timestamp != 1784077573084-1784077572211 {
		t.Errorf("timestamps %d, %d; want the newest between %d and %d, the spacing kept (873 ms)", e0.Timestamp, e1.Timestamp, before, after)
	}
	if body.Destination == "" || e0.WebhookEventID == "" || e0.Message.Text == "" {
		t.Errorf("sent %s; want the rest of the body as recorded", got[0])
	}

	out.Reset()
	mu.Lock()
	got = nil
	mu.Unlock()
	if err := run(context.Background(), []string{"taikai", "replay", srv.URL, file}, env(map[string]string{"LINE_CHANNEL_SECRET": secret}), nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[0], recorded) || !strings.Contains(out.String(), ": 2 events: HTTP 200") {
		t.Errorf("without -restamp: sent %d bytes (want the file's %d, as they are), said %q", len(got[0]), len(recorded), out.String())
	}
}

// TestReplayedRecordingsReachTheBot: a recorded message, weeks old, is
// skipped by the bot when replayed as it is, and handled with -restamp.
func TestReplayedRecordingsReachTheBot(t *testing.T) {
	sys, err := demo.Start(demo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	getenv := env(map[string]string{"LINE_CHANNEL_SECRET": demo.ChannelSecret})
	const file = "../../testdata/webhook/message_text_taikai.json"
	for _, restamp := range []bool{false, true} {
		args := []string{"taikai", "replay", sys.BotURL + "/callback", file}
		if restamp {
			args = []string{"taikai", "replay", "-restamp", sys.BotURL + "/callback", file}
		}
		var out bytes.Buffer
		if err := run(context.Background(), args, getenv, nil, &out, &out); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		sys.Wait()
		if got, want := sys.Processed(), map[bool]int64{false: 0, true: 1}[restamp]; got != want {
			t.Errorf("restamp %v: %d events processed; want %d", restamp, got, want)
		}
	}
}
