package taikai_test

import (
	"testing"
	"time"

	"github.com/taikaibot/taikai"
)

func TestReminderEvents(t *testing.T) {
	const user = "U0123456789abcdef0123456789abcdef"
	due := time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)
	ev := taikai.ReminderEvent(user, due, due.Add(time.Second))
	if ev.Key != user || ev.ID != "reminder:"+user+":1795827600000" {
		t.Errorf("event %q keyed %q", ev.ID, ev.Key)
	}
	u, d, ok := taikai.ParseReminder(ev)
	if !ok || u != user || !d.Equal(due) {
		t.Errorf("read back as %q, %v, %v", u, d, ok)
	}
	other := taikai.ReminderEvent("U0123456789abcdef0123456789abcde0", due, due)
	for name, e := range map[string]taikai.Event{
		"a LINE event":            {ID: "01JD0000000000000000000000", Key: user, Raw: ev.Raw},
		"a LINE body":             {ID: ev.ID, Key: user, Raw: []byte(`{"type":"message"}`)},
		"another user's body":     {ID: ev.ID, Key: user, Raw: other.Raw},
		"ordered as another user": {ID: ev.ID, Key: "U0123456789abcdef0123456789abcde0", Raw: ev.Raw},
		"another due time":        {ID: ev.ID + "1", Key: user, Raw: ev.Raw},
		"not a user":              {ID: "reminder:x:1", Key: "x", Raw: []byte(`{"type":"taikai.reminder","user":"x","due":1}`)},
		"garbage":                 {ID: ev.ID, Key: user, Raw: []byte(`{`)},
	} {
		if _, _, ok := taikai.ParseReminder(e); ok {
			t.Errorf("%s read as a reminder", name)
		}
	}
}
