package line

import (
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"

	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
)

// Decode turns one raw webhook event into a flow input and says whom it
// concerns and how to answer. An error means the event is malformed. An
// event the bot does not act on decodes with Input.Kind "": an unknown
// type, standby mode (another channel holds the chat), a failed account link
// (it names no one), and in a group or room anything but text and postbacks.
func (c *Client) Decode(raw []byte) (chat.Incoming, error) { return Decode(raw) }

// Decode is Client.Decode, which needs no client.
func Decode(raw []byte) (chat.Incoming, error) {
	if inc, ok := decodeFast(raw); ok {
		return inc, nil
	}
	return decodeSDK(raw)
}

// decodeSDK is Decode through the SDK's UnmarshalEvent, for every event.
func decodeSDK(raw []byte) (chat.Incoming, error) {
	e, err := webhook.UnmarshalEvent(raw)
	if err != nil {
		return chat.Incoming{}, err
	}
	inc := chat.Incoming{Type: e.GetType()}
	var src webhook.SourceInterface
	var mode webhook.EventMode
	var in flows.Input
	var ts int64 // LINE's timestamp, in milliseconds
	switch e := e.(type) {
	case webhook.MessageEvent:
		src, mode, inc.ReplyToken, ts = e.Source, e.Mode, e.ReplyToken, e.Timestamp
		switch m := e.Message.(type) {
		case webhook.TextMessageContent:
			in = flows.Input{Kind: flows.InText, Text: m.Text, MessageID: m.Id}
		case webhook.StickerMessageContent:
			in = flows.Input{Kind: flows.InSticker}
		default:
			in = flows.Input{Kind: flows.InMedia}
		}
	case webhook.PostbackEvent:
		src, mode, inc.ReplyToken, ts = e.Source, e.Mode, e.ReplyToken, e.Timestamp
		in = flows.Input{Kind: flows.InPostback}
		if e.Postback != nil {
			in.Data = e.Postback.Data
		}
	case webhook.FollowEvent:
		src, mode, inc.ReplyToken, ts = e.Source, e.Mode, e.ReplyToken, e.Timestamp
		in = flows.Input{Kind: flows.InFollow, Unblocked: e.Follow != nil && e.Follow.IsUnblocked}
	case webhook.UnfollowEvent:
		src, mode, ts = e.Source, e.Mode, e.Timestamp
		in = flows.Input{Kind: flows.InUnfollow}
	case webhook.UnsendEvent:
		src, mode, ts = e.Source, e.Mode, e.Timestamp
		in = flows.Input{Kind: flows.InUnsend}
		if e.Unsend != nil {
			in.MessageID = e.Unsend.MessageId
		}
	case webhook.AccountLinkEvent:
		src, mode, inc.ReplyToken, ts = e.Source, e.Mode, e.ReplyToken, e.Timestamp
		in = flows.Input{Kind: flows.InLinkFailed}
		if e.Link != nil {
			in.Nonce = e.Link.Nonce
			if e.Link.Result == webhook.LinkContentRESULT_OK {
				in.Kind = flows.InLinkOK
			}
		}
	case webhook.JoinEvent:
		// Added to a group or room: say once that this works in 1:1 chats only.
		src, mode, inc.ReplyToken, ts = e.Source, e.Mode, e.ReplyToken, e.Timestamp
		in = flows.Input{Kind: flows.InText}
	default:
		return inc, nil
	}
	if ts > 0 {
		// When the user acted: the flow refuses a decision older than the
		// step it would answer.
		in.At = timeOf(ts)
	}
	if mode == webhook.EventMode_STANDBY {
		// Another channel holds the chat: the bot must not send anything.
		return inc, nil
	}
	switch s := src.(type) {
	case webhook.UserSource:
		inc.User, inc.Chat = s.UserId, s.UserId
	case webhook.GroupSource:
		inc.Chat = s.GroupId
		return group(inc, in), nil
	case webhook.RoomSource:
		inc.Chat = s.RoomId
		return group(inc, in), nil
	}
	if inc.User == "" {
		// A failed account link names no one; nothing to do but log it.
		return inc, nil
	}
	inc.Input = in
	return inc, nil
}

// timeOf is a LINE timestamp (milliseconds) as a time.
func timeOf(ms int64) time.Time { return time.UnixMilli(ms) }

// group is an event in a group or room: answered (with one line saying the
// bot works in 1:1 chats only) when a person said or pressed something.
func group(inc chat.Incoming, in flows.Input) chat.Incoming {
	if in.Kind == flows.InText || in.Kind == flows.InPostback {
		inc.Input = flows.Input{Kind: flows.InGroup}
	}
	return inc
}
