package line

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
)

const demoUser = "Ue8dafe9e1ea8071f3031bf970cc75bcf"

// events reads the events of a recorded webhook body.
func events(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../testdata/webhook", name))
	if err != nil {
		t.Fatal(err)
	}
	var cb struct{ Events []json.RawMessage }
	if err := json.Unmarshal(b, &cb); err != nil {
		t.Fatal(err)
	}
	return cb.Events
}

func TestDecodeRecordedEvents(t *testing.T) {
	// ms is the event's LINE timestamp, which the input carries.
	user := func(typ, token string, ms int64, in flows.Input) chat.Incoming {
		in.At = time.UnixMilli(ms)
		return chat.Incoming{Type: typ, Input: in, User: demoUser, Chat: demoUser, ReplyToken: token}
	}
	for _, tc := range []struct {
		file string
		want chat.Incoming
	}{
		{"follow.json", user("follow", "3627a63d9f6257af753fb8d6341fb145", 1784077331469, flows.Input{Kind: flows.InFollow})},
		{"follow_unblocked.json", user("follow", "29431bc7506f684bb89a81daf501ec3d", 1784078012487, flows.Input{Kind: flows.InFollow, Unblocked: true})},
		{"message_sticker.json", user("message", "92454c02d020d9cc40c8a4ca901b6cea", 1784077514712, flows.Input{Kind: flows.InSticker})},
		{"message_image.json", user("message", "dddddddddddddddddddddddddddddddd", 1784077336376, flows.Input{Kind: flows.InMedia})},
		{"unfollow.json", user("unfollow", "", 1784077731973, flows.Input{Kind: flows.InUnfollow})},
		// Nothing to act on: a failed link names no one; standby; an unknown type.
		{"account_link_failed.json", chat.Incoming{Type: "accountLink"}},
		{"standby_message.json", chat.Incoming{Type: "message"}},
		{"unknown_event.json", chat.Incoming{Type: "somethingNew"}},
		// A group gets one line, pushed to the group, never to the person.
		{"group_message.json", chat.Incoming{Type: "message", Input: flows.Input{Kind: flows.InGroup}, Chat: "Cdeadbeefdeadbeefdeadbeefdeadbeef", ReplyToken: "cccccccccccccccccccccccccccccccc"}},
	} {
		got, err := Decode(events(t, tc.file)[0])
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.file, diff)
		}
	}
}

func TestDecodeCarriesWhatTheFlowNeeds(t *testing.T) {
	for _, tc := range []struct {
		file  string
		check func(in flows.Input) bool
	}{
		{"message_text_taikai.json", func(in flows.Input) bool { return in.Kind == flows.InText && in.Text != "" && in.MessageID != "" }},
		{"postback_withdraw_reason.json", func(in flows.Input) bool {
			return in.Kind == flows.InPostback && in.Data != "" && in.At.Equal(time.UnixMilli(1784077373174))
		}},
		{"account_link_ok.json", func(in flows.Input) bool { return in.Kind == flows.InLinkOK && in.Nonce != "" }},
		{"unsend.json", func(in flows.Input) bool { return in.Kind == flows.InUnsend && in.MessageID != "" }},
	} {
		got, err := Decode(events(t, tc.file)[0])
		if err != nil || got.User != demoUser || !tc.check(got.Input) {
			t.Errorf("%s: %+v, %v", tc.file, got, err)
		}
	}
}

func TestDecodeRefusesMalformedEvents(t *testing.T) {
	evs := events(t, "one_malformed_event.json")
	if _, err := Decode(evs[0]); err == nil {
		t.Error("an event with a string timestamp decoded without error")
	}
	if got, err := Decode(evs[1]); err != nil || got.Input.Kind != flows.InText {
		t.Errorf("the well-formed event beside it: %+v, %v", got, err)
	}
}

// FuzzDecodeFast holds the one-pass decoding of common events to the SDK's:
// whatever it decodes, the SDK decodes the same.
//
//	go test ./line -run '^$' -fuzz FuzzDecodeFast -fuzztime 1m
func FuzzDecodeFast(f *testing.F) {
	files, _ := filepath.Glob("../testdata/webhook/*.json")
	for _, name := range files {
		b, _ := os.ReadFile(name)
		var cb struct{ Events []json.RawMessage }
		json.Unmarshal(b, &cb)
		for _, ev := range cb.Events {
			f.Add([]byte(ev))
		}
	}
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fast, ok := decodeFast(raw)
		if !ok {
			return
		}
		slow, err := decodeSDK(raw)
		if err != nil {
			t.Fatalf("decoded here, the SDK fails: %v\n%s", err, raw)
		}
		if diff := cmp.Diff(slow, fast); diff != "" {
			t.Fatalf("(-sdk +here)\n%s\n%s", diff, raw)
		}
	})
}

// fastSeeds are events on the edge of what decodeFast takes.
var fastSeeds = []string{
	`{"type":"message","mode":"active","timestamp":1,"source":{"type":"user","userId":"U1"},"replyToken":"r","message":{"type":"text","id":"1","text":"a"}}`,
	// The SDK reads the event's own keys exactly, and the last of two.
	`{"type":"message","source":{"type":"user","userId":"U1"},"message":{"type":"text","text":"a"},"message":{"type":"text","id":"2"}}`,
	`{"type":"message","source":{"type":"user","userId":"U1"},"Message":{"type":"text","text":"a"}}`,
	`{"type":"message","source":{"type":"user","userId":"U1"},"message":{"type":"text","text":"a"},"replyToken":"x","REPLYTOKEN":"y"}`,
	`{"type":"message","source":{"type":"user","userId":"U1"},"message":{"type":"text","Text":"a","text":"b"}}`,
	`{"type":"message","source":{"type":"user"},"mode":"standby","message":{"type":"text","text":"a"}}`,
	`{"type":"message","source":null,"message":{"type":"text","text":"a"}}`,
	`{"type":"postback","source":{"type":"user","userId":"U1"},"postback":null,"deliveryContext":null}`,
	`{"type":"postback","source":{"type":"user","userId":"U1"},"postback":{"data":"a=1"},"timestamp":-5}`,
	`{"type":"postback","source":{"type":"user","userId":"U1"},"postback":{"data":"a=1","params":{"date":"2026-01-01"}}}`,
	`{"type":"message","source":{"type":"user","userId":"U1"},"message":{"type":"text","text":"a","emojis":[{"index":0}]}}`,
	`{"type":"message","source":{"type":"user","userId":"U1"},"message":{"type":"text","text":"a"},"postback":{"data":"x"}}`,
	`{"type":"message","source":{"type":"user","userId":"U1"},"message":{"type":"text","text":"a"},"timestamp":1e3}`,
	`{"type":"message","sou\u0072ce":{"type":"user","userId":"U1"},"message":{"type":"text","text":"a"}}`,
}
