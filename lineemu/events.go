package lineemu

import (
	"encoding/json"
	"fmt"
)

// Event is a webhook event as LINE sends it (a JSON object).
type Event map[string]any

func (e *Emulator) base(typ, user string, reply bool) Event {
	n := e.nextID()
	ev := Event{
		"type":            typ,
		"mode":            "active",
		"timestamp":       e.opts.Now().UnixMilli(),
		"webhookEventId":  fmt.Sprintf("01KEMU%020d", n),
		"deliveryContext": map[string]any{"isRedelivery": false},
	}
	if user != "" {
		ev["source"] = map[string]any{"type": "user", "userId": user}
	}
	if reply {
		ev["replyToken"] = fmt.Sprintf("%032x", 0xe0000000+n)
	}
	return ev
}

// Text is a text message from user.
func (e *Emulator) Text(user, text string) Event {
	ev := e.base("message", user, true)
	n := e.nextID()
	ev["message"] = map[string]any{"id": fmt.Sprint(500000000000000 + n), "type": "text", "text": text, "quoteToken": fmt.Sprintf("q%d", n)}
	return ev
}

// Sticker is a sticker from user.
func (e *Emulator) Sticker(user string) Event {
	ev := e.base("message", user, true)
	ev["message"] = map[string]any{"id": fmt.Sprint(600000000000000 + e.nextID()), "type": "sticker", "packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC", "quoteToken": "qs"}
	return ev
}

// Image is an image message from user.
func (e *Emulator) Image(user string) Event {
	ev := e.base("message", user, true)
	ev["message"] = map[string]any{"id": fmt.Sprint(700000000000000 + e.nextID()), "type": "image", "contentProvider": map[string]any{"type": "line"}, "quoteToken": "qi"}
	return ev
}

// Postback is a button press by user; displayText is what LINE shows as
// the user's message (it sends no message event for it).
func (e *Emulator) Postback(user, data string) Event {
	ev := e.base("postback", user, true)
	ev["postback"] = map[string]any{"data": data}
	return ev
}

// Follow is user adding the bot as a friend (or unblocking it).
func (e *Emulator) Follow(user string, unblocked bool) Event {
	ev := e.base("follow", user, true)
	ev["follow"] = map[string]any{"isUnblocked": unblocked}
	return ev
}

// Unfollow is user blocking the bot. It has no reply token.
func (e *Emulator) Unfollow(user string) Event { return e.base("unfollow", user, false) }

// AccountLink is the result of an account link. A failed one has no source
// and no reply token, as on LINE.
func (e *Emulator) AccountLink(user, nonce string, ok bool) Event {
	if !ok {
		ev := e.base("accountLink", "", false)
		ev["link"] = map[string]any{"result": "failed", "nonce": nonce}
		return ev
	}
	ev := e.base("accountLink", user, true)
	ev["link"] = map[string]any{"result": "ok", "nonce": nonce}
	return ev
}

// Redelivered returns ev as LINE redelivers it: identical but for isRedelivery.
func Redelivered(ev Event) Event {
	b, _ := json.Marshal(ev)
	var c Event
	json.Unmarshal(b, &c)
	c["deliveryContext"] = map[string]any{"isRedelivery": true}
	return c
}
