package line

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"sync"

	"github.com/taikaibot/taikai/flows"
)

// LINE's limits, from the Messaging API reference
// (https://developers.line.biz/en/reference/messaging-api/): #send-reply-message,
// #text-message, #flex-message, #bubble, #f-carousel, #items-object,
// #postback-action, #uri-action and #action-object-label-spec. Lengths are
// in UTF-16 code units, labels and displayText in grapheme clusters (text.go).
const (
	maxMessages     = 5
	maxText         = 5000 // a text message's text, and a bubble's (which has no limit of its own)
	maxAltText      = 1500 // a Flex message's altText
	maxQuickReplies = 13
	maxQuickLabel   = 20  // a quick reply button's label
	maxButtonLabel  = 40  // a Flex button's label
	maxDisplayText  = 300 // a postback's displayText
	maxData         = 300 // a postback's data
	maxURI          = 1000
	maxBubbles      = 12
	// A bubble's JSON may be 30 KB, a carousel's 50 KB; the reference does
	// not say whether a KB is 1,000 or 1,024 bytes, so the smaller.
	maxBubbleBytes   = 30_000
	maxCarouselBytes = 50_000
)

// Render turns replies into at most five LINE messages, encoded as the API
// takes them; see render.
func (c *Client) Render(replies []flows.Reply) ([]json.RawMessage, error) { return Render(replies) }

// Render is Client.Render, which needs no client.
func Render(replies []flows.Reply) ([]json.RawMessage, error) {
	msgs := render(replies)
	out := make([]json.RawMessage, len(msgs))
	for i, m := range msgs {
		b, err := encode(m)
		if err != nil {
			return nil, fmt.Errorf("line: render: %w", err)
		}
		out[i] = b
	}
	return out, nil
}

// render lays replies out for every LINE client. The choices offered (the
// last reply's that has any) are shown twice: as buttons inside their
// message, a Flex bubble, which every client draws (LINE for PC shows no
// quick replies), and as quick replies on the last message, which the
// phone apps show above the keyboard. A reply with a link is a bubble with
// its button too; one with cards is its text, then a carousel of a bubble
// per card. The rest are text messages. Every Flex message carries the
// reply's words as its altText, which notifications and the chat list show.
// Past five messages, the first replies are folded into one text.
func render(replies []flows.Reply) []message {
	if len(replies) == 0 {
		return nil
	}
	replies = fold(replies)
	var choices []flows.Choice
	shown := -1
	for i, r := range replies {
		if len(r.Choices) > 0 {
			choices, shown = r.Choices, i
		}
	}
	msgs := make([]message, 0, maxMessages)
	for i, r := range replies {
		switch {
		case len(r.Cards) > 0:
			if r.Text != "" {
				msgs = append(msgs, textMessage(r.Text))
			}
			msgs = append(msgs, cardsMessage(r.Cards))
		case i == shown || r.Link != nil:
			var cs []flows.Choice
			if i == shown {
				cs = choices
			}
			msgs = append(msgs, bubbleMessage(r.Text, r.Link, cs))
		default:
			msgs = append(msgs, textMessage(r.Text))
		}
	}
	if qr := quickReplies(choices); qr != nil {
		msgs[len(msgs)-1].QuickReply = qr
	}
	return msgs
}

// count is how many messages r takes.
func count(r flows.Reply) int {
	if len(r.Cards) > 0 && r.Text != "" {
		return 2
	}
	return 1
}

// fold merges the first replies into one text until all fit in five
// messages; the merged reply keeps the later one's link, and the choices
// of either (the later one's first).
func fold(replies []flows.Reply) []flows.Reply {
	n := 0
	for _, r := range replies {
		n += count(r)
	}
	if n <= maxMessages {
		return replies
	}
	replies = append([]flows.Reply(nil), replies...)
	for n > maxMessages && len(replies) > 1 {
		a, b := replies[0], replies[1]
		merged := flows.Reply{Text: a.Plain() + "\n\n" + b.Plain(), Link: b.Link, Choices: b.Choices}
		if len(merged.Choices) == 0 {
			merged.Choices = a.Choices
		}
		n += count(merged) - count(a) - count(b)
		replies = append([]flows.Reply{merged}, replies[2:]...)
	}
	return replies
}

// message is a LINE message object (text or flex), built here rather than
// with the SDK's types, whose Flex structs send "flex":0 on every text and
// box (line-bot-sdk-go#505).
type message struct {
	Type       string      `json:"type"`
	Text       string      `json:"text,omitempty"`
	AltText    string      `json:"altText,omitempty"`
	Contents   any         `json:"contents,omitempty"`
	QuickReply *quickReply `json:"quickReply,omitempty"`
}

type quickReply struct {
	Items []quickReplyItem `json:"items"`
}

type quickReplyItem struct {
	Type   string `json:"type"` // "action": LINE requires it, and the SDK leaves it out
	Action action `json:"action"`
}

// action is a postback or a URI action.
type action struct {
	Type        string `json:"type"`
	Label       string `json:"label"`
	Data        string `json:"data,omitempty"`
	DisplayText string `json:"displayText,omitempty"`
	URI         string `json:"uri,omitempty"`
}

type bubble struct {
	Type   string `json:"type"`
	Body   *box   `json:"body,omitempty"`
	Footer *box   `json:"footer,omitempty"`
}

type carousel struct {
	Type     string   `json:"type"`
	Contents []bubble `json:"contents"`
}

type box struct {
	Type     string `json:"type"`
	Layout   string `json:"layout"`
	Spacing  string `json:"spacing,omitempty"`
	Contents []any  `json:"contents"`
}

type text struct {
	Type   string `json:"type"`
	Text   string `json:"text"`
	Wrap   bool   `json:"wrap,omitempty"`
	Weight string `json:"weight,omitempty"`
	Size   string `json:"size,omitempty"`
	Color  string `json:"color,omitempty"`
	Margin string `json:"margin,omitempty"`
}

type button struct {
	Type   string `json:"type"`
	Style  string `json:"style,omitempty"`
	Height string `json:"height,omitempty"`
	Action action `json:"action"`
}

func textMessage(s string) message {
	return message{Type: "text", Text: clipUnits(s, maxText)}
}

// bubbleMessage is s with buttons: the link's first, then a button per
// choice. A bubble past LINE's size is sent as text (its choices still
// offered as quick replies).
func bubbleMessage(s string, link *flows.Link, choices []flows.Choice) message {
	var buttons []any
	if link != nil {
		if b, ok := linkButton(*link, "primary"); ok {
			buttons = append(buttons, b)
		}
	}
	for _, c := range choices {
		buttons = append(buttons, button{Type: "button", Style: "secondary", Height: "sm", Action: postback(c, maxButtonLabel)})
	}
	b := bubble{Type: "bubble", Body: &box{Type: "box", Layout: "vertical", Contents: []any{
		text{Type: "text", Text: clipUnits(s, maxText), Wrap: true},
	}}}
	if len(buttons) > 0 {
		b.Footer = &box{Type: "box", Layout: "vertical", Spacing: "sm", Contents: buttons}
	}
	if bound(b) > maxBubbleBytes && size(b) > maxBubbleBytes {
		return textMessage(s)
	}
	return message{Type: "flex", AltText: clipUnits(s, maxAltText), Contents: b}
}

// cardsMessage is a carousel of a bubble per card. Cards past LINE's count
// or size are sent as their text instead (flows counts the blockers past
// ten on one card, so a carousel holds at most eleven).
func cardsMessage(cards []flows.Card) message {
	alt := make([]string, len(cards))
	for i, c := range cards {
		alt[i] = c.Text
	}
	plain := strings.Join(alt, "\n\n")
	if len(cards) > maxBubbles {
		return textMessage(plain)
	}
	c := carousel{Type: "carousel"}
	for _, card := range cards {
		c.Contents = append(c.Contents, cardBubble(card))
	}
	n := 0 // past maxBubbleBytes only if its bound is
	if bound(c) > maxBubbleBytes {
		n = size(c)
	}
	switch {
	case n > maxCarouselBytes:
		return textMessage(plain)
	case n > maxBubbleBytes:
		// Only then can one bubble be past its own limit.
		for _, b := range c.Contents {
			if size(b) > maxBubbleBytes {
				return textMessage(plain)
			}
		}
	}
	return message{Type: "flex", AltText: clipUnits(plain, maxAltText), Contents: c}
}

// cardBubble lays a card out: its title in bold, its facts in grey, what to
// do, and a button to its page.
func cardBubble(card flows.Card) bubble {
	body := []any{text{Type: "text", Text: clipUnits(card.Title, maxText), Wrap: true, Weight: "bold"}}
	for _, l := range card.Lines {
		body = append(body, text{Type: "text", Text: clipUnits(l, maxText), Wrap: true, Size: "sm", Color: "#666666"})
	}
	if card.Note != "" {
		body = append(body, text{Type: "text", Text: clipUnits(card.Note, maxText), Wrap: true, Size: "sm", Margin: "md"})
	}
	b := bubble{Type: "bubble", Body: &box{Type: "box", Layout: "vertical", Spacing: "sm", Contents: body}}
	if card.Link != nil {
		if btn, ok := linkButton(*card.Link, "link"); ok {
			b.Footer = &box{Type: "box", Layout: "vertical", Contents: []any{btn}}
		}
	}
	return b
}

// linkButton is a button opening l, if LINE would take its URL.
func linkButton(l flows.Link, style string) (button, bool) {
	if !linkable(l.URL) {
		return button{}, false
	}
	return button{Type: "button", Style: style, Height: "sm", Action: action{Type: "uri", Label: clipGraphemes(l.Label, maxButtonLabel), URI: l.URL}}, true
}

// linkable reports whether u can open from a URI action: http or https, at
// most 1,000 characters, percent-encoded (LINE rejects the whole message
// otherwise, and the URL may come from the marketplace).
func linkable(u string) bool {
	if len(u) > maxURI {
		return false
	}
	for i := 0; i < len(u); i++ {
		if u[i] <= ' ' || u[i] >= 0x7f {
			return false
		}
	}
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "https" || p.Scheme == "http") && p.Host != ""
}

// postback is the action of pressing c; its label is cut to max, and the
// whole label is what the chat shows the user saying.
func postback(c flows.Choice, max int) action {
	return action{Type: "postback", Label: clipGraphemes(c.Label, max), Data: c.Data, DisplayText: clipGraphemes(c.Label, maxDisplayText)}
}

func quickReplies(cs []flows.Choice) *quickReply {
	if len(cs) == 0 {
		return nil
	}
	if len(cs) > maxQuickReplies {
		cs = cs[:maxQuickReplies]
	}
	items := make([]quickReplyItem, len(cs))
	for i, c := range cs {
		items[i] = quickReplyItem{Type: "action", Action: postback(c, maxQuickLabel)}
	}
	return &quickReply{Items: items}
}

// encode is JSON without HTML escaping: URLs keep their "&", and a Flex
// container's size is what LINE measures. It is encoded in a pooled buffer
// and copied out at its size.
func encode(v any) ([]byte, error) {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	b, err := e.encode(v)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// An encoder is a buffer with a JSON encoder writing into it.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// encode returns v's JSON, valid until the next call.
func (e *encoder) encode(v any) ([]byte, error) {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")), nil
}

// bound is at least the length of v's JSON (a bubble's, or of what it is
// made of), found without encoding it: a string is at most 6 bytes per
// byte (\u00XX) and its quotes, the rest of an object (its keys, the
// punctuation) less than objectBytes. A bubble whose bound fits need not be
// measured. A type it does not know is bounded by nothing (math.MaxInt).
func bound(v any) int {
	switch v := v.(type) {
	case carousel:
		n := objectBytes + strBound(v.Type)
		for _, b := range v.Contents {
			n = add(n, bubbleBound(b)+1)
		}
		return n
	case bubble:
		return bubbleBound(v)
	case box:
		return boxBound(&v)
	case text:
		return objectBytes + strBound(v.Type) + strBound(v.Text) + strBound(v.Weight) + strBound(v.Size) + strBound(v.Color) + strBound(v.Margin)
	case button:
		return objectBytes + strBound(v.Type) + strBound(v.Style) + strBound(v.Height) + actionBound(v.Action)
	case action:
		return actionBound(v)
	}
	return math.MaxInt
}

func bubbleBound(b bubble) int {
	n := objectBytes + strBound(b.Type)
	if b.Body != nil {
		n = add(n, boxBound(b.Body))
	}
	if b.Footer != nil {
		n = add(n, boxBound(b.Footer))
	}
	return n
}

func boxBound(b *box) int {
	n := objectBytes + strBound(b.Type) + strBound(b.Layout) + strBound(b.Spacing)
	for _, c := range b.Contents {
		n = add(n, bound(c)+1)
	}
	return n
}

func actionBound(a action) int {
	return objectBytes + strBound(a.Type) + strBound(a.Label) + strBound(a.Data) + strBound(a.DisplayText) + strBound(a.URI)
}

func strBound(s string) int { return 6*len(s) + 2 }

// add is a + b, or math.MaxInt past a quarter of it (b may be MaxInt+1:
// an unknown type's bound plus one wraps around).
func add(a, b int) int {
	if b < 0 || b >= math.MaxInt/4 || a >= math.MaxInt/4 {
		return math.MaxInt
	}
	return a + b
}

// objectBytes bounds what an object of render's types holds besides its
// strings and objects: at most 7 keys of at most 11 letters, quoted, with
// colons and commas, braces, and a true (wrap).
const objectBytes = 7*(11+2+1+1) + 2 + 4

// size is the length of v's JSON.
func size(v any) int {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	b, err := e.encode(v)
	if err != nil {
		return 0
	}
	return len(b)
}
