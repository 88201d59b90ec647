package flows

import (
	"net/url"
	"strings"
)

// action is what a button does.
type action string

const (
	actStart        action = "start"
	actRelink       action = "relink"
	actCheck        action = "check"
	actCancel       action = "cancel"
	actContinue     action = "continue"
	actReason       action = "reason"
	actSkipText     action = "skip_text"
	actHelpContinue action = "help_continue"
	actConfirm      action = "confirm"
	actUnlink       action = "unlink"
	actStaff        action = "staff"
	actChangeReason action = "change_reason"
	actBack         action = "back"   // back to the bot from the staff queue
	actRemind       action = "remind" // be reminded after the payout
	actResume       action = "resume" // go on after the reminder
)

var actions = map[action]bool{
	actStart: true, actRelink: true, actCheck: true, actCancel: true, actContinue: true,
	actReason: true, actSkipText: true, actHelpContinue: true, actConfirm: true, actUnlink: true, actStaff: true,
	actChangeReason: true, actBack: true, actRemind: true, actResume: true,
}

// press is a decoded button press.
type press struct {
	act  action
	arg  string
	conv string
	seq  string
}

// encode builds postback data: the action, its argument, and the
// conversation and step counter the button belongs to, so an old button is
// recognised. It stays far below LINE's 300-character limit.
func (p press) encode() string {
	// As url.Values.Encode would write it (keys in order), with one
	// allocation: every reply's buttons are encoded.
	var b strings.Builder
	b.Grow(len(p.act) + len(p.arg) + len(p.conv) + len(p.seq) + 12)
	b.WriteString("a=")
	b.WriteString(url.QueryEscape(string(p.act)))
	if p.conv != "" {
		b.WriteString("&c=")
		b.WriteString(url.QueryEscape(p.conv))
	}
	if p.arg != "" {
		b.WriteString("&r=")
		b.WriteString(url.QueryEscape(p.arg))
	}
	if p.conv != "" {
		b.WriteString("&s=")
		b.WriteString(url.QueryEscape(p.seq))
	}
	return b.String()
}

// decodePress parses postback data. A rich menu may send just "a=start".
func decodePress(data string) (press, bool) {
	v, err := url.ParseQuery(data)
	if err != nil {
		return press{}, false
	}
	p := press{act: action(v.Get("a")), arg: v.Get("r"), conv: v.Get("c"), seq: v.Get("s")}
	return p, actions[p.act]
}

// StartData is the postback data a rich-menu button uses to start the flow.
const StartData = "a=start"
