package line

import (
	"encoding/json"

	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
)

// The common events — a text message or a postback from a user — are
// decoded in one pass here; everything else, and anything about these that
// could decode differently, goes to the SDK (UnmarshalEvent), which decodes
// each event several times over (a map of its fields, then each field, each
// object once as a map and once as a struct).
//
// The one pass gives what the SDK gives when the event holds only the keys
// below, each spelled exactly, none twice in the event's own object (the SDK
// reads that object as a map: exact keys, the last of two wins; encoding/json
// into a struct folds case and merges), and its fields have the types the
// SDK's have (a mismatch fails here and goes to the SDK, to fail there).

// fastEvent is the SDK's MessageEvent or PostbackEvent, with a user source,
// a text message (TextMessageContent, less its emojis and mention) or a
// postback without params.
type fastEvent struct {
	Type            string `json:"type"`
	Mode            string `json:"mode"`
	Timestamp       int64  `json:"timestamp"`
	WebhookEventID  string `json:"webhookEventId"`
	ReplyToken      string `json:"replyToken"`
	DeliveryContext *struct {
		IsRedelivery bool `json:"isRedelivery"`
	} `json:"deliveryContext"`
	Source struct {
		Type   string `json:"type"`
		UserID string `json:"userId"`
	} `json:"source"`
	Message struct {
		Type            string `json:"type"`
		ID              string `json:"id"`
		Text            string `json:"text"`
		QuoteToken      string `json:"quoteToken"`
		QuotedMessageID string `json:"quotedMessageId"`
	} `json:"message"`
	Postback *struct {
		Data string `json:"data"`
	} `json:"postback"`
}

// fastKeys are the keys an event may hold, at any depth, to be decoded here.
// markAsReadToken is LINE's, unknown to this SDK: both ignore it. No two
// differ only in case.
var fastKeys = []string{"type", "mode", "timestamp", "webhookEventId", "replyToken", "deliveryContext", "isRedelivery",
	"source", "userId", "message", "id", "text", "quoteToken", "quotedMessageId", "markAsReadToken", "postback", "data"}

// decodeFast decodes raw as Decode does, or says it cannot (ok false).
func decodeFast(raw []byte) (inc chat.Incoming, ok bool) {
	var e fastEvent
	if json.Unmarshal(raw, &e) != nil || e.Source.Type != "user" || !plainKeys(raw) {
		return inc, false
	}
	var in flows.Input
	switch {
	case e.Type == "message" && e.Message.Type == "text":
		in = flows.Input{Kind: flows.InText, Text: e.Message.Text, MessageID: e.Message.ID}
	case e.Type == "postback":
		in = flows.Input{Kind: flows.InPostback}
		if e.Postback != nil {
			in.Data = e.Postback.Data
		}
	default:
		return inc, false
	}
	inc = chat.Incoming{Type: e.Type, ReplyToken: e.ReplyToken}
	if e.Timestamp > 0 {
		in.At = timeOf(e.Timestamp)
	}
	if e.Mode == "standby" {
		return inc, true
	}
	inc.User, inc.Chat = e.Source.UserID, e.Source.UserID
	if inc.User == "" {
		return inc, true
	}
	inc.Input = in
	return inc, true
}

// plainKeys says whether every key in raw (valid JSON, an object) is one of
// fastKeys, unescaped, and none is twice in the outer object.
func plainKeys(raw []byte) bool {
	var seen uint32
	i, depth := 0, 0
	// expectKey: the next string is a key (after '{' or a ',' in an object).
	expectKey := false
	var stack [32]byte // '{' or '[' per depth
	for i < len(raw) {
		c := raw[i]
		switch c {
		case '{', '[':
			if depth == len(stack) {
				return false
			}
			stack[depth] = c
			depth++
			expectKey = c == '{'
			i++
		case '}', ']':
			depth--
			expectKey = false
			i++
		case ',':
			expectKey = depth > 0 && stack[depth-1] == '{'
			i++
		case '"':
			j := i + 1
			for j < len(raw) && raw[j] != '"' {
				if raw[j] == '\\' {
					if expectKey {
						return false
					}
					j++
				}
				j++
			}
			if expectKey {
				k := -1
				key := raw[i+1 : j]
				for n, f := range fastKeys {
					if string(key) == f {
						k = n
						break
					}
				}
				if k < 0 {
					return false
				}
				if depth == 1 {
					if seen&(1<<k) != 0 {
						return false
					}
					seen |= 1 << k
				}
				expectKey = false
			}
			i = j + 1
		default:
			i++
		}
	}
	return true
}
