package flows

import (
	"strings"
	"testing"
	"time"
)

// at is in, sent at when.
func at(in Input, when time.Time) Input {
	in.At = when
	return in
}

// TestAnOldDecisionNeverMovesItsStep: a confirmation — pressed or typed —
// sent before the confirm step was shown (a message typed before the
// summary arrived, a delayed or replayed event) files nothing: the summary
// is shown again, with a note. The same holds for going on from the warning
// and from the advice. Sent after, it works; within the same millisecond
// as the showing (LINE stamps in milliseconds), it counts as after.
func TestAnOldDecisionNeverMovesItsStep(t *testing.T) {
	shown := t0.Add(10 * time.Minute)
	f := &fake{status: clean}
	s, r := drive(t, atStep(StepHelp, clean), at(text("次へ"), shown.Add(-time.Second)), env(shown.Add(500*time.Microsecond)), f)
	if s.Step != StepConfirm {
		t.Fatalf("at help, 次へ: step %s; want confirm", s.Step)
	}
	if want := shown; !s.Shown.Equal(want) {
		t.Errorf("confirm shown at %v; want %v (the bot's clock, to the millisecond)", s.Shown, want)
	}
	press := tap(t, r, "退会する")
	later := env(shown.Add(time.Minute))

	for name, in := range map[string]Input{
		"the button":  at(press, shown.Add(-time.Millisecond)),
		"a typed yes": at(text("はい"), shown.Add(-2*time.Second)),
		"long before": at(text("はい"), shown.Add(-20*time.Hour)),
	} {
		f := &fake{status: clean}
		s2, r2 := drive(t, s, in, later, f)
		if filed(f) {
			t.Errorf("%s, sent before the summary: filed", name)
		}
		if s2.Step != StepConfirm || s2.Seq != s.Seq {
			t.Errorf("%s, sent before the summary: step %s seq %d; want confirm, seq %d (its buttons still good)", name, s2.Step, s2.Seq, s.Seq)
		}
		got := joined(r2)
		if !strings.HasPrefix(got, ja.beforeStep) || !strings.Contains(got, "退会しますか") || len(r2) == 0 || !strings.Contains(strings.Join(labels(r2[len(r2)-1]), " "), "退会する") {
			t.Errorf("%s, sent before the summary: %q; want the note, then the summary with its buttons", name, got)
		}
	}
	for name, in := range map[string]Input{
		"the button, after":            at(press, shown.Add(3*time.Second)),
		"a typed yes, after":           at(text("はい"), shown.Add(3*time.Second)),
		"the button, same millisecond": at(press, shown),
		"the button, time unknown":     press,
	} {
		f := &fake{status: clean}
		if drive(t, s, in, later, f); !filed(f) {
			t.Errorf("%s: not filed", name)
		}
	}

	// Going on from the warning and from the advice.
	for _, step := range []Step{StepWarning, StepHelp} {
		st := atStep(step, clean)
		st.Shown = shown
		f := &fake{status: clean}
		s2, r2 := drive(t, st, at(text("次へ"), shown.Add(-time.Second)), later, f)
		if s2.Step != step || !strings.HasPrefix(joined(r2), ja.beforeStep) {
			t.Errorf("%s, yes sent before it was shown: step %s, %q; want %s again with the note", step, s2.Step, joined(r2), step)
		}
		if s2, _ = drive(t, st, at(text("次へ"), shown.Add(time.Second)), later, f); s2.Step == step {
			t.Errorf("%s, yes sent after it was shown: still at %s", step, step)
		}
	}
}

// TestAnOldButtonNeverFiles: a button works only on the step that showed it
// (whatever its time): the confirm button of a summary shown before the user
// said no, pressed later, files nothing.
func TestAnOldButtonNeverFiles(t *testing.T) {
	s := atStep(StepConfirm, clean)
	r := []Reply{{Choices: (&turn{s: s, c: &ja}).choices()}}
	press := tap(t, r, "退会する")
	f := &fake{status: clean}
	s, _ = drive(t, s, at(text("いいえ"), t0.Add(time.Minute)), env(t0.Add(time.Minute)), f)
	s, r2 := drive(t, s, at(press, t0.Add(2*time.Minute)), env(t0.Add(2*time.Minute)), f)
	if filed(f) || s.Step != StepConfirm {
		t.Errorf("old confirm button: filed %v, step %s; want nothing filed, still at confirm", filed(f), s.Step)
	}
	if !strings.HasPrefix(joined(r2), ja.staleButton) {
		t.Errorf("old confirm button: %q; want it said to be from an earlier message", joined(r2))
	}
}
