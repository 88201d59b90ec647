package flows

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// filing is the filing effect f ran, if any.
func filing(f *fake) *Effect {
	for i := range f.effects {
		if f.effects[i].Kind == EffFile {
			return &f.effects[i]
		}
	}
	return nil
}

// TestTheFilingCarriesTheConsent: what the user was shown and agreed to,
// and when, goes with the filing: the warning's words (their copy's version
// and the exact text's hash), its figures, when it was shown (the bot's
// clock) and acknowledged (LINE's), the same of the summary, the language
// and the reason.
func TestTheFilingCarriesTheConsent(t *testing.T) {
	f := &fake{status: clean}
	t1 := t0.Add(time.Minute)
	s, r := drive(t, atStep(StepChecking, clean), text("はい"), env(t1), f)
	if s.Step != StepWarning {
		t.Fatalf("step %s", s.Step)
	}
	warning := r[len(r)-1].Text
	t2 := t1.Add(7 * time.Second)
	s, r = drive(t, s, at(tap(t, r, "理解して次へ進む"), t2.Add(-1500*time.Millisecond)), env(t2), f)
	t3 := t2.Add(5 * time.Second)
	s, r = drive(t, s, at(tap(t, r, "回答しない"), t3.Add(-time.Second)), env(t3), f)
	if s.Step != StepConfirm {
		t.Fatalf("step %s", s.Step)
	}
	summary := r[len(r)-1].Text
	if !strings.Contains(summary, "記録として保存されます") {
		t.Errorf("the summary does not say a record is kept: %q", summary)
	}
	t4 := t3.Add(9 * time.Second)
	drive(t, s, at(tap(t, r, "退会する"), t4.Add(-800*time.Millisecond)), env(t4), f)
	e := filing(f)
	if e == nil {
		t.Fatal("nothing filed")
	}
	want := taikai.Consent{
		Language:   "ja",
		ReasonCode: taikai.ReasonNone,
		Warning: taikai.ConsentWarning{
			Shown:          taikai.Shown{Version: ja.warningVersion(LangJa), SHA256: sha(warning), ShownAt: "2026-11-25T10:01:00.000Z"},
			AcknowledgedAt: "2026-11-25T10:01:05.500Z",
			Rating:         clean.Rating, CompletedOrders: clean.CompletedOrders,
		},
		Confirm: taikai.ConsentConfirm{
			Shown:       taikai.Shown{Version: ja.confirmVersion(LangJa), SHA256: sha(summary), ShownAt: "2026-11-25T10:01:12.000Z"},
			ConfirmedAt: "2026-11-25T10:01:20.200Z",
		},
	}
	if err := e.Request.Consent.Check(); err != nil {
		t.Errorf("the record breaks the contract: %v", err)
	}
	if e.Request.Consent != want {
		t.Errorf("consent\n got %+v\nwant %+v", e.Request.Consent, want)
	}
	if !strings.HasPrefix(want.Warning.Version, "ja-") || len(want.Warning.Version) != 15 || want.Warning.Version == want.Confirm.Version {
		t.Errorf("versions %q, %q", want.Warning.Version, want.Confirm.Version)
	}
}

// TestTheConsentIsWhatWasShownLast: a warning shown again (in another
// language) must be acknowledged again, and is the one recorded; a summary
// shown again (the reason changed) is the one recorded.
func TestTheConsentIsWhatWasShownLast(t *testing.T) {
	f := &fake{status: clean}
	s, _ := drive(t, atStep(StepChecking, clean), text("はい"), env(t0), f)
	s, r := drive(t, s, text("English please"), env(t0.Add(time.Minute)), f)
	warning := r[len(r)-1].Text
	if s.Consent.Warning.AcknowledgedAt != "" || s.Consent.Warning.SHA256 != sha(warning) || !strings.HasPrefix(s.Consent.Warning.Version, "en-") {
		t.Fatalf("warning in English: %+v", s.Consent.Warning)
	}
	s, r = drive(t, s, tap(t, r, "I understand, go on"), env(t0.Add(2*time.Minute)), f)
	s, r = drive(t, s, tap(t, r, "Prefer not to say"), env(t0.Add(3*time.Minute)), f)
	s, r = drive(t, s, tap(t, r, "Change the reason"), env(t0.Add(4*time.Minute)), f)
	s, r = drive(t, s, tap(t, r, "Other"), env(t0.Add(5*time.Minute)), f)
	s, r = drive(t, s, text("引っ越すので"), env(t0.Add(6*time.Minute)), f)
	summary := r[len(r)-1].Text
	drive(t, s, tap(t, r, "Confirm closure"), env(t0.Add(7*time.Minute)), f)
	c := filing(f).Request.Consent
	if c.Language != "en" || c.ReasonCode != taikai.ReasonOther || c.Warning.SHA256 != sha(warning) || c.Confirm.SHA256 != sha(summary) ||
		c.Confirm.ShownAt != "2026-11-25T10:06:00.000Z" || c.Warning.AcknowledgedAt != "2026-11-25T10:02:00.000Z" {
		t.Errorf("consent %+v", c)
	}
	if strings.Contains(c.Confirm.SHA256+c.Warning.Version, "引っ越す") {
		t.Errorf("the consent holds the user's words")
	}
}

// TestNoPartialConsentIsFiled: a conversation that reached the summary
// without a recorded warning (begun before consent was recorded) files
// with no consent, rather than a partial one.
func TestNoPartialConsentIsFiled(t *testing.T) {
	f := &fake{status: clean}
	s := atStep(StepHelp, clean)
	s, r := drive(t, s, text("次へ"), env(t0), f)
	drive(t, s, tap(t, r, "退会する"), env(t0.Add(time.Minute)), f)
	if e := filing(f); e == nil || e.Request.Consent != (taikai.Consent{}) {
		t.Errorf("filed %+v; want no consent", e)
	}
}

// TestTheCopysVersionFollowsTheCopy: the version names the copy — another
// language or another word makes another version.
func TestTheCopysVersionFollowsTheCopy(t *testing.T) {
	changed := ja
	changed.warning = strings.Replace(changed.warning, "必ず", "", 1)
	if ja.warningVersion(LangJa) == changed.warningVersion(LangJa) {
		t.Errorf("the warning's copy changed, its version did not")
	}
	changed = ja
	changed.lossLine += "。"
	if ja.confirmVersion(LangJa) == changed.confirmVersion(LangJa) {
		t.Errorf("the summary's copy changed, its version did not")
	}
	if ja.warningVersion(LangJa) == en.warningVersion(LangEn) || ja.warningVersion(LangJa) != ja.warningVersion(LangJa) {
		t.Errorf("versions: ja %s, en %s", ja.warningVersion(LangJa), en.warningVersion(LangEn))
	}
}
