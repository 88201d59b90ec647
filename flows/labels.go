package flows

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normalize folds what a user types so that it compares equal to the
// words of a button (typing a button's words presses it): full-width and
// half-width forms (NFKC), case and spaces, and at most one plain full
// stop or exclamation mark at the end (。 . ！ !). Nothing else is taken
// off: a question mark (退会する？), an ellipsis (退会する…, 退会する、、、),
// doubled punctuation (退会する!!, 退会する!?), an emoji or a kaomoji
// leaves the text unequal to every label, so it is no press and is read by
// the understanding (Understand), which treats a doubt as a doubt. Nothing
// that doubts or asks may ever press a button by being trimmed away.
func normalize(s string) string {
	s = norm.NFKC.String(s)
	s = strings.ToLower(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if t, ok := cutFinalStop(s); ok {
		if _, again := cutFinalStop(t); !again {
			return t // one plain stop, not 。。 or !!
		}
	}
	return s
}

// cutFinalStop takes one plain full stop or exclamation mark off the end
// of s (after NFKC: 。 . !), if there is one.
func cutFinalStop(s string) (string, bool) {
	for _, m := range []string{"。", ".", "!"} {
		if t, ok := strings.CutSuffix(s, m); ok {
			return t, true
		}
	}
	return s, false
}
