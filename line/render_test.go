package line

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/taikaibot/taikai/flows"
)

func TestRenderKeepsLINELimits(t *testing.T) {
	var replies []flows.Reply
	for i := 0; i < 7; i++ {
		replies = append(replies, flows.Reply{Text: strings.Repeat("あ", 10)})
	}
	var choices []flows.Choice
	for i := 0; i < 15; i++ {
		choices = append(choices, flows.Choice{Label: "とても長いボタンの名前です、二十文字を超えています", Data: "a=x"})
	}
	replies = append(replies, flows.Reply{Text: "last", Link: &flows.Link{Label: "開く", URL: "https://example.com/?t=1"}, Choices: choices})
	msgs := render(replies)
	if len(msgs) != maxMessages {
		t.Fatalf("%d messages; want %d", len(msgs), maxMessages)
	}
	last, ok := msgs[len(msgs)-1].(*messaging_api.TemplateMessage)
	if !ok {
		t.Fatalf("last message %T; want the link's template", msgs[len(msgs)-1])
	}
	if last.QuickReply == nil || len(last.QuickReply.Items) != maxQuickReplies {
		t.Fatalf("quick replies on the last message: %+v; want %d", last.QuickReply, maxQuickReplies)
	}
	b, _ := json.Marshal(msgs)
	if !strings.Contains(string(b), `"type":"action"`) || !strings.Contains(string(b), `"displayText"`) {
		t.Errorf("quick reply items lack type or displayText: %s", b)
	}
	for _, it := range last.QuickReply.Items {
		if n := len([]rune(it.Action.(*messaging_api.PostbackAction).Label)); n > maxLabel {
			t.Errorf("label of %d characters", n)
		}
	}
	for _, m := range msgs[:len(msgs)-1] {
		if tm, ok := m.(*messaging_api.TextMessage); !ok || tm.QuickReply != nil {
			t.Errorf("a message before the last carries quick replies or is not text: %T", m)
		}
	}
}

func TestRenderEncodesEachMessage(t *testing.T) {
	raw, err := Render([]flows.Reply{{Text: "一"}, {Text: "二", Choices: []flows.Choice{{Label: "はい", Data: "a=yes"}}}})
	if err != nil || len(raw) != 2 {
		t.Fatalf("Render: %d messages, %v; want 2", len(raw), err)
	}
	var m struct {
		Type       string
		Text       string
		QuickReply *struct{ Items []json.RawMessage }
	}
	if err := json.Unmarshal(raw[1], &m); err != nil || m.Type != "text" || m.Text != "二" || m.QuickReply == nil || len(m.QuickReply.Items) != 1 {
		t.Errorf("second message %s; want the text with one quick reply", raw[1])
	}
	if got := rawMessage(raw[0]).GetType(); got != "text" {
		t.Errorf("rawMessage.GetType() = %q; want text", got)
	}
	if raw, err := Render(nil); err != nil || len(raw) != 0 {
		t.Errorf("Render(nil) = %d messages, %v; want none", len(raw), err)
	}
}

func TestRetryKeyIsAStableUUID(t *testing.T) {
	a, b := RetryKey(demoUser, "01KXHMQFSR8SD8GWMM7MM953HP"), RetryKey(demoUser, "01KXHMQFSR8SD8GWMM7MM953HP")
	if a != b || len(a) != 36 || a[14] != '5' || RetryKey(demoUser, "other") == a {
		t.Errorf("RetryKey = %q, %q; want equal v5-layout UUIDs distinct per key", a, b)
	}
}
