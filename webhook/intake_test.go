package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/lineemu"
	"github.com/taikaibot/taikai/webhook"
)

// at is an event's LINE timestamp in the fixtures (2026-07-15, 10:02 JST).
var at = time.UnixMilli(1784077336376)

func body(events ...string) []byte {
	return []byte(`{"destination":"U0000000000000000000000000000000f","events":[` + strings.Join(events, ",") + `]}`)
}

func textEvent(id, user string, ts time.Time) string {
	return fmt.Sprintf(`{"type":"message","mode":"active","timestamp":%d,"webhookEventId":%q,"deliveryContext":{"isRedelivery":false},"replyToken":"r","source":{"type":"user","userId":%q},"message":{"id":"1","type":"text","quoteToken":"q","text":"退会したい"}}`,
		ts.UnixMilli(), id, user)
}

const goodUser = "Ue8dafe9e1ea8071f3031bf970cc75bcf"

func TestAnEventOlderThanTheDedupeWindowIsSkipped(t *testing.T) {
	var logs bytes.Buffer
	var rejected []string
	q := &intake{seen: map[string]bool{}}
	h := &webhook.Handler{Secret: secret, Intake: q, Now: func() time.Time { return at.Add(24*time.Hour + time.Minute) },
		Log: slog.New(slog.NewTextHandler(&logs, nil)), Reject: func(r string) { rejected = append(rejected, r) }}
	b := body(textEvent("01OLD0000000000000000000AA", goodUser, at), textEvent("01NEW0000000000000000000AA", goodUser, at.Add(2*time.Hour)))
	if rec := post(h, b, lineemu.Sign(secret, b)); rec.Code != http.StatusOK {
		t.Fatalf("%d; want 200 (a replay is answered, not stored)", rec.Code)
	}
	if len(q.evs) != 1 || q.evs[0].ID != "01NEW0000000000000000000AA" {
		t.Errorf("stored %+v; want only the event inside the window", q.evs)
	}
	if fmt.Sprint(rejected) != "[stale]" || !strings.Contains(logs.String(), "01OLD0000000000000000000AA") {
		t.Errorf("rejected %v, logs %s; want the old event counted and logged by its id", rejected, logs.String())
	}
}

func TestAUserIDThatIsNotLINEsIsRejected(t *testing.T) {
	long := "U" + strings.Repeat("a", 100000)
	for _, bad := range []string{"Uabc}", "U{x}0123456789abcdef0123456789abcd", "UE8DAFE9E1EA8071F3031BF970CC75BCF", long, "Ue8dafe9e1ea8071f3031bf970cc75bcf\n"} {
		var logs bytes.Buffer
		var rejected []string
		q := &intake{seen: map[string]bool{}}
		h := &webhook.Handler{Secret: secret, Intake: q, Now: func() time.Time { return at },
			Log: slog.New(slog.NewJSONHandler(&logs, nil)), Reject: func(r string) { rejected = append(rejected, r) }}
		b := body(textEvent("01BAD0000000000000000000AA", bad, at), textEvent("01OK00000000000000000000AA", goodUser, at))
		if rec := post(h, b, lineemu.Sign(secret, b)); rec.Code != http.StatusOK {
			t.Fatalf("%.20q: %d; want 200", bad, rec.Code)
		}
		if len(q.evs) != 1 || q.evs[0].Key != goodUser {
			t.Errorf("%.20q: stored %d events; want only the one from a LINE user id", bad, len(q.evs))
		}
		if fmt.Sprint(rejected) != "[bad_user_id]" {
			t.Errorf("%.20q: rejected %v; want it counted", bad, rejected)
		}
		if strings.Contains(logs.String(), bad) || strings.Contains(logs.String(), "aaaaaaaaaa") || logs.Len() > 2000 {
			t.Errorf("%.20q: logged in clear or at length (%d bytes)", bad, logs.Len())
		}
	}
}

// deadline is an Intake that records the deadline it was given.
type deadline struct {
	left time.Duration
	ok   bool
}

func (d *deadline) Add(ctx context.Context, evs []taikai.Event) (int, error) {
	var dl time.Time
	dl, d.ok = ctx.Deadline()
	d.left = time.Until(dl)
	return len(evs), nil
}

func TestStoringHasADeadlineInsideLINEsPatience(t *testing.T) {
	d := &deadline{}
	h := &webhook.Handler{Secret: secret, Intake: d, Now: func() time.Time { return at }}
	b := fixture(t, "message_text_taikai.json")
	if rec := post(h, b, lineemu.Sign(secret, b)); rec.Code != http.StatusOK {
		t.Fatalf("%d", rec.Code)
	}
	if !d.ok || d.left > time.Second {
		t.Errorf("storing the events had deadline %v (set: %v); want one within a second, so that LINE (2 s) gets its answer", d.left, d.ok)
	}
}

func TestAnEventIDNeverReachesAKeyAsItIs(t *testing.T) {
	q := &intake{seen: map[string]bool{}}
	h := &webhook.Handler{Secret: secret, Intake: q, Now: func() time.Time { return at }}
	b := body(textEvent("01A}{B0000000000000000000A", goodUser, at), textEvent(strings.Repeat("Z", 5000), goodUser, at))
	post(h, b, lineemu.Sign(secret, b))
	if len(q.evs) != 2 {
		t.Fatalf("%d events stored; want 2", len(q.evs))
	}
	for _, ev := range q.evs {
		if strings.ContainsAny(ev.ID, "{}") || len(ev.ID) > 80 {
			t.Errorf("event id %.40q… (%d bytes) handed to the intake; want braces and length hashed away", ev.ID, len(ev.ID))
		}
	}
}
