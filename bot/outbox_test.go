package bot

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/line"
)

// TestOutboxEncoding holds the outbox's own encoding to encoding/json's: the
// same outbox once decoded, whatever its strings hold; an outbox saved
// before (by json.Marshal) reads the same.
func TestOutboxEncoding(t *testing.T) {
	msgs, err := line.Render([]flows.Reply{{Text: "一 <&> \"引用\" \\ \u2028", Choices: []flows.Choice{{Label: "はい", Data: "a=yes&b=<1>"}}}, {Text: "二"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ob := range []outbox{
		{Event: "01KXHMQFSR8SD8GWMM7MM953HP", ReplyToken: "08d1dea073f77eec80f8b2b131afb361", Chat: "Ue8dafe9e1ea8071f3031bf970cc75bcf", Received: 1784077336376, Saved: 1784077336399, Messages: msgs},
		{Event: "pause-1784077336376000000", Chat: "U1", Received: -1, Saved: 0, Messages: msgs[:1]},
		{Event: "id-\"<&>\\\n\u3042", ReplyToken: "\x00\x7f\xff", Messages: msgs},
		{Event: "e"},
	} {
		enc := ob.encode()
		std, err := json.Marshal(ob)
		if err != nil {
			t.Fatal(err)
		}
		var got, want outbox
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		// Messages compare as JSON values: encoding/json escapes HTML in them.
		norm := func(o outbox) []any {
			var vs []any
			for _, m := range o.Messages {
				var v any
				if err := json.Unmarshal(m, &v); err != nil {
					t.Fatal(err)
				}
				vs = append(vs, v)
			}
			return vs
		}
		if diff := cmp.Diff(norm(want), norm(got)); diff != "" {
			t.Errorf("messages (-json.Marshal +encode):\n%s", diff)
		}
		got.Messages, want.Messages = nil, nil
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("encode %s (-json.Marshal +encode):\n%s", enc, diff)
		}
	}
}
