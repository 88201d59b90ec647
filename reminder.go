package taikai

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// A reminder is an event the bot makes for itself: when a user asked to be
// told once a payout has been paid, the due time is kept in an index, and
// when it comes, whoever takes it from the index puts a reminder event into
// the intake, keyed by the user, so that it is processed in order with the
// user's own events, under the same fencing, and deduplicated by its id.

// reminderPrefix starts a reminder event's id. The webhook never makes an
// id with a colon but its hashes ("sha256:", "id-sha256:"), so no LINE
// event can pass for a reminder.
const reminderPrefix = "reminder:"

// reminderType is a reminder event's type in its body.
const reminderType = "taikai.reminder"

// reminderBody is a reminder event's body.
type reminderBody struct {
	Type string `json:"type"`
	User string `json:"user"`
	Due  int64  `json:"due"`
}

// ReminderEvent is the event that reminds user, due at due, made at now:
// its id names the user and the due time, so that the same reminder taken
// twice (a poller that died after enqueueing it) is stored once.
func ReminderEvent(user string, due, now time.Time) Event {
	ms := due.UnixMilli()
	raw, _ := json.Marshal(reminderBody{Type: reminderType, User: user, Due: ms})
	return Event{ID: reminderPrefix + user + ":" + strconv.FormatInt(ms, 10), Key: user, Raw: raw, Received: now}
}

// ParseReminder reports whether ev is a reminder event, and whom it
// reminds of what was due when. Both its id and its body must say so, and
// name the same valid user.
func ParseReminder(ev Event) (user string, due time.Time, ok bool) {
	if !strings.HasPrefix(ev.ID, reminderPrefix) {
		return "", time.Time{}, false
	}
	var b reminderBody
	if json.Unmarshal(ev.Raw, &b) != nil || b.Type != reminderType || !ValidUserID(b.User) || b.User != ev.Key ||
		ev.ID != reminderPrefix+b.User+":"+strconv.FormatInt(b.Due, 10) {
		return "", time.Time{}, false
	}
	return b.User, time.UnixMilli(b.Due), true
}
