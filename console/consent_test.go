package console

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
)

const userC = "U0000000000000000000000000000000c"

var consent = taikai.Consent{
	Language: "ja", ReasonCode: taikai.ReasonNotUsing,
	Warning: taikai.ConsentWarning{
		Shown:          taikai.Shown{Version: "ja-0123456789ab", SHA256: strings.Repeat("ab", 32), ShownAt: "2026-11-04T01:00:00.000Z"},
		AcknowledgedAt: "2026-11-04T01:00:07.250Z", Rating: taikai.Rating{Average: 4.8, Count: 52}, CompletedOrders: 50,
	},
	Confirm: taikai.ConsentConfirm{
		Shown:       taikai.Shown{Version: "ja-ba9876543210", SHA256: strings.Repeat("cd", 32), ShownAt: "2026-11-04T01:00:30.000Z"},
		ConfirmedAt: "2026-11-04T01:00:41.125Z",
	},
}

// TestTheAuditKeepsTheConsent: a filing's consent record is in its audit
// entry, on the audit page and in its CSV, with no words of the user's.
func TestTheAuditKeepsTheConsent(t *testing.T) {
	st := newSite(t)
	ctx := context.Background()
	f := turnOf(userC, "postback", day0.Add(2*24*time.Hour), flows.StepIdle, "", flows.EvConfirmed, flows.EvFiled)
	f.Filing = &chat.Filing{Outcome: taikai.OutcomeFiled, AccountID: "acc_c", Key: "taikai-line-c3-0", Reason: taikai.ReasonNotUsing,
		Receipt: "wd-42", Consent: consent}
	st.j.Track(ctx, f)
	es, err := st.j.Audit(ctx, 10)
	if err != nil || len(es) == 0 || es[0].Receipt != "wd-42" || es[0].Consent == nil || *es[0].Consent != consent {
		t.Fatalf("audit: %+v, %v", es, err)
	}
	_, page := st.get(t, "/console/audit?from=2026-11-01&to=2026-11-30", "")
	text := visibleText(t, page)
	for _, want := range []string{"同意の記録", "記録あり (ja)", "注意事項を確認 2026-11-04 10:00:07.250", "退会を確定 2026-11-04 10:00:41.125",
		"★4.8・52件・完了50件"} {
		if !strings.Contains(text, want) {
			t.Errorf("the audit page lacks %q", want)
		}
	}
	if !strings.Contains(page, consent.Warning.SHA256) || !strings.Contains(page, consent.Confirm.Version) {
		t.Error("the audit page lacks the text's hash or the copy's version")
	}
	w := do(st.s, http.MethodGet, "/console/export/audit.csv?from=2026-11-01&to=2026-11-30", nil, http.Header{"Authorization": {"Bearer " + token}, "Accept-Language": {"en"}})
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("audit.csv: %v %v", err, rows)
	}
	col := func(name string) int { return slices.Index(rows[0], name) }
	var filing []string
	for _, r := range rows[1:] {
		if r[1] == "Filing" {
			filing = r
		}
	}
	for name, want := range map[string]string{
		"Consent record: Language": "ja", "Warning acknowledged": consent.Warning.AcknowledgedAt, "Closure confirmed": consent.Confirm.ConfirmedAt,
		"Warning shown: Text SHA-256": consent.Warning.SHA256, "Summary shown: Copy version": consent.Confirm.Version,
		"Rating and record shown": "★4.8 from 52 ratings, 50 completed orders",
	} {
		if i := col(name); i < 0 || filing == nil || filing[i] != want {
			t.Errorf("audit.csv: column %q (%d) of %v; want %q", name, i, filing, want)
		}
	}
	// A staff action's row has the same number of cells, the consent's empty.
	for _, r := range rows[1:] {
		if len(r) != len(rows[0]) {
			t.Errorf("row %v has %d cells; the header %d", r, len(r), len(rows[0]))
		}
	}
}

// TestTheCardShowsAReminder: a conversation waiting for a reminder shows
// when it is due; once the reminder has come, it no longer does.
func TestTheCardShowsAReminder(t *testing.T) {
	st := newSite(t)
	ctx := context.Background()
	due := time.Date(2026, 11, 28, 10, 0, 0, 0, jst)
	r := turnOf(userC, "postback", day0.Add(time.Hour), flows.StepReserved, "c3", flows.EvReserved)
	r.State.Remind = due
	st.j.Track(ctx, r)
	if _, page := st.get(t, "/console/conversations/"+userC, ""); !strings.Contains(visibleText(t, page), "お知らせ予定：2026-11-28 10:00") {
		t.Errorf("the card does not show the reminder's time")
	}
	st.j.Track(ctx, turnOf(userC, "reminder", due, flows.StepReady, "c3", flows.EvReminded, flows.EvChecked, flows.EvClear))
	_, page := st.get(t, "/console/conversations/"+userC, "")
	if strings.Contains(page, `id="remind"`) || !strings.Contains(visibleText(t, page), "振込後のお知らせ") {
		t.Errorf("after the reminder: the card still shows it, or its timeline does not name it")
	}
}
