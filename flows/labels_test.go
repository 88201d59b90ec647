package flows

import "testing"

// TestTypedLabelsMatchOnlyTheLabel: a typed button label presses the button
// only when it is the label itself (any width, case or spacing, at most one
// plain stop at the end). A question, a doubt, an ellipsis, doubled
// punctuation, an emoji or a kaomoji is never trimmed into a press.
func TestTypedLabelsMatchOnlyTheLabel(t *testing.T) {
	for s, want := range map[string]string{
		"退会する": "退会する", "退会する。": "退会する", "退会する！": "退会する", " 退会 する ": "退会する",
		"退会する。。": "退会する。。", "退会する!!": "退会する!!", "退会する？": "退会する?",
		"Confirm closure": "confirmclosure", "confirm closure.": "confirmclosure", "CONFIRM CLOSURE!": "confirmclosure",
	} {
		if got := normalize(s); got != want {
			t.Errorf("normalize(%q) = %q; want %q", s, got, want)
		}
	}
	st := atStep(StepConfirm, clean)
	tt := &turn{s: st, c: catalogFor(LangJa), env: env(t0)}
	for _, s := range []string{"退会する？", "退会する?", "退会する…", "退会する、、、", "退会する。。。", "退会する!?", "退会する！！",
		"退会する〜？", "退会する❓", "❌退会する", "退会する×", "退会する✕", "退会する(;_;)", "退会する💦", "退会する、", "退会する・・・",
		"Confirm closure?", "confirm closure...", "Confirm closure??", "confirm closure!!", "confirm closure❓", "退会する..", "退会する‥"} {
		if p, ok := tt.typed(normalize(s)); ok {
			t.Errorf("%q pressed %v; want no press", s, p.act)
		}
	}
	for _, s := range []string{"退会する", "退会する。", "退会する！", "Confirm closure", "confirm closure."} {
		if p, ok := tt.typed(normalize(s)); !ok || p.act != actConfirm {
			t.Errorf("%q: press %v %v; want the confirm button", s, p.act, ok)
		}
	}
}
