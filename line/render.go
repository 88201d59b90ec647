package line

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/taikaibot/taikai/flows"
)

// LINE's limits (https://developers.line.biz/en/reference/messaging-api/#message-objects
// and #send-reply-message).
const (
	maxMessages     = 5
	maxText         = 5000
	maxQuickReplies = 13
	maxLabel        = 20
	maxButtonsText  = 160
	maxAltText      = 1500
)

// Render turns replies into at most five LINE messages, encoded as the API
// takes them: a text message per reply, a buttons template for a link, and
// the last reply's choices as quick replies on the last message (the only
// place LINE shows them).
func (c *Client) Render(replies []flows.Reply) ([]json.RawMessage, error) { return Render(replies) }

// Render is Client.Render, which needs no client.
func Render(replies []flows.Reply) ([]json.RawMessage, error) {
	msgs := render(replies)
	out := make([]json.RawMessage, len(msgs))
	for i, m := range msgs {
		b, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("line: render: %w", err)
		}
		out[i] = b
	}
	return out, nil
}

func render(replies []flows.Reply) []messaging_api.MessageInterface {
	if len(replies) == 0 {
		return nil
	}
	var choices []flows.Choice
	for _, r := range replies {
		if len(r.Choices) > 0 {
			choices = r.Choices
		}
	}
	// Fold surplus replies into one text, keeping the last (which may carry a link).
	for len(replies) > maxMessages {
		merged := flows.Reply{Text: replies[0].Text + "\n\n" + replies[1].Text}
		replies = append([]flows.Reply{merged}, replies[2:]...)
	}
	msgs := make([]messaging_api.MessageInterface, 0, len(replies))
	for _, r := range replies {
		if r.Link != nil {
			msgs = append(msgs, linkMessage(r))
			continue
		}
		msgs = append(msgs, &messaging_api.TextMessage{Text: clip(r.Text, maxText)})
	}
	if qr := quickReply(choices); qr != nil {
		switch m := msgs[len(msgs)-1].(type) {
		case *messaging_api.TextMessage:
			m.QuickReply = qr
		case *messaging_api.TemplateMessage:
			m.QuickReply = qr
		}
	}
	return msgs
}

func linkMessage(r flows.Reply) messaging_api.MessageInterface {
	return &messaging_api.TemplateMessage{
		AltText: clip(r.Text+"\n"+r.Link.URL, maxAltText),
		Template: &messaging_api.ButtonsTemplate{
			Text:    clip(r.Text, maxButtonsText),
			Actions: []messaging_api.ActionInterface{&messaging_api.UriAction{Label: clip(r.Link.Label, maxLabel), Uri: r.Link.URL}},
		},
	}
}

func quickReply(cs []flows.Choice) *messaging_api.QuickReply {
	if len(cs) == 0 {
		return nil
	}
	if len(cs) > maxQuickReplies {
		cs = cs[:maxQuickReplies]
	}
	items := make([]messaging_api.QuickReplyItem, len(cs))
	for i, c := range cs {
		label := clip(c.Label, maxLabel)
		// Type is not filled in by the SDK, and LINE requires it.
		items[i] = messaging_api.QuickReplyItem{Type: "action", Action: &messaging_api.PostbackAction{
			Label: label, Data: c.Data, DisplayText: c.Label,
		}}
	}
	return &messaging_api.QuickReply{Items: items}
}

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n-1])) + "…"
}
