package flows

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// lookups counts the status lookups f was asked for.
func lookups(f *fake) int {
	n := 0
	for _, e := range f.effects {
		if e.Kind == EffCheck {
			n++
		}
	}
	return n
}

// TestChecksAreLimitedPerMinute: asking to check again, pressed or typed,
// looks the account up only while fewer than MaxChecks lookups were made in
// CheckWindow; past it the user is told when to try again, with the step's
// buttons, and the marketplace is not called.
func TestChecksAreLimitedPerMinute(t *testing.T) {
	f := &fake{status: blocked}
	now := t0
	s, r := drive(t, atStep(StepIdle, blocked), text("退会したい"), env(now), f) // lookup 1
	if s.Step != StepBlocked {
		t.Fatalf("start: step %s; want blocked", s.Step)
	}
	now = now.Add(10 * time.Second)
	s, r = drive(t, s, tap(t, r, "もう一度確認する"), env(now), f) // 2
	now = now.Add(10 * time.Second)
	s, r = drive(t, s, text("intent:yes"), env(now), f) // 3, typed
	if n := lookups(f); n != MaxChecks {
		t.Fatalf("%d lookups; want %d", n, MaxChecks)
	}
	for i, in := range []Input{tap(t, r, "もう一度確認する"), text("intent:yes")} {
		now = now.Add(time.Second)
		var r2 []Reply
		s, r2 = drive(t, s, in, env(now), f)
		if n := lookups(f); n != MaxChecks {
			t.Errorf("ask %d past the limit: %d lookups; want still %d", i, n, MaxChecks)
		}
		// The first lookup was at t0 and leaves the window at t0+60s. Now is
		// t0+21s or t0+22s: 39 or 38 seconds to wait, said as about 40.
		want := fmt.Sprintf(ja.checkLimit, 40)
		if len(r2) != 1 || r2[0].Text != want || !strings.Contains(strings.Join(labels(r2[0]), " "), "もう一度確認する") {
			t.Errorf("ask %d past the limit: %+v; want %q with the step's buttons", i, r2, want)
		}
		if s.Step != StepBlocked {
			t.Errorf("ask %d past the limit: step %s; want blocked kept", i, s.Step)
		}
	}
	// Once the first lookup is a minute old, one more may be made.
	now = t0.Add(CheckWindow)
	s, _ = drive(t, s, tap(t, r, "もう一度確認する"), env(now), f)
	if n := lookups(f); n != MaxChecks+1 || s.Step != StepBlocked {
		t.Errorf("a minute later: %d lookups, step %s; want %d, blocked", n, s.Step, MaxChecks+1)
	}
}

// TestStartingOverIsLimitedToo: starting the procedure looks the account up
// too; stopping and starting again is allowed a few times a minute (a person
// may well change their mind), but not without bound: past MaxLookups in
// CheckWindow the user waits at the checking step, told when to try again.
func TestStartingOverIsLimitedToo(t *testing.T) {
	f := &fake{status: clean}
	now := t0
	s := atStep(StepIdle, clean)
	for i := range MaxLookups + 5 {
		now = now.Add(time.Second)
		var r []Reply
		s, r = drive(t, s, text("退会したい"), env(now), f)
		switch {
		case i < MaxLookups && s.Step != StepWarning:
			t.Fatalf("start %d: step %s; want warning", i, s.Step)
		case i >= MaxLookups && (s.Step != StepChecking || !strings.HasPrefix(joined(r), "確認が続いたため、少し時間をおいてから")):
			t.Errorf("start %d past the limit: step %s, %q; want waiting at checking, told when to try again", i, s.Step, joined(r))
		}
		s, _ = drive(t, s, text("intent:cancel"), env(now), f)
	}
	if n := lookups(f); n != MaxLookups {
		t.Errorf("%d lookups; want %d", n, MaxLookups)
	}
	if len(s.Checks) != MaxLookups {
		t.Errorf("%d lookups remembered; want the last %d", len(s.Checks), MaxLookups)
	}
	// A minute later, starting looks the account up again.
	if s, _ = drive(t, s, text("退会したい"), env(now.Add(CheckWindow)), f); s.Step != StepWarning || lookups(f) != MaxLookups+1 {
		t.Errorf("a minute later: step %s, %d lookups; want warning, %d", s.Step, lookups(f), MaxLookups+1)
	}
}

func TestTheCheckLimitSaysWhenInEnglishToo(t *testing.T) {
	s := atStep(StepBlocked, blocked)
	s.Lang = LangEn
	s.Checks = []time.Time{t0, t0.Add(time.Second), t0.Add(2 * time.Second)}
	_, out := Next(s, text("intent:yes"), env(t0.Add(58*time.Second)))
	if want := "I'm sorry, I've checked several times in a row. Please wait about 5 seconds"; out.Effect != nil || len(out.Replies) != 1 || !strings.HasPrefix(out.Replies[0].Text, want) {
		t.Errorf("%+v, effect %+v; want %q… and no lookup", out.Replies, out.Effect, want)
	}
}
