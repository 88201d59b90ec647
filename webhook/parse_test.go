package webhook

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse holds the one-pass reading of a body to encoding/json's: what
// parseFast reads, parseSlow reads the same (the same events, bytes and
// fields, none malformed).
//
//	go test ./webhook -run '^$' -fuzz FuzzParse -fuzztime 1m
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../testdata/webhook/*.json")
	for _, name := range files {
		b, _ := os.ReadFile(name)
		f.Add(b)
	}
	for _, s := range []string{
		`{"events":[]}`, `{"events":null}`, `{"events":[null,1,"x",{}]}`, ` { "destination" : "U1" , "events" : [ { "type" : "message" , "timestamp" : 12 } ] } `,
		// encoding/json takes a key in any case, the last of two, and merges two objects.
		`{"events":[{"type":"a"}],"Events":[{"type":"b"}]}`, `{"events":[{"type":"a"}],"events":[{"type":"b"}]}`,
		`{"events":[{"type":"a","TYPE":"b"}]}`, `{"events":[{"source":{"userId":"U1"},"source":{"type":"user"}}]}`,
		`{"events":[{"source":{"userId":"U1","userid":"U2"}}]}`, `{"events":[{"source":null,"type":null}]}`,
		`{"events":[{"type":"\u0061","webhookEventId":"\xff"}]}`, `{"events":[{"timestamp":null},{"timestamp":{"a":[1,"]"]}},{"timestamp":-1e3}]}`,
		`{"events":[{"webhookEventId":5}]}`, `{"ev\u0065nts":[{"type":"a"}]}`, `{"events":[{"source":{"type":"user","userId":"U1"},"x":{"y":["}",{"z":"\"{"}]}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := parseFast(body)
		if !ok {
			return
		}
		slow, err := parseSlow(body)
		if err != nil {
			t.Fatalf("read here, not by encoding/json (%v): %s", err, body)
		}
		if len(fast) != len(slow) {
			t.Fatalf("%d events here, %d by encoding/json: %s", len(fast), len(slow), body)
		}
		for i := range fast {
			a, b := fast[i], slow[i]
			if b.err != nil || !bytes.Equal(a.raw, b.raw) || !bytes.Equal(a.l.Timestamp, b.l.Timestamp) {
				t.Fatalf("event %d: %q %q; encoding/json: %q %q (%v)", i, a.raw, a.l.Timestamp, b.raw, b.l.Timestamp, b.err)
			}
			if a.l.Type != b.l.Type || a.l.WebhookEventID != b.l.WebhookEventID || a.l.Source != b.l.Source {
				t.Fatalf("event %d: %+v; encoding/json: %+v\n%s", i, a.l, b.l, body)
			}
		}
	})
}

// TestRecordedBodiesAreReadInOnePass: LINE's bodies, as recorded, take the
// one pass (else FuzzParse would hold nothing).
func TestRecordedBodiesAreReadInOnePass(t *testing.T) {
	files, _ := filepath.Glob("../testdata/webhook/*.json")
	n := 0
	for _, name := range files {
		b, _ := os.ReadFile(name)
		if _, ok := parseFast(b); ok {
			n++
		} else if filepath.Base(name) != "one_malformed_event.json" {
			t.Errorf("%s: not read in one pass", name)
		}
	}
	if n < 10 {
		t.Errorf("%d bodies read in one pass", n)
	}
}
